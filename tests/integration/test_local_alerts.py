"""Coverage's coordinator alerts through the embedded runtime: the program bus and the rule
provisioned in moto from the catalog, the event poller invoking NotifyAlerts, and the outbox
message it writes for the demo coordinator."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.catalog import (
    COORDINATOR_ALERT_IDS_ENV,
    ENTRYPOINTS,
    EVENT_BUS_ENV,
    Entrypoint,
    event_entrypoints,
)
from functions.common import aws
from functions.common.models import utc_now
from functions.coverage.alerts import EventBridgeAlerts, alerts_from_env
from functions.notify.models import MessageRecord
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageKind, MessageStatus
from local import pollers, provision, runtime

SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "ses", "sns", "cognito-idp", "events")
COORDINATOR = "per_democoordinator"

Local = tuple[dict[str, Any], provision.Resources]


@pytest.fixture
def local_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Local]:
    """moto provisioned as `make serve` provisions it, with the runtime's function environment."""
    with mock_aws():
        aws.reset_clients()
        clients = {s: boto3.client(s, region_name="us-east-1") for s in SERVICES}  # type: ignore[call-overload]
        resources = provision.provision(clients)
        for name, value in runtime.function_environment(resources).items():
            monkeypatch.setenv(name, value)
        yield clients, resources
        aws.reset_clients()


def entry_of(entry_id: str) -> Entrypoint:
    return next(e for e in ENTRYPOINTS if e.id == entry_id)


def notify_alerts_poller(local: Local, log: list[str]) -> pollers.EventPoller:
    clients, resources = local
    found = dict(
        (entry.id, poller) for entry, poller in runtime.event_pollers(clients["sqs"], resources, log.append)
    )
    assert set(found) == {"NotifyAlerts", "CoveragePrices", "ScheduleAuthorizationFlags"}
    return found["NotifyAlerts"]


