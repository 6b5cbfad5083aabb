"""Intensity: each participant's week figures, for the program-wide report."""

from __future__ import annotations

from typing import Any

from functions.common.dynamo import from_item, to_item
from functions.schedule import keys
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import ENTITY_INTENSITY


class IntensityStore(StoreBase):
    def put_intensity(self, week: str, person_id: str, figures: dict[str, Any]) -> None:
        """A participant's week figures, kept current by the stream consumer for the
        program-wide report (one Query per week instead of one per participant)."""
        item = {
            **keys.intensity_key(week, person_id),
            "entity": ENTITY_INTENSITY,
            "participant_id": person_id,
            **figures,
        }
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def intensity_week(self, week: str) -> list[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.intensity_pk(week)}),
        )
        return [from_item(i) for page in pages for i in page.get("Items", [])]
