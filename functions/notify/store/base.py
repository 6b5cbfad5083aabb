"""What every part of `NotifyStore` stands on: the table, the client, and the reads and
writes they all use (paged queries, batched gets, all-or-nothing puts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, error_code, from_item, to_item
from functions.notify.logic.outbox import chunks

BATCH_GET = 100


class StoreBase:
    """The notify table and its client; the part stores (`functions.notify.store`) extend it."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self._client = client

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
