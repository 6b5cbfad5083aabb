"""Joining a session's video room (the local fake adapter behind the same interface)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.clock import controlled_now
from tests.integration.scheduling import ALEX, CHICAGO, COORDINATOR, JAMIE, PRIYA, SAM, TAYLOR, at, call

pytestmark = pytest.mark.usefixtures("program")


@pytest.fixture(autouse=True)
def rooms_open_early(monkeypatch):
    # Sessions can only be booked in the future; open rooms a week early so tests can join.
    monkeypatch.setenv("ROOM_OPENS_MINUTES", str(7 * 24 * 60))


def soon() -> date:
    """The next weekday after today (within the week the room is open for)."""
    day = controlled_now(CHICAGO).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def couples_session(couple_id: str, therapist: str, partners: list[str], caller=COORDINATOR) -> str:
    reply = call(
        "POST",
        "/sessions",
        caller=caller,
        body={
            "type": "couples",
            "start": at(soon(), 11),
            "clinician_id": therapist,
            "attendee_ids": partners,
            "couple_id": couple_id,
        },
    )
    assert reply.status == 201, reply
    return str(reply.json["session_id"])


def join(session_id: str, caller):
    return call("GET", f"/sessions/{session_id}/join", caller=caller)


def test_partners_in_one_place_share_one_join_and_the_therapist_has_their_own():
    # Given the Riveras, who join from one location
    session = couples_session("cpl_demorivera", "per_democouplestherapist", ["per_demoalex", "per_demojamie"])
    alex, jamie, priya = join(session, ALEX), join(session, JAMIE), join(session, PRIYA)
    assert alex.status == jamie.status == priya.status == 200, (alex, jamie, priya)
    # Then one meeting, the partners sharing one attendee, the therapist another
    assert alex.json["meeting_id"] == jamie.json["meeting_id"] == priya.json["meeting_id"]
    assert alex.json["shared"] is jamie.json["shared"] is True
    assert alex.json["attendee_id"] == jamie.json["attendee_id"]
    assert priya.json["attendee_id"] != alex.json["attendee_id"]
    assert priya.json["shared"] is False


def test_partners_in_two_places_each_get_their_own_join():
    # The Brooks join from two locations; Lee is their couples therapist
    session = couples_session("cpl_demobrooks", "per_demotherapist2", ["per_demotaylor", "per_democasey"])
    taylor = join(session, TAYLOR)
    casey = join(session, {**TAYLOR, "custom:person_id": "per_democasey"})
    assert taylor.status == casey.status == 200
    assert taylor.json["meeting_id"] == casey.json["meeting_id"]
    assert taylor.json["attendee_id"] != casey.json["attendee_id"]
    assert taylor.json["shared"] is casey.json["shared"] is False


def test_a_changed_join_mode_applies_to_sessions_already_booked():
    # Given the Riveras' booked couples session, shared join
    session = couples_session("cpl_demorivera", "per_democouplestherapist", ["per_demoalex", "per_demojamie"])
    # When they now join from two places
    changed = call(
        "PATCH",
        "/couples/cpl_demorivera",
        caller=COORDINATOR,
        body={"join_mode": "two_locations"},
        headers={"If-Match": '"1"'},
    )
    assert changed.status == 200, changed
    alex, jamie = join(session, ALEX), join(session, JAMIE)
    # Then each partner has their own join to the same meeting
    assert alex.json["meeting_id"] == jamie.json["meeting_id"]
    assert alex.json["attendee_id"] != jamie.json["attendee_id"]
    assert alex.json["shared"] is jamie.json["shared"] is False


def test_only_the_sessions_people_join():
    session = couples_session("cpl_demorivera", "per_democouplestherapist", ["per_demoalex", "per_demojamie"])
    assert join(session, TAYLOR).status == 404  # not theirs to know about
    assert join(session, SAM).status == 404
    assert join(session, COORDINATOR).status == 403  # coordinators see sessions but do not join them


def test_the_room_is_closed_outside_its_window(monkeypatch):
    monkeypatch.setenv("ROOM_OPENS_MINUTES", "15")
    session = couples_session("cpl_demorivera", "per_democouplestherapist", ["per_demoalex", "per_demojamie"])
    reply = join(session, ALEX)
    assert reply.status == 422
    assert reply.json["errors"] == [{"field": "path.session_id", "message": "room not open now"}]


def test_joining_twice_gives_the_same_attendee():
    session = couples_session("cpl_demorivera", "per_democouplestherapist", ["per_demoalex", "per_demojamie"])
    assert join(session, PRIYA).json == join(session, PRIYA).json
