"""Shared field types: time zones, states, phones, emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from functions.common.models import (
    SCHEDULING_AHEAD,
    SCHEDULING_PAST,
    BirthDate,
    CalendarDate,
    DisplayName,
    Email,
    Instant,
    LocalTime,
    MultiLine,
    PhoneE164,
    SchedulingInstant,
    SingleLine,
    TimeZone,
    UsState,
    iso,
    utc_now,
)


class _Zone(BaseModel):
    tz: TimeZone


class _State(BaseModel):
    state: UsState


class _Phone(BaseModel):
    phone: PhoneE164


class _Email(BaseModel):
    email: Email


@pytest.mark.parametrize("zone", ["America/Chicago", "America/New_York", "Pacific/Honolulu", "UTC"])
def test_time_zone_accepts_iana_names(zone):
    assert _Zone(tz=zone).tz == zone


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "", "america/chicago", "../etc/passwd", "CST6CDT/x", "T" * 300, "A/" + "b" * 300]
)
def test_time_zone_rejects_others(zone):
    with pytest.raises(ValidationError, match="IANA"):
        _Zone(tz=zone)


@pytest.mark.parametrize(
    ("raw", "stored"), [("tx", "TX"), ("TX", "TX"), ("Ca", "CA"), ("pr", "PR"), ("dc", "DC")]
)
def test_us_state_upper_cases(raw, stored):
    assert _State(state=raw).state == stored


@pytest.mark.parametrize("raw", ["ZZ", "", "Texas", "T", "XX"])
def test_us_state_rejects_unknown_codes(raw):
    with pytest.raises(ValidationError):
        _State(state=raw)


@pytest.mark.parametrize("phone", ["+15125550100", "+442071838750"])
def test_phone_accepts_e164(phone):
    assert _Phone(phone=phone).phone == phone


@pytest.mark.parametrize(
    "phone", ["5125550100", "+05125550100", "+1 512 555 0100", "+1", "+1234567890123456"]
)
def test_phone_rejects_non_e164(phone):
    with pytest.raises(ValidationError):
        _Phone(phone=phone)


def test_email_lower_cases_and_strips():
    assert _Email(email="  Alex.Rivera@Example.COM ").email == "alex.rivera@example.com"


@pytest.mark.parametrize("email", ["alex", "alex@", "alex@example", "a b@example.com", "@example.com"])
def test_email_rejects_malformed(email):
    with pytest.raises(ValidationError):
        _Email(email=email)


def test_iso_is_utc_with_z_and_seconds():
    assert iso(datetime(2025, 1, 2, 3, 4, 5, 999, tzinfo=UTC)) == "2025-01-02T03:04:05Z"
    assert iso(datetime(2025, 1, 2, 20, 0, tzinfo=timezone(timedelta(hours=-6)))) == "2025-01-03T02:00:00Z"


# --- text without control characters ----------------------------------------------------------


class _Texts(BaseModel):
    line: SingleLine = "ok"
    lines: MultiLine = "ok"
    name: DisplayName = "ok"


@pytest.mark.parametrize(
    "bad",
    ["A\x00B", "\x1b[31mred", "two\nlines", "tab\there", "bidi\u202eoverride", "zero\u200bwidth", "\x7f"],
)
def test_single_line_text_refuses_control_and_format_characters(bad):
    with pytest.raises(ValidationError):
        _Texts(line=bad)
    with pytest.raises(ValidationError):
        _Texts(name=bad)


def test_single_line_text_keeps_ordinary_names():
    assert _Texts(line="Zoë O'Neil-Ávila 李", name="  Dr. Priya Natarajan ").name == "Dr. Priya Natarajan"


def test_multi_line_text_keeps_line_breaks_and_tabs_but_not_other_controls():
    assert _Texts(lines="first\r\nsecond\tthird").lines == "first\r\nsecond\tthird"
    for bad in ("A\x00", "\x1b]0;title\x07", "\u2066isolate"):
        with pytest.raises(ValidationError):
            _Texts(lines=bad)


def test_email_refuses_a_nul():
    with pytest.raises(ValidationError):
        _Email(email="a\x00b@example.com")


# --- bounded dates and times ------------------------------------------------------------------


class _Times(BaseModel):
    instant: Instant | None = None
    scheduled: SchedulingInstant | None = None
    day: CalendarDate | None = None
    born: BirthDate | None = None
    at: LocalTime | None = None


@pytest.mark.parametrize(
    "value",
    ["1900-01-01T00:00:00Z", "2199-12-31T23:59:59Z", "2199-12-31T23:59:00+05:00", "2026-06-01T09:00-05:00"],
)
def test_an_instant_inside_the_years_is_kept(value):
    assert _Times(instant=value).instant == datetime.fromisoformat(value)


@pytest.mark.parametrize(
    "value",
    [
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "9999-12-31T23:45-06:00",  # used to overflow (OverflowError) when converted to UTC
        "2199-12-31T23:59:00-01:00",  # 2200 in UTC
        "1900-01-01T00:30:00+01:00",  # 1899 in UTC
        "0001-01-01T00:00:00+00:01",
    ],
)
def test_an_instant_outside_the_years_is_refused(value):
    with pytest.raises(ValidationError):
        _Times(instant=value)


def test_an_offset_with_seconds_is_refused():
    # what America/Chicago's local mean time (-05:50:36) looks like; never RFC 3339
    with pytest.raises(ValidationError):
        _Times(instant=datetime(1950, 1, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-50, seconds=-36))))


def test_a_scheduled_time_is_within_a_year_back_and_two_years_ahead():
    now, minute = utc_now(), timedelta(minutes=1)  # a minute's margin: the bounds move with the clock
    for inside in (now - SCHEDULING_PAST + minute, now, now + SCHEDULING_AHEAD - minute):
        assert _Times(scheduled=inside).scheduled == inside
    for outside in (
        now - SCHEDULING_PAST - timedelta(minutes=1),
        now + SCHEDULING_AHEAD + timedelta(minutes=1),
    ):
        with pytest.raises(ValidationError):
            _Times(scheduled=outside)


@pytest.mark.parametrize(("value", "ok"), [("1900-01-01", True), ("2199-12-31", True), ("1899-12-31", False)])
def test_a_calendar_date_is_bounded(value, ok):
    if ok:
        assert _Times(day=value).day is not None
    else:
        with pytest.raises(ValidationError):
            _Times(day=value)


def test_a_birth_date_is_not_in_the_future():
    assert _Times(born="1900-01-01").born is not None
    with pytest.raises(ValidationError):
        _Times(born=(utc_now() + timedelta(days=1)).date())


@pytest.mark.parametrize("value", ["21:00", "00:00:00", "23:59:59"])
def test_a_local_time_has_no_offset(value):
    assert _Times(at=value).at is not None


@pytest.mark.parametrize("value", ["21:00Z", "21:00:00+01:00", "24:00", "9:00", 3600, "21:00:00.5"])
def test_a_local_time_with_an_offset_or_in_another_form_is_refused(value):
    with pytest.raises(ValidationError):
        _Times(at=value)


def test_a_local_time_is_documented_without_format_time():
    schema = _Times.model_json_schema()["properties"]["at"]["anyOf"][0]
    assert "format" not in schema
    assert schema["pattern"]
