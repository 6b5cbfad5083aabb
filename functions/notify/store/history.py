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


def _same_partition(start: dict[str, Any], bucket: str, *, index: bool) -> None:
    """A cursor is only good for the list it came from (never another person's)."""
    if not keys.in_partition(start, bucket, index=index):
        raise BadRequest("the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")])
