"""What every part of `NotifyStore` stands on: the table, the client, and the reads and
writes they all use (paged queries, batched gets, all-or-nothing puts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, error_code, from_item, to_item
from functions.notify.logic.outbox import chunks

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

BATCH_GET = 100


class StoreBase:
    """The notify table and its client; the part stores (`functions.notify.store`) extend it."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
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

    def _put_new(self, attributes: dict[str, Any]) -> TransactWriteItemTypeDef:
        """A transaction's put of an item that must not exist yet."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(attributes),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, items: Sequence[TransactWriteItemTypeDef]) -> ClientError | None:
        """Write `items` in one transaction: None when written; when DynamoDB cancelled it
        (nothing written), its TransactionCanceledException, whose `cancellation_reasons` say
        why, item by item (the caller raises it when none is one it expects). Any other error
        raises."""
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            return exc
        return None

    def _transact_unless_stale(
        self, items: Sequence[TransactWriteItemTypeDef], *, first_only: bool = False
    ) -> bool:
        """Write `items` in one transaction; False (and nothing written) when a condition of
        theirs failed (with `first_only`, the first item's: another's failing raises)."""
        cancelled = self._transact(items)
        if cancelled is None:
            return True
        reasons = cancellation_reasons(cancelled)
        if "ConditionalCheckFailed" in (reasons[:1] if first_only else reasons):
            return False
        raise cancelled

    def _put_all_new(self, items: Sequence[dict[str, Any]]) -> bool:
        """Put `items` in one transaction, each only if it does not exist yet; False (and
        nothing written) when any of them does."""
        return self._transact_unless_stale([self._put_new(item) for item in items])


def transact_element(element: Mapping[str, Any]) -> TransactWriteItemTypeDef:
    """A `TransactWriteItems` element built outside notify (the audit writer's `transact_put`),
    as the typed client takes it: `functions.common` builds it as a plain dict, without the
    boto3 stubs, so it is taken on trust here."""
    return cast("TransactWriteItemTypeDef", element)
