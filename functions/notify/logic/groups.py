"""Group series: a participant's enrolment as notify keeps it, and the reminders of its
occurrences. No boto3.

Schedule never stores occurrences: they are expanded from the series' RRULE on the series'
wall clock (python-dateutil), so 18:00 stays 18:00 local across DST changes. Notify expands
them the same way from what the participant's GROUP_ENROLMENT stream record carries.

The reminders of an occurrence are planned by the hourly job
(`functions.notify.group_reminders`) through the same path as a session's
(`plan_person_reminders`: per channel and offset, quiet hours, merging), with ids derived
from the group, the occurrence, the person, the channel and the offset, so a job run twice
plans the same messages.

The facilitator. A session reminds its clinician; a group occurrence reminds the group's
facilitator (`facilitator_id` on every enrolment record) while at least one participant is
enrolled under them. Notify keeps a series item for the facilitator too (role
`facilitator`), derived from the participants' items: `facilitator_joined` puts an enrolled
participant in it (activating it: "joined" from the later of that participant's joining and
their record's `since`, so a facilitator who takes over is not owed reminders from before),
`facilitator_left` takes one out (a withdrawal, or a participant now under another
facilitator) and ends it with the last, which retires its pending reminders as a
participant's withdrawal retires theirs. Its reminders are planned exactly like a
participant's, from the facilitator's own preferences, with the facilitator's id in the
reminder id, so however many participants there are the facilitator has one reminder per
occurrence, channel and offset. A reminder carries the group, the occurrence's times and
`session_type` "group", never who is enrolled: a facilitator's message names no participant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from functions.common.models import iso
from functions.notify.logic.reminders import Recipient, plan_person_reminders
from functions.notify.models import GroupSeries, MessageRecord
from functions.notify.vocabulary import Channel, MessageKind, MessageStatus, SeriesRole, SeriesStatus

GROUP_SESSION_TYPE = "group"
"""What a group occurrence's messages carry as their `session_type` (the email says "group
session"; the series' own type and title are never put on a message)."""
HORIZON_MARGIN = timedelta(hours=2)
"""How far beyond a person's longest offset the job looks: an hourly job sees every
reminder at least an hour before it is due (26 hours for the default 24-hour offset)."""
MIN_HORIZON = timedelta(hours=26)
CATCH_UP = timedelta(hours=3)
"""A reminder whose time passed while the job was not running still goes (due at once)
when its time was at most this long ago, after the person joined, and the occurrence has
not begun."""
KEEP_PLANNED = timedelta(days=2)
"""How long a planned reminder stays on the series item after its occurrence began."""


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def series_from_enrolment(image: Mapping[str, Any]) -> GroupSeries:
    """Notify's series item of one GROUP_ENROLMENT image (its contract with schedule:
    `GroupStore._pointer_put` with `GroupRecord.schedule_attributes`)."""
    joined = image.get("joined_at")
    left = image.get("left_at")
    return GroupSeries(
        person_id=str(image["participant_id"]),
        group_id=str(image["group_id"]),
        group_type=str(image["group_type"]) if image.get("group_type") else None,
        title=str(image["title"]) if image.get("title") else None,
        facilitator_id=str(image["facilitator_id"]) if image.get("facilitator_id") else None,
        rrule=str(image["rrule"]),
        first_start=_moment(image["first_start"]),
        time_zone=str(image["time_zone"]),
        duration_minutes=int(image["duration_minutes"]),
        status=SeriesStatus(str(image["status"])),
        since=str(image.get("since") or ""),
        joined_at=_moment(joined) if joined else None,
        left_at=_moment(left) if left else None,
    )


@dataclass(frozen=True)
class SeriesChange:
    """What one enrolment record asks of notify: keep the series (enrolled), end it
    (withdrawn after being enrolled), or nothing (waitlisted, or a waitlist left)."""

    series: GroupSeries
    keep: bool
    end: bool


