"""Quiet hours in the recipient's own zone. No boto3.

A window such as 21:00-08:00 wraps midnight; equal start and end mean no quiet hours.
Times are the person's wall clock, so a DST change moves the window with the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_START = time(21, 0)
DEFAULT_END = time(8, 0)


@dataclass(frozen=True)
class QuietHours:
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    zone: str = "UTC"

    def contains(self, moment: datetime) -> bool:
        if self.start == self.end:
            return False
        clock = moment.astimezone(ZoneInfo(self.zone)).time().replace(tzinfo=None)
        if self.start > self.end:  # wraps midnight
            return clock >= self.start or clock < self.end
        return self.start <= clock < self.end

    def end_after(self, moment: datetime) -> datetime:
        """`moment` itself outside quiet hours, else the (UTC) moment the quiet period ends."""
        if not self.contains(moment):
            return moment
        zone = ZoneInfo(self.zone)
        local = moment.astimezone(zone)
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)
        # Through UTC and back: a wall time inside a spring-forward gap lands just after it.
        ends = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
        return ends.replace(microsecond=0)


@dataclass(frozen=True)
class Deferral:
    """Where quiet hours put a message: `due` (unchanged or deferred), or dropped."""

    due: datetime
    deferred: bool
    dropped: bool


def defer(due: datetime, quiet: QuietHours, *, session_start: datetime | None) -> Deferral:
    """Defer a message due inside quiet hours to their end; drop it (reminders: pass the
    session start) when the session would already have started by then."""
    ends = quiet.end_after(due)
    if ends == due:
        return Deferral(due=due, deferred=False, dropped=False)
    dropped = session_start is not None and ends >= session_start
    return Deferral(due=ends, deferred=True, dropped=dropped)
