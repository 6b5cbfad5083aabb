"""Notifications' shapes: input, output and stored, mapped explicitly."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from functions.common.models import Email, LocalTime, StoredRecord, TimeZone, iso
from functions.notify import keys
from functions.notify.logic.contact import normalise_mobile
from functions.notify.vocabulary import (
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    DEFAULT_SMS_OFFSETS_MINUTES,
    DEFAULT_TOPIC_CHANNELS,
    ENTITY_DLQ_INCIDENT,
    ENTITY_FAILURE,
    ENTITY_GROUP_SERIES,
    ENTITY_JOB_RUN,
    ENTITY_MESSAGE,
    ENTITY_PREFERENCES,
    ENTITY_SESSION_NOTICES,
    ENTITY_UPCOMING,
    FINAL_STATUSES,
    Channel,
    Language,
    MessageKind,
    MessageStatus,
    SeriesRole,
    SeriesStatus,
    Topic,
)

ReminderOffset = Annotated[int, Field(ge=5, le=7 * 24 * 60, description="Minutes before the session.")]

MobileNumber = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, strip_whitespace=True),
    AfterValidator(normalise_mobile),
    Field(
        description="A mobile number that can receive texts, in any common form (US numbers without "
        "a country code are fine); stored and returned in E.164.",
        examples=["+15125550100", "(512) 555-0100"],
    ),
]


def _distinct_descending(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("reminder offsets must be distinct")
    return sorted(value, reverse=True)


def _distinct_channels(value: dict[Topic, list[Channel]]) -> dict[Topic, list[Channel]]:
    for channels in value.values():
        if len(set(channels)) != len(channels):
            raise ValueError("a channel is named twice for one topic")
    return value


ReminderOffsets = Annotated[list[ReminderOffset], Field(max_length=3), AfterValidator(_distinct_descending)]
TopicChannels = Annotated[
    dict[Topic, list[Channel]],
    AfterValidator(_distinct_channels),
    Field(
        description="The channels each kind of message goes to (texts only with SMS consent and a "
        "mobile number). An empty list: none of that kind.",
        examples=[{"reminders": ["sms", "email"], "changes": ["email"]}],
    ),
]


def _default_topic_channels() -> dict[Topic, tuple[Channel, ...]]:
    return dict(DEFAULT_TOPIC_CHANNELS)


class PreferencesBase(BaseModel):
    """The choices every preferences document has had from the start."""

    email_enabled: bool = True
    sms_enabled: bool = False
    quiet_hours_start: LocalTime = Field(default=time(21, 0), description="Local time quiet hours begin.")
    quiet_hours_end: LocalTime = Field(default=time(8, 0), description="Local time quiet hours end.")
    reminder_offsets_minutes: ReminderOffsets = Field(
        default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS_MINUTES),
        description="Email reminders: minutes before the session.",
    )


class Choices(PreferencesBase):
    """A person's choices as stored (the contact data lives beside them on the record)."""

    model_config = ConfigDict(frozen=True)

    channels: dict[Topic, tuple[Channel, ...]] = Field(default_factory=_default_topic_channels)

    def channels_for(self, topic: Topic) -> tuple[Channel, ...]:
        return self.channels.get(topic, DEFAULT_TOPIC_CHANNELS[topic])


class PreferencesIn(PreferencesBase):
    """A person's notification preferences and contact details (PUT replaces them).

    The choices above are replaced as sent (left out: the program default). The contact
    details and channels below arrived later: left out, they keep what is on file, so a
    client that predates them never erases them; `null` removes an email or mobile number.
    """

    model_config = ConfigDict(extra="forbid")

    email: Email | None = None
    mobile_phone: MobileNumber | None = None
    time_zone: TimeZone | None = None
    language: Language | None = None
    channels: TopicChannels | None = None
    sms_reminder_offsets_minutes: ReminderOffsets | None = Field(
        default=None, description="Text reminders: minutes before the session (default 120)."
    )
    sms_consent: bool | None = Field(
        default=None,
        description="true: consent to texts at the mobile number (recorded with its time and source); "
        "false: withdraw it. Left out: unchanged, except that a new mobile number needs consent anew.",
    )

    def given(self, name: str) -> bool:
        """Whether the request named this field (even as null)."""
        return name in self.model_fields_set


