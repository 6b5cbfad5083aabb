"""Shared field types: time zones, states, phones, emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import BaseModel, ValidationError

from functions.common.models import Email, PhoneE164, TimeZone, UsState, iso


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


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "america/chicago", "../etc/passwd", "CST6CDT/x"])
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
