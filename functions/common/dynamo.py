"""Plain-dict <-> DynamoDB attribute-value conversion for the stores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_from_dynamo(v) for v in value]
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item from a JSON-like dict (None values are left out)."""
    return {k: _SERIALIZER.serialize(v) for k, v in _to_dynamo(data).items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON-like dict from a DynamoDB item (numbers back to int/float)."""
    return {k: _from_dynamo(_DESERIALIZER.deserialize(v)) for k, v in item.items()}


def cancellation_reasons(exc: Exception) -> list[str]:
    """The per-item codes of a TransactionCanceledException ('None', 'ConditionalCheckFailed', ...)."""
    response = getattr(exc, "response", {}) or {}
    return [str(r.get("Code", "None")) for r in response.get("CancellationReasons", [])]


def error_code(exc: Exception) -> str:
    response = getattr(exc, "response", {}) or {}
    return str(response.get("Error", {}).get("Code", ""))


def get_item(
    client: Any, table: str, key: dict[str, str], *, consistent: bool = True
) -> dict[str, Any] | None:
    """One item as a plain dict, or None: the stores' single-item read."""
    response = client.get_item(TableName=table, Key=to_item(key), ConsistentRead=consistent)
    item = response.get("Item")
    return from_item(item) if item else None


def batch_get_by_sk(
    client: Any, table: str, keys: list[dict[str, str]], *, consistent: bool = True
) -> dict[str, dict[str, Any]]:
    """A few items of one table as plain dicts by their sort key: one BatchGetItem (repeated
    only for keys DynamoDB leaves unprocessed); a key with no item is absent."""
    request: dict[str, Any] = {table: {"Keys": [to_item(key) for key in keys], "ConsistentRead": consistent}}
    found: dict[str, dict[str, Any]] = {}
    while request:
        response = client.batch_get_item(RequestItems=request)
        for item in response.get("Responses", {}).get(table, []):
            data = from_item(item)
            found[str(data["sk"])] = data
        request = response.get("UnprocessedKeys") or {}
    return found
