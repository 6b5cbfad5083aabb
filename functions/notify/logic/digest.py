"""The weekly schedule digest: who gets it when, and what it lists. No boto3.

Each person's digest goes on Sunday evening in their own zone (from 18:00; a job that
missed its run catches up until 21:00, when default quiet hours begin) and lists the
sessions and group occurrences of the ISO week that begins the next day, by local day and
time. One per person, channel and week: the id says which week, so the hourly job may run
as often as it likes.

Which zones are in their Sunday evening is decided at run time from the zone rules
(`zoneinfo`), never from a stored UTC hour: a bucket such as `DIGEST#<UTC hour>` computed
when preferences are saved would be an hour off for half the year after every DST change.
The people of a zone are found through their preferences item's gsi1 `ZONE#<zone>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.common.models import iso
from functions.notify.logic.groups import GROUP_SESSION_TYPE, attends, occurrences
from functions.notify.logic.reminders import Recipient, notice_due
from functions.notify.models import GroupSeries, MessageRecord, UpcomingSession
from functions.notify.vocabulary import Channel, MessageKind

DIGEST_WEEKDAY = 6  # Sunday
DIGEST_FROM = time(18, 0)
DIGEST_UNTIL = time(21, 0)
"""The digest goes in the first hourly run from 18:00 local; until 21:00 a run catches up."""


def in_digest_window(now: datetime, zone: str) -> bool:
    local = now.astimezone(ZoneInfo(zone))
    return local.weekday() == DIGEST_WEEKDAY and DIGEST_FROM <= local.time() < DIGEST_UNTIL


def digest_zones(now: datetime, zones: Iterable[str]) -> list[str]:
    """The zones whose Sunday evening it is at `now`."""
    return sorted(zone for zone in zones if in_digest_window(now, zone))


@dataclass(frozen=True)
class DigestWeek:
    """The ISO week after `now`'s Sunday, in one zone: its label and [start, end) in UTC."""

    label: str
    monday: date
    start: datetime
    end: datetime


def next_week(now: datetime, zone: str) -> DigestWeek:
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    monday = today + timedelta(days=7 - today.weekday())
    year, week, _ = monday.isocalendar()
    start = datetime.combine(monday, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz).astimezone(UTC)
    return DigestWeek(label=f"{year}-W{week:02d}", monday=monday, start=start, end=end)


def digest_id(person_id: str, week: str, channel: Channel) -> str:
    return f"dig.{person_id}.{week}.{channel.value}"


@dataclass(frozen=True)
class DigestItem:
    start: datetime
    type: str | None


def week_items(
    week: DigestWeek, sessions: Iterable[UpcomingSession], series: Iterable[GroupSeries]
) -> list[DigestItem]:
    """The person's sessions and the group occurrences they attend in the week, by start."""
    items = [DigestItem(s.start, s.session_type) for s in sessions if week.start <= s.start < week.end]
    for one in series:
        items += [
            DigestItem(begins, GROUP_SESSION_TYPE)
            for begins, _ in occurrences(one, week.start, week.end)
            if attends(one, begins)
        ]
    return sorted(items, key=lambda item: item.start)


def plan_digest(
    person: Recipient, week: DigestWeek, items: list[DigestItem], now: datetime
) -> list[MessageRecord]:
    """One digest per channel the person chose for digests (email by default; a text only
    when they chose it). Nothing when the week holds nothing: no "nothing scheduled" mail."""
    if not items:
        return []
    kind = MessageKind.WEEKLY_DIGEST
    detail = {
        "week": week.label,
        "week_start": week.monday.isoformat(),
        "count": len(items),
        "items": [{"start": iso(item.start), **({"type": item.type} if item.type else {})} for item in items],
    }
    return [
        MessageRecord(
            message_id=digest_id(person.person_id, week.label, channel),
            person_id=person.person_id,
            channel=channel,
            kind=kind,
            due_at=notice_due(kind, channel, person, now),
            time_zone=person.zone,
            detail=detail,
            created_at=now,
        )
        for channel in person.channels_for(kind)
    ]
