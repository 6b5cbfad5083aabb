"""The coverage table: the only module of this function that speaks DynamoDB."""

from __future__ import annotations

from typing import Any

from functions.common.dynamo import from_item, to_item
from functions.coverage.models import PlanRecord


class CoverageStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self._client = client

    def plans_of(self, person_id: str) -> list[PlanRecord]:
        """Every plan of one person: one Query (a person has a handful at most)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :plan)",
            ExpressionAttributeValues=to_item({":pk": f"PERSON#{person_id}", ":plan": "PLAN#"}),
        )
        return [
            PlanRecord.from_attributes(from_item(item)) for page in pages for item in page.get("Items", [])
        ]

    def put_plan(self, record: PlanRecord) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(record.to_attributes()))