class SmsConsent(BaseModel):
    """When and how the person agreed to receive texts; revoked by STOP and its kin."""

    model_config = ConfigDict(frozen=True)

    granted_at: datetime
    source: str = Field(description="Where consent was given, e.g. `web`, `sms_start`, `coordinator`.")
    revoked_at: datetime | None = None
    revoked_source: str | None = Field(
        default=None, description="How it was withdrawn, e.g. `web`, `sms_stop`."
    )

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class SmsConsentOut(BaseModel):
    active: bool
    granted_at: datetime
    source: str
    revoked_at: datetime | None = None
    revoked_source: str | None = None


class PreferencesOut(PreferencesBase):
    """What a person has chosen and the contact details notify holds (program defaults until
    first saved). Only the person and coordinators ever see it."""

    person_id: str
    channels: dict[Topic, list[Channel]]
    email: str | None = None
    mobile_phone: str | None = Field(default=None, description="E.164")
    time_zone: str | None = None
    language: Language = Language.EN
    sms_reminder_offsets_minutes: list[int]
    sms_consent: SmsConsentOut | None = None
    updated_at: datetime | None = None


class PreferencesRecord(BaseModel):
    """A person's notification settings as stored: their choices and the contact data notify
    needs (email, mobile number, zone, language, SMS consent). The notify function owns them
    and never reads the schedule table's profiles."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    preferences: Choices
    updated_at: datetime
    version: int
    email: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    language: Language = Language.EN
    sms_consent: SmsConsent | None = None
    sms_reminder_offsets_minutes: tuple[ReminderOffset, ...] = DEFAULT_SMS_OFFSETS_MINUTES
    profile_version: int | None = None
    """The version of the person's profile (schedule) whose email and mobile number these are;
    None: no profile mirrored yet (`logic/preferences.mirror_profile`)."""
    deactivated: bool = False
    """The person was deactivated (discharge, departure): nothing is sent to them."""

    # Stored beside the choices.
    CONTACT_FIELDS: ClassVar[tuple[str, ...]] = (
        "email",
        "phone",
        "time_zone",
        "language",
        "sms_consent",
        "sms_reminder_offsets_minutes",
        "profile_version",
        "deactivated",
    )

    @property
    def sms_consented(self) -> bool:
        return self.sms_consent is not None and self.sms_consent.active

    def to_attributes(self) -> dict[str, Any]:
        data = {
            **keys.preferences_key(self.person_id),
            "entity": ENTITY_PREFERENCES,
            "person_id": self.person_id,
            **self.preferences.model_dump(mode="json"),
            **self.model_dump(mode="json", include=set(self.CONTACT_FIELDS)),
            "updated_at": iso(self.updated_at),
            "version": self.version,
        }
        if self.time_zone:
            # The weekly digest finds the people of a zone whose Sunday evening it is.
            data |= keys.zone_index(self.time_zone, self.person_id)
        if self.sms_consent is not None:
            data["sms_consent"] = {
                "granted_at": iso(self.sms_consent.granted_at),
                "source": self.sms_consent.source,
                "revoked_at": iso(self.sms_consent.revoked_at) if self.sms_consent.revoked_at else None,
                "revoked_source": self.sms_consent.revoked_source,
            }
        return data

    @classmethod
    def from_attributes(cls, data: dict[str, Any]) -> PreferencesRecord:
        choices = Choices.model_validate({k: v for k, v in data.items() if k in Choices.model_fields})
        return cls(
            person_id=data["person_id"],
            preferences=choices,
            updated_at=data["updated_at"],
            version=data["version"],
            **{k: data[k] for k in cls.CONTACT_FIELDS if data.get(k) is not None},
        )


class PhoneNumbers(BaseModel):
    """Who has a mobile number on file: `PHONE#<e164>` -> the person ids (partners may share
    one phone), kept with each preferences write so an inbound text finds them in one read."""

    model_config = ConfigDict(frozen=True)

    phone: str
    person_ids: tuple[str, ...] = ()


class UpcomingSession(StoredRecord):
    """One person's place in one booked session, kept while it is ahead: their next session
    is the first of their items in gsi1 `NEXT#<person>` (sorted by start), which is what a
    texted C confirms. Written, moved and removed with the session's reminders."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    session_id: str
    start: datetime
    end: datetime
    session_version: int
    """The session version whose times this is."""
    time_zone: str | None = None
    """The person's zone at booking (what a confirmation's reply states the time in)."""
    session_type: str | None = None
    """What the weekly digest's email names it (never an SMS)."""
    confirmed_at: datetime | None = None
    confirmed_via: str | None = None

    RETAIN_AFTER_END: ClassVar[timedelta] = timedelta(days=35)

    def to_attributes(self) -> dict[str, Any]:
        data = {
            **keys.upcoming_key(self.person_id, self.session_id),
            "entity": ENTITY_UPCOMING,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            **keys.upcoming_index(self.person_id, self.start, self.session_id),
            "expires_at": int((self.end.astimezone(UTC) + self.RETAIN_AFTER_END).timestamp()),
        }
        if self.confirmed_at is not None:
            data["confirmed_at"] = iso(self.confirmed_at)
        return data


