"""Preferences, contact details and SMS consent: what a person sends and reads (the API
models) and what notify stores of them, mapped explicitly; the mobile-number lookup."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from functions.common.models import Email, LocalTime, TimeZone, iso
from functions.notify import keys
from functions.notify.logic.contact import normalise_mobile
from functions.notify.vocabulary import (
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    DEFAULT_SMS_OFFSETS_MINUTES,
    DEFAULT_TOPIC_CHANNELS,
    ENTITY_PREFERENCES,
    Channel,
    Language,
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
