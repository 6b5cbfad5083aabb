"""Notifications' domain vocabulary: the one place these words are spelt."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class MessageStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


ENTITY_PREFERENCES = "PREFERENCES"
ENTITY_MESSAGE = "MESSAGE"

# Program defaults for reminders: a day before and an hour before.
DEFAULT_REMINDER_OFFSETS_MINUTES = (1440, 60)
