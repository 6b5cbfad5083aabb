"""What every section of the schedule store shares: the table, its client and batch reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from functions.common.dynamo import from_item, to_item
from functions.schedule import keys
from functions.schedule.models import AvailabilityRecord, CoupleRecord

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import KeysAndAttributesUnionTypeDef, TransactWriteItemTypeDef

BATCH_GET_LIMIT = 100
"""Keys per BatchGetItem call (DynamoDB's limit)."""


class Batch(dict[keys.Ident, dict[str, Any]]):
    """A batch read's items by their (pk, sk), and the records callers take from it (so a
    caller asks for a clinician's availability, not for an item under some key)."""

    def item(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        return self.get(keys.ident(key))

    def availability(self, clinician_id: str) -> AvailabilityRecord | None:
        raw = self.item(keys.availability_key(clinician_id))
        return AvailabilityRecord.from_attributes(raw) if raw else None

    def couple(self, couple_id: str | None) -> CoupleRecord | None:
        raw = self.item(keys.couple_key(couple_id)) if couple_id else None
        return CoupleRecord.from_attributes(raw) if raw else None

    def couple_membership(self, participant_id: str) -> dict[str, Any]:
        """The participant's pointer to their couple ({} when they are in none, or it was not read)."""
        return self.item(keys.couple_membership_key(participant_id)) or {}

    def commitments(self) -> dict[str, dict[str, Any]]:
        """Person -> their group commitments item, for each one read."""
        return {
            keys.owner_of(item): item
            for item in self.values()
            if keys.kind_of(item) is keys.ItemKind.COMMITMENTS
        }


class StoreBase:
    """The schedule table and its (injectable) client."""

    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table = table_name
        self._client = client

    def get_many(self, wanted: list[keys.Key]) -> Batch:
        """Items by (pk, sk), in one BatchGetItem per 100 keys (DynamoDB's limit; none for no
        keys), retrying what DynamoDB leaves unprocessed."""
        unique = list({keys.ident(k): k for k in wanted}.values())
        found = Batch()
        for first in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[first : first + BATCH_GET_LIMIT]
            request: Mapping[str, KeysAndAttributesUnionTypeDef] = {
                self.table: {"Keys": [to_item(k) for k in chunk], "ConsistentRead": True}
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    data = from_item(item)
                    found[keys.ident(data)] = data
                request = response.get("UnprocessedKeys") or {}
        return found

    def _transact_write(self, items: Sequence[Mapping[str, Any]]) -> None:
        """One TransactWriteItems call. Its elements are plain dicts, built across modules (the
        audit writer's `transact_put` in `functions.common`, the guards and `also` writes routes
        hand in, each section's own): they are taken as the stubs' elements here, in one place,
        rather than typed in every builder."""
        self._client.transact_write_items(TransactItems=cast("list[TransactWriteItemTypeDef]", list(items)))
