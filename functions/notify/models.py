"""Notifications' shapes: input, output and stored, mapped explicitly."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.common.models import StoredRecord, iso
from functions.notify.vocabulary import (
    DEFAULT_REMINDER_OFFSETS_MINUTES,
    ENTITY_MESSAGE,
    ENTITY_PREFERENCES,
    Channel,
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


class PreferencesRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    preferences: PreferencesIn
    updated_at: datetime
    version: int

    @staticmethod
    def key(person_id: str) -> dict[str, str]:
        return {"pk": f"PERSON#{person_id}", "sk": "PREFERENCES"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id),
            "entity": ENTITY_PREFERENCES,
            "person_id": self.person_id,
            **self.preferences.model_dump(mode="json"),
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
        )


class MessageRecord(StoredRecord):
    """One outgoing message: written pending with a due time, swept onto the queue, sent once."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    person_id: str
    channel: Channel
    to: str
    subject: str | None = None
    text: str
    due_at: datetime
    status: MessageStatus = MessageStatus.PENDING
    provider_message_id: str | None = None
    sent_at: datetime | None = None

    @staticmethod
    def key(message_id: str) -> dict[str, str]:
        return {"pk": f"MESSAGE#{message_id}", "sk": "MESSAGE"}

    @staticmethod
    def due_bucket(moment: datetime) -> str:
        return "DUE#" + iso(moment)[:10]

    def to_attributes(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **self.key(self.message_id),
            "entity": ENTITY_MESSAGE,
            **self.model_dump(mode="json"),
            "due_at": iso(self.due_at),
        }
        if self.status is MessageStatus.PENDING:
            # Only pending messages sit in the due index the minute sweep reads.
            data["gsi1pk"] = self.due_bucket(self.due_at)
            data["gsi1sk"] = f"{iso(self.due_at)}#{self.message_id}"
        return data
