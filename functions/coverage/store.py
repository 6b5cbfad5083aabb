"""The coverage table (and, read-only, the schedule table's participant/week index): the only
module of this function that speaks DynamoDB."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, from_item, get_item, to_item
from functions.common.errors import FieldError, PreconditionFailed
from functions.common.tables import GSI1, PARTICIPANT_WEEK_INDEX
from functions.coverage.billing import BILLING_PK
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
        data = self.get_item(PlanRecord.key(person_id, plan_id))
        return PlanRecord.from_attributes(data) if data else None

    def get_item(self, key: dict[str, str]) -> dict[str, Any] | None:
        return get_item(self._client, self.table, key)

    def save(
        self, attributes: dict[str, Any], audit_put: dict[str, Any], *, expected_version: int | None
    ) -> None:
        """Create (`expected_version` None: only if new) or replace (only from the version
        read) one versioned item (a plan, a fee schedule, the chargemaster, an
        authorization), with its audit entry, in one transaction; 412 when it moved on."""
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(attributes)}
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
                "it changed since you read it; fetch it again and retry",
                errors=[FieldError("header.If-Match", "stale")],
            ) from exc

    # --- billing reference -----------------------------------------------------------------

    def billing_items(self) -> list[dict[str, Any]]:
        """Every fee schedule and the chargemaster: one Query of the BILLING partition."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": BILLING_PK}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    # --- a participant's coverage and week -------------------------------------------------

    def person_items(self, person_id: str) -> list[dict[str, Any]]:
        """Everything coverage keeps for one participant (plans, eligibility, projected claims,
        authorizations, couple billing choices): one Query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": f"PERSON#{person_id}"}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def schedule_week(self, person_id: str, week: str) -> list[dict[str, Any]]:
        """The participant's week in the schedule table's participant/week index (read-only):
        sessions, the week's group occurrences and group attendance. One Query."""
        if not self.schedule_table:
            raise RuntimeError("the schedule table is not configured")
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.schedule_table,
            IndexName=PARTICIPANT_WEEK_INDEX,
            KeyConditionExpression="pw_pk = :pw",
            ExpressionAttributeValues=to_item({":pw": f"PW#{person_id}#{week}"}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    # --- projected claims ------------------------------------------------------------------

    def put_claim(self, item: dict[str, Any]) -> bool:
        """Record a projected claim once (a redelivered stream record changes nothing)."""
        try:
            self._client.put_item(
                TableName=self.table, Item=to_item(item), ConditionExpression="attribute_not_exists(sk)"
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def drop_claim(self, person_id: str, source_id: str) -> None:
        """Attendance corrected away from `attended`: the projection no longer counts it."""
        self._client.delete_item(
            TableName=self.table, Key=to_item({"pk": f"PERSON#{person_id}", "sk": f"CLAIM#{source_id}"})
        )

    # --- authorizations and booked use ------------------------------------------------------

    def mark_alerted(self, key: dict[str, str], kind: str) -> bool:
        """Record that an alert was raised, once: False when another consumer already did."""
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(key),
                UpdateExpression="SET alerted = list_append(if_not_exists(alerted, :none), :kind)",
                ConditionExpression="attribute_exists(pk) AND NOT contains(alerted, :k)",
                ExpressionAttributeValues=to_item({":none": [], ":kind": [kind], ":k": kind}),
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def put_booked(self, item: dict[str, Any]) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def drop_booked(self, person_id: str, session_id: str) -> None:
        self._client.delete_item(
            TableName=self.table, Key=to_item({"pk": f"PERSON#{person_id}", "sk": f"BOOKED#{session_id}"})
        )

    def expiring(self, warn_on: str) -> list[dict[str, Any]]:
        """Authorizations whose expiry warning falls on `warn_on`: one Query of a gsi1 bucket."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :b",
            ExpressionAttributeValues=to_item({":b": f"AUTH_EXPIRY#{warn_on}"}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def set_couple_billing(
        self, couple_id: str, items: list[dict[str, Any]], audit_put: dict[str, Any]
    ) -> None:
        """The couple's billing choice, filed with each partner (their estimates read it in
        their own one Query)."""
        self._client.transact_write_items(
            TransactItems=[
                *({"Put": {"TableName": self.table, "Item": to_item(item)}} for item in items),
                audit_put,
            ]
        )
