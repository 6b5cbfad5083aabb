"""Prior authorizations on the seeded demo program: booked sessions project their use,
attendance consumes it, uncovered sessions are flagged on the estimate, and coordinators are
alerted (once) through the program's event bus when units run low or expiry is a week away."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from functions.common import aws
from functions.coverage import auth_alerts
from functions.coverage.alerts import EventBridgeAlerts
from functions.schedule import events as schedule_events
from functions.schedule.routes import sessions as session_routes
from tests.clock import controlled_now
from tests.integration.conftest import ScheduleChanges
from tests.integration.scheduling import CHICAGO, SAM, at, book, next_week_day
from tests.integration.scheduling import call as schedule_call
from tests.integration.test_estimates import ALEX, COORDINATOR, JAMIE, call, coverage  # noqa: F401

BUS = "tandem-test-bus"


@pytest.fixture
def alerts(moto_env, monkeypatch) -> str:
    """The program's bus, with a rule copying coverage's events to a queue the test reads."""
    events, sqs = aws.client("events"), aws.client("sqs")
    events.create_event_bus(Name=BUS)
    queue_url: str = sqs.create_queue(QueueName="alerts-seen")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="coverage-alerts", EventBusName=BUS, EventPattern=json.dumps({"source": ["tandem.coverage"]})
    )
    events.put_targets(Rule="coverage-alerts", EventBusName=BUS, Targets=[{"Id": "seen", "Arn": arn}])
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    return queue_url


def seen(queue_url: str) -> list[dict[str, Any]]:
    messages = (
        aws.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    )
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def clock(monkeypatch):
    state = {"now": controlled_now(CHICAGO)}
    for module in (session_routes, schedule_events):
        monkeypatch.setattr(module, "utc_now", lambda: state["now"])
    return state


@pytest.fixture
def stream(coverage, moto_env):  # noqa: F811
    return ScheduleChanges(moto_env)


def authorize(units: int, start: date, end: date, codes: tuple[str, ...] = ("90837",)) -> dict[str, Any]:
    reply = call(
        "POST",
        "/participants/per_demoalex/authorizations",
        caller=COORDINATOR,
        body={
            "authorization_number": "LSM-PA-77812",
            "payer_id": "LSM01",
            "billing_codes": list(codes),
            "authorized": units,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    assert reply.status == 201, reply
    result: dict[str, Any] = reply.json
    return result


def standing() -> dict[str, Any]:
    reply = call("GET", "/participants/per_demoalex/authorizations", caller=ALEX)
    assert reply.status == 200, reply
    result: dict[str, Any] = reply.json
    return result


def test_booked_sessions_project_use_and_the_ones_beyond_the_units_are_flagged(coverage, stream):  # noqa: F811
    # Given three units of 90837 for the next month
    monday = next_week_day(0)
    authorize(3, monday - timedelta(days=14), monday + timedelta(days=30))
    # When four individual sessions are booked with Sam
    booked = [book(start=at(monday + timedelta(days=d), 9)).json["session_id"] for d in range(4)]
    stream.step()
    # Then three are projected on the authorization and the fourth is flagged
    [auth] = standing()["items"]
    assert (auth["consumed"], auth["projected"], auth["remaining"]) == (0, 3, 0)
    assert standing()["flagged"] == [{"source_id": booked[3], "reason": "beyond the authorized units"}]
    # And the estimate of that week flags it too
    year, number, _ = monday.isocalendar()
    estimate = call(
        "GET", f"/participants/per_demoalex/estimates/week?week={year}-W{number:02d}", caller=ALEX
    ).json
    flagged = {
        line["sources"][0]["id"]: line["authorization_flags"]
        for line in estimate["lines"]
        if line["authorization_flags"]
    }
    assert flagged == {booked[3]: ["beyond the authorized units"]}


def test_a_session_outside_the_dates_is_flagged(coverage, stream):  # noqa: F811
    monday = next_week_day(0)
    authorize(10, monday + timedelta(days=3), monday + timedelta(days=30))
    early = book(start=at(monday, 9)).json["session_id"]
    stream.step()
    assert standing()["flagged"] == [{"source_id": early, "reason": "outside every authorization's dates"}]


def test_attendance_consumes_units_and_the_low_alert_is_raised_once(coverage, clock, stream, alerts):  # noqa: F811
    # Given three units, and a session Alex attends
    monday = next_week_day(0)
    authorize(3, monday - timedelta(days=14), monday + timedelta(days=30))
    clock["now"] = datetime.fromisoformat(at(monday, 7))
    session = book(start=at(monday, 9)).json
    stream.step()
    clock["now"] = datetime.fromisoformat(at(monday, 10, 30))
    recorded = schedule_call(
        "POST",
        f"/sessions/{session['session_id']}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
        headers={"If-Match": '"1"'},
    )
    assert recorded.status == 200, recorded
    stream.step()
    # Then the unit is consumed, two are left: coordinators are told once
    [auth] = standing()["items"]
    assert (auth["consumed"], auth["projected"], auth["remaining"]) == (1, 0, 2)
    assert auth["alerts"] == ["low"]
    [event] = seen(alerts)
    assert event["detail-type"] == "authorization.low"
    assert event["detail"] == {
        "participant_id": "per_demoalex",
        "authorization_id": auth["authorization_id"],
        "remaining": 2,
        "end": (monday + timedelta(days=30)).isoformat(),
    }
    # And booking another session raises nothing new
    book(start=at(monday + timedelta(days=1), 9))
    stream.step()
    assert seen(alerts) == []


def test_a_missed_session_draws_on_no_authorization_and_no_visit_limit(coverage, clock, stream):  # noqa: F811
    # Given three units, and two sessions booked today: both projected
    monday = next_week_day(0)
    authorize(3, monday - timedelta(days=14), monday + timedelta(days=30))
    clock["now"] = datetime.fromisoformat(at(monday, 7))
    missed = book(start=at(monday, 9)).json
    book(start=at(monday, 13))
    stream.step()
    assert standing()["items"][0]["projected"] == 2

    # When Alex does not show up for the first
    clock["now"] = datetime.fromisoformat(at(monday, 10, 30))
    reply = schedule_call(
        "POST",
        f"/sessions/{missed['session_id']}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "no_show"}]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply
    stream.step()
    # Then it draws on nothing: neither a consumed unit nor a projected one
    [auth] = standing()["items"]
    assert (auth["consumed"], auth["projected"], auth["remaining"]) == (0, 1, 2)
    # And coverage keeps no projected use of it (which visit limits would count too)
    items = aws.client("dynamodb").query(
        TableName=coverage.table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
        ExpressionAttributeValues={":pk": {"S": "PERSON#per_demoalex"}, ":sk": {"S": "BOOKED#"}},
    )["Items"]
    assert missed["session_id"] not in {item["source_id"]["S"] for item in items}


def test_the_nightly_sweep_warns_a_week_before_expiry_once(coverage, alerts):  # noqa: F811
    today = controlled_now().date()
    auth = authorize(20, today - timedelta(days=30), today + timedelta(days=7))
    sink = EventBridgeAlerts(aws.client("events"), BUS)
    assert auth_alerts.expiry_sweep(coverage, sink, today) == 1
    assert auth_alerts.expiry_sweep(coverage, sink, today) == 0
    [event] = seen(alerts)
    assert event["detail-type"] == "authorization.expiring"
    assert event["detail"]["authorization_id"] == auth["authorization_id"]


def test_authorizations_are_validated_and_private(coverage):  # noqa: F811
    today = controlled_now().date()
    body = {
        "authorization_number": "LSM-PA-1",
        "payer_id": "LSM01",
        "billing_codes": ["90837"],
        "authorized": 5,
        "start": today.isoformat(),
        "end": (today - timedelta(days=1)).isoformat(),
    }
    backwards = call("POST", "/participants/per_demoalex/authorizations", caller=COORDINATOR, body=body)
    assert backwards.status == 422
    assert backwards.json["errors"] == [{"field": "body.end", "message": "before start"}]
    unknown = call(
        "POST",
        "/participants/per_demoalex/authorizations",
        caller=COORDINATOR,
        body={**body, "billing_codes": ["X"]},
    )
    assert unknown.status == 422
    assert call("POST", "/participants/per_demoalex/authorizations", caller=ALEX, body=body).status == 403
    assert call("GET", "/participants/per_demoalex/authorizations", caller=JAMIE).status == 404
    created = authorize(5, today, today + timedelta(days=10))
    path = f"/participants/per_demoalex/authorizations/{created['authorization_id']}"
    more = {**body, "authorized": 12, "end": (today + timedelta(days=40)).isoformat()}
    assert call("PUT", path, caller=COORDINATOR, body=more).status == 428
    replaced = call("PUT", path, caller=COORDINATOR, body=more, headers={"If-Match": '"1"'})
    assert replaced.status == 200, replaced
    assert replaced.json["authorized"] == 12
