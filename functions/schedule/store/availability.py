"""Clinician availability: one item per clinician, written only over the version read."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, get_item, to_item
from functions.common.errors import FieldError, PreconditionFailed
from functions.schedule.models import AvailabilityRecord
from functions.schedule.store.base import StoreBase


class AvailabilityStore(StoreBase):
    def get_availability(self, clinician_id: str) -> AvailabilityRecord | None:
        data = get_item(self._client, self.table, AvailabilityRecord.key(clinician_id))
        return AvailabilityRecord.from_attributes(data) if data else None

    def put_availability(
        self, record: AvailabilityRecord, *, expected_version: int, audit_put: dict[str, Any]
    ) -> None:
        put: dict[str, Any] = {"TableName": self.table, "Item": to_item(record.to_attributes())}
        if expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :expected"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_item({":expected": expected_version})
        try:
            self._transact_write([{"Put": put}, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise PreconditionFailed(
                    "the availability changed since you read it",
                    errors=[FieldError("header.If-Match", "stale")],
                ) from exc
            raise
