"""Coverage's coordinator alerts through the real `python -m local`: an event put on the local
program bus (moto in server mode) reaches NotifyAlerts through its rule, queue and poller."""

from __future__ import annotations

import json

import pytest

from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageKind
from tests.e2e.conftest import LocalRuntime
from tests.e2e.support import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_coverage_event_on_the_bus_becomes_a_message_for_the_demo_coordinator(
    local_runtime: LocalRuntime,
) -> None:
    # Given the runtime's program bus
    bus = local_runtime.state["event_bus_name"]
    assert bus == "tandem-local-events"
    # When coverage's kind of alert is put on it
    detail = {
        "participant_id": "per_demoalex",
        "authorization_id": "aut_e2e01",
        "remaining": 1,
        "end": "2026-12-31",
    }
    response = local_runtime.client("events").put_events(
        Entries=[
            {
                "Source": "tandem.coverage",
                "DetailType": "authorization.low",
                "Detail": json.dumps(detail),
                "EventBusName": bus,
            }
        ]
    )
    assert response["FailedEntryCount"] == 0
    event_id = response["Entries"][0]["EventId"]
    # Then the demo coordinator soon has an email about it in the outbox
    store = NotifyStore(local_runtime.state["tables"]["notify"], local_runtime.client("dynamodb"))
    message_id = f"alr.{event_id}.per_democoordinator.{Channel.EMAIL.value}"
    message = eventually(lambda: store.get_message(message_id))
    assert message is not None, "no outbox message for the coordinator"
    assert message.person_id == "per_democoordinator"
    assert message.kind is MessageKind.AUTHORIZATION_LOW
    # (the facts named as the coordinator templates list them)
    assert message.detail == {
        "participant_id": "per_demoalex",
        "authorization_id": "aut_e2e01",
        "units_remaining": 1,
        "expires_on": "2026-12-31",
    }
