"""Regressions for defects a review found: partner privacy, authorization, bad input."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta

import pytest

from functions.common import aws
from functions.common.models import utc_now
from functions.schedule.models import MakeupOfferRecord, MakeupOption
from functions.schedule.store import ScheduleStore
from functions.schedule.vocabulary import MakeupKind, SessionType
from tests.integration.conftest import audit_entries
from tests.integration.scheduling import ALEX, CHICAGO, COORDINATOR, PRIYA, at, book, call, next_week_day

pytestmark = pytest.mark.usefixtures("program")


def small_group(capacity: int = 1) -> str:
    monday = next_week_day(0)
    reply = call(
        "POST",
        "/groups",
        caller=COORDINATOR,
        body={
            "type": "peer_support",
            "title": "Small circle",
            "facilitator_id": "per_democounselor",
            "rrule": "FREQ=WEEKLY",
            "first_start": datetime.combine(monday, time(18), tzinfo=CHICAGO).isoformat(),
            "time_zone": "America/Chicago",
            "duration_minutes": 60,
            "capacity": capacity,
        },
    )
    assert reply.status == 201, reply
    return str(reply.json["group_id"])


def roster(group_id: str):
    return call("GET", f"/groups/{group_id}/roster", caller=COORDINATOR).json


def test_a_partner_leaving_the_waitlist_leaves_the_other_in_line(moto_env):
    group = small_group(capacity=2)
    call(
        "POST",
        f"/groups/{group}/enrolments",
        caller=COORDINATOR,
        body={"participant_ids": ["per_demotaylor"]},
    )
    # Given the Riveras waiting together for the one seat left (they need two)
    waiting = call(
        "POST",
        f"/groups/{group}/enrolments",
        caller=COORDINATOR,
        body={"participant_ids": ["per_demoalex", "per_demojamie"]},
    )
    assert waiting.json["status"] == "waitlisted"
    # When Alex leaves the waitlist
    assert call("DELETE", f"/groups/{group}/enrolments/per_demoalex", caller=ALEX).status == 204
    # Then Jamie keeps the place, and is seated by the free seat
    after = roster(group)
    assert "per_demojamie" in {e["participant_id"] for e in after["enrolled"]}
    assert after["waitlist"] == []
    assert call("GET", f"/groups/{group}", caller=ALEX).json["waitlisted"] == 0
    # And the withdrawal names the participant in the audit trail
    assert any(
        e["action"] == "group.withdraw" for e in audit_entries(moto_env, f"person/per_demoalex/group/{group}")
    )


def test_the_couples_therapist_books_only_the_partners_own_teams_sessions():
    year, week, _ = next_week_day(0).isocalendar()
    session = {
        "type": "individual",
        "clinician_id": "per_demotherapist2",  # Lee: Jamie's therapist, not Alex's
        "attendee_ids": ["per_demoalex"],
        "start": at(next_week_day(0), 11),
        "end": at(next_week_day(0), 12),
    }
    reply = call(
        "POST",
        "/couples/cpl_demorivera/week-plan/book",
        caller=PRIYA,
        body={"week": f"{year}-W{week:02d}", "sessions": [session]},
    )
    assert reply.status == 403
    assert reply.json["errors"] == [
        {"field": "body.sessions.0.clinician_id", "message": "not you, nor the attendee's own clinician"}
    ]


@pytest.mark.parametrize("week", ["2025-W53", "2026-W1", "0000-W01"])
def test_weeks_that_do_not_exist_are_client_errors(week):
    # One status for every week that is not one, whether the schema's pattern or the calendar
    # refuses it (a year without week 53 used to be 400 while a malformed week was 422)
    for path in ("/me/schedule", "/participants/per_demoalex/intensity"):
        reply = call("GET", f"{path}?week={week}", caller=ALEX)
        assert reply.status == 422
        assert [e["field"] for e in reply.json["errors"]] == ["query.week"]
    planned = call("POST", "/couples/cpl_demorivera/week-plan", caller=COORDINATOR, body={"week": week})
    assert planned.status == 422
    assert planned.json["errors"][0]["field"] == "body.week"


def test_malformed_plans_are_refused_not_crashed():
    year, week, _ = next_week_day(0).isocalendar()
    start = at(next_week_day(0), 11)
    bad_session = {
        "type": "individual",
        "clinician_id": "per_demotherapist1",
        "attendee_ids": ["per_demoalex", "per_demoalex"],
        "start": start,
        "end": start,
    }
    reply = call(
        "POST",
        "/couples/cpl_demorivera/week-plan/book",
        caller=COORDINATOR,
        body={"week": f"{year}-W{week:02d}", "sessions": [bad_session]},
    )
    assert reply.status == 422
    group = {"group_id": "grp_democbtevening", "participant_ids": ["per_demoalex"]}
    twice = call(
        "POST",
        "/couples/cpl_demorivera/week-plan/book",
        caller=COORDINATOR,
        body={"week": f"{year}-W{week:02d}", "sessions": [], "groups": [group, group]},
    )
    assert twice.status == 422
    assert twice.json["errors"][0]["field"] == "body.groups"


def test_a_makeup_clash_does_not_reveal_the_partners_booking():
    # Given a couples makeup offered to Alex at a time Jamie then gets booked at

    monday = next_week_day(0)
    start = datetime.combine(monday, time(13), tzinfo=CHICAGO)
    offer = MakeupOfferRecord(
        person_id="per_demoalex",
        missed_session_id="ses_missed0001",
        missed_type="couples",
        week=f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}",
        options=[
            MakeupOption(
                kind=MakeupKind.MAKEUP_SESSION,
                clinician_id="per_democouplestherapist",
                session_type=SessionType.COUPLES,
                attendee_ids=["per_demoalex", "per_demojamie"],
                couple_id="cpl_demorivera",
                start=start,
                end=start + timedelta(hours=1),
            )
        ],
        created_at=utc_now(),
    )

    ScheduleStore(os.environ["SCHEDULE_TABLE"], aws.client("dynamodb")).put_makeup_offer(offer)
    assert (
        book(
            start=start.isoformat(), clinician_id="per_demotherapist2", attendee_ids=["per_demojamie"]
        ).status
        == 201
    )
    # When Alex takes the makeup up
    reply = call("POST", "/me/makeups/ses_missed0001/accept", caller=ALEX, body={"option": 0})
    # Then it fails without saying whose booking it ran into, or when
    assert reply.status == 409
    assert "per_demojamie" not in reply.text
    assert "conflict" not in reply.json
