"""Treatment intensity on the seeded program: one participant's week, the program report
kept current through schedule's own stream consumer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.clock import controlled_now
from tests.integration.conftest import ScheduleChanges
from tests.integration.scheduling import (
    ALEX,
    CHICAGO,
    COORDINATOR,
    JAMIE,
    LEE,
    SAM,
    at,
    book,
    call,
    seeded_week,
)

pytestmark = pytest.mark.usefixtures("program")


def test_a_participants_week_against_their_plan():
    # Given Alex's seeded week: individual, couples and counseling sessions (an hour each)
    # and the evening skills group twice (three hours each); plan 4-5 sessions, 9-12 hours
    reply = call("GET", f"/participants/per_demoalex/intensity?week={seeded_week()}", caller=ALEX)
    assert reply.status == 200, reply
    report = reply.json
    assert report["scheduled"] == {"sessions": 5, "hours": 9.0}
    assert report["attended"] == {"sessions": 0, "hours": 0.0}
    assert report["plan"]["hours_per_week_min"] == 9
    assert (report["sessions_standing"], report["hours_standing"]) == ("within", "within")


def test_who_may_read_a_participants_intensity():
    path = f"/participants/per_demoalex/intensity?week={seeded_week()}"
    assert call("GET", path, caller=SAM).status == 200  # Alex's therapist
    assert call("GET", path, caller=COORDINATOR).status == 200
    assert call("GET", path, caller=JAMIE).status == 404  # the partner: never
    assert call("GET", path, caller=LEE).status == 404  # not on Lee's caseload


def test_the_program_report_lists_who_is_under_or_over():
    reply = call("GET", f"/intensity?week={seeded_week()}", caller=COORDINATOR)
    assert reply.status == 200, reply
    under = {e["participant_id"]: e for e in reply.json["under"]}
    # Alex's week is within plan; Jamie is an hour short; the Brooks have only their peer group
    assert set(under) == {"per_demojamie", "per_demotaylor", "per_democasey"}
    assert under["per_demojamie"]["hours_standing"] == "under"
    assert under["per_demojamie"]["scheduled"] == {"sessions": 4, "hours": 8.0}
    assert reply.json["within"] == 1
    assert call("GET", f"/intensity?week={seeded_week()}", caller=SAM).status == 403


def test_the_report_follows_bookings_through_the_stream(moto_env):
    # Given the stream consumer listening
    poller = ScheduleChanges(moto_env)
    week_day = controlled_now(CHICAGO).date() + timedelta(days=7)
    monday = week_day - timedelta(days=week_day.weekday())
    # When Casey gets an individual session in that week and the stream is delivered
    assert book(start=at(monday, 11), attendee_ids=["per_democasey"]).status == 201
    poller.step()
    # Then the program report counts it
    reply = call("GET", f"/intensity?week={seeded_week()}", caller=COORDINATOR)
    casey = next(e for e in reply.json["under"] if e["participant_id"] == "per_democasey")
    assert casey["scheduled"]["sessions"] == 2  # peer support + the new session


def test_a_week_with_only_the_open_ended_group_is_under_plan():
    # Far ahead, only the evening skills group (Tuesday and Thursday, open-ended) remains
    reply = call("GET", "/participants/per_demoalex/intensity?week=2030-W02", caller=ALEX)
    assert reply.json["scheduled"] == {"sessions": 2, "hours": 6.0}
    assert (reply.json["sessions_standing"], reply.json["hours_standing"]) == (
        "under",
        "under",
    )  # 2 < 4, 6 < 9
