"""Attendance and makeups: a recorded miss reaches schedule's own stream consumer, which
offers makeup times the same ISO week; the participant takes one up. The clock is frozen
(sessions can only be booked in the future, attendance only recorded after the start)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.schedule import events
from functions.schedule.routes import sessions as session_routes
from tests.clock import controlled_now
from tests.integration.conftest import ScheduleChanges
from tests.integration.scheduling import ALEX, CHICAGO, JAMIE, LEE, SAM, at, book, call, next_week_day

pytestmark = pytest.mark.usefixtures("program")


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = controlled_now(CHICAGO)
        for module in (session_routes, events):
            monkeypatch.setattr(module, "utc_now", lambda: self.now)

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def stream(program, moto_env):
    return ScheduleChanges(moto_env)


MONDAY = next_week_day(0)


def missed_session(clock: Clock, stream: ScheduleChanges) -> Any:
    # Given Alex's 09:00 Monday session with Sam, and the clock past its start
    clock.set(at(MONDAY, 8))
    session = book(start=at(MONDAY, 9)).json
    clock.set(at(MONDAY, 10, 30))
    # When Sam records a no-show, and the stream is delivered
    reply = call(
        "POST",
        f"/sessions/{session['session_id']}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "no_show"}]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply
    assert reply.json["attendance"] == {"per_demoalex": "no_show"}
    stream.step()
    return session


def test_a_no_show_brings_makeup_times_the_same_week_and_a_check_in(clock, stream):
    session = missed_session(clock, stream)
    offers = call("GET", "/me/makeups", caller=ALEX)
    assert offers.status == 200
    [offer] = offers.json["items"]
    assert offer["missed_session_id"] == session["session_id"]
    makeup = [o for o in offer["options"] if o["kind"] == "makeup_session"]
    check_ins = [o for o in offer["options"] if o["kind"] == "check_in"]
    # Then up to three makeup times with Sam, in that ISO week, at least two hours ahead, one per day
    assert 1 <= len(makeup) <= 3
    days = [datetime.fromisoformat(o["start"]).astimezone(CHICAGO).date() for o in makeup]
    assert len(set(days)) == len(days)
    for option in makeup:
        start = datetime.fromisoformat(option["start"])
        assert option["clinician_id"] == "per_demotherapist1"
        assert start >= clock.now + timedelta(hours=2)
        assert start.astimezone(CHICAGO).isocalendar()[1] == MONDAY.isocalendar()[1]
    # And a check-in with Alex's individual therapist
    assert check_ins
    assert all(o["clinician_id"] == "per_demotherapist1" for o in check_ins)


def test_taking_up_a_makeup_books_it_once(clock, stream):
    missed_session(clock, stream)
    offer = call("GET", "/me/makeups", caller=ALEX).json["items"][0]
    accepted = call(
        "POST", f"/me/makeups/{offer['missed_session_id']}/accept", caller=ALEX, body={"option": 0}
    )
    assert accepted.status == 201, accepted
    assert (
        accepted.json["start"] == offer["options"][0]["start"].replace("Z", "+00:00")
        or accepted.json["start"]
    )
    assert datetime.fromisoformat(accepted.json["start"]) == datetime.fromisoformat(
        offer["options"][0]["start"]
    )
    again = call("GET", "/me/makeups", caller=ALEX).json["items"][0]
    assert again["status"] == "accepted"
    assert again["accepted_session_id"] == accepted.json["session_id"]
    twice = call("POST", f"/me/makeups/{offer['missed_session_id']}/accept", caller=ALEX, body={"option": 1})
    assert twice.status == 409


def test_offers_are_the_missing_persons_own(clock, stream):
    missed_session(clock, stream)
    assert call("GET", "/me/makeups", caller=JAMIE).json["items"] == []


def test_attended_brings_no_offer_and_a_redelivered_event_changes_nothing(clock, stream):
    clock.set(at(MONDAY, 8))
    session = book(start=at(MONDAY, 9)).json
    clock.set(at(MONDAY, 10, 30))
    call(
        "POST",
        f"/sessions/{session['session_id']}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
        headers={"If-Match": '"1"'},
    )
    stream.step()
    assert call("GET", "/me/makeups", caller=ALEX).json["items"] == []


class TestRecording:
    def test_not_before_the_start(self, clock):
        clock.set(at(MONDAY, 8))
        session = book(start=at(MONDAY, 9)).json
        reply = call(
            "POST",
            f"/sessions/{session['session_id']}/attendance",
            caller=SAM,
            body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
            headers={"If-Match": '"1"'},
        )
        assert reply.status == 422
        assert reply.json["errors"] == [
            {"field": "path.session_id", "message": "the session has not started yet"}
        ]

    def test_only_for_attendees_and_by_the_clinician(self, clock):
        clock.set(at(MONDAY, 8))
        session = book(start=at(MONDAY, 9)).json
        clock.set(at(MONDAY, 10))
        path = f"/sessions/{session['session_id']}/attendance"
        stranger = call(
            "POST",
            path,
            caller=SAM,
            body={"records": [{"person_id": "per_demojamie", "status": "attended"}]},
            headers={"If-Match": '"1"'},
        )
        assert stranger.status == 422
        assert stranger.json["errors"][0]["field"] == "body.records.0.person_id"
        by_participant = call(
            "POST",
            path,
            caller=ALEX,
            body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
            headers={"If-Match": '"1"'},
        )
        assert by_participant.status == 403
        by_other_clinician = call(
            "POST",
            path,
            caller=LEE,
            body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
            headers={"If-Match": '"1"'},
        )
        assert by_other_clinician.status == 404
