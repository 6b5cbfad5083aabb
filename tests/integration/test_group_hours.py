"""Group occurrences hold their people's time: a session is never booked (or moved) over a
group a participant attends or a clinician leads, whatever the booking route."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.errors import Conflict
from functions.schedule.logic import booking
from functions.schedule.models import SessionCreate
from functions.schedule.store import GroupStore, ScheduleStore
from functions.schedule.vocabulary import SessionType
from tests.clock import controlled_now
from tests.integration.scheduling import (
    ALEX,
    CHICAGO,
    COORDINATOR,
    PRIYA,
    at,
    book,
    busy,
    call,
    next_week_day,
)
from tests.integration.test_groups import enrol, new_group, participant

CBT_EVENING = "grp_democbtevening"  # Tue/Thu 18:00-21:00 Chicago; the Riveras are enrolled


def test_a_session_over_an_enrolled_group_occurrence_is_refused_with_the_occurrence(program):
    # Given Alex attends the Tuesday evening skills group (18:00-21:00 Chicago)
    tuesday = next_week_day(1)
    # When Sam (free until 20:00 on Tuesdays) is booked with Alex at 18:30
    reply = book(start=at(tuesday, 18, 30))
    # Then the booking is refused with the occurrence it would overlap, and nothing is held
    assert reply.status == 409, reply
    assert reply.json["conflict"] == {
        "person_id": "per_demoalex",
        "group_id": CBT_EVENING,
        "start": datetime.combine(tuesday, time(18), tzinfo=CHICAGO)
        .astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
        "end": datetime.combine(tuesday, time(21), tzinfo=CHICAGO)
        .astimezone(UTC)
        .isoformat()
        .replace("+00:00", "Z"),
    }
    assert reply.json["errors"] == [{"field": "body.start", "message": "overlaps a group occurrence"}]
    held = {
        datetime.fromisoformat(item["sk"].removeprefix("SLOT#")) for item in busy(program, "per_demoalex")
    }
    assert not {s for s in held if s.astimezone(CHICAGO).date() == tuesday}
    # And a session ending as the group begins is fine
    assert book(start=at(tuesday, 17)).status == 201


def test_after_withdrawing_the_group_hours_are_free_again(program):
    # Given Alex leaves the evening group
    left = call("DELETE", f"/groups/{CBT_EVENING}/enrolments/per_demoalex", caller=COORDINATOR)
    assert left.status == 204, left
    # When Sam is booked with Alex during what was the group's time
    reply = book(start=at(next_week_day(1), 18, 30))
    # Then it is booked
    assert reply.status == 201, reply


def test_a_group_seat_from_the_waitlist_holds_the_time_too(program):
    # Given a full Monday group and Alex waiting for it
    group = new_group(capacity=1, first=at(next_week_day(0, weeks_ahead=1), 10))
    assert enrol(group["group_id"], participant(1)).json["status"] == "enrolled"
    assert enrol(group["group_id"], "per_demoalex").json["status"] == "waitlisted"
    monday = next_week_day(0)
    # While only waiting, Alex's Monday 10:00 is free
    first = book(start=at(monday, 10))
    assert first.status == 201, first
    path = f"/sessions/{first.json['session_id']}/cancel"
    assert call("POST", path, caller=COORDINATOR, body={}, headers={"If-Match": '"1"'}).status == 200
    # When the seated member leaves and Alex is promoted
    seated = group_roster_first(group["group_id"])
    assert (
        call("DELETE", f"/groups/{group['group_id']}/enrolments/{seated}", caller=COORDINATOR).status == 204
    )
    # Then Monday 10:00 is Alex's group time
    assert book(start=at(monday, 10)).status == 409


def group_roster_first(group_id: str) -> str:
    roster = call("GET", f"/groups/{group_id}/roster", caller=COORDINATOR).json
    return str(roster["enrolled"][0]["participant_id"])


def test_the_facilitator_is_not_booked_over_a_group_they_lead(program):
    # Given Jordan leads a Monday 10:00 Chicago group (09:00 in Jordan's Denver hours)
    new_group(first=at(next_week_day(0, weeks_ahead=1), 10))
    # When Jordan is booked for counseling at that hour
    reply = book(
        type="substance_use_counseling",
        clinician_id="per_democounselor",
        attendee_ids=["per_democasey"],
        start=at(next_week_day(0), 10, 15),
    )
    # Then Jordan's own group is the clash
    assert reply.status == 409, reply
    assert reply.json["conflict"]["person_id"] == "per_democounselor"


def test_a_session_cannot_be_moved_onto_a_group_occurrence(program):
    # Given Alex's session on Tuesday afternoon
    tuesday = next_week_day(1)
    session = book(start=at(tuesday, 14))
    assert session.status == 201, session
    # When it is moved into the evening group's time
    moved = call(
        "POST",
        f"/sessions/{session.json['session_id']}/reschedule",
        caller=COORDINATOR,
        body={"start": at(tuesday, 19)},
        headers={"If-Match": '"1"'},
    )
    # Then it stays where it was
    assert moved.status == 409, moved
    assert moved.json["conflict"]["group_id"] == CBT_EVENING
    again = call("GET", f"/sessions/{session.json['session_id']}", caller=COORDINATOR)
    assert again.json["start"] == session.json["start"]


def test_a_week_plan_session_over_a_group_is_refused_and_nothing_is_booked(program):
    # Given a proposal for the Riveras' week, with one session moved onto the evening group
    plan = call("POST", "/couples/cpl_demorivera/week-plan", caller=PRIYA, body={"week": week_two()}).json
    individual = next(s for s in plan["sessions"] if s["attendee_ids"] == ["per_demoalex"])
    index = plan["sessions"].index(individual)
    tuesday = next_week_day(1)
    plan["sessions"][index] = {
        **individual,
        "start": at(tuesday, 19),
        "end": datetime.fromisoformat(at(tuesday, 20)).isoformat(),
    }
    body = {"week": plan["week"], "sessions": plan["sessions"], "groups": plan["groups"]}
    # When it is booked
    reply = call("POST", "/couples/cpl_demorivera/week-plan/book", caller=COORDINATOR, body=body)
    # Then the clash names that planned session, and none of the plan is booked
    assert reply.status == 409, reply
    assert reply.json["errors"][0]["field"] == f"body.sessions.{index}.start"
    week = call("GET", f"/me/schedule?week={plan['week']}", caller=ALEX).json["items"]
    assert [i for i in week if not i["group_id"]] == []


def week_two() -> str:
    year, week, _ = next_week_day(0).isocalendar()
    return f"{year}-W{week:02d}"


def test_an_enrolment_landing_between_a_bookings_read_and_write_fails_the_booking(
    program: ScheduleStore, moto_env
):
    # Given a booking that read a participant with no group commitments
    person = participant(7)
    monday = next_week_day(0)
    group = new_group(first=at(next_week_day(0, weeks_ahead=1), 10))
    request = SessionCreate.model_validate(
        {
            "type": SessionType.INDIVIDUAL,
            "start": at(monday, 12),
            "clinician_id": "per_demotherapist1",
            "attendee_ids": [person],
        }
    )
    people, _ = program.people(["per_demotherapist1", person])
    session = booking.plan_session(
        request,
        session_id=booking.new_session_id(),
        principal=claims_principal(),
        people=people,
        couple=None,
        availability=program.get_availability("per_demotherapist1"),
        policy=booking.Policy(buffer=timedelta(minutes=10), cancel_cutoff=timedelta(hours=24)),
        now=controlled_now(),
    )
    guards = [program.commitments_unchanged(p, None) for p in session.people]
    # When the participant is enrolled in a group before the booking writes
    assert enrol(group["group_id"], person).status == 201
    audit = AuditWriter(moto_env["tables"]["audit"], program._client, request_id="test")
    entry = audit.entry(claims_principal(), "session.book", f"session/{session.session_id}", "success")
    # Then the booking's transaction is refused as a whole
    with pytest.raises(Conflict, match="group enrolment"):
        program.book(session, audit.transact_put(entry), also=guards)
    assert program.get_session(session.session_id) is None
    assert GroupStore(program).get(group["group_id"]) is not None


def claims_principal() -> Principal:
    return Principal(person_id="per_democoordinator", role=Role.COORDINATOR, username="coordinator")


def test_a_week_plan_seating_a_new_couple_in_two_groups_books_and_holds_both(program):
    # Given a new couple, neither partner in any group yet
    partners = [participant(901), participant(902)]
    couple = call(
        "POST",
        "/couples",
        caller=COORDINATOR,
        body={"partner_ids": partners, "couples_therapist_id": "per_democouplestherapist"},
    )
    assert couple.status == 201, couple
    first = datetime.combine(next_week_day(1, weeks_ahead=1), time(15), tzinfo=CHICAGO).isoformat()
    afternoon = new_group(capacity=6, rrule="FREQ=WEEKLY;BYDAY=TU", first=first)["group_id"]
    # When their week is booked with both partners seated in two groups (each partner's group
    # commitments are then written for two groups in one transaction: once, not twice)
    body = {
        "week": week_two(),
        "sessions": [],
        "groups": [
            {"group_id": CBT_EVENING, "participant_ids": partners},
            {"group_id": afternoon, "participant_ids": partners},
        ],
    }
    reply = call("POST", f"/couples/{couple.json['couple_id']}/week-plan/book", caller=COORDINATOR, body=body)
    # Then it is booked (not a 500), and both groups now hold both partners' time
    assert reply.status == 201, reply
    assert sorted(reply.json["group_ids"]) == sorted([CBT_EVENING, afternoon])
    for person in partners:
        tuesday_evening = book(attendee_ids=[person], start=at(next_week_day(1), 18, 30))
        assert tuesday_evening.status == 409, tuesday_evening
        assert tuesday_evening.json["conflict"]["group_id"] == CBT_EVENING
        tuesday_afternoon = book(attendee_ids=[person], start=at(next_week_day(1), 15))
        assert tuesday_afternoon.status == 409, tuesday_afternoon
        assert tuesday_afternoon.json["conflict"]["group_id"] == afternoon


def test_a_week_plan_naming_one_group_twice_is_refused_naming_it(program):
    # Given a booking that seats the Riveras' partners in the same new group twice
    group = new_group(capacity=6)["group_id"]
    seat = {"group_id": group, "participant_ids": ["per_demoalex", "per_demojamie"]}
    body = {"week": week_two(), "sessions": [], "groups": [seat, seat]}
    # When it is booked
    reply = call("POST", "/couples/cpl_demorivera/week-plan/book", caller=COORDINATOR, body=body)
    # Then it is refused, naming the repeated group, and nothing is seated
    assert reply.status == 422, reply
    assert reply.json["errors"] == [{"field": "body.groups", "message": "Value error, each group once"}]
    members = call("GET", f"/groups/{group}/roster", caller=COORDINATOR).json
    assert not members["enrolled"]