class Attempt(BaseModel):
    """One thing that happened to a message on its way out (kept on the message)."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    outcome: str
    reason: str | None = None


class MessageRecord(StoredRecord):
    """One outgoing message: written pending with a due time, claimed by a sweep onto the
    queue, and sent (or skipped, deferred, dropped) once by the sender.

    Generated messages carry their `kind` and the facts to render from (session times,
    zone, detail); the words are rendered at send time in the person's language and the
    address is looked up then, so the outbox holds no message bodies or addresses. A
    free-form message (no kind) carries its own `to` and `text`.
    """

    model_config = ConfigDict(frozen=True)

    message_id: str
    person_id: str
    channel: Channel
    kind: MessageKind | None = None
    to: str | None = None
    subject: str | None = None
    text: str | None = None
    due_at: datetime
    status: MessageStatus = MessageStatus.PENDING
    # what session kinds render from
    session_id: str | None = None
    session_version: int | None = None
    group_id: str | None = None
    """A group occurrence's reminder: the series (the occurrence is `start`)."""
    session_type: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    previous_start: datetime | None = None
    time_zone: str | None = None
    offset_minutes: int | None = None
    detail: dict[str, Any] | None = None
    # delivery
    created_at: datetime | None = None
    claimed_at: datetime | None = None
    received_at: datetime | None = None
    attempts: int = 0
    attempt_log: list[Attempt] = Field(default_factory=list)
    status_reason: str | None = None
    provider_message_id: str | None = None
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    """When it reached its final status (sent, skipped, failed ...)."""

    def to_attributes(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **keys.message_key(self.message_id),
            "entity": ENTITY_MESSAGE,
            **self.model_dump(mode="json"),
            "due_at": iso(self.due_at),
        }
        for name in _MESSAGE_TIMES:
            moment = getattr(self, name)
            if moment is not None:
                data[name] = iso(moment)
        if self.status is MessageStatus.PENDING:
            # Only pending messages sit in the due index the minute sweep reads.
            data |= keys.due_index(self.due_at, self.message_id)
        elif self.status in FINAL_STATUSES:
            # A finished message is part of its person's history (newest last in the index).
            finished = self.finished_at or self.created_at or self.due_at
            data["finished_at"] = iso(finished)
            data |= keys.history_index(self.person_id, finished, self.message_id)
        return data


_MESSAGE_TIMES = (
    "start",
    "end",
    "previous_start",
    "created_at",
    "claimed_at",
    "received_at",
    "sent_at",
    "finished_at",
)


class FinishedMessage(StoredRecord):
    """What a person's history index holds of a finished message (read by projection)."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    kind: MessageKind | None = None
    channel: Channel
    status: MessageStatus
    finished_at: datetime
    status_reason: str | None = None


class FailureRecord(StoredRecord):
    """A message that failed for good (its last delivery before the dead-letter queue, or a
    claim the sender never picked up), listed for coordinators under `FAILED#<UTC month>`,
    newest first. Identifiers and the provider's error code only: no address, no words."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    person_id: str
    channel: Channel
    kind: MessageKind | None = None
    reason: str
    failed_at: datetime
    attempts: int = 0

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.failure_key(self.failed_at, self.message_id),
            "entity": ENTITY_FAILURE,
            **self.model_dump(mode="json"),
            "failed_at": iso(self.failed_at),
        }


