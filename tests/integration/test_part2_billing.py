"""42 CFR Part 2 in coverage: estimates, the Good Faith Estimate and authorizations name a
participant's substance-use services only to whom may see them (the participant, the
coordinators the program names, a coordinator the participant consented to); anyone else gets
restricted lines whose amounts still add up. No seeded program: one self-pay participant's week
written straight into the schedule table's participant/week index."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.catalog import ENTRYPOINTS
from functions.common import aws
from functions.common.audit import AuditWriter
from functions.common.dynamo import to_item
from functions.common.part2 import REDISCLOSURE_NOTICE
from functions.common.streams import to_change
from functions.coverage import events as coverage_events
from functions.coverage.handler import lambda_handler
from functions.coverage.logic.authorizations import AuthorizationRecord
from functions.coverage.routes.estimates import forget_reference
from functions.coverage.store import CoverageStore
from functions.schedule.models import Part2ConsentRecord, SessionRecord
from functions.schedule.publish import translate
from functions.schedule.vocabulary import SessionType
from local import seed
from tests.clock import controlled_now
from tests.integration.conftest import caller_of, copy_schedule_into_coverage, stream_records
from tests.support import claims, context, sqs_records

call = caller_of(lambda_handler, before=copy_schedule_into_coverage)
CHICAGO = ZoneInfo("America/Chicago")
DANA = "per_p2dana001"
DANA_CALLER = claims(DANA, "participant")
NAMED = claims("per_p2named01", "coordinator")
OTHER = claims("per_p2other01", "coordinator")
INDIVIDUAL = "ses_p2indiv001"
COUNSELING = "ses_p2sudc0001"
HEADER = "tandem-redisclosure-notice"
NAMES = ("substance_use_counseling", "H0004", COUNSELING, "Behavioral health counseling")


def _week() -> tuple[str, datetime]:
    """Next ISO week in Chicago, and its Tuesday."""
    monday = controlled_now(CHICAGO).date() + timedelta(weeks=1)
    monday -= timedelta(days=monday.weekday())
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}", datetime.combine(monday + timedelta(days=1), time(10), tzinfo=CHICAGO)


WEEK, TUESDAY = _week()


def _session(session_id: str, kind: str, start: datetime) -> dict[str, Any]:
    """Dana's session as the schedule stores it (what its publisher turns into `session.booked`)."""
    return SessionRecord(
        session_id=session_id,
        type=SessionType(kind),
        start=start,
        end=start + timedelta(hours=1),
        clinician_ids=("per_p2clin0001",),
        attendee_ids=(DANA,),
        time_zones={DANA: "America/Chicago", "per_p2clin0001": "America/Chicago"},
        created_by="per_p2named01",
        updated_at=controlled_now(),
    ).to_attributes()


@pytest.fixture
def dana(moto_env, monkeypatch) -> CoverageStore:
    """Dana, self-pay: an individual session and a substance-use counseling session next week;
    the program names one coordinator for Part 2 (`PART2_COORDINATORS`)."""
    monkeypatch.setenv("PART2_COORDINATORS", NAMED["custom:person_id"])
    forget_reference()
    dynamodb = aws.client("dynamodb")
    store = CoverageStore(moto_env["tables"]["coverage"], dynamodb)
    seed.seed_billing(
        store, AuditWriter(moto_env["tables"]["audit"], dynamodb, request_id="t"), now=controlled_now()
    )
    for session_id, kind, start in (
        (INDIVIDUAL, "individual", TUESDAY),
        (COUNSELING, "substance_use_counseling", TUESDAY + timedelta(hours=4)),
    ):
        dynamodb.put_item(
            TableName=moto_env["tables"]["schedule"], Item=to_item(_session(session_id, kind, start))
        )
    return store


def consent(moto_env, *, revoked: bool = False) -> None:
    """Dana's consent naming the other coordinator (revoked: its second version)."""
    now = controlled_now()
    record = Part2ConsentRecord(
        consent_id="cns_p2dana0001",
        participant_id=DANA,
        recipient_ids=[OTHER["custom:person_id"]],
        recipient_roles=[],
        scope="part2_schedule",
        purpose="to settle my bills",
        expires_on=(now + timedelta(days=90)).date(),
        source="electronic",
        attested_at=now,
        recorded_by=DANA,
        revoked_at=now if revoked else None,
        revoked_by=DANA if revoked else None,
        version=2 if revoked else 1,
    )
    aws.client("dynamodb").put_item(
        TableName=moto_env["tables"]["schedule"], Item=to_item(record.to_attributes())
    )


