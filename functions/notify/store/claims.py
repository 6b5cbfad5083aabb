"""The minute sweep's side of the outbox: due messages and stale claims found in gsi1
(`DUE#` / `LEASE#` day buckets), claimed, taken over, or given back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.common.dynamo import from_item, to_item
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify import keys
from functions.notify.store.messages import PENDING, QUEUED, OutboxStore
from functions.notify.vocabulary import MessageStatus

MAX_LEASES = 3
"""How many times a claim the sender never picked up is queued again."""


class ClaimStore(OutboxStore):
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
                ":queued": QUEUED,
                ":pending": PENDING,
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
            ":queued": QUEUED,
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
                ":queued": QUEUED,
                ":pending": PENDING,
                ":now": iso(now),
                ":bucket": keys.due_bucket_of(due_sort_key),
                ":due_sk": due_sort_key,
            },
        )
