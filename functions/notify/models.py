"""Notifications' shapes: input, output and stored, mapped explicitly."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.common.models import StoredRecord, iso
from functions.notify.vocabulary import (
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    DEFAULT_SMS_OFFSETS_MINUTES,
    ENTITY_MESSAGE,
    ENTITY_PREFERENCES,
    ENTITY_SESSION_NOTICES,
    Channel,
    Language,
    MessageKind,
    MessageStatus,
)

ReminderOffset = Annotated[int, Field(ge=5, le=7 * 24 * 60, description="Minutes before the session.")]


class PreferencesIn(BaseModel):
    """The whole set of a person's notification preferences (PUT replaces it)."""

    model_config = ConfigDict(extra="forbid")

    email_enabled: bool = True
    sms_enabled: bool = False
    quiet_hours_start: time = Field(default=time(21, 0), description="Local time quiet hours begin.")
    quiet_hours_end: time = Field(default=time(8, 0), description="Local time quiet hours end.")
    reminder_offsets_minutes: list[ReminderOffset] = Field(
        default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS_MINUTES), max_length=3
    )

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("reminder offsets must be distinct")
        return sorted(value, reverse=True)


class PreferencesOut(PreferencesIn):
    model_config = ConfigDict(extra="ignore")

    updated_at: datetime | None = None


class SmsConsent(BaseModel):
    """When and how the person agreed to receive texts; revoked by STOP and its kin."""

    model_config = ConfigDict(frozen=True)

    granted_at: datetime
    source: str = Field(description="Where consent was given, e.g. `web`, `sms_start`, `coordinator`.")
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PreferencesRecord(BaseModel):
    """A person's notification settings as stored. Besides what the preferences route edits,
    it keeps the contact data notify needs (email, mobile number, zone, language, SMS consent):
    the notify function owns them and never reads the schedule table's profiles."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    preferences: PreferencesIn
    updated_at: datetime
    version: int
    email: str | None = None
    phone: str | None = None
    time_zone: str | None = None
    language: Language = Language.EN
    sms_consent: SmsConsent | None = None
    sms_reminder_offsets_minutes: tuple[ReminderOffset, ...] = DEFAULT_SMS_OFFSETS_MINUTES

    # Stored-only fields: a preferences update through the route carries them over.
    CONTACT_FIELDS: ClassVar[tuple[str, ...]] = (
        "email",
        "phone",
        "time_zone",
        "language",
        "sms_consent",
        "sms_reminder_offsets_minutes",
    )

    @property
    def sms_consented(self) -> bool:
        return self.sms_consent is not None and self.sms_consent.active

    @staticmethod
    def key(person_id: str) -> dict[str, str]:
        return {"pk": f"PERSON#{person_id}", "sk": "PREFERENCES"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id),
            "entity": ENTITY_PREFERENCES,
            "person_id": self.person_id,
            **self.preferences.model_dump(mode="json"),
            **self.model_dump(mode="json", include=set(self.CONTACT_FIELDS)),
            "updated_at": iso(self.updated_at),
            "version": self.version,
        }

    @classmethod
    def from_attributes(cls, data: dict[str, Any]) -> PreferencesRecord:
        prefs = PreferencesIn.model_validate(
            {k: v for k, v in data.items() if k in PreferencesIn.model_fields}
        )
        return cls(
            person_id=data["person_id"],
            preferences=prefs,
            updated_at=data["updated_at"],
            version=data["version"],
            **{k: data[k] for k in cls.CONTACT_FIELDS if data.get(k) is not None},
        )


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

    @staticmethod
    def key(message_id: str) -> dict[str, str]:
        return {"pk": f"MESSAGE#{message_id}", "sk": "MESSAGE"}

    @staticmethod
    def due_bucket(moment: datetime) -> str:
        return "DUE#" + iso(moment)[:10]

    @staticmethod
    def due_sort_key(moment: datetime, message_id: str) -> str:
        return f"{iso(moment)}#{message_id}"

    @staticmethod
    def lease_bucket(moment: datetime) -> str:
        return "LEASE#" + iso(moment)[:10]

    def to_attributes(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.key(self.message_id),
            "entity": ENTITY_MESSAGE,
            **self.model_dump(mode="json"),
            "due_at": iso(self.due_at),
        }
        for name in ("start", "end", "previous_start", "created_at", "claimed_at", "received_at", "sent_at"):
            moment = getattr(self, name)
            if moment is not None:
                data[name] = iso(moment)
        if self.status is MessageStatus.PENDING:
            # Only pending messages sit in the due index the minute sweep reads.
            data["gsi1pk"] = self.due_bucket(self.due_at)
            data["gsi1sk"] = self.due_sort_key(self.due_at, self.message_id)
        return data


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

    RETAIN_AFTER_END: ClassVar[timedelta] = timedelta(days=35)

    @staticmethod
    def key(session_id: str) -> dict[str, str]:
        return {"pk": f"SESSION#{session_id}", "sk": "NOTICES"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.session_id),
            "entity": ENTITY_SESSION_NOTICES,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            "expires_at": int((self.end.astimezone(UTC) + self.RETAIN_AFTER_END).timestamp()),
        }
