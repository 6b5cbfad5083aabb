"""The notify table: the only module of this function that speaks DynamoDB.

Items (pk / sk):
- PERSON#<person> / PREFERENCES: preferences, contact data and SMS consent.
- PHONE#<e164> / PERSONS: the ids of the people with that mobile number on file (a string
  set, kept in the preferences write), so an inbound text finds its sender in one read.
- PERSON#<person> / UPCOMING#<session>: the person's place in a booked session still ahead,
  in gsi1 under NEXT#<person> (sort: start#session), so their next session is one Query;
  a texted C records its confirmation here (TTL after the session).
- PERSON#<person> / SMSCAP#D#<local day> and SMSCAP#W#<ISO week>: the SMS reminder limits,
  each holding the ids of the reminders it admitted (TTL `expires_at`).
- SESSION#<session> / NOTICES: the stream version notify last applied for the session and
  the reminders it holds (TTL after the session).
- MESSAGE#<message> / MESSAGE: one outgoing message. While pending it sits in gsi1 under
  DUE#<UTC day> (sort: due time#id); while claimed and not yet picked up by the sender,
  under LEASE#<UTC day> (sort: claim time#id), so a claim lost between the sweep's update
  and its SQS call is found again. Once final (sent, skipped, failed ...) it joins its
  person's history: gsi1 HIST#<person> (sort: finished time#id).
- FAILED#<UTC month> / <failed time>#<message>: a message that failed for good, for the
  coordinators' list of failures (newest first, one Query).
- PERSON#<person> / GSERIES#<group>: the person's place in a group series (from their
  GROUP_ENROLMENT stream records) and the group reminders planned for it; while enrolled in
  gsi1 under GSERIES (sort: group#person), which the hourly group-reminder job reads. The
  group's facilitator has one as well (role `facilitator`, listing the participants enrolled
  under them), written in the same transaction as each participant's item that joins or
  leaves it.
- The preferences item of a person with a zone sits in gsi1 under ZONE#<IANA zone> (sort:
  person), which the hourly digest job reads for the zones where it is Sunday evening.
- JOB#<job> / HOUR#<UTC hour>: an hourly job finished that hour's work (TTL).
- ALERT#DLQ#<queue> / INCIDENT: the send queue's DLQ holds messages and the coordinators were
  alerted (open until a sweep finds the queue empty).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import (
    cancellation_reasons,
    error_code,
    from_item,
    get_item,
    to_item,
)
from functions.common.errors import BadRequest, FieldError, PreconditionFailed
from functions.common.http import decode_cursor, encode_cursor
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify import keys
from functions.notify.logic.caps import CapCounter, CapName
from functions.notify.logic.groups import (
    SeriesChange,
    facilitator_joined,
    facilitator_left,
    facilitator_moves,
)
from functions.notify.logic.outbox import chunks
from functions.notify.logic.reminders import MAX_WRITES, SessionPlan
from functions.notify.models import (
    Attempt,
    DlqIncident,
    FailureRecord,
    FinishedMessage,
    GroupSeries,
    JobRun,
    MessageRecord,
    PhoneNumbers,
    PreferencesRecord,
    SessionNotices,
    SmsConsent,
    UpcomingSession,
)
from functions.notify.vocabulary import ENTITY_PHONE, ENTITY_SMS_CAP, MessageStatus, SeriesRole, SeriesStatus

BATCH_GET = 100
MAX_SERIES_TRIES = 5
"""Reads and plans of one enrolment record before the stream retries it: participants of one
group share their facilitator's item, so their records can race for it."""
MAX_LEASES = 3
"""How many times a claim the sender never picked up is queued again."""
_PENDING = MessageStatus.PENDING.value
_QUEUED = MessageStatus.QUEUED.value
_HISTORY_FIELDS = ("message_id", "kind", "channel", "status", "finished_at", "status_reason")


@dataclass(frozen=True)
class SeriesApplied:
    stale: bool = False
    """A later enrolment record was applied already: nothing changed."""
    retired: tuple[str, ...] = ()
    """The pending reminders a withdrawal deleted (the participant's and, when it ended the
    facilitator's item, the facilitator's)."""
    facilitators: tuple[GroupSeries, ...] = ()
    """The facilitators' series items as the change left them (the ones it wrote)."""


