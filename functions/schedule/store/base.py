"""What every section of the schedule store shares: the table, its client and batch reads."""

from __future__ import annotations

from typing import Any

from functions.common.dynamo import from_item, to_item

BATCH_GET_LIMIT = 100
"""Keys per BatchGetItem call (DynamoDB's limit)."""


class StoreBase:
    """The schedule table and its (injectable) client."""

    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self._client = client

    def get_many(self, keys: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """Items by (pk, sk), in one BatchGetItem per 100 keys (DynamoDB's limit; none for no
        keys), retrying what DynamoDB leaves unprocessed."""
        unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for first in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[first : first + BATCH_GET_LIMIT]
            request: dict[str, Any] = {
                self.table: {"Keys": [to_item(k) for k in chunk], "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    data = from_item(item)
                    found[(data["pk"], data["sk"])] = data
                request = response.get("UnprocessedKeys") or {}
        return found
