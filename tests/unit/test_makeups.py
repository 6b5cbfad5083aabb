"""Makeup slot finding and who a miss concerns: pure rules with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.schedule.logic import makeups
from functions.schedule.logic.attendance import newly_missed
from functions.schedule.models import AvailabilityRecord, SessionRecord, TimeOff, WeeklyWindow
from functions.schedule.vocabulary import AttendanceStatus, MakeupKind, SessionType

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2027, 1, 11, 10, 30, tzinfo=CHICAGO)  # Monday of 2027-W02


def availability(*windows: tuple[int, int, int], time_off: tuple[TimeOff, ...] = ()) -> AvailabilityRecord:
    return AvailabilityRecord(
        clinician_id="per_clin0001",
        weekly=[WeeklyWindow(weekday=d, start=time(s), end=time(e)) for d, s, e in windows],
        time_off=list(time_off),
        updated_at=NOW,
        version=1,
    )


def slots(avail: AvailabilityRecord | None, busy=None, now=NOW, **kw: Any) -> list[tuple[datetime, datetime]]:
    return makeups.free_slots(
        week="2027-W02",
        week_zone="America/Chicago",
        clinician_zone="America/Chicago",
        availability=avail,
        busy=busy or {},
        clinician_id="per_clin0001",
        duration=kw.pop("duration", timedelta(hours=1)),
        buffer=timedelta(minutes=10),
        now=now,
        **kw,
    )


def test_earliest_slot_per_day_at_least_two_hours_ahead():
    found = slots(availability((0, 9, 17), (1, 9, 17), (2, 9, 17), (3, 9, 17)))
    assert [s.astimezone(CHICAGO).strftime("%a %H:%M") for s, _ in found] == [
        "Mon 12:30",
        "Tue 09:00",
        "Wed 09:00",
    ]


def test_busy_people_and_the_clinicians_buffer_are_avoided():
    monday_noon = datetime(2027, 1, 11, 12, 30, tzinfo=CHICAGO).astimezone(UTC)
    busy = {
        # the clinician is taken 12:30-13:15, the participant 13:30-14:00
        "per_clin0001": {monday_noon + timedelta(minutes=15 * i) for i in range(3)},
        "per_part0001": {monday_noon + timedelta(minutes=60), monday_noon + timedelta(minutes=75)},
    }
    found = slots(availability((0, 9, 17)), busy=busy)
    start = found[0][0].astimezone(CHICAGO)
    assert start.strftime("%H:%M") == "14:00"


def test_buffer_before_the_clinicians_next_booking():
    # Clinician busy from 14:00: a 13:00-14:00 makeup would leave no buffer, 12:45 would end 13:45 (+10 ok)
    two_pm = datetime(2027, 1, 11, 14, 0, tzinfo=CHICAGO).astimezone(UTC)
    busy = {"per_clin0001": {two_pm + timedelta(minutes=15 * i) for i in range(12)}}
    found = slots(availability((0, 12, 17)), busy=busy, now=datetime(2027, 1, 11, 10, 45, tzinfo=CHICAGO))
    assert found[0][0].astimezone(CHICAGO).strftime("%H:%M") == "12:45"


def test_nothing_left_in_the_week_means_no_slots():
    friday_evening = datetime(2027, 1, 15, 18, 0, tzinfo=CHICAGO)
    assert slots(availability((0, 9, 17), (4, 9, 17)), now=friday_evening) == []
    assert slots(None) == []


def test_time_off_is_skipped():
    off = TimeOff(
        start=datetime(2027, 1, 11, 0, 0, tzinfo=CHICAGO), end=datetime(2027, 1, 12, 23, 0, tzinfo=CHICAGO)
    )
    found = slots(availability((0, 9, 17), (1, 9, 17), (2, 9, 17), time_off=(off,)))
    assert [s.astimezone(CHICAGO).strftime("%a") for s, _ in found] == ["Wed"]


def session(attendance: dict[str, AttendanceStatus] | None = None) -> SessionRecord:
    return SessionRecord(
        session_id="ses_00000001",
        type=SessionType.INDIVIDUAL,
        start=NOW - timedelta(hours=2),
        end=NOW - timedelta(hours=1),
        clinician_ids=("per_clin0001",),
        attendee_ids=("per_part0001",),
        created_by="x",
        updated_at=NOW,
        attendance=attendance or {},
    )


def test_only_new_misses_get_offers():
    missed = session({"per_part0001": AttendanceStatus.NO_SHOW})
    assert newly_missed(None, missed) == ["per_part0001"]
    assert newly_missed(missed, missed) == []  # re-recorded: already offered
    assert newly_missed(None, session({"per_part0001": AttendanceStatus.ATTENDED})) == []
    assert newly_missed(None, session({"per_part0001": AttendanceStatus.EXCUSED})) == []


def test_an_offer_always_carries_a_check_in():
    offer = makeups.offer(
        person_id="per_part0001",
        missed=session(),
        week="2027-W02",
        makeup_slots=[],
        check_in_clinician="per_clin0002",
        check_in_slots=[],
        now=NOW,
    )
    assert [(o.kind, o.clinician_id, o.start) for o in offer.options] == [
        (MakeupKind.CHECK_IN, "per_clin0002", None)
    ]
