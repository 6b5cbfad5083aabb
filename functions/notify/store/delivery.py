"""The sender's bookkeeping: an attempt begun, and its outcome (sent, deferred, finished
otherwise, failed once or for good), each recorded on the message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.common.models import iso
from functions.notify import keys
from functions.notify.models import MessageRecord
from functions.notify.store.messages import (
    INTO_HISTORY,
    PENDING,
    QUEUED,
    OutboxStore,
    attempt_entry,
    history_values,
)
from functions.notify.vocabulary import MessageStatus


class DeliveryStore(OutboxStore):
    def begin_attempt(self, message_id: str, now: datetime, *, claim: str | None = None) -> bool:
        """The sender has the message (of the claim `claim`, the sweep's claim time): count the
        attempt and leave the lease index. False when the message is no longer queued, or
        queued under another claim (an SQS copy of a claim that was taken over)."""
        values: dict[str, Any] = {":queued": QUEUED, ":zero": 0, ":one": 1, ":now": iso(now)}
        condition = "#s = :queued"
        if claim:
            condition += " AND claimed_at = :claim"
            values[":claim"] = claim
        return self._update(
            message_id,
            "SET attempts = if_not_exists(attempts, :zero) + :one, received_at = :now REMOVE gsi1pk, gsi1sk",
            condition,
            values,
        )

    def finish(self, message: MessageRecord, status: MessageStatus, now: datetime, reason: str) -> bool:
        """A final outcome other than sent (skipped, dropped, cancelled, expired, failed)."""
        return self._update(
            message.message_id,
            "SET #s = :status, status_reason = :reason, attempt_log = list_append("
            f"if_not_exists(attempt_log, :empty), :entry), {INTO_HISTORY}",
            "#s = :queued",
            {
                ":queued": QUEUED,
                ":status": status.value,
                ":reason": reason,
                ":empty": [],
                ":entry": [attempt_entry(now, status.value, reason)],
                **history_values(message, now),
            },
        )

    def defer(self, message_id: str, until: datetime, now: datetime, reason: str) -> bool:
        """Back to pending with a later due time (quiet hours)."""
        return self._update(
            message_id,
            "SET #s = :pending, due_at = :due, gsi1pk = :bucket, gsi1sk = :due_sk, status_reason = :reason, "
            "attempt_log = list_append(if_not_exists(attempt_log, :empty), :entry) REMOVE claimed_at",
            "#s = :queued",
            {
                ":queued": QUEUED,
                ":pending": PENDING,
                ":due": iso(until),
                ":bucket": keys.due_bucket(until),
                ":due_sk": keys.due_sort_key(until, message_id),
                ":reason": reason,
                ":empty": [],
                ":entry": [attempt_entry(now, "deferred", reason)],
            },
        )

    def mark_sent(self, message: MessageRecord, provider_message_id: str, sent_at: datetime) -> bool:
        return self._update(
            message.message_id,
            "SET #s = :sent, provider_message_id = :pid, sent_at = :at, "
            f"attempt_log = list_append(if_not_exists(attempt_log, :empty), :entry), {INTO_HISTORY} "
            "REMOVE status_reason",
            "#s = :queued",
            {
                ":queued": QUEUED,
                ":sent": MessageStatus.SENT.value,
                ":pid": provider_message_id,
                ":at": iso(sent_at),
                ":empty": [],
                ":entry": [attempt_entry(sent_at, MessageStatus.SENT.value, None)],
                **history_values(message, sent_at),
            },
        )

    def record_failure(
        self, message: MessageRecord, now: datetime, reason: str, *, final: bool, attempts: int
    ) -> bool:
        """A failed attempt: still queued (SQS retries it), or, on the last one, failed for
        good: then it joins the person's history and the coordinators' list of failures."""
        if final:
            return self._fail_for_good(
                message, now, reason, condition="#s = :queued", values={}, outcome="failed", attempts=attempts
            )
        return self._update(
            message.message_id,
            "SET status_reason = :reason, "
            "attempt_log = list_append(if_not_exists(attempt_log, :empty), :entry)",
            "#s = :queued",
            {
                ":queued": QUEUED,
                ":reason": reason,
                ":empty": [],
                ":entry": [attempt_entry(now, "failed", reason)],
            },
        )
