"""Booking, rescheduling and cancelling sessions on the seeded demo program (moto)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import time_machine

from functions.schedule.store import ScheduleStore
from tests.integration.conftest import audit_entries
from tests.integration.scheduling import (
    ALEX,
    CHICAGO,
    COORDINATOR,
    JAMIE,
    LEE,
    PRIYA,
    SAM,
    at,
    book,
    busy,
    call,
    next_week_day,
    seeded_week,
)

pytestmark = pytest.mark.usefixtures("program")


def same_time(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


def test_coordinator_books_a_session_and_everyone_in_it_is_reserved(program: ScheduleStore, moto_env):
    # Given Sam's Monday in two weeks
    monday = next_week_day(0)
    # When a coordinator books Alex's individual session with Sam
    reply = book(start=at(monday, 10))
    # Then it is booked for an hour, with its location and version
    assert reply.status == 201, reply
    session = reply.json
    assert session["status"] == "booked"
    assert datetime.fromisoformat(session["end"]) - datetime.fromisoformat(session["start"]) == timedelta(
        hours=1
    )
    assert reply.headers["location"] == f"/sessions/{session['session_id']}"
    # And Sam holds 10:00-11:00 plus the 10-minute buffer (five quarter-hours), Alex 10:00-11:00 (four)
    assert len(busy(program, "per_demotherapist1")) >= 5
    alex_slots = [r for r in busy(program, "per_demoalex") if r["session_id"] == session["session_id"]]
    assert len(alex_slots) == 4
    # And the booking is audited in the same write
    [entry] = audit_entries(moto_env, f"session/{session['session_id']}")
    assert entry["action"] == "session.book"


def test_twenty_concurrent_overlapping_bookings_exactly_one_wins(program: ScheduleStore, atomic_dynamodb):
    # Given 20 requests for Sam whose times all overlap each other (starts within 45 minutes)
    monday = next_week_day(0)
    starts = [at(monday, 10, 15 * (i % 4)) for i in range(20)]
    # When they race
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda start: book(start=start), starts))
    # Then exactly one is booked and every other one is told what it clashed with
    won = [r for r in replies if r.status == 201]
    lost = [r for r in replies if r.status == 409]
    assert len(won) == 1, [r.status for r in replies]
    assert len(lost) == 19
    for reply in lost:
        assert reply.content_type == "application/problem+json"
        assert reply.json["conflict"]["person_id"] in {"per_demotherapist1", "per_demoalex"}
        assert same_time(reply.json["conflict"]["start"], won[0].json["start"])
    # And no loser left a reservation behind: every slot Sam and Alex hold that week is the winner's
    winner = won[0].json["session_id"]
    for person in ("per_demotherapist1", "per_demoalex"):
        that_day = [r for r in busy(program, person) if r["start"].startswith(monday.isoformat()[:10])]
        assert {r["session_id"] for r in that_day} == {winner}


def test_the_clinicians_buffer_is_kept_between_sessions(program):
    monday = next_week_day(0)
    assert book(start=at(monday, 9)).status == 201
    # Casey (Sam's other participant) right at 10:00 collides with Sam's 10-minute buffer
    clash = book(start=at(monday, 10), attendee_ids=["per_democasey"])
    assert clash.status == 409
    assert clash.json["conflict"]["person_id"] == "per_demotherapist1"
    assert book(start=at(monday, 10, 15), attendee_ids=["per_democasey"]).status == 201


def test_a_clinician_not_licensed_where_the_participant_is_is_refused(program):
    # Given a participant located in Florida, where Sam holds no license
    florida = call(
        "POST",
        "/people",
        caller=COORDINATOR,
        body={
            "kind": "participant",
            "display_name": "Robin Vale",
            "email": "robin@example.com",
            "time_zone": "America/New_York",
            "state": "FL",
            "age_group": "adult",
        },
    ).json
    reply = book(start=at(next_week_day(0), 11), attendee_ids=[florida["person_id"]])
    assert reply.status == 422
    assert reply.json["errors"] == [
        {
            "field": "body.attendee_ids.0",
            "message": "the clinician is not licensed in FL, where this participant is located",
        }
    ]


@pytest.mark.parametrize(
    ("weekday", "hour", "reason"),
    [
        (6, 10, "outside the clinician's weekly availability"),
        (0, 7, "outside the clinician's weekly availability"),
    ],
)
def test_outside_availability_is_refused(program, weekday, hour, reason):
    reply = book(start=at(next_week_day(weekday), hour))
    assert reply.status == 422
    assert {"field": "body.start", "message": reason} in reply.json["errors"]


def test_time_off_is_respected(program):
    monday = next_week_day(0)
    current = call("GET", "/clinicians/per_demotherapist1/availability", caller=SAM)
    availability = current.json
    body = {
        "weekly": availability["weekly"],
        "time_off": [{"start": at(monday, 0), "end": at(monday, 23, 45)}],
    }
    saved = call(
        "PUT",
        "/clinicians/per_demotherapist1/availability",
        caller=SAM,
        body=body,
        headers={"If-Match": current.headers["etag"]},
    )
    assert saved.status == 200, saved
    reply = book(start=at(monday, 10))
    assert reply.status == 422
    assert {"field": "body.start", "message": "the clinician is on time off then"} in reply.json["errors"]


def test_quarter_hour_grid_and_future_only(program):
    reply = book(start=at(next_week_day(0), 10, 10))
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "body.start"
    past = book(start="2020-01-06T10:00:00-06:00")
    assert past.status == 422


class TestCouplesSessions:
    def test_needs_both_partners_and_their_couples_therapist(self, program):
        tuesday = next_week_day(1)
        one_partner = call(
            "POST",
            "/sessions",
            caller=COORDINATOR,
            body={
                "type": "couples",
                "start": at(tuesday, 11),
                "clinician_id": "per_democouplestherapist",
                "attendee_ids": ["per_demoalex"],
                "couple_id": "cpl_demorivera",
            },
        )
        assert one_partner.status == 422
        assert {
            "field": "body.attendee_ids",
            "message": "a couples session has both partners of the couple",
        } in (one_partner.json["errors"])
        wrong_therapist = call(
            "POST",
            "/sessions",
            caller=COORDINATOR,
            body={
                "type": "couples",
                "start": at(tuesday, 11),
                "clinician_id": "per_demotherapist2",
                "attendee_ids": ["per_demoalex", "per_demojamie"],
                "couple_id": "cpl_demorivera",
            },
        )
        assert wrong_therapist.status == 422
        fields = {e["field"] for e in wrong_therapist.json["errors"]}
        assert "body.clinician_id" in fields

    def test_books_all_three_people(self, program):
        reply = call(
            "POST",
            "/sessions",
            caller=PRIYA,
            body={
                "type": "couples",
                "start": at(next_week_day(1), 11),
                "clinician_id": "per_democouplestherapist",
                "attendee_ids": ["per_demoalex", "per_demojamie"],
                "couple_id": "cpl_demorivera",
            },
        )
        assert reply.status == 201, reply
        session_id = reply.json["session_id"]
        for person in ("per_democouplestherapist", "per_demoalex", "per_demojamie"):
            assert any(r["session_id"] == session_id for r in busy(program, person)), person


def test_a_clinician_books_only_their_own_caseload(program):
    # Lee is Jamie's therapist, not Alex's
    reply = call(
        "POST",
        "/sessions",
        caller=LEE,
        body={
            "type": "individual",
            "start": at(next_week_day(0), 11),
            "clinician_id": "per_demotherapist2",
            "attendee_ids": ["per_demoalex"],
        },
    )
    assert reply.status == 404
    ok = call(
        "POST",
        "/sessions",
        caller=LEE,
        body={
            "type": "individual",
            "start": at(next_week_day(0), 11),
            "clinician_id": "per_demotherapist2",
            "attendee_ids": ["per_demojamie"],
        },
    )
    assert ok.status == 201, ok


def test_participants_do_not_book(program):
    assert book(caller=ALEX, start=at(next_week_day(0), 10)).status == 403


class TestReschedule:
    def test_moves_and_frees_the_old_time(self, program):
        monday = next_week_day(0)
        session = book(start=at(monday, 10)).json
        path = f"/sessions/{session['session_id']}/reschedule"
        moved = call("POST", path, caller=SAM, body={"start": at(monday, 13)}, headers={"If-Match": '"1"'})
        assert moved.status == 200, moved
        assert moved.headers["etag"] == '"2"'
        assert datetime.fromisoformat(moved.json["start"]).astimezone(CHICAGO).hour == 13
        # The old hour is free again for Sam and Alex
        assert book(start=at(monday, 10)).status == 201

    def test_into_a_clash_changes_nothing(self, program):
        monday = next_week_day(0)
        first = book(start=at(monday, 10)).json
        second = book(start=at(monday, 13)).json
        path = f"/sessions/{second['session_id']}/reschedule"
        clash = call(
            "POST", path, caller=SAM, body={"start": at(monday, 10, 30)}, headers={"If-Match": '"1"'}
        )
        assert clash.status == 409
        assert same_time(clash.json["conflict"]["start"], first["start"])
        still = call("GET", f"/sessions/{second['session_id']}", caller=SAM)
        assert still.json["start"] == second["start"]
        assert still.headers["etag"] == '"1"'
        held = {
            r["session_id"]
            for r in busy(program, "per_demotherapist1")
            if same_time(r["start"], second["start"])
        }
        assert held == {second["session_id"]}

    def test_needs_if_match_and_the_right_person(self, program):
        session = book(start=at(next_week_day(0), 10)).json
        path = f"/sessions/{session['session_id']}/reschedule"
        body = {"start": at(next_week_day(0), 14)}
        assert call("POST", path, caller=SAM, body=body).status == 428
        assert call("POST", path, caller=SAM, body=body, headers={"If-Match": '"7"'}).status == 412
        assert call("POST", path, caller=ALEX, body=body, headers={"If-Match": '"1"'}).status == 403
        assert call("POST", path, caller=LEE, body=body, headers={"If-Match": '"1"'}).status == 404


class TestCancel:
    def test_participant_cancelling_early_is_a_plain_cancel_and_frees_the_time(self, program):
        monday = next_week_day(0)
        session = book(start=at(monday, 10)).json
        reply = call(
            "POST",
            f"/sessions/{session['session_id']}/cancel",
            caller=ALEX,
            body={},
            headers={"If-Match": '"1"'},
        )
        assert reply.status == 200, reply
        assert reply.json["status"] == "cancelled"
        assert reply.json["late_cancel"] is False
        assert not [r for r in busy(program, "per_demoalex") if r["session_id"] == session["session_id"]]
        assert book(start=at(monday, 10)).status == 201

    def test_participant_cancelling_inside_the_cutoff_is_a_late_cancel(self, program):
        # Given a session next week (the cutoff is the default 24 hours)
        start = at(next_week_day(0, weeks_ahead=1), 10)
        session = book(start=start).json
        # When Alex cancels it two hours before it starts
        with time_machine.travel(datetime.fromisoformat(start) - timedelta(hours=2), tick=False):
            reply = call(
                "POST",
                f"/sessions/{session['session_id']}/cancel",
                caller=ALEX,
                body={},
                headers={"If-Match": '"1"'},
            )
        # Then it is a late cancel
        assert reply.json["status"] == "late_cancelled"
        assert reply.json["late_cancel"] is True

    def test_staff_cancel_is_never_late(self, program, monkeypatch):
        monkeypatch.setenv("CANCEL_CUTOFF_HOURS", "168")
        session = book(start=at(next_week_day(0, weeks_ahead=1), 10)).json
        reply = call(
            "POST",
            f"/sessions/{session['session_id']}/cancel",
            caller=SAM,
            body={},
            headers={"If-Match": '"1"'},
        )
        assert reply.json["status"] == "cancelled"

    def test_cancelling_twice_is_refused(self, program):
        session = book(start=at(next_week_day(0), 10)).json
        path = f"/sessions/{session['session_id']}/cancel"
        assert call("POST", path, caller=SAM, body={}, headers={"If-Match": '"1"'}).status == 200
        assert call("POST", path, caller=SAM, body={}, headers={"If-Match": '"2"'}).status == 422


class TestPartnerPrivacy:
    def test_a_partner_never_sees_the_other_partners_individual_session(self, program):
        alex_only = book(start=at(next_week_day(0), 10)).json
        assert call("GET", f"/sessions/{alex_only['session_id']}", caller=JAMIE).status == 404
        assert call("GET", f"/sessions/{alex_only['session_id']}", caller=ALEX).status == 200
        cancel = call(
            "POST",
            f"/sessions/{alex_only['session_id']}/cancel",
            caller=JAMIE,
            body={},
            headers={"If-Match": '"1"'},
        )
        assert cancel.status == 404

    def test_weeks_show_joint_sessions_to_both_and_individual_ones_to_their_owner(self, program):
        # The seeded week: a couples session Tuesday and each partner's own session that day
        week = seeded_week()
        jamie = call("GET", f"/me/schedule?week={week}", caller=JAMIE)
        assert jamie.status == 200, jamie
        sessions = [i for i in jamie.json["items"] if not i["group_id"]]
        assert sorted(i["type"] for i in sessions) == ["couples", "individual"]
        # (and the evening skills group the Riveras joined together, Tuesday and Thursday)
        assert sorted(i["type"] for i in jamie.json["items"] if i["group_id"]) == ["cbt_skills", "cbt_skills"]
        jamie_individual = next(i for i in jamie.json["items"] if i["type"] == "individual")
        assert jamie_individual["attendee_ids"] == ["per_demojamie"]
        alex = call("GET", f"/me/schedule?week={week}", caller=ALEX)
        assert sorted(i["type"] for i in alex.json["items"] if not i["group_id"]) == [
            "couples",
            "individual",
            "substance_use_counseling",
        ]
        assert jamie_individual["session_id"] not in {i["session_id"] for i in alex.json["items"]}

    def test_a_partners_schedule_and_care_team_are_not_found(self, program):
        assert call("GET", "/people/per_demoalex/schedule", caller=JAMIE).status == 404
        assert call("GET", "/participants/per_demoalex/care-team", caller=JAMIE).status == 404
        assert call("GET", "/people/per_demoalex", caller=JAMIE).status == 404


def test_schedule_times_are_in_the_persons_own_zone(program):
    week = seeded_week()
    reply = call("GET", f"/people/per_demojamie/schedule?week={week}", caller=LEE)
    assert reply.status == 200, reply
    assert reply.json["time_zone"] == "America/Chicago"
    for item in reply.json["items"]:
        assert item["start"].endswith(("-06:00", "-05:00"))


def test_bad_week_is_400_naming_the_parameter(program):
    reply = call("GET", "/me/schedule?week=2026-W60", caller=ALEX)
    assert reply.status == 400
    assert reply.json["errors"][0]["field"] == "query.week"
