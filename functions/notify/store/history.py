"""What the history routes read: a person's finished messages (gsi1 `HIST#`) and the
messages that failed for good in a month, newest first, one page per Query."""

from __future__ import annotations

from typing import Any

from functions.common.dynamo import from_item, to_item
from functions.common.errors import BadRequest, FieldError
from functions.common.http import decode_cursor, encode_cursor
from functions.common.tables import GSI1
from functions.notify import keys
from functions.notify.models import FailureRecord, FinishedMessage
from functions.notify.store.base import StoreBase

_HISTORY_FIELDS = ("message_id", "kind", "channel", "status", "finished_at", "status_reason")


class HistoryStore(StoreBase):
    def history(
        self, person_id: str, *, limit: int, cursor: str | None
    ) -> tuple[list[FinishedMessage], str | None]:
        """A person's finished messages, newest first (one Query of gsi1). Only what the
        history shows is read: never an address or a message's words."""
        items, next_cursor = self._newest_first(
            keys.history_bucket(person_id),
            index=True,
            limit=limit,
            cursor=cursor,
            ExpressionAttributeNames={f"#{name}": name for name in _HISTORY_FIELDS},
            ProjectionExpression=", ".join(f"#{name}" for name in _HISTORY_FIELDS),
        )
        return FinishedMessage.readable(items), next_cursor

    def failures(
        self, month: str, *, limit: int, cursor: str | None
    ) -> tuple[list[FailureRecord], str | None]:
        """Messages that failed for good in one UTC month, newest first (one Query)."""
        items, next_cursor = self._newest_first(
            keys.failures_pk(month), index=False, limit=limit, cursor=cursor
        )
        return FailureRecord.readable(items), next_cursor

    def _newest_first(
        self, partition: str, *, index: bool, limit: int, cursor: str | None, **extra: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a partition of the table (of gsi1, with `index`), newest first, from
        where `cursor` left off; a cursor is only good for the list it came from (never
        another person's)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": f"{keys.GSI1_PK if index else keys.PK} = :partition",
            "ExpressionAttributeValues": to_item({":partition": partition}),
            "ScanIndexForward": False,
            "Limit": limit,
            **extra,
        }
        if index:
            kwargs["IndexName"] = GSI1
        start = decode_cursor(cursor, expected_keys=set(keys.INDEX_PAGE if index else keys.TABLE_PAGE))
        if start:
            if not keys.in_partition(start, partition, index=index):
                raise BadRequest(
                    "the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")]
                )
            kwargs["ExclusiveStartKey"] = to_item(start)
        response = self._client.query(**kwargs)
        last = response.get("LastEvaluatedKey")
        return [from_item(raw) for raw in response.get("Items", [])], encode_cursor(
            from_item(last) if last else None
        )