def deliver(moto_env) -> None:
    """The schedule stream's records so far, published by schedule and taken off coverage's queue
    (every record again each time: redelivery must not undo a later version)."""
    records = stream_records(
        moto_env["dynamodb"], aws.client("dynamodbstreams"), moto_env["tables"]["schedule"]
    )
    events = [e for r in records for e in translate(to_change(r))]
    wanted = next(e for e in ENTRYPOINTS if e.id == "CoverageEvents").subscribes
    result = coverage_events.lambda_handler(
        sqs_records([e for e in events if e.type in wanted]), context("coverage-events")
    )
    assert result["batchItemFailures"] == []


def week(caller: dict[str, str]) -> Any:
    reply = call("GET", f"/participants/{DANA}/estimates/week?week={WEEK}", caller=caller)
    assert reply.status == 200, reply
    return reply


def assert_full(reply: Any) -> None:
    kinds = {source["type"] for line in reply.json["lines"] for source in line["sources"]}
    assert kinds == {"individual", "substance_use_counseling"}
    assert {line["code"] for line in reply.json["lines"]} == {"90837", "H0004"}
    assert not any(line["restricted"] for line in reply.json["lines"])


def assert_restricted(reply: Any, full: Any) -> None:
    """One restricted line where the counseling was: its time and amounts, nothing naming it,
    and the same totals as the full view."""
    for name in NAMES:
        assert name not in reply.text, name
    [hidden] = [line for line in reply.json["lines"] if line["restricted"]]
    [counseling] = [line for line in full.json["lines"] if line["code"] == "H0004"]
    assert hidden["code"] is None
    assert hidden["units"] is None
    assert [(s["id"], s["type"], s["start"]) for s in hidden["sources"]] == [
        (None, None, counseling["sources"][0]["start"])
    ]
    assert (hidden["charge"], hidden["you_pay"]) == (counseling["charge"], counseling["you_pay"])
    assert {p["reason"] for p in hidden["parts"]} <= {"restricted service"}
    assert hidden["priced_by"] == hidden["term_sources"] == hidden["authorization_flags"] == []
    assert reply.json["totals"] == full.json["totals"]
    assert reply.json["redisclosure_notice"] is None
    assert HEADER not in reply.headers


def test_the_participant_sees_her_part2_lines_without_a_notice(dana):
    # When Dana reads her own week
    reply = week(DANA_CALLER)
    # Then every line is in full, and nothing tells her own records back to her as a disclosure
    assert_full(reply)
    assert reply.json["redisclosure_notice"] is None
    assert HEADER not in reply.headers


