"""The notify table: the only module of this function that speaks DynamoDB.

Items (pk / sk):
- PERSON#<person> / PREFERENCES: preferences, contact data and SMS consent.
- PERSON#<person> / SMSCAP#D#<local day> and SMSCAP#W#<ISO week>: the SMS reminder limits,
  each holding the ids of the reminders it admitted (TTL `expires_at`).
- SESSION#<session> / NOTICES: the stream version notify last applied for the session and
  the reminders it holds (TTL after the session).
- MESSAGE#<message> / MESSAGE: one outgoing message. While pending it sits in gsi1 under
  DUE#<UTC day> (sort: due time#id); while claimed and not yet picked up by the sender,
  under LEASE#<UTC day> (sort: claim time#id), so a claim lost between the sweep's update
  and its SQS call is found again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, error_code, from_item, get_item, to_item
from functions.common.errors import FieldError, PreconditionFailed
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify.logic.caps import CapCounter, CapName
from functions.notify.logic.outbox import chunks
from functions.notify.logic.reminders import MAX_WRITES, SessionPlan
from functions.notify.models import Attempt, MessageRecord, PreferencesRecord, SessionNotices
from functions.notify.vocabulary import ENTITY_SMS_CAP, MessageStatus

BATCH_GET = 100
MAX_LEASES = 3
"""How many times a claim the sender never picked up is queued again."""
_PENDING = MessageStatus.PENDING.value
_QUEUED = MessageStatus.QUEUED.value


class Applied(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    """The session marker moved on: this version (or a later one) was applied already."""
    RACED = "raced"
    """A reminder to retire left the pending state meanwhile; plan again."""


class NotifyStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self._client = client

    # --- preferences and contact data ----------------------------------------------------------

    def get_preferences(self, person_id: str) -> PreferencesRecord | None:
        data = get_item(self._client, self.table, PreferencesRecord.key(person_id))
        return PreferencesRecord.from_attributes(data) if data else None

    def get_preferences_many(self, person_ids: Iterable[str]) -> dict[str, PreferencesRecord]:
        keys = [PreferencesRecord.key(p) for p in dict.fromkeys(person_ids)]
        return {item["person_id"]: PreferencesRecord.from_attributes(item) for item in self._batch_get(keys)}

    def put_preferences(
        self, record: PreferencesRecord, *, expected_version: int, audit_put: dict[str, Any] | None
    ) -> None:
        """Optimistic write (version 0 means: none saved yet), with its audit entry when a
        person's request made it."""
        condition: dict[str, Any]
        if expected_version == 0:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": to_item({":expected": expected_version}),
            }
        put = {"Put": {"TableName": self.table, "Item": to_item(record.to_attributes()), **condition}}
        try:
            self._client.transact_write_items(TransactItems=[put, *([audit_put] if audit_put else [])])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise PreconditionFailed(
                    "the preferences changed since you read them; fetch them again and retry",
                    errors=[FieldError("header.If-Match", "stale")],
                ) from exc
            raise

    # --- sessions: reminders and notices -------------------------------------------------------

    def get_session_notices(self, session_id: str) -> SessionNotices | None:
        data = get_item(self._client, self.table, SessionNotices.key(session_id))
        return SessionNotices.from_attributes(data) if data else None

    def apply_session_plan(self, plan: SessionPlan) -> Applied:
        """Write a plan in one transaction, conditioned on the marker it was made against:
        new messages (each only once), the retired reminders deleted while still pending."""
        marker = plan.marker
        put_marker: dict[str, Any] = {"TableName": self.table, "Item": to_item(marker.to_attributes())}
        if plan.expected_version is None:
            put_marker["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put_marker["ConditionExpression"] = "#v = :expected"
            put_marker["ExpressionAttributeNames"] = {"#v": "version"}
            put_marker["ExpressionAttributeValues"] = to_item({":expected": plan.expected_version})
        items: list[dict[str, Any]] = [{"Put": put_marker}]
        for message in plan.messages:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(message.to_attributes()),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        for retired in self.get_messages(plan.retire).values():
            if retired.status is MessageStatus.PENDING:
                items.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": to_item(MessageRecord.key(retired.message_id)),
                            "ConditionExpression": "#s = :pending",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": to_item({":pending": _PENDING}),
                        }
                    }
                )
        if len(items) > MAX_WRITES:
            raise ValueError(f"a session change of {len(items)} writes exceeds one transaction")
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return Applied.STALE
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                return Applied.RACED
            raise
        return Applied.APPLIED

    # --- the outbox ----------------------------------------------------------------------------

    def put_message(self, record: MessageRecord) -> None:
        self._client.put_item(
            TableName=self.table,
            Item=to_item(record.to_attributes()),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def put_new_messages(self, messages: Sequence[MessageRecord]) -> bool:
        """Write messages all at once, each only if it does not exist; False when they were
        written before (a redelivered stream record)."""
        if not messages:
            return True
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(message.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for message in messages
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException" and "ConditionalCheckFailed" in (
                cancellation_reasons(exc)
            ):
                return False
            raise
        return True

    def get_message(self, message_id: str) -> MessageRecord | None:
        data = get_item(self._client, self.table, MessageRecord.key(message_id))
        return MessageRecord.from_attributes(data) if data else None

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, MessageRecord]:
        keys = [MessageRecord.key(m) for m in dict.fromkeys(message_ids)]
        return {item["message_id"]: MessageRecord.from_attributes(item) for item in self._batch_get(keys)}

    def due_messages(self, bucket_day: datetime, now: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(message id, due-index sort key) of one day's pending messages due by `now`, oldest first."""
        return self._index_range(MessageRecord.due_bucket(bucket_day), iso(now) + "#~", limit)

    def stale_claims(self, bucket_day: datetime, before: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(message id, lease sort key) of messages claimed before `before` that the sender
        never picked up (a sweep died between claiming and queueing them, or SQS lost them)."""
        return self._index_range(MessageRecord.lease_bucket(bucket_day), iso(before) + "#~", limit)

    def _index_range(self, bucket: str, upto: str, limit: int) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        start: dict[str, Any] | None = None
        while len(found) < limit:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": GSI1,
                "KeyConditionExpression": "gsi1pk = :bucket AND gsi1sk <= :upto",
                "ExpressionAttributeValues": to_item({":bucket": bucket, ":upto": upto}),
                "ProjectionExpression": "message_id, gsi1sk",
                "Limit": limit - len(found),
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self._client.query(**kwargs)
            for raw in response.get("Items", []):
                item = from_item(raw)
                found.append((str(item["message_id"]), str(item["gsi1sk"])))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return found

    def claim(self, message_id: str, now: datetime) -> bool:
        """pending -> queued, only while still pending and due: of two sweeps racing for a
        message exactly one wins. The message moves from the due index to the lease index."""
        return self._update(
            message_id,
            "SET #s = :queued, claimed_at = :now, gsi1pk = :lease, gsi1sk = :lease_sk, lease_count = :one "
            "REMOVE received_at",
            "#s = :pending AND due_at <= :now",
            {
                ":queued": _QUEUED,
                ":pending": _PENDING,
                ":now": iso(now),
                ":lease": MessageRecord.lease_bucket(now),
                ":lease_sk": f"{iso(now)}#{message_id}",
                ":one": 1,
            },
        )

    def reclaim(self, message_id: str, claimed_sort_key: str, now: datetime) -> bool:
        """Take over a stale claim the sender never picked up (one sweep wins), at most
        `MAX_LEASES` times; after that the message is failed for an operator to look at."""
        values = {
            ":queued": _QUEUED,
            ":old": claimed_sort_key,
            ":max": MAX_LEASES,
            ":now": iso(now),
            ":lease": MessageRecord.lease_bucket(now),
            ":lease_sk": f"{iso(now)}#{message_id}",
            ":one": 1,
        }
        stale = "#s = :queued AND gsi1sk = :old AND attribute_not_exists(received_at)"
        if self._update(
            message_id,
            "SET claimed_at = :now, gsi1pk = :lease, gsi1sk = :lease_sk, lease_count = lease_count + :one",
            f"{stale} AND lease_count < :max",
            values,
        ):
            return True
        reason = "never picked up by the sender"
        self._update(
            message_id,
            "SET #s = :failed, status_reason = :reason, attempt_log = list_append("
            "if_not_exists(attempt_log, :empty), :entry) REMOVE gsi1pk, gsi1sk",
            f"{stale} AND lease_count >= :max",
            {
                ":queued": _QUEUED,
                ":old": claimed_sort_key,
                ":max": MAX_LEASES,
                ":failed": MessageStatus.FAILED.value,
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, MessageStatus.FAILED.value, reason)],
            },
        )
        return False

    def release_claim(self, message_id: str, now: datetime, due_sort_key: str) -> bool:
        """Give a claim back (SQS refused the message): pending again in the due index."""
        due = due_sort_key.split("#", 1)[0]
        return self._update(
            message_id,
            "SET #s = :pending, gsi1pk = :bucket, gsi1sk = :due_sk REMOVE claimed_at",
            "#s = :queued AND claimed_at = :now AND attribute_not_exists(received_at)",
            {
                ":queued": _QUEUED,
                ":pending": _PENDING,
                ":now": iso(now),
                ":bucket": "DUE#" + due[:10],
                ":due_sk": due_sort_key,
            },
        )

    # --- the sender's bookkeeping --------------------------------------------------------------

    def begin_attempt(self, message_id: str, now: datetime, *, claim: str | None = None) -> bool:
        """The sender has the message (of the claim `claim`, the sweep's claim time): count the
        attempt and leave the lease index. False when the message is no longer queued, or
        queued under another claim (an SQS copy of a claim that was taken over)."""
        values: dict[str, Any] = {":queued": _QUEUED, ":zero": 0, ":one": 1, ":now": iso(now)}
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

    def finish(self, message_id: str, status: MessageStatus, now: datetime, reason: str) -> bool:
        """A final outcome other than sent (skipped, dropped, cancelled, expired, failed)."""
        return self._update(
            message_id,
            "SET #s = :status, status_reason = :reason, attempt_log = list_append("
            "if_not_exists(attempt_log, :empty), :entry)",
            "#s = :queued",
            {
                ":queued": _QUEUED,
                ":status": status.value,
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, status.value, reason)],
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
                ":queued": _QUEUED,
                ":pending": _PENDING,
                ":due": iso(until),
                ":bucket": MessageRecord.due_bucket(until),
                ":due_sk": MessageRecord.due_sort_key(until, message_id),
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, "deferred", reason)],
            },
        )

    def mark_sent(self, message_id: str, provider_message_id: str, sent_at: datetime) -> bool:
        return self._update(
            message_id,
            "SET #s = :sent, provider_message_id = :pid, sent_at = :at, "
            "attempt_log = list_append(if_not_exists(attempt_log, :empty), :entry) "
            "REMOVE gsi1pk, gsi1sk, status_reason",
            "#s = :queued",
            {
                ":queued": _QUEUED,
                ":sent": MessageStatus.SENT.value,
                ":pid": provider_message_id,
                ":at": iso(sent_at),
                ":empty": [],
                ":entry": [_attempt(sent_at, MessageStatus.SENT.value, None)],
            },
        )

    def record_failure(self, message_id: str, now: datetime, reason: str, *, final: bool) -> bool:
        """A failed attempt: still queued (SQS retries it), or failed for good on the last one."""
        status = MessageStatus.FAILED if final else MessageStatus.QUEUED
        return self._update(
            message_id,
            "SET #s = :status, status_reason = :reason, "
            "attempt_log = list_append(if_not_exists(attempt_log, :empty), :entry)",
            "#s = :queued",
            {
                ":queued": _QUEUED,
                ":status": status.value,
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, "failed", reason)],
            },
        )

    # --- SMS reminder limits -------------------------------------------------------------------

    def reserve_sms(self, person_id: str, message_id: str, counters: Sequence[CapCounter]) -> CapName | None:
        """Count one SMS reminder against every limit at once, or against none: the name of
        the limit it would exceed, else None. Counting the same reminder again is free."""
        items = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(_cap_key(person_id, counter)),
                    "UpdateExpression": "ADD ids :ids SET entity = :entity, expires_at = :expires",
                    "ConditionExpression": (
                        "attribute_not_exists(ids) OR contains(ids, :id) OR size(ids) < :limit"
                    ),
                    "ExpressionAttributeValues": {
                        ":ids": {"SS": [message_id]},
                        ":id": {"S": message_id},
                        ":limit": {"N": str(counter.limit)},
                        ":entity": {"S": ENTITY_SMS_CAP},
                        ":expires": {"N": str(int(counter.expires_at.timestamp()))},
                    },
                }
            }
            for counter in counters
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            for counter, reason in zip(counters, reasons, strict=False):
                if reason == "ConditionalCheckFailed":
                    return counter.name
            raise
        return None

    def release_sms(self, person_id: str, message_id: str, counters: Sequence[CapCounter]) -> None:
        """Give back what `reserve_sms` counted (the text did not go out)."""
        for counter in counters:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(_cap_key(person_id, counter)),
                UpdateExpression="DELETE ids :ids",
                ExpressionAttributeValues={":ids": {"SS": [message_id]}},
            )

    def sms_cap_count(self, person_id: str, counter: CapCounter) -> int:
        data = get_item(self._client, self.table, _cap_key(person_id, counter))
        return len(data.get("ids", [])) if data else 0

    # --- helpers -------------------------------------------------------------------------------

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(keys, BATCH_GET):
            request: dict[str, Any] = {
                self.table: {"Keys": [to_item(key) for key in chunk], "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                found += [from_item(item) for item in response.get("Responses", {}).get(self.table, [])]
                request = response.get("UnprocessedKeys") or {}
        return found

    def _update(self, message_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(MessageRecord.key(message_id)),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _cap_key(person_id: str, counter: CapCounter) -> dict[str, str]:
    return {"pk": f"PERSON#{person_id}", "sk": counter.sort_key}


def _attempt(at: datetime, outcome: str, reason: str | None) -> dict[str, Any]:
    return Attempt(at=at, outcome=outcome, reason=reason).model_dump(mode="json") | {"at": iso(at)}
