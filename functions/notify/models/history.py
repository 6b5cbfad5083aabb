"""What the history routes return: a person's finished messages and the month's failures."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from functions.notify.vocabulary import Channel, MessageKind, MessageStatus


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