class SessionNotices(StoredRecord):
    """Notify's marker of one session: the stream version it last applied and the reminders
    it holds for it. Every change is conditioned on the marker, so a redelivered or stale
    stream record never creates, moves or resurrects a reminder."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    version: int
    """The session version last applied."""
    times_version: int
    """The session version whose times the current reminders were planned for."""
    status: str
    start: datetime
    end: datetime
    reminder_ids: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    """Who holds an upcoming-session item of it (attendees and clinicians of `times_version`)."""

    RETAIN_AFTER_END: ClassVar[timedelta] = timedelta(days=35)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.session_notices_key(self.session_id),
            "entity": ENTITY_SESSION_NOTICES,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            "expires_at": int((self.end.astimezone(UTC) + self.RETAIN_AFTER_END).timestamp()),
        }


# --- what the history routes return -------------------------------------------------------------


class HistoryEntry(BaseModel):
    """One message that reached its final status: what it was about and how it went, never
    its words or the address it went to."""

    message_id: str
    kind: MessageKind | None = Field(default=None, description="Empty for a free-form message.")
    channel: Channel
    status: MessageStatus
    at: datetime = Field(description="When it reached this status.")
    reason: str | None = Field(default=None, description="Why it was not sent, when it was not.")


class HistoryPage(BaseModel):
    items: list[HistoryEntry]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next (older) page.")


class FailureEntry(BaseModel):
    message_id: str
    person_id: str
    kind: MessageKind | None = None
    channel: Channel
    failed_at: datetime
    reason: str = Field(description="The provider's error code or the sender's reason (no message text).")
    attempts: int


class FailuresPage(BaseModel):
    month: str = Field(description="The UTC month listed, YYYY-MM.")
    items: list[FailureEntry]
    next_cursor: str | None = None


class GroupSeries(StoredRecord):
    """One person's place in one group series, as notify keeps it from the participant's
    GROUP_ENROLMENT stream records: what it takes to expand the occurrences (rule, first
    start, zone, length), when they joined and left, and the group reminders planned for
    them (id -> occurrence start), which is what a withdrawal retires and what the sender
    checks a group reminder against. While enrolled it sits in gsi1 `GSERIES` (sort:
    group#person), the bucket the hourly group-reminder job reads.

    The group's facilitator has one too (`role` facilitator, under the facilitator's person
    id: schedule enrols participants only, so it never meets a participant's item), kept
    from the participants' items: `participants` lists who is enrolled under them, and it
    is enrolled exactly while that list is not empty (`logic.groups.facilitator_joined` /
    `facilitator_left`)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    group_id: str
    group_type: str | None = None
    title: str | None = None
    facilitator_id: str | None = None
    rrule: str
    first_start: datetime
    time_zone: str
    duration_minutes: int
    status: SeriesStatus
    since: str
    """The enrolment's `since` (when schedule last changed it): older stream records lose."""
    joined_at: datetime | None = None
    left_at: datetime | None = None
    revision: int = 0
    """Bumped by every write; the group-reminder job writes only over the revision it read."""
    reminders: dict[str, str] = Field(default_factory=dict)
    role: SeriesRole = SeriesRole.PARTICIPANT
    participants: tuple[str, ...] = ()
    """A facilitator's item: the ids of the participants enrolled under them, sorted (never
    put on a message). Empty on a participant's item."""

    @property
    def active(self) -> bool:
        return self.status is SeriesStatus.ENROLLED

    def to_attributes(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **keys.group_series_key(self.person_id, self.group_id),
            "entity": ENTITY_GROUP_SERIES,
            **self.model_dump(mode="json"),
            "first_start": self.first_start.isoformat(),
            "joined_at": iso(self.joined_at) if self.joined_at else None,
            "left_at": iso(self.left_at) if self.left_at else None,
        }
        if self.active:
            data |= keys.group_series_index(self.group_id, self.person_id)
        return data


class JobRun(StoredRecord):
    """That an hourly job finished its work for one UTC hour (`JOB#<name>` / `HOUR#<hour>`),
    so running it every minute does the work once an hour, and a run that failed is
    repeated by the next one."""

    model_config = ConfigDict(frozen=True)

    job: str
    hour: str
    finished_at: datetime

    RETAIN: ClassVar[timedelta] = timedelta(days=2)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.job_run_key(self.job, self.hour),
            "entity": ENTITY_JOB_RUN,
            "job": self.job,
            "hour": self.hour,
            "finished_at": iso(self.finished_at),
            "expires_at": int((self.finished_at.astimezone(UTC) + self.RETAIN).timestamp()),
        }


class DlqIncident(StoredRecord):
    """The send queue's dead-letter queue holding messages, from the sweep that first found it
    non-empty (and alerted the coordinators) until one finds it empty again
    (`ALERT#DLQ#<queue>` / `INCIDENT`). Its queue's name and counts only."""

    model_config = ConfigDict(frozen=True)

    queue: str
    incident_id: str
    """Unique per incident: its alerts' ids derive from it."""
    opened_at: datetime
    waiting: int
    """How many messages the queue held when the incident opened."""

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.dlq_incident_key(self.queue),
            "entity": ENTITY_DLQ_INCIDENT,
            "queue": self.queue,
            "incident_id": self.incident_id,
            "opened_at": iso(self.opened_at),
            "waiting": self.waiting,
        }