class SeriesRaced(RuntimeError):
    """The series item kept changing under an enrolment record; the stream retries it."""


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
        data = get_item(self._client, self.table, keys.preferences_key(person_id))
        return PreferencesRecord.from_attributes(data) if data else None

    def get_preferences_many(self, person_ids: Iterable[str]) -> dict[str, PreferencesRecord]:
        wanted = [keys.preferences_key(p) for p in dict.fromkeys(person_ids)]
        return {
            item["person_id"]: PreferencesRecord.from_attributes(item) for item in self._batch_get(wanted)
        }

    def put_preferences(
        self,
        record: PreferencesRecord,
        *,
        expected_version: int,
        audit_puts: Sequence[dict[str, Any]] = (),
        previous_phone: str | None = None,
    ) -> None:
        """Optimistic write (version 0 means: none saved yet), with its audit entries when a
        person's request made it, and the mobile-number lookup moved along with the number."""
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
        items: list[dict[str, Any]] = [put]
        if record.phone:
            items.append(self._phone_update(record.phone, record.person_id, "ADD"))
        if previous_phone and previous_phone != record.phone:
            items.append(self._phone_update(previous_phone, record.person_id, "DELETE"))
        items += audit_puts
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise PreconditionFailed(
                    "the preferences changed since you read them; fetch them again and retry",
                    errors=[FieldError("header.If-Match", "stale")],
                ) from exc
            raise

    def _phone_update(self, phone: str, person_id: str, action: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.phone_key(phone)),
                "UpdateExpression": f"{action} person_ids :me SET entity = :entity",
                "ExpressionAttributeValues": to_item({":me": {person_id}, ":entity": ENTITY_PHONE}),
            }
        }

    def people_with_phone(self, phone: str) -> PhoneNumbers:
        """Who has this mobile number on file (one GetItem); nobody: an empty tuple."""
        data = get_item(self._client, self.table, keys.phone_key(phone))
        people = sorted(str(p) for p in (data or {}).get("person_ids") or ())
        return PhoneNumbers(phone=phone, person_ids=tuple(people))

    def revoke_sms_consent(
        self, person_id: str, phone: str, now: datetime, source: str, audit_put: dict[str, Any]
    ) -> bool:
        """Withdraw the person's active consent to texts at `phone`, at once; False when
        there was none to withdraw. A new version, so no edit read before it can undo it."""
        return self._consent_update(
            person_id,
            "SET sms_consent.revoked_at = :now, sms_consent.revoked_source = :source, "
            "version = version + :one, updated_at = :now",
            "phone = :phone AND attribute_exists(sms_consent) "
            "AND attribute_not_exists(sms_consent.revoked_at)",
            {":now": iso(now), ":source": source, ":one": 1, ":phone": phone},
            audit_put,
        )

    def grant_sms_consent(
        self, person_id: str, phone: str, now: datetime, source: str, audit_put: dict[str, Any]
    ) -> bool:
        """Record fresh consent to texts at `phone` unless consent is already active."""
        consent = SmsConsent(granted_at=now, source=source)
        return self._consent_update(
            person_id,
            "SET sms_consent = :consent, version = version + :one, updated_at = :now",
            "phone = :phone "
            "AND (attribute_not_exists(sms_consent) OR attribute_exists(sms_consent.revoked_at))",
            {
                ":consent": {"granted_at": iso(consent.granted_at), "source": consent.source},
                ":now": iso(now),
                ":one": 1,
                ":phone": phone,
            },
            audit_put,
        )

    def _consent_update(
        self,
        person_id: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        audit_put: dict[str, Any],
    ) -> bool:
        item = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.preferences_key(person_id)),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[item, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException" and cancellation_reasons(exc)[:1] == [
                "ConditionalCheckFailed"
            ]:
                return False
            raise
        return True

    # --- upcoming sessions and their confirmation ----------------------------------------------

    def next_session(self, person_id: str, now: datetime) -> UpcomingSession | None:
        """The person's next booked session that has not begun (one Query of gsi1)."""
        response = self._client.query(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket AND gsi1sk > :now",
            ExpressionAttributeValues=to_item(
                {":bucket": keys.next_bucket(person_id), ":now": keys.since(now)}
            ),
            Limit=1,
        )
        items = response.get("Items", [])
        return UpcomingSession.from_attributes(from_item(items[0])) if items else None

    def get_upcoming(self, person_id: str, session_id: str) -> UpcomingSession | None:
        data = get_item(self._client, self.table, keys.upcoming_key(person_id, session_id))
        return UpcomingSession.from_attributes(data) if data else None

    def confirm_session(
        self, upcoming: UpcomingSession, now: datetime, via: str, audit_put: dict[str, Any]
    ) -> bool:
        """Record that the person confirmed the session at its current times; False when it
        moved or went meanwhile."""
        item = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.upcoming_key(upcoming.person_id, upcoming.session_id)),
                "UpdateExpression": "SET confirmed_at = :now, confirmed_via = :via",
                "ConditionExpression": "gsi1sk = :sk",
                "ExpressionAttributeValues": to_item(
                    {
                        ":now": iso(now),
                        ":via": via,
                        ":sk": keys.upcoming_sort_key(upcoming.start, upcoming.session_id),
                    }
                ),
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[item, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException" and cancellation_reasons(exc)[:1] == [
                "ConditionalCheckFailed"
            ]:
                return False
            raise
        return True

    # --- history -------------------------------------------------------------------------------

    def history(
        self, person_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[FinishedMessage], str | None]:
        """A person's finished messages, newest first (one Query of gsi1). Only what the
        history shows is read: never an address or a message's words."""
        bucket = keys.history_bucket(person_id)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :bucket",
            "ExpressionAttributeValues": to_item({":bucket": bucket}),
            "ExpressionAttributeNames": {f"#{name}": name for name in _HISTORY_FIELDS},
            "ProjectionExpression": ", ".join(f"#{name}" for name in _HISTORY_FIELDS),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, expected_keys=set(keys.INDEX_PAGE))
        if start:
            _same_partition(start, bucket, index=True)
            kwargs["ExclusiveStartKey"] = to_item(start)
        response = self._client.query(**kwargs)
        records = FinishedMessage.readable(from_item(raw) for raw in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        return records, encode_cursor(from_item(last) if last else None)

    def failures(
        self, month: str, *, limit: int, cursor: str | None
    ) -> tuple[list[FailureRecord], str | None]:
        """Messages that failed for good in one UTC month, newest first (one Query)."""
        bucket = keys.failures_pk(month)
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :bucket",
            "ExpressionAttributeValues": to_item({":bucket": bucket}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = decode_cursor(cursor, expected_keys=set(keys.TABLE_PAGE))
        if start:
            _same_partition(start, bucket, index=False)
            kwargs["ExclusiveStartKey"] = to_item(start)
        response = self._client.query(**kwargs)
        records = FailureRecord.readable(from_item(raw) for raw in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        return records, encode_cursor(from_item(last) if last else None)

    # --- sessions: reminders and notices -------------------------------------------------------

    def get_session_notices(self, session_id: str) -> SessionNotices | None:
        data = get_item(self._client, self.table, keys.session_notices_key(session_id))
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
        for upcoming in plan.upcoming:
            items.append({"Put": {"TableName": self.table, "Item": to_item(upcoming.to_attributes())}})
        for person_id in plan.leave:
            key = keys.upcoming_key(person_id, marker.session_id)
            items.append({"Delete": {"TableName": self.table, "Key": to_item(key)}})
        for retired in self.get_messages(plan.retire).values():
            if retired.status is MessageStatus.PENDING:
                items.append(
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": to_item(keys.message_key(retired.message_id)),
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
        return self._put_all_new([message.to_attributes() for message in messages])

    def _put_all_new(self, items: Sequence[dict[str, Any]]) -> bool:
        """Put `items` in one transaction, each only if it does not exist yet; False (and
        nothing written) when any of them does."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": to_item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    }
                    for item in items
                ]
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException" and "ConditionalCheckFailed" in (
                cancellation_reasons(exc)
            ):
                return False
            raise
        return True

    def get_message(self, message_id: str) -> MessageRecord | None:
        data = get_item(self._client, self.table, keys.message_key(message_id))
        return MessageRecord.from_attributes(data) if data else None

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, MessageRecord]:
        wanted = [keys.message_key(m) for m in dict.fromkeys(message_ids)]
        return {record.message_id: record for record in MessageRecord.readable(self._batch_get(wanted))}

    def due_messages(self, bucket_day: datetime, now: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(message id, due-index sort key) of one day's pending messages due by `now`, oldest first."""
        return self._index_range(keys.due_bucket(bucket_day), keys.up_to(now), limit)

    def stale_claims(self, bucket_day: datetime, before: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(message id, lease sort key) of messages claimed before `before` that the sender
        never picked up (a sweep died between claiming and queueing them, or SQS lost them)."""
        return self._index_range(keys.lease_bucket(bucket_day), keys.up_to(before), limit)

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
                found.append((str(item["message_id"]), keys.index_sort_key(item)))
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
                ":lease": keys.lease_bucket(now),
                ":lease_sk": keys.lease_sort_key(now, message_id),
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
            ":lease": keys.lease_bucket(now),
            ":lease_sk": keys.lease_sort_key(now, message_id),
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
        message = self.get_message(message_id)
        if message is None:
            return False
        self._fail_for_good(
            message,
            now,
            reason,
            condition=f"{stale} AND lease_count >= :max",
            values={":old": claimed_sort_key, ":max": MAX_LEASES},
            outcome=MessageStatus.FAILED.value,
            attempts=message.attempts,
        )
        return False

    def release_claim(self, message_id: str, now: datetime, due_sort_key: str) -> bool:
        """Give a claim back (SQS refused the message): pending again in the due index."""
        return self._update(
            message_id,
            "SET #s = :pending, gsi1pk = :bucket, gsi1sk = :due_sk REMOVE claimed_at",
            "#s = :queued AND claimed_at = :now AND attribute_not_exists(received_at)",
            {
                ":queued": _QUEUED,
                ":pending": _PENDING,
                ":now": iso(now),
                ":bucket": keys.due_bucket_of(due_sort_key),
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

    def finish(self, message: MessageRecord, status: MessageStatus, now: datetime, reason: str) -> bool:
        """A final outcome other than sent (skipped, dropped, cancelled, expired, failed)."""
        return self._update(
            message.message_id,
            "SET #s = :status, status_reason = :reason, attempt_log = list_append("
            f"if_not_exists(attempt_log, :empty), :entry), {_INTO_HISTORY}",
            "#s = :queued",
            {
                ":queued": _QUEUED,
                ":status": status.value,
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, status.value, reason)],
                **_history_values(message, now),
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
                ":bucket": keys.due_bucket(until),
                ":due_sk": keys.due_sort_key(until, message_id),
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, "deferred", reason)],
            },
        )

    def mark_sent(self, message: MessageRecord, provider_message_id: str, sent_at: datetime) -> bool:
        return self._update(
            message.message_id,
            "SET #s = :sent, provider_message_id = :pid, sent_at = :at, "
            f"attempt_log = list_append(if_not_exists(attempt_log, :empty), :entry), {_INTO_HISTORY} "
            "REMOVE status_reason",
            "#s = :queued",
            {
                ":queued": _QUEUED,
                ":sent": MessageStatus.SENT.value,
                ":pid": provider_message_id,
                ":at": iso(sent_at),
                ":empty": [],
                ":entry": [_attempt(sent_at, MessageStatus.SENT.value, None)],
                **_history_values(message, sent_at),
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
                ":queued": _QUEUED,
                ":reason": reason,
                ":empty": [],
                ":entry": [_attempt(now, "failed", reason)],
            },
        )

    def _fail_for_good(
        self,
        message: MessageRecord,
        now: datetime,
        reason: str,
        *,
        condition: str,
        values: dict[str, Any],
        outcome: str,
        attempts: int,
    ) -> bool:
        failure = FailureRecord(
            message_id=message.message_id,
            person_id=message.person_id,
            channel=message.channel,
            kind=message.kind,
            reason=reason,
            failed_at=now,
            attempts=attempts,
        )
        update = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.message_key(message.message_id)),
                "UpdateExpression": "SET #s = :failed, status_reason = :reason, attempt_log = list_append("
                f"if_not_exists(attempt_log, :empty), :entry), {_INTO_HISTORY}",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":queued": _QUEUED,
                        ":failed": MessageStatus.FAILED.value,
                        ":reason": reason,
                        ":empty": [],
                        ":entry": [_attempt(now, outcome, reason)],
                        **_history_values(message, now),
                        **values,
                    }
                ),
            }
        }
        put = {
            "Put": {
                "TableName": self.table,
                "Item": to_item(failure.to_attributes()),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[update, put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException" and "ConditionalCheckFailed" in (
                cancellation_reasons(exc)
            ):
                return False
            raise
        return True

    # --- SMS reminder limits -------------------------------------------------------------------

    def reserve_sms(self, person_id: str, message_id: str, counters: Sequence[CapCounter]) -> CapName | None:
        """Count one SMS reminder against every limit at once, or against none: the name of
        the limit it would exceed, else None. Counting the same reminder again is free."""
        items = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.sms_cap_key(person_id, counter.sort_key)),
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
                Key=to_item(keys.sms_cap_key(person_id, counter.sort_key)),
                UpdateExpression="DELETE ids :ids",
                ExpressionAttributeValues={":ids": {"SS": [message_id]}},
            )

    def sms_cap_count(self, person_id: str, counter: CapCounter) -> int:
        data = get_item(self._client, self.table, keys.sms_cap_key(person_id, counter.sort_key))
        return len(data.get("ids", [])) if data else 0

    # --- group series and their reminders --------------------------------------------------------

    def get_group_series(self, person_id: str, group_id: str) -> GroupSeries | None:
        data = get_item(self._client, self.table, keys.group_series_key(person_id, group_id))
        return GroupSeries.from_attributes(data) if data else None

    def apply_series_change(self, change: SeriesChange) -> SeriesApplied:
        """Keep or end a person's series item from an enrolment record, conditioned on the
        revision read: an enrolment is recorded (the reminders planned so far kept); a
        withdrawal ends it and, in the same transaction, deletes its reminders still
        pending. A record older than the one applied (by `since`) changes nothing.

        The facilitators' items change in the same transaction, each conditioned on the
        revision read: the participant joins the item of the facilitator they are enrolled
        under and leaves the one they were under before (withdrawn, or the series has another
        facilitator now); an item left by its last participant ends, and its pending
        reminders are deleted with it. Two participants' records racing for one facilitator's
        item cannot both win: the loser reads again and plans again."""
        incoming = change.series
        for _ in range(MAX_SERIES_TRIES):
            current = self.get_group_series(incoming.person_id, incoming.group_id)
            if current is not None and current.since > incoming.since:
                return SeriesApplied(stale=True)
            retire: list[str] = []
            kept = current.reminders if current else {}
            if change.end:
                retire = self._pending(kept)
                kept = {}
            record = incoming.model_copy(
                update={"reminders": kept, "revision": (current.revision if current else 0) + 1}
            )
            moves = self._facilitator_moves(current, record)
            for before, after in moves:
                if before is not None and not after.active:
                    retire += self._pending(before.reminders)
            puts = [self._series_put(record, current), *(self._series_put(a, b) for b, a in moves)]
            room = MAX_WRITES - len(puts)
            in_transaction, after_commit = retire[:room], retire[room:]
            items = [*puts, *(self._delete_pending(ident) for ident in in_transaction)]
            try:
                self._client.transact_write_items(TransactItems=items)
            except ClientError as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                continue  # the series, a facilitator's item or a reminder moved: read and plan again
            for ident in after_commit:
                self._delete_pending_now(ident)
            return SeriesApplied(retired=tuple(retire), facilitators=tuple(a for _, a in moves))
        raise SeriesRaced(f"group series {incoming.group_id} kept racing")

    def _facilitator_moves(
        self, current: GroupSeries | None, record: GroupSeries
    ) -> list[tuple[GroupSeries | None, GroupSeries]]:
        """(facilitator's item as read, as it is to be) for each facilitator's item a
        participant's change from `current` to `record` changes."""
        left, under = facilitator_moves(current, record)
        moves: list[tuple[GroupSeries | None, GroupSeries]] = []
        if left is not None:
            before = self.get_group_series(left, record.group_id)
            after = facilitator_left(before, record)
            if after is not None:
                moves.append((before, after))
        if under is not None:
            before = self.get_group_series(under, record.group_id)
            after = facilitator_joined(before, record)
            if after is not None:
                moves.append((before, after))
        return moves

    def join_facilitator(self, participant: GroupSeries) -> GroupSeries | None:
        """Put an enrolled participant, as read, into their facilitator's item (the hourly
        job's catch-up for items written before facilitators had one), conditioned on the
        participant's item still being at the revision read and enrolled, so a withdrawal
        that landed meanwhile wins. The facilitator's item afterwards when it is active with
        them in it; None when the participant moved on meanwhile (or has no facilitator)."""
        if participant.role is not SeriesRole.PARTICIPANT or participant.facilitator_id is None:
            return None
        before = self.get_group_series(participant.facilitator_id, participant.group_id)
        after = facilitator_joined(before, participant)
        if after is None:
            held = before is not None and before.active and participant.person_id in before.participants
            return before if held else None
        check = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": to_item(keys.group_series_key(participant.person_id, participant.group_id)),
                "ConditionExpression": "revision = :revision AND #s = :enrolled",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item(
                    {":revision": participant.revision, ":enrolled": SeriesStatus.ENROLLED.value}
                ),
            }
        }
        try:
            self._client.transact_write_items(TransactItems=[check, self._series_put(after, before)])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                return None  # the participant or the facilitator's item moved on; the next run sees
            raise
        return after

    def _series_put(self, record: GroupSeries, current: GroupSeries | None) -> dict[str, Any]:
        """A series item written over the revision read (or only if there was none)."""
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(record.to_attributes())}
        if current is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "revision = :revision"
            put["ExpressionAttributeValues"] = to_item({":revision": current.revision})
        return {"Put": put}

    def _pending(self, reminders: Iterable[str]) -> list[str]:
        return [
            m.message_id for m in self.get_messages(reminders).values() if m.status is MessageStatus.PENDING
        ]

    def _delete_pending(self, message_id: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": to_item(keys.message_key(message_id)),
                "ConditionExpression": "#s = :pending",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item({":pending": _PENDING}),
            }
        }

    def _delete_pending_now(self, message_id: str) -> bool:
        try:
            self._client.delete_item(**self._delete_pending(message_id)["Delete"])
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def active_series(self) -> Iterator[GroupSeries]:
        """Every person's series they are enrolled in (gsi1 `GSERIES`, paged; no Scan)."""
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": GSI1,
                "KeyConditionExpression": "gsi1pk = :bucket",
                "ExpressionAttributeValues": to_item({":bucket": keys.GROUP_SERIES_BUCKET}),
            }
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self._client.query(**kwargs)
            yield from GroupSeries.readable(from_item(raw) for raw in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    def person_series(self, person_id: str) -> list[GroupSeries]:
        """The person's series items (one Query of their partition)."""
        items = self._query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.person_pk(person_id), ":prefix": keys.GROUP_SERIES_PREFIX}
            ),
        )
        return GroupSeries.readable(items)

    def existing_messages(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these messages exist (BatchGetItem, ids only)."""
        wanted = [keys.message_key(m) for m in dict.fromkeys(message_ids)]
        found: set[str] = set()
        for chunk in chunks(wanted, BATCH_GET):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [to_item(key) for key in chunk],
                    "ProjectionExpression": "message_id",
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                found |= {
                    str(from_item(item)["message_id"])
                    for item in response.get("Responses", {}).get(self.table, [])
                }
                request = response.get("UnprocessedKeys") or {}
        return found

    def write_group_reminders(
        self, series: GroupSeries, messages: Sequence[MessageRecord], reminders: dict[str, str]
    ) -> bool:
        """New reminders of a series and its list of them, in one transaction (per 99
        reminders, each advancing the revision) conditioned on the revision read and the
        person still enrolled; False when the series moved on (a withdrawal, another run) or
        a reminder was written meanwhile: then that transaction wrote nothing."""
        chunk_size = MAX_WRITES - 1
        revision = series.revision
        batches = list(chunks(messages, chunk_size)) or [[]]
        for index, batch in enumerate(batches):
            last = index == len(batches) - 1
            planned = (
                reminders if last else {**series.reminders, **_starts(messages[: (index + 1) * chunk_size])}
            )
            update = {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.group_series_key(series.person_id, series.group_id)),
                    "UpdateExpression": "SET reminders = :reminders, revision = :next",
                    "ConditionExpression": "revision = :revision AND #s = :enrolled",
                    "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":reminders": planned,
                            ":revision": revision,
                            ":next": revision + 1,
                            ":enrolled": SeriesStatus.ENROLLED.value,
                        }
                    ),
                }
            }
            puts = [
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(message.to_attributes()),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for message in batch
            ]
            try:
                self._client.transact_write_items(TransactItems=[update, *puts])
            except ClientError as exc:
                if error_code(exc) == "TransactionCanceledException" and "ConditionalCheckFailed" in (
                    cancellation_reasons(exc)
                ):
                    return False
                raise
            revision += 1
        return True

    # --- the weekly digest ---------------------------------------------------------------------

    def people_in_zone(self, zone: str) -> list[str]:
        """Everyone whose saved preferences name this zone (gsi1 `ZONE#<zone>`, paged)."""
        items = self._query_all(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket",
            ExpressionAttributeValues=to_item({":bucket": keys.zone_bucket(zone)}),
            ProjectionExpression="person_id",
        )
        return [str(item["person_id"]) for item in items]

    def upcoming_between(self, person_id: str, start: datetime, end: datetime) -> list[UpcomingSession]:
        """The person's booked sessions beginning within [start, end) (one Query of gsi1)."""
        items = self._query_all(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket AND gsi1sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":bucket": keys.next_bucket(person_id), ":from": keys.since(start), ":to": keys.since(end)}
            ),
        )
        return [u for u in UpcomingSession.readable(items) if start <= u.start < end]

    # --- hourly jobs ---------------------------------------------------------------------------

    def job_done(self, job: str, hour: str) -> bool:
        return get_item(self._client, self.table, keys.job_run_key(job, hour)) is not None

    def mark_job_done(self, run: JobRun) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(run.to_attributes()))

    # --- dead-letter incidents -----------------------------------------------------------------

    def get_dlq_incident(self, queue: str) -> DlqIncident | None:
        data = get_item(self._client, self.table, keys.dlq_incident_key(queue))
        return DlqIncident.from_attributes(data) if data else None

    def open_dlq_incident(self, incident: DlqIncident, alerts: Sequence[MessageRecord]) -> bool:
        """Record the incident and its alerts at once, only if no incident of the queue is open;
        False when one is (another sweep opened it first)."""
        return self._put_all_new([incident.to_attributes(), *(m.to_attributes() for m in alerts)])

    def close_dlq_incident(self, incident: DlqIncident) -> bool:
        """End this incident (not a later one another sweep opened meanwhile)."""
        try:
            self._client.delete_item(
                TableName=self.table,
                Key=to_item(keys.dlq_incident_key(incident.queue)),
                ConditionExpression="incident_id = :incident",
                ExpressionAttributeValues=to_item({":incident": incident.incident_id}),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _query_all(self, **kwargs: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            request = {"TableName": self.table, **kwargs}
            if start:
                request["ExclusiveStartKey"] = start
            response = self._client.query(**request)
            found += [from_item(raw) for raw in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return found

    # --- helpers -------------------------------------------------------------------------------

    def _batch_get(self, wanted: list[dict[str, str]]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for chunk in chunks(wanted, BATCH_GET):
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
                Key=to_item(keys.message_key(message_id)),
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


_INTO_HISTORY = "finished_at = :finished, gsi1pk = :hist, gsi1sk = :hist_sk"
"""A finished message leaves the due and lease indexes for its person's history."""


def _history_values(message: MessageRecord, now: datetime) -> dict[str, Any]:
    return {
        ":finished": iso(now),
        ":hist": keys.history_bucket(message.person_id),
        ":hist_sk": keys.history_sort_key(now, message.message_id),
    }


def _starts(messages: Sequence[MessageRecord]) -> dict[str, str]:
    return {
        m.message_id: iso(m.start)
        for m in messages
        if m.status is MessageStatus.PENDING and m.start is not None
    }


def _attempt(at: datetime, outcome: str, reason: str | None) -> dict[str, Any]:
    return Attempt(at=at, outcome=outcome, reason=reason).model_dump(mode="json") | {"at": iso(at)}


def _same_partition(start: dict[str, Any], bucket: str, *, index: bool) -> None:
    """A cursor is only good for the list it came from (never another person's)."""
    if not keys.in_partition(start, bucket, index=index):
        raise BadRequest("the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")])
