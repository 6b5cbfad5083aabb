"""Sessions around a daylight-saving change keep their local wall-clock time (US DST starts
on 14 March 2027: Chicago moves from UTC-6 to UTC-5)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.integration.scheduling import ALEX, CHICAGO, SAM, at, book, call

pytestmark = pytest.mark.usefixtures("program")
BEFORE = date(2027, 3, 8)  # Monday, CST
AFTER = date(2027, 3, 15)  # Monday, CDT


def local_hour(stamp: str) -> tuple[int, int]:
    moment = datetime.fromisoformat(stamp).astimezone(CHICAGO)
    return moment.hour, moment.minute


def test_nine_oclock_is_nine_oclock_on_both_sides_of_the_change():
    before = book(start=at(BEFORE, 9))
    after = book(start=at(AFTER, 9))
    assert before.status == after.status == 201, (before, after)
    # Different UTC instants, the same wall-clock time
    assert datetime.fromisoformat(before.json["start"]).hour == 15
    assert datetime.fromisoformat(after.json["start"]).hour == 14
    assert local_hour(before.json["start"]) == local_hour(after.json["start"]) == (9, 0)


def test_availability_is_wall_clock_after_the_change():
    # 07:00 CDT is 12:00 UTC, which was inside 08:00-17:00 CST's UTC span before the change
    early = book(start=at(AFTER, 7))
    assert early.status == 422
    assert early.json["errors"][0]["field"] == "body.start"
    late = book(start=at(AFTER, 16, 30))  # ends 17:30 local, after Sam's day
    assert late.status == 422


def test_rescheduling_across_the_change_keeps_the_local_time():
    session = book(start=at(BEFORE, 9)).json
    moved = call(
        "POST",
        f"/sessions/{session['session_id']}/reschedule",
        caller=SAM,
        body={"start": at(AFTER, 9)},
        headers={"If-Match": '"1"'},
    )
    assert moved.status == 200, moved
    assert local_hour(moved.json["start"]) == (9, 0)
    week = call("GET", "/me/schedule?week=2027-W11", caller=ALEX)
    [item] = [i for i in week.json["items"] if not i["group_id"]]  # (Alex's evening group is there too)
    assert item["start"] == "2027-03-15T09:00:00-05:00"
    assert item["end"] == "2027-03-15T10:00:00-05:00"
    assert not [
        i for i in call("GET", "/me/schedule?week=2027-W10", caller=ALEX).json["items"] if not i["group_id"]
    ]
