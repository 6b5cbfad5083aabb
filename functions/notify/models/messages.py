"""Outgoing messages as stored: the outbox record, what a person's history reads of a
finished one, and a failure listed for coordinators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.common.models import StoredRecord, iso
from functions.notify import keys
from functions.notify.vocabulary import (
    ENTITY_FAILURE,
    ENTITY_MESSAGE,
    FINAL_STATUSES,
    Channel,
    MessageKind,
    MessageStatus,
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
