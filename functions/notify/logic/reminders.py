"""What a session's stream record owes people: reminders and notices. No boto3.

A session item's stream record carries its whole state (new image, and the old one on a
change). Reminders follow the state: a booked session has one pending reminder per
attendee and clinician, channel and offset; moving it replaces them; cancelling it
retires them. Notices follow the change: booked, moved, cancelled. Everything is planned
against notify's marker of the session (the version it last applied), and every id is
derived from the session, its version, the person, the channel (and the offset), so the
same record planned twice plans the same messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from functions.contracts.schedule import SessionEvent
from functions.notify.logic.quiet_hours import QuietHours, defer
from functions.notify.models import MessageRecord, PreferencesRecord, SessionNotices, UpcomingSession
from functions.notify.vocabulary import (
    DEFAULT_EMAIL_OFFSETS_MINUTES,
    DEFAULT_TOPIC_CHANNELS,
    TOPIC_OF,
    Channel,
    Language,
    MessageKind,
    MessageStatus,
    Topic,
)

BOOKED = "booked"
EVENT_OF_TYPE = {
    "session.booked": "booked",
    "session.rescheduled": "rescheduled",
    "session.cancelled": "cancelled",
    "attendance.recorded": "attendance_recorded",
}
"""The lifecycle change each published session event stands for."""
ACTIONABLE_EVENTS = frozenset({"booked", "rescheduled", "cancelled"})
"""Session events notify acts on (attendance is coverage's and schedule's business)."""
DROPPED = MessageStatus.DROPPED_QUIET_HOURS
MAX_WRITES = 100
"""DynamoDB's limit of items in one transaction."""


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass(frozen=True)
class SessionSnapshot:
    """What notify plans from of a session (from schedule's published session events)."""

    session_id: str
    version: int
    status: str
    event: str
    type: str
    start: datetime
    end: datetime
    clinician_ids: tuple[str, ...]
    attendee_ids: tuple[str, ...]
    time_zones: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: SessionEvent) -> tuple[SessionSnapshot, SessionSnapshot | None]:
        """The session a session event tells of, and as it was before (None when new)."""
        data = event.data
        session = cls(
            session_id=data.session_id,
            version=data.revision,
            status=data.status,
            event=EVENT_OF_TYPE.get(event.type, ""),
            type=data.type,
            start=data.start,
            end=data.end,
            clinician_ids=data.clinician_ids,
            attendee_ids=data.attendee_ids,
            time_zones=dict(data.time_zones),
        )
        before = data.previous
        if before is None:
            return session, None
        return session, replace(session, status=before.status, start=before.start, end=before.end)

    @property
    def booked(self) -> bool:
        return self.status == BOOKED

    @property
    def people(self) -> tuple[str, ...]:
        """Attendees (both partners of a couples session) and clinicians, each once."""
        return tuple(dict.fromkeys((*self.attendee_ids, *self.clinician_ids)))


def _default_topics() -> dict[Topic, tuple[Channel, ...]]:
    return dict(DEFAULT_TOPIC_CHANNELS)


@dataclass(frozen=True)
class Recipient:
    """How one person is to be told: their zone, language, quiet hours, the channels they
    can be reached on, which of them each topic goes to, and per channel the reminder
    offsets (empty: no reminders)."""

    person_id: str
    zone: str
    language: Language = Language.EN
    quiet: QuietHours = field(default_factory=QuietHours)
    channels: tuple[Channel, ...] = (Channel.EMAIL,)
    offsets: Mapping[Channel, tuple[int, ...]] = field(default_factory=dict)
    topics: Mapping[Topic, tuple[Channel, ...]] = field(default_factory=_default_topics)

    def channels_for(self, kind: MessageKind) -> tuple[Channel, ...]:
        """The reachable channels this kind of message goes to, by the person's choice."""
        topic = TOPIC_OF[kind]
        chosen = self.topics.get(topic, DEFAULT_TOPIC_CHANNELS[topic])
        return tuple(channel for channel in self.channels if channel in chosen)

    @classmethod
    def of(cls, person_id: str, prefs: PreferencesRecord | None, *, fallback_zone: str) -> Recipient:
        """Program defaults without saved preferences: email only (24 h before); SMS never
        without consent on file."""
        if prefs is None:
            return cls(
                person_id=person_id,
                zone=fallback_zone,
                quiet=QuietHours(zone=fallback_zone),
                channels=(Channel.EMAIL,),
                offsets={Channel.EMAIL: DEFAULT_EMAIL_OFFSETS_MINUTES},
            )
        zone = prefs.time_zone or fallback_zone
        chosen = prefs.preferences
        channels: list[Channel] = []
        offsets: dict[Channel, tuple[int, ...]] = {}
        if chosen.email_enabled:
            channels.append(Channel.EMAIL)
            offsets[Channel.EMAIL] = tuple(chosen.reminder_offsets_minutes)
        # Texts are planned once consent was ever given, even while it is withdrawn: the
        # sender checks consent when each is due, so a START before then brings them back
        # (and a STOP skips them). Without any consent on file, none are planned.
        if chosen.sms_enabled and prefs.sms_consent is not None and prefs.phone:
            channels.append(Channel.SMS)
            offsets[Channel.SMS] = tuple(sorted(prefs.sms_reminder_offsets_minutes, reverse=True))
        return cls(
            person_id=person_id,
            zone=zone,
            language=prefs.language,
            quiet=QuietHours(chosen.quiet_hours_start, chosen.quiet_hours_end, zone),
            channels=tuple(channels),
            offsets=offsets,
            topics={topic: chosen.channels_for(topic) for topic in Topic},
        )


