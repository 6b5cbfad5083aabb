"""The healthcare-message limits on SMS reminders. No boto3.

At most `SMS_REMINDERS_PER_DAY` per local day and `SMS_REMINDERS_PER_WEEK` per ISO week,
both in the person's zone at the moment of sending. Each limit is a counter item holding
the ids of the reminders it admitted, so admitting the same reminder again (a retry) never
counts twice, and the store conditions every admission on the count (no race can exceed it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from functions.notify import keys
from functions.notify.vocabulary import SMS_REMINDERS_PER_DAY, SMS_REMINDERS_PER_WEEK

CapName = Literal["day", "week"]


@dataclass(frozen=True)
class CapCounter:
    name: CapName
    sort_key: str
    """The counter item's sort key under the person's partition (`keys.sms_cap_day` / `_week`)."""
    limit: int
    expires_at: datetime
    """When the counter can go (TTL): well after its period is over."""


def sms_reminder_counters(now: datetime, zone: str) -> tuple[CapCounter, CapCounter]:
    """The day and week counters a reminder sent at `now` counts against."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    day = local.date()
    year, week, weekday = day.isocalendar()
    week_end = day + timedelta(days=7 - weekday)
    return (
        CapCounter(
            name="day",
            sort_key=keys.sms_cap_day(day),
            limit=SMS_REMINDERS_PER_DAY,
            expires_at=_after(day + timedelta(days=2), tz),
        ),
        CapCounter(
            name="week",
            sort_key=keys.sms_cap_week(year, week),
            limit=SMS_REMINDERS_PER_WEEK,
            expires_at=_after(week_end + timedelta(days=8), tz),
        ),
    )


def _after(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
