"""Recurring groups on the seeded program: seats that never overflow, an ordered waitlist
that promotes itself, partners together, wall-clock occurrences, roster changes from now on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.clock import controlled_now
from tests.integration.scheduling import ALEX, CHICAGO, COORDINATOR, JAMIE, SAM, call

pytestmark = pytest.mark.usefixtures("program")
COUNSELOR = {"custom:person_id": "per_democounselor", "cognito:groups": "clinician", "token_use": "id"}


def participant(i: int, state: str = "TX") -> str:
    reply = call(
        "POST",
        "/people",
        caller=COORDINATOR,
        body={
            "kind": "participant",
            "display_name": f"Group Member {i}",
            "email": f"member{i}@example.com",
            "time_zone": "America/Chicago",
            "state": state,
            "age_group": "adult",
        },
    )
    assert reply.status == 201, reply
    return str(reply.json["person_id"])


def new_group(
    capacity: int = 5, rrule: str = "FREQ=WEEKLY;BYDAY=MO", first: str | None = None, **extra
) -> Any:
    today = controlled_now(CHICAGO).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    body = {
        "type": "psychoeducation",
        "title": "Monday workshop",
        "facilitator_id": "per_democounselor",
        "rrule": rrule,
        "first_start": first or datetime.combine(monday, time(18), tzinfo=CHICAGO).isoformat(),
        "time_zone": "America/Chicago",
        "duration_minutes": 60,
        "capacity": capacity,
        **extra,
    }
    reply = call("POST", "/groups", caller=COORDINATOR, body=body)
    assert reply.status == 201, reply
    return reply.json


def enrol(group_id: str, *people: str, caller=COORDINATOR):
    return call(
        "POST", f"/groups/{group_id}/enrolments", caller=caller, body={"participant_ids": list(people)}
    )


def roster(group_id: str) -> Any:
    reply = call("GET", f"/groups/{group_id}/roster", caller=COORDINATOR)
    assert reply.status == 200, reply
    return reply.json


def test_twenty_concurrent_joins_fill_five_seats_and_queue_the_rest_in_order(atomic_dynamodb):
    # Given a group of capacity 5 and 20 participants
    group = new_group(capacity=5)
    people = [participant(i) for i in range(20)]
    # When all 20 enrol at once
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda p: enrol(group["group_id"], p), people))
    # Then exactly five are seated and fifteen wait, with distinct positions 1..15
    assert all(r.status == 201 for r in replies), [r for r in replies if r.status != 201]
    statuses = [r.json["status"] for r in replies]
    assert statuses.count("enrolled") == 5
    assert statuses.count("waitlisted") == 15
    current = roster(group["group_id"])
    assert len(current["enrolled"]) == 5
    assert [w["waitlist_position"] for w in current["waitlist"]] == list(range(1, 16))
    # And the waitlist is in the order people were queued
    since = [datetime.fromisoformat(w["since"]) for w in current["waitlist"]]
    assert since == sorted(since)
    assert call("GET", f"/groups/{group['group_id']}", caller=ALEX).json["seats_left"] == 0


def test_a_freed_seat_goes_to_the_first_waiting_person():
    group = new_group(capacity=2)
    a, b, c, d = (participant(i) for i in range(4))
    for person in (a, b, c, d):
        enrol(group["group_id"], person)
    assert [w["participant_id"] for w in roster(group["group_id"])["waitlist"]] == [c, d]
    # When a seated participant leaves
    left = call("DELETE", f"/groups/{group['group_id']}/enrolments/{a}", caller=COORDINATOR)
    assert left.status == 204
    # Then the first in line is seated and the line moves up
    after = roster(group["group_id"])
    assert {e["participant_id"] for e in after["enrolled"]} == {b, c}
    assert [(w["participant_id"], w["waitlist_position"]) for w in after["waitlist"]] == [(d, 1)]


def test_nobody_jumps_the_queue_while_people_wait():
    group = new_group(capacity=1)
    a, b, c = (participant(i) for i in range(3))
    enrol(group["group_id"], a)
    assert enrol(group["group_id"], b).json["status"] == "waitlisted"
    call("DELETE", f"/groups/{group['group_id']}/enrolments/{a}", caller=COORDINATOR)
    # b was promoted; c, arriving now, waits
    assert enrol(group["group_id"], c).json["status"] == "waitlisted"
    assert [e["participant_id"] for e in roster(group["group_id"])["enrolled"]] == [b]


def test_partners_enrol_together_or_wait_together():
    group = new_group(capacity=3)
    single = participant(1)
    assert enrol(group["group_id"], single).json["status"] == "enrolled"
    together = enrol(group["group_id"], "per_demoalex", "per_demojamie")
    assert together.status == 201
    assert together.json["status"] == "enrolled"
    full = new_group(capacity=1)
    waiting = enrol(full["group_id"], "per_demoalex", "per_demojamie")
    assert waiting.json["status"] == "waitlisted"
    assert [w["waitlist_position"] for w in roster(full["group_id"])["waitlist"]] == [1, 1]
    strangers = enrol(group["group_id"], "per_demoalex", single)
    assert strangers.status == 422


def test_participants_enrol_themselves_only():
    group = new_group()
    assert enrol(group["group_id"], "per_demoalex", caller=ALEX).json["status"] == "enrolled"
    assert enrol(group["group_id"], "per_demojamie", caller=ALEX).status == 403


def test_the_facilitator_must_be_licensed_where_the_participant_is():
    group = new_group()
    from_ny = participant(9, state="NY")
    reply = enrol(group["group_id"], from_ny)
    assert reply.status == 422
    assert reply.json["errors"] == [
        {"field": "body.participant_ids.0", "message": "the facilitator is not licensed in NY"}
    ]


def test_enrolling_twice_is_409():
    group = new_group()
    person = participant(1)
    enrol(group["group_id"], person)
    assert enrol(group["group_id"], person).status == 409


def test_roster_is_for_the_facilitator_and_coordinators():
    group = new_group()
    assert call("GET", f"/groups/{group['group_id']}/roster", caller=COUNSELOR).status == 200
    assert call("GET", f"/groups/{group['group_id']}/roster", caller=SAM).status == 404
    assert call("GET", f"/groups/{group['group_id']}/roster", caller=ALEX).status == 404


def test_the_facilitator_reads_the_roster_by_name():
    # Given a group with one participant seated and one waiting
    group = new_group(capacity=1)
    assert enrol(group["group_id"], "per_demotaylor").status == 201
    assert enrol(group["group_id"], "per_democasey").status == 201
    # When its facilitator reads the roster
    reply = call("GET", f"/groups/{group['group_id']}/roster", caller=COUNSELOR)
    # Then each is named, so attendance can be taken by name
    assert reply.status == 200, reply
    assert [(e["participant_id"], e["display_name"]) for e in reply.json["enrolled"]] == [
        ("per_demotaylor", "Taylor Brooks")
    ]
    assert [(e["participant_id"], e["display_name"]) for e in reply.json["waitlist"]] == [
        ("per_democasey", "Casey Brooks")
    ]


class TestSeries:
    def test_flags_and_next_occurrences(self):
        group = new_group(rrule="FREQ=WEEKLY;BYDAY=MO,SA")
        assert group["evening"] is True
        assert group["weekend"] is True
        assert len(group["next_occurrences"]) == 3

    @pytest.mark.parametrize(
        ("rrule", "field_message"),
        [
            ("FREQ=MONTHLY;BYDAY=MO", "FREQ=DAILY or WEEKLY"),
            ("FREQ=WEEKLY;BYDAY=XX", None),
            ("DTSTART:20270101T000000;FREQ=WEEKLY", None),
        ],
    )
    def test_bad_rules_are_422_naming_rrule(self, rrule, field_message):
        reply = call(
            "POST",
            "/groups",
            caller=COORDINATOR,
            body={
                "type": "psychoeducation",
                "title": "x",
                "facilitator_id": "per_democounselor",
                "rrule": rrule,
                "first_start": "2027-01-04T18:00:00-06:00",
                "time_zone": "America/Chicago",
                "duration_minutes": 60,
                "capacity": 5,
            },
        )
        assert reply.status == 422
        assert reply.json["errors"][0]["field"] == "body.rrule"
        if field_message:
            assert reply.json["errors"][0]["message"] == field_message

    def test_facilitator_must_facilitate_groups(self):
        reply = call(
            "POST",
            "/groups",
            caller=COORDINATOR,
            body={
                "type": "psychoeducation",
                "title": "x",
                "facilitator_id": "per_demotherapist1",
                "rrule": "FREQ=WEEKLY;BYDAY=MO",
                "first_start": "2027-01-04T18:00:00-06:00",
                "time_zone": "America/Chicago",
                "duration_minutes": 60,
                "capacity": 5,
            },
        )
        assert reply.status == 422
        assert reply.json["errors"] == [
            {"field": "body.facilitator_id", "message": "not a group_facilitator"}
        ]


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_occurrences_keep_their_wall_clock_time_across_dst():
    # A Monday 18:00 Chicago series across the 14 March 2027 change
    group = new_group(first="2027-03-01T18:00:00-06:00")
    person = participant(3)
    enrol(group["group_id"], person)
    me = {"custom:person_id": person, "cognito:groups": "participant", "token_use": "id"}
    before = call("GET", "/me/schedule?week=2027-W10", caller=me).json["items"]
    after = call("GET", "/me/schedule?week=2027-W11", caller=me).json["items"]
    assert [i["start"] for i in before] == ["2027-03-08T18:00:00-06:00"]
    assert [i["start"] for i in after] == ["2027-03-15T18:00:00-05:00"]
    assert after[0]["group_id"] == group["group_id"]


def test_roster_changes_apply_to_future_occurrences_only():
    group = new_group(first="2026-01-05T18:00:00-06:00")  # started long ago
    person = participant(4)
    me = {"custom:person_id": person, "cognito:groups": "participant", "token_use": "id"}
    enrol(group["group_id"], person)
    today = controlled_now(ZoneInfo("America/Chicago")).date()
    last_week = week_of(today - timedelta(days=7))
    next_week = week_of(today + timedelta(days=7))
    # Joining now does not put past occurrences in the schedule
    assert call("GET", f"/me/schedule?week={last_week}", caller=me).json["items"] == []
    assert len(call("GET", f"/me/schedule?week={next_week}", caller=me).json["items"]) == 1
    # Leaving now removes future ones
    call("DELETE", f"/groups/{group['group_id']}/enrolments/{person}", caller=me)
    assert call("GET", f"/me/schedule?week={next_week}", caller=me).json["items"] == []


def test_partners_see_their_shared_group_in_their_week():
    week = week_of(controlled_now(CHICAGO).date() + timedelta(days=7))
    for caller in (ALEX, JAMIE):
        items = call("GET", f"/me/schedule?week={week}", caller=caller).json["items"]
        assert sum(1 for i in items if i["group_id"] == "grp_democbtevening") == 2
