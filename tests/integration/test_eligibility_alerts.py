"""An eligibility check someone must act on (member not found, coverage gone inactive)
tells coordinators through the program's event bus; a payer that is merely busy does not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common import aws
from tests.integration.test_eligibility_api import (  # noqa: F401
    COORDINATOR,
    _fresh_circuits,
    call,
    plans,
    put_plan,
)

BUS = "tandem-test-bus"


@pytest.fixture
def bus(moto_env, monkeypatch) -> str:
    events, sqs = aws.client("events"), aws.client("sqs")
    events.create_event_bus(Name=BUS)
    queue_url: str = sqs.create_queue(QueueName="eligibility-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all", EventBusName=BUS, EventPattern=json.dumps({"source": ["tandem.coverage"]}))
    events.put_targets(Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    return queue_url


def seen(queue_url: str) -> list[dict[str, Any]]:
    messages = (
        aws.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in messages]


@pytest.mark.parametrize(("member_id", "alerted"), [("SIM-NOTFOUND", True), ("SIM-BUSY", False)])
def test_a_rejection_to_fix_alerts_coordinators(plans, bus, member_id, alerted):  # noqa: F811
    # Given Taylor's plan with a member id the payer does not know (or a payer that is busy)
    put_plan(plans, "pln_demobrooks01", member_id=member_id)
    # When a coordinator checks it
    reply = call(
        "POST", "/participants/per_demotaylor/plans/pln_demobrooks01/eligibility-checks", caller=COORDINATOR
    )
    assert reply.status == 201, reply
    # Then coordinators hear of a member not found (ids and the problem only), not of a busy payer
    events = seen(bus)
    if alerted:
        [event] = events
        assert event["detail-type"] == "eligibility.problem"
        assert event["detail"] == {
            "participant_id": "per_demotaylor",
            "plan_id": "pln_demobrooks01",
            "problem": "member_not_found",
        }
    else:
        assert events == []