def recipients_of(
    session: SessionSnapshot, preferences: Mapping[str, PreferencesRecord | None]
) -> list[Recipient]:
    return [
        Recipient.of(person, preferences.get(person), fallback_zone=session.time_zones.get(person, "UTC"))
        for person in session.people
    ]


def reminder_id(session_id: str, version: int, person_id: str, channel: Channel, offset: int) -> str:
    return f"rem.{session_id}.v{version}.{person_id}.{channel.value}.{offset}"


def notice_id(session_id: str, version: int, person_id: str, channel: Channel) -> str:
    return f"ntc.{session_id}.v{version}.{person_id}.{channel.value}"


def quiet_hours_apply(kind: MessageKind | None, channel: Channel) -> bool:
    """Every reminder and every text waits out quiet hours; an email telling someone about a
    change just made goes at once."""
    return kind is MessageKind.REMINDER or channel is Channel.SMS


def notice_due(kind: MessageKind, channel: Channel, person: Recipient, now: datetime) -> datetime:
    """Now, or (texts) the end of the person's quiet hours."""
    if quiet_hours_apply(kind, channel):
        return defer(now, person.quiet, session_start=None).due
    return now


def _session_fields(session: SessionSnapshot) -> dict[str, Any]:
    return {
        "session_id": session.session_id,
        "session_version": session.version,
        "session_type": session.type or None,
        "start": session.start,
        "end": session.end,
    }


def plan_reminders(
    session: SessionSnapshot, recipients: Iterable[Recipient], now: datetime
) -> list[MessageRecord]:
    """One reminder per person, channel and offset still ahead of `now`; those quiet hours
    would push past the start are recorded as dropped, and two that quiet hours would send
    at the same moment on one channel become one."""
    planned: list[MessageRecord] = []
    for person in recipients:
        planned += plan_person_reminders(
            person,
            session.start,
            now,
            make_id=partial(reminder_id, session.session_id, session.version, person.person_id),
            fields=_session_fields(session),
        )
    return planned


def plan_person_reminders(
    person: Recipient,
    start: datetime,
    now: datetime,
    *,
    make_id: Callable[[Channel, int], str],
    fields: Mapping[str, Any],
    not_before: datetime | None = None,
) -> list[MessageRecord]:
    """One person's reminders of one appointment starting at `start` (a session or a group
    occurrence): per channel and offset, due `offset` minutes before, deferred past quiet
    hours (dropped when that reaches the start; merged when two land together).

    An offset whose time has passed is left out, unless `not_before` is given and its time
    is at or after it: then it is due now (a job catching up on a run it missed)."""
    planned: list[MessageRecord] = []
    for channel in person.channels_for(MessageKind.REMINDER):
        taken: set[datetime] = set()
        for offset in sorted(person.offsets.get(channel, ()), reverse=True):
            due = start - timedelta(minutes=offset)
            if due <= now:
                if not_before is None or due < not_before or start <= now:
                    continue  # too late for this one; the booking notice said it all
                due = now
            deferral = defer(due, person.quiet, session_start=start)
            status, reason = MessageStatus.PENDING, None
            if deferral.dropped:
                status, reason = DROPPED, "session starts before quiet hours end"
            elif deferral.due in taken:
                status, reason = DROPPED, "quiet hours merged it with another"
            else:
                taken.add(deferral.due)
            planned.append(
                MessageRecord(
                    message_id=make_id(channel, offset),
                    person_id=person.person_id,
                    channel=channel,
                    kind=MessageKind.REMINDER,
                    due_at=deferral.due,
                    status=status,
                    status_reason=reason,
                    time_zone=person.zone,
                    offset_minutes=offset,
                    created_at=now,
                    **fields,
                )
            )
    return planned


def plan_notices(
    session: SessionSnapshot,
    kind: MessageKind,
    recipients: Iterable[Recipient],
    now: datetime,
    *,
    previous_start: datetime | None = None,
) -> list[MessageRecord]:
    """A notice for every attendee and clinician on each of their channels, due now (texts
    wait out quiet hours)."""
    notices: list[MessageRecord] = []
    for person in recipients:
        for channel in person.channels_for(kind):
            due = notice_due(kind, channel, person, now)
            notices.append(
                MessageRecord(
                    message_id=notice_id(session.session_id, session.version, person.person_id, channel),
                    person_id=person.person_id,
                    channel=channel,
                    kind=kind,
                    due_at=due,
                    time_zone=person.zone,
                    previous_start=previous_start,
                    created_at=now,
                    **_session_fields(session),
                )
            )
    return notices