def series_change(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> SeriesChange | None:
    if new is None:
        return None
    series = series_from_enrolment(new)
    if series.status is SeriesStatus.ENROLLED:
        return SeriesChange(series, keep=True, end=False)
    if series.status is SeriesStatus.WITHDRAWN and (old is None or old.get("status") != "waitlisted"):
        return SeriesChange(series, keep=False, end=True)
    return None


_SERIES_FACTS = ("group_type", "title", "rrule", "first_start", "time_zone", "duration_minutes")
"""What a facilitator's item copies from its participants' items (the series as schedule has it)."""


def _since_moment(series: GroupSeries) -> datetime | None:
    try:
        return _moment(series.since) if series.since else None
    except ValueError:
        return None


def facilitator_joined(current: GroupSeries | None, participant: GroupSeries) -> GroupSeries | None:
    """The facilitator's series item with `participant` (enrolled under them) in it, its
    revision advanced; None when there is nothing to write: it holds them already and the
    series is unchanged, or the participant is not enrolled under a facilitator."""
    facilitator = participant.facilitator_id
    if facilitator is None or not participant.active or participant.role is not SeriesRole.PARTICIPANT:
        return None
    if current is not None and current.role is not SeriesRole.FACILITATOR:
        return None  # never the case (schedule enrols participants only); never overwritten
    facts = {name: getattr(participant, name) for name in _SERIES_FACTS}
    if current is not None and current.active:
        members = tuple(sorted({*current.participants, participant.person_id}))
        if members == current.participants and all(getattr(current, k) == v for k, v in facts.items()):
            return None
        return current.model_copy(
            update={
                **facts,
                "participants": members,
                "since": max(current.since, participant.since),
                "revision": current.revision + 1,
            }
        )
    starts = [m for m in (participant.joined_at, _since_moment(participant)) if m is not None]
    return GroupSeries(
        person_id=facilitator,
        group_id=participant.group_id,
        facilitator_id=facilitator,
        **facts,
        status=SeriesStatus.ENROLLED,
        since=participant.since,
        joined_at=max(starts) if starts else None,
        left_at=None,
        revision=(current.revision if current else 0) + 1,
        reminders={},
        role=SeriesRole.FACILITATOR,
        participants=(participant.person_id,),
    )


def facilitator_left(current: GroupSeries | None, participant: GroupSeries) -> GroupSeries | None:
    """The facilitator's series item without the participant (as their item now is), its
    revision advanced: ended when they were the last (withdrawn when they left, or when their
    record moved them to another facilitator; its planned reminders dropped, for the caller
    to retire); None when it did not hold them."""
    if (
        current is None
        or current.role is not SeriesRole.FACILITATOR
        or not current.active
        or participant.person_id not in current.participants
    ):
        return None
    members = tuple(p for p in current.participants if p != participant.person_id)
    if members:
        return current.model_copy(update={"participants": members, "revision": current.revision + 1})
    return current.model_copy(
        update={
            "participants": (),
            "status": SeriesStatus.WITHDRAWN,
            "left_at": participant.left_at or _since_moment(participant),
            "reminders": {},
            "revision": current.revision + 1,
        }
    )


def facilitator_moves(current: GroupSeries | None, record: GroupSeries) -> tuple[str | None, str | None]:
    """(the facilitator the participant leaves, the one they are under) when a participant's
    item goes from `current` to `record`: the one left is None unless it differs."""
    was = current.facilitator_id if current is not None and current.active else None
    now = record.facilitator_id if record.active else None
    return (was if was != now else None), now


def _rule(series: GroupSeries) -> rrule | None:
    zone = ZoneInfo(series.time_zone)
    first = series.first_start.astimezone(zone).replace(tzinfo=None)
    rule = rrulestr(f"RRULE:{series.rrule}", dtstart=first)
    return rule if isinstance(rule, rrule) else None


def occurrences(series: GroupSeries, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The series' [begin, end) pairs beginning within [start, end), aware, on its wall clock."""
    rule = _rule(series)
    if rule is None:
        return
    zone = ZoneInfo(series.time_zone)
    length = timedelta(minutes=series.duration_minutes)
    local_from = start.astimezone(zone).replace(tzinfo=None) - timedelta(hours=1)
    local_to = end.astimezone(zone).replace(tzinfo=None) + timedelta(hours=1)
    for local in rule.between(local_from, local_to, inc=True):
        begins = local.replace(tzinfo=zone)
        if start <= begins < end:
            yield begins, begins + length


def attends(series: GroupSeries, begins: datetime) -> bool:
    """Whether the person is in the occurrence beginning at `begins`: enrolled, joined by
    then (roster changes apply to future occurrences only) and not gone before it. A
    facilitator "joined" when their item became active."""
    if not series.active:
        return False
    return series.joined_at is None or series.joined_at <= begins


def horizon(person: Recipient) -> timedelta:
    """How far ahead the job expands this person's series: their longest reminder offset
    plus a margin, at least 26 hours."""
    longest = max((offset for offsets in person.offsets.values() for offset in offsets), default=0)
    return max(MIN_HORIZON, timedelta(minutes=longest) + HORIZON_MARGIN)


def group_reminder_id(group_id: str, begins: datetime, person_id: str, channel: Channel, offset: int) -> str:
    return f"grem.{group_id}.{iso(begins)}.{person_id}.{channel.value}.{offset}"


@dataclass(frozen=True)
class GroupReminders:
    """What one job run plans for one person's series."""

    messages: tuple[MessageRecord, ...]
    """Every reminder of the occurrences ahead (the store writes the ones not yet written)."""
    reminders: dict[str, str]
    """The series item's planned reminders afterwards: id -> occurrence start (pending
    ones only; older than `KEEP_PLANNED` pruned)."""


def plan_group_reminders(series: GroupSeries, person: Recipient, now: datetime) -> GroupReminders:
    """The reminders of the series' occurrences starting within the person's horizon."""
    messages: list[MessageRecord] = []
    if series.active:
        catch_up_from = now - CATCH_UP
        if series.joined_at is not None:
            catch_up_from = max(catch_up_from, series.joined_at)
        for begins, ends in occurrences(series, now, now + horizon(person)):
            if not attends(series, begins):
                continue
            messages += plan_person_reminders(
                person,
                begins,
                now,
                make_id=partial(group_reminder_id, series.group_id, begins, series.person_id),
                fields={
                    "group_id": series.group_id,
                    "session_type": GROUP_SESSION_TYPE,
                    "start": begins,
                    "end": ends,
                    "detail": {"confirmable": False},
                },
                not_before=catch_up_from,
            )
    keep_after = now - KEEP_PLANNED
    reminders = {ident: start for ident, start in series.reminders.items() if _moment(start) > keep_after}
    for message in messages:
        if message.status is MessageStatus.PENDING and message.start is not None:
            reminders[message.message_id] = iso(message.start)
    return GroupReminders(messages=tuple(messages), reminders=reminders)


def group_reminder_current(message: MessageRecord, series: GroupSeries | None) -> bool:
    """A group occurrence's reminder may go only while the person is still in the series
    and the reminder is one the series holds (a withdrawal retires them)."""
    if message.kind is not MessageKind.REMINDER or message.group_id is None:
        return True
    if series is None or message.start is None:
        return False
    return attends(series, message.start) and message.message_id in series.reminders