def queued(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def pending_outbox(resources: provision.Resources) -> list[MessageRecord]:
    store = NotifyStore(resources.tables["notify"], aws.client("dynamodb"))
    now = utc_now()
    due = store.due_messages(now, now + timedelta(minutes=1), limit=50)
    return list(store.get_messages(message_id for message_id, _ in due).values())


def raise_low_alert(participant_id: str = "per_demoalex", authorization_id: str = "aut_local01") -> None:
    """What coverage does when an authorization runs low, with the environment it is given."""
    sink = alerts_from_env(os.environ.get(EVENT_BUS_ENV), aws.client)
    assert isinstance(sink, EventBridgeAlerts)
    sink.authorization(
        "low",
        participant_id=participant_id,
        authorization_id=authorization_id,
        remaining=2,
        end=date(2026, 12, 31),
    )


def test_the_runtime_gives_the_functions_the_bus_and_the_demo_coordinator(local_bus: Local) -> None:
    _, resources = local_bus
    env = runtime.function_environment(resources)
    assert env[EVENT_BUS_ENV] == resources.event_bus_name == "tandem-local-events"
    assert env[COORDINATOR_ALERT_IDS_ENV] == COORDINATOR
    assert "events" in runtime.CLIENT_SERVICES


def test_provision_routes_each_event_entry_point_from_the_bus_to_its_queue(local_bus: Local) -> None:
    clients, resources = local_bus
    events, sqs = clients["events"], clients["sqs"]
    # Given the runtime provisioned once, and again (as on every `make serve` against a live moto)
    assert provision.provision(clients) == resources
    # Then each event entry point has one rule on the bus, with the catalog's pattern, to its queue
    assert (
        {e.id for e in event_entrypoints()}
        == set(resources.event_queues)
        == {"NotifyAlerts", "CoveragePrices", "ScheduleAuthorizationFlags"}
    )
    rules = {rule["Name"]: rule for rule in events.list_rules(EventBusName=resources.event_bus_name)["Rules"]}
    named = {
        "tandem-local-notify-alerts": "NotifyAlerts",
        "tandem-local-coverage-prices": "CoveragePrices",
        "tandem-local-schedule-authorization-flags": "ScheduleAuthorizationFlags",
    }
    assert set(rules) == set(named)
    for name, entry_id in named.items():
        assert json.loads(rules[name]["EventPattern"]) == entry_of(entry_id).event_pattern
        [target] = events.list_targets_by_rule(Rule=name, EventBusName=resources.event_bus_name)["Targets"]
        queue_url = resources.event_queues[entry_id].url
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        assert target["Arn"] == arn


def test_a_coverage_alert_becomes_a_pending_outbox_message_for_the_coordinator(local_bus: Local) -> None:
    clients, resources = local_bus
    log: list[str] = []
    poller = notify_alerts_poller(local_bus, log)
    # Given coverage raising a low-units alert on the program bus
    raise_low_alert()
    # When the event poller runs
    poller.step()
    # Then the coordinator has one pending email about it in the outbox, ids and counts only
    [message] = pending_outbox(resources)
    assert message.person_id == COORDINATOR
    assert message.kind is MessageKind.AUTHORIZATION_LOW
    assert message.kind.value == "authorization_low"
    assert message.status is MessageStatus.PENDING
    assert message.channel is Channel.EMAIL
    assert message.detail == {
        "participant_id": "per_demoalex",
        "authorization_id": "aut_local01",
        "units_remaining": 2,
        "expires_on": "2026-12-31",
    }
    assert message.to is None
    assert message.text is None
    # And the event was taken off its queue, nothing dead-lettered or logged
    queue = resources.event_queues["NotifyAlerts"]
    assert queued(clients["sqs"], queue.url) == 0
    assert queued(clients["sqs"], queue.dlq_url) == 0
    assert log == []


def test_events_of_other_sources_are_not_routed_to_notify_alerts(local_bus: Local) -> None:
    clients, resources = local_bus
    clients["events"].put_events(
        Entries=[
            {
                "Source": "tandem.schedule",
                "DetailType": "authorization.low",
                "Detail": json.dumps({"participant_id": "per_demoalex"}),
                "EventBusName": resources.event_bus_name,
            }
        ]
    )
    assert queued(clients["sqs"], resources.event_queues["NotifyAlerts"].url) == 0
    notify_alerts_poller(local_bus, []).step()
    assert pending_outbox(resources) == []


def test_a_failing_event_is_retried_then_dead_lettered(
    local_bus: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, resources = local_bus
    attempts: list[dict[str, Any]] = []

    def failing(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
        attempts.append(event)
        raise RuntimeError("notify table unavailable")

    monkeypatch.setattr(pollers, "invoke", failing)
    log: list[str] = []
    poller = notify_alerts_poller(local_bus, log)
    raise_low_alert()
    # When every invocation fails
    poller.step()
    # Then it was tried three times (Lambda: once and two retries), then moved to the DLQ
    assert len(attempts) == 3
    assert attempts[0]["source"] == "tandem.coverage"
    assert attempts[0]["detail-type"] == "authorization.low"
    queue = resources.event_queues["NotifyAlerts"]
    assert queued(clients["sqs"], queue.url) == 0
    [dead] = clients["sqs"].receive_message(QueueUrl=queue.dlq_url).get("Messages", [])
    assert json.loads(dead["Body"])["id"] == attempts[0]["id"]
    assert len(log) == 1
    assert "failed 3 times" in log[0]
    assert "RuntimeError: notify table unavailable" in log[0]


def test_a_redelivered_event_writes_its_message_once(local_bus: Local) -> None:
    clients, resources = local_bus
    poller = notify_alerts_poller(local_bus, [])
    raise_low_alert()
    queue_url = resources.event_queues["NotifyAlerts"].url
    [delivered] = clients["sqs"].receive_message(QueueUrl=queue_url).get("Messages", [])
    # Given the same event twice on the queue (EventBridge delivers at least once)
    clients["sqs"].send_message(QueueUrl=queue_url, MessageBody=delivered["Body"])
    clients["sqs"].change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=delivered["ReceiptHandle"], VisibilityTimeout=0
    )
    # When the poller delivers both
    poller.step()
    poller.step()
    # Then the coordinator has one message
    assert [m.person_id for m in pending_outbox(resources)] == [COORDINATOR]
    assert queued(clients["sqs"], queue_url) == 0


def test_a_message_that_is_not_an_event_is_dead_lettered(local_bus: Local) -> None:
    clients, resources = local_bus
    queue = resources.event_queues["NotifyAlerts"]
    clients["sqs"].send_message(QueueUrl=queue.url, MessageBody="not json")
    log: list[str] = []
    notify_alerts_poller(local_bus, log).step()
    assert queued(clients["sqs"], queue.url) == 0
    assert queued(clients["sqs"], queue.dlq_url) == 1
    assert log == ["NotifyAlerts: a message on its event queue is not JSON; dead-lettered"]


def test_only_event_entry_points_are_polled_from_the_bus() -> None:
    with pytest.raises(ValueError, match="not invoked by events"):
        pollers.EventPoller(None, entry_of("NotifySend"), "q", "dlq", lambda _: None)
