"""The coverage table (and, read-only, the schedule table's participant/week index): the only
module of this function that speaks DynamoDB."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, from_item, to_item
from functions.common.errors import FieldError, PreconditionFailed
from functions.coverage.models import PlanRecord


class CoverageStore:
    def __init__(self, table_name: str, client: Any, *, schedule_table: str | None = None) -> None:
        self.table = table_name
        self.schedule_table = schedule_table
        self._client = client

    # --- plans -----------------------------------------------------------------------------

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

    def get_plan(self, person_id: str, plan_id: str) -> PlanRecord | None:
        response = self._client.get_item(
            TableName=self.table, Key=to_item(PlanRecord.key(person_id, plan_id)), ConsistentRead=True
        )
        item = response.get("Item")
        return PlanRecord.from_attributes(from_item(item)) if item else None

    def save_plan(
        self, record: PlanRecord, audit_put: dict[str, Any], *, expected_version: int | None
    ) -> None:
        """Create (`expected_version` None: only if new) or replace (only from the version read)
        a plan, with its audit entry, in one transaction."""
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(record.to_attributes())}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :v"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_item({":v": expected_version})
        try:
            self._client.transact_write_items(TransactItems=[{"Put": put}, audit_put])
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise PreconditionFailed(
                "the plan changed since you read it; fetch it again and retry",
                errors=[FieldError("header.If-Match", "stale")],
            ) from exc