@dataclass(frozen=True)
class SessionPlan:
    """What one stream record changes in the notify table, as one transaction."""

    marker: SessionNotices
    expected_version: int | None
    """The marker version the plan was made against (None: there was no marker)."""
    messages: tuple[MessageRecord, ...]
    retire: tuple[str, ...]
    """Reminders to delete, each only while it is still pending."""
    upcoming: tuple[UpcomingSession, ...] = ()
    """Each person's upcoming-session item to write (new, or moved to the new times)."""
    leave: tuple[str, ...] = ()
    """People whose upcoming-session item of this session goes (cancelled, or no longer in it)."""

    @property
    def writes(self) -> int:
        return 1 + len(self.messages) + len(self.retire) + len(self.upcoming) + len(self.leave)


def _notice_kind(
    session: SessionSnapshot, previous: SessionSnapshot | SessionNotices | None
) -> MessageKind | None:
    if session.event not in ACTIONABLE_EVENTS:
        return None
    if not session.booked:
        was_booked = previous is None or previous.status == BOOKED
        return MessageKind.CANCELLED if was_booked else None
    if previous is None or previous.status != BOOKED:
        return MessageKind.RESCHEDULED if session.event == "rescheduled" else MessageKind.BOOKED
    if (previous.start, previous.end) != (session.start, session.end):
        return MessageKind.RESCHEDULED
    return None


def plan_session_change(
    session: SessionSnapshot,
    *,
    old: SessionSnapshot | None,
    marker: SessionNotices | None,
    recipients: Iterable[Recipient],
    now: datetime,
) -> SessionPlan | None:
    """The plan for one session record, or None when there is nothing to do: an event notify
    does not act on, or a version the marker shows already applied (a redelivered or stale
    record, which must neither repeat notices nor resurrect reminders)."""
    if session.event not in ACTIONABLE_EVENTS:
        return None
    if marker is not None and session.version <= marker.version:
        return None
    people = list(recipients)
    previous: SessionSnapshot | SessionNotices | None = old if old is not None else marker
    kind = _notice_kind(session, previous)
    messages: list[MessageRecord] = []
    if kind is not None:
        previous_start = previous.start if kind is MessageKind.RESCHEDULED and previous else None
        messages += plan_notices(session, kind, people, now, previous_start=previous_start)

    held = marker.reminder_ids if marker else ()
    holders = marker.people if marker else ()
    times_version = marker.times_version if marker else session.version
    retire: tuple[str, ...] = ()
    reminder_ids = held
    upcoming: tuple[UpcomingSession, ...] = ()
    leave: tuple[str, ...] = ()
    if not session.booked:
        retire, reminder_ids = held, ()
        leave, holders = tuple(dict.fromkeys((*holders, *session.people))), ()
    elif (
        marker is None
        or marker.status != BOOKED
        or (marker.start, marker.end) != (session.start, session.end)
    ):
        reminders = plan_reminders(session, people, now)
        messages += reminders
        retire = held
        reminder_ids = tuple(r.message_id for r in reminders if r.status is MessageStatus.PENDING)
        times_version = session.version
        upcoming = plan_upcoming(session, now)
        staying = tuple(u.person_id for u in upcoming)
        leave, holders = tuple(p for p in holders if p not in staying), staying
    return SessionPlan(
        marker=SessionNotices(
            session_id=session.session_id,
            version=session.version,
            times_version=times_version,
            status=session.status,
            start=session.start,
            end=session.end,
            reminder_ids=reminder_ids,
            people=holders,
        ),
        expected_version=marker.version if marker else None,
        messages=tuple(messages),
        retire=retire,
        upcoming=upcoming,
        leave=leave,
    )


def plan_upcoming(session: SessionSnapshot, now: datetime) -> tuple[UpcomingSession, ...]:
    """Everyone's upcoming-session item of a booked session still ahead (none once it has
    begun: nothing is left to confirm). A move rewrites them, so a confirmation of the old
    times does not carry over to the new ones."""
    if session.start <= now:
        return ()
    return tuple(
        UpcomingSession(
            person_id=person,
            session_id=session.session_id,
            start=session.start,
            end=session.end,
            session_version=session.version,
            time_zone=session.time_zones.get(person),
            session_type=session.type or None,
        )
        for person in session.people
    )


def reminder_still_current(message: MessageRecord, marker: SessionNotices | None) -> bool:
    """A reminder may go only while its session is booked at the times it was planned for."""
    if message.kind is not MessageKind.REMINDER or message.session_id is None:
        return True
    if marker is None:
        return False
    return marker.status == BOOKED and message.message_id in marker.reminder_ids
