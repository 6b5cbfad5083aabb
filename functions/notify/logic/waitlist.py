"""A seat that opened up: the waitlist promotion notice. No boto3.

Schedule seats the next waitlisted people when a seat frees (`promote_waiting`): each
person's GROUP_ENROLMENT item goes from `waitlisted` to `enrolled`, and its stream record
carries what the series is (rule, first start, zone, length), so the notice names the next
occurrence without reading the schedule table. Neither the group's title nor its type is
kept on the message: the email says "an appointment", the text says nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from functions.notify.logic.reminders import Recipient, notice_due
from functions.notify.models import MessageRecord, PreferencesRecord
from functions.notify.vocabulary import Channel, MessageKind

ENROLLED = "enrolled"
WAITLISTED = "waitlisted"
LOOK_AHEAD = timedelta(days=366)


def is_promotion(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> bool:
    return (
        new is not None
        and old is not None
        and old.get("status") == WAITLISTED
        and new.get("status") == ENROLLED
    )


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def next_occurrence(enrolment: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime] | None:
    """The series' first occurrence starting after `now` ([start, end), aware), on the
    series' wall clock (as schedule expands it); None when the series has ended."""
    zone = ZoneInfo(str(enrolment["time_zone"]))
    first = _moment(enrolment["first_start"])
    rule = rrulestr(f"RRULE:{enrolment['rrule']}", dtstart=first.astimezone(zone).replace(tzinfo=None))
    if not isinstance(rule, rrule):
        return None
    local_now = now.astimezone(zone).replace(tzinfo=None)
    for local in rule.between(local_now, local_now + LOOK_AHEAD, inc=False):
        begins = local.replace(tzinfo=zone)
        if begins > now:
            return begins, begins + timedelta(minutes=int(enrolment["duration_minutes"]))
    return None


def promotion_id(group_id: str, person_id: str, since: str, channel: Channel) -> str:
    stamp = "".join(ch for ch in since if ch.isdigit())
    return f"wlp.{group_id}.{person_id}.{stamp}.{channel.value}"


def plan_promotion(
    enrolment: Mapping[str, Any], prefs: PreferencesRecord | None, now: datetime
) -> list[MessageRecord]:
    """One notice per channel the person hears about changes on; ids from the enrolment's
    `since`, so a redelivered record plans the same messages and a later promotion new ones."""
    occurrence = next_occurrence(enrolment, now)
    if occurrence is None:
        return []
    start, end = occurrence
    person_id = str(enrolment["participant_id"])
    group_id = str(enrolment["group_id"])
    since = str(enrolment.get("since") or "")
    person = Recipient.of(person_id, prefs, fallback_zone=str(enrolment["time_zone"]))
    kind = MessageKind.WAITLIST_PROMOTION
    return [
        MessageRecord(
            message_id=promotion_id(group_id, person_id, since, channel),
            person_id=person_id,
            channel=channel,
            kind=kind,
            due_at=notice_due(kind, channel, person, now),
            start=start,
            end=end,
            time_zone=person.zone,
            created_at=now,
        )
        for channel in person.channels_for(kind)
    ]