def test_a_named_coordinator_sees_them_in_full_with_the_notice(dana):
    reply = week(NAMED)
    assert_full(reply)
    assert reply.json["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert reply.headers[HEADER] == REDISCLOSURE_NOTICE


def test_another_coordinator_sees_a_restricted_line_and_the_same_totals(dana):
    full = week(DANA_CALLER)
    # When a coordinator the program does not name reads Dana's week
    reply = week(OTHER)
    # Then the counseling is a restricted line; the individual session is as it was
    assert_restricted(reply, full)
    [shown] = [line for line in reply.json["lines"] if not line["restricted"]]
    assert (shown["code"], shown["sources"][0]["id"]) == ("90837", INDIVIDUAL)
    # And its session estimate is not there for them (as the schedule 404s the session)
    path = f"/participants/{DANA}/sessions/{{}}/estimate?week={WEEK}"
    assert call("GET", path.format(COUNSELING), caller=OTHER).status == 404
    assert call("GET", path.format(COUNSELING), caller=NAMED).status == 200
    assert call("GET", path.format(INDIVIDUAL), caller=OTHER).status == 200
    # And the program estimate restricts every week's counseling, its totals those of Dana's
    program = f"/participants/{DANA}/estimates/program?weeks=3&week={WEEK}"
    restricted, own = call("GET", program, caller=OTHER), call("GET", program, caller=DANA_CALLER)
    for name in NAMES:
        assert name not in restricted.text, name
    assert sum(line["restricted"] for line in restricted.json["lines"]) == 3
    assert (restricted.json["totals"], restricted.json["by_week"]) == (
        own.json["totals"],
        own.json["by_week"],
    )


def test_a_consent_opens_them_to_the_coordinator_it_names_until_it_is_revoked(dana, moto_env):
    full = week(DANA_CALLER)
    # Given Dana's consent naming the other coordinator, delivered by the schedule stream
    consent(moto_env)
    deliver(moto_env)
    # Then that coordinator sees the counseling in full, with the notice
    reply = week(OTHER)
    assert_full(reply)
    assert reply.headers[HEADER] == REDISCLOSURE_NOTICE
    assert reply.json["redisclosure_notice"] == REDISCLOSURE_NOTICE
    # When Dana revokes it and the stream delivers the revocation (after the consent, again)
    consent(moto_env, revoked=True)
    deliver(moto_env)
    # Then the very next read is restricted again
    assert_restricted(week(OTHER), full)
    # And the copy keeps no more than who and until when
    [copy] = [i for i in dana.person_items(DANA) if str(i["sk"]).startswith("P2CONSENT#")]
    assert (copy["revoked"], copy["version"]) == (True, 2)
    assert "purpose" not in copy


def test_the_good_faith_estimate_restricts_or_carries_the_notice(dana):
    path = f"/participants/{DANA}/good-faith-estimate?weeks=2&week={WEEK}"
    own = call("GET", path, caller=DANA_CALLER)
    assert own.status == 200, own
    assert own.json["redisclosure_notice"] is None
    # When the named coordinator prints it
    html = call("GET", path, caller=NAMED, headers={"Accept": "text/html"})
    # Then the page carries the notice, and so does the response
    assert html.status == 200, html
    assert "H0004" in html.text
    assert REDISCLOSURE_NOTICE in html.text
    assert html.headers[HEADER] == REDISCLOSURE_NOTICE
    # When the other coordinator reads or prints it
    body = call("GET", path, caller=OTHER)
    page = call("GET", path, caller=OTHER, headers={"Accept": "text/html"})
    # Then the counseling is one "Restricted service" item, the total unchanged
    for reply in (body, page):
        assert reply.status == 200, reply
        for name in NAMES:
            assert name not in reply.text, name
        assert HEADER not in reply.headers
        assert REDISCLOSURE_NOTICE not in reply.text
    [hidden] = [i for i in body.json["items"] if i["code"] is None]
    [counseling] = [i for i in own.json["items"] if i["code"] == "H0004"]
    assert (hidden["description"], hidden["quantity"], hidden["unit_price"]) == (
        "Restricted service",
        2,
        None,
    )
    assert (hidden["expected_charge"], hidden["dates"]) == (
        counseling["expected_charge"],
        counseling["dates"],
    )
    assert body.json["total_expected_charges"] == own.json["total_expected_charges"]
    assert "Restricted service" in page.text


def test_substance_use_authorizations_are_left_out_for_whom_may_not_see_them(dana):
    # Given an authorization for Dana's counseling (H0004) and one for her therapy (90837)
    monday = TUESDAY.date() - timedelta(days=1)
    for number, code in (("SUD-1", "H0004"), ("MH-1", "90837")):
        dana.put_item(
            AuthorizationRecord(
                person_id=DANA,
                authorization_id=f"aut_{number.lower().replace('-', '')}",
                authorization_number=number,
                payer_id="LSM01",
                billing_codes=[code],
                unit_kind="units",
                authorized=10,
                start=monday,
                end=monday + timedelta(days=60),
                updated_at=controlled_now(),
            ).to_attributes()
        )
    path = f"/participants/{DANA}/authorizations"
    # Then Dana and the named coordinator see both (the coordinator with the notice)
    own, named = call("GET", path, caller=DANA_CALLER), call("GET", path, caller=NAMED)
    for reply in (own, named):
        assert {i["authorization_number"] for i in reply.json["items"]} == {"SUD-1", "MH-1"}
    assert HEADER not in own.headers
    assert named.headers[HEADER] == named.json["redisclosure_notice"] == REDISCLOSURE_NOTICE
    # And the other coordinator sees the therapy one alone, without a notice
    other = call("GET", path, caller=OTHER)
    assert [i["authorization_number"] for i in other.json["items"]] == ["MH-1"]
    assert "H0004" not in other.text
    assert HEADER not in other.headers
