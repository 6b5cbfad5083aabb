"""Eligibility results and their raw 270/271 pairs in the coverage table: the only module of
eligibility that speaks DynamoDB.

Items, all under the participant's partition (their keys: `functions.coverage.keys`): one
check's result (history), that check's raw 270 and 271 (coordinators), and the plan's latest
result (a copy), in a gsi1 bucket of its due date while a re-check is due.

A check is one transaction: history, raw pair, latest pointer (unless a newer one is there)
and the audit entry. A participant's latest results are one Query; a plan with its latest
result is one BatchGetItem; the nightly re-check finds what is due in the gsi1 bucket of
each day, never by Scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from functions.common.dynamo import batch_get_by_sk, cancellation_reasons, error_code, from_item, to_item
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.coverage import keys
from functions.coverage.keys import PersonItem
from functions.coverage.logic.eligibility import (
    ENTITY_ELIGIBILITY_CHECK,
    ENTITY_ELIGIBILITY_LATEST,
    ENTITY_ELIGIBILITY_X12,
    CheckWrite,
    EligibilityRecord,
    X12Exchange,
)
from functions.coverage.models import PlanRecord
from functions.coverage.store import transact_element

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda runtime never imports them
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateTypeDef


@dataclass(frozen=True)
class DueCheck:
    """A latest result found in a due-date bucket."""

    person_id: str
    plan_id: str
    record: EligibilityRecord


class EligibilityStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table = table_name
        self._client = client

    # --- reads ----------------------------------------------------------------------------------

    def plan_and_latest(
        self, person_id: str, plan_id: str
    ) -> tuple[PlanRecord | None, EligibilityRecord | None]:
        """A plan and its latest eligibility result: one BatchGetItem (strongly consistent)."""
        plan_key = keys.plan_key(person_id, plan_id)
        latest_key = keys.eligibility_latest_key(person_id, plan_id)
        found = batch_get_by_sk(self._client, self.table, [plan_key, latest_key])
        plan = found.get(keys.sort_key(plan_key))
        latest = found.get(keys.sort_key(latest_key))
        return (
            PlanRecord.from_attributes(plan) if plan else None,
            EligibilityRecord.from_attributes(latest) if latest else None,
        )

    def latest_of(self, person_id: str) -> list[EligibilityRecord]:
        """The latest result of each of a participant's plans: one Query (a handful of items)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :latest)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.person_pk(person_id), ":latest": keys.sk_prefix(PersonItem.ELIGIBILITY_LATEST)}
            ),
        )
        return EligibilityRecord.readable(from_item(item) for page in pages for item in page.get("Items", []))

    def exchange(self, person_id: str, plan_id: str, check_id: str) -> X12Exchange | None:
        """One check's raw 270/271 pair: one GetItem."""
        response = self._client.get_item(
            TableName=self.table, Key=to_item(keys.eligibility_x12_key(person_id, plan_id, check_id))
        )
        item = response.get("Item")
        return X12Exchange.model_validate(from_item(item)) if item else None

    def due(self, day: date, now: datetime, *, limit: int) -> list[DueCheck]:
        """Latest results in `day`'s bucket that are due by `now`, oldest first (gsi1 Query)."""
        out: list[DueCheck] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :bucket AND gsi1sk <= :now",
            "ExpressionAttributeValues": to_item(
                {":bucket": keys.eligibility_due_bucket(day), ":now": keys.eligibility_due_until(now)}
            ),
        }
        while len(out) < limit:
            response = self._client.query(**request, Limit=limit - len(out))
            for record in EligibilityRecord.readable(from_item(item) for item in response.get("Items", [])):
                out.append(DueCheck(record.person_id, record.plan_id, record))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
            request["ExclusiveStartKey"] = start
        return out

    # --- writes ---------------------------------------------------------------------------------

    def save_check(self, write: CheckWrite, *, audit_put: dict[str, Any] | None) -> None:
        """Record one check in one transaction: its result, its raw pair, what it does to the plan's
        latest pointer (see `CheckWrite`) and its audit entry.

        A latest pointer is only replaced by a result checked no earlier than its own; when a newer
        check landed first, this one stays in the history only.
        """
        record, exchange = write.record, write.exchange
        latest, refresh_failed = write.latest, write.refresh_failed
        history = {
            **keys.eligibility_check_key(
                record.person_id, record.plan_id, record.checked_at, record.check_id
            ),
            "entity": ENTITY_ELIGIBILITY_CHECK,
            **record.attributes(),
        }
        raw = {
            **keys.eligibility_x12_key(record.person_id, record.plan_id, record.check_id),
            "entity": ENTITY_ELIGIBILITY_X12,
            **exchange.model_dump(mode="json"),
            "checked_at": iso(exchange.checked_at),
        }
        items: list[TransactWriteItemTypeDef] = [
            self._put_new(history),
            self._put_new(raw),
        ]
        pointer: TransactWriteItemTypeDef | None = None
        if latest is not None:
            pointer = {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {
                            **keys.eligibility_latest_key(record.person_id, record.plan_id),
                            "entity": ENTITY_ELIGIBILITY_LATEST,
                            **record.attributes(),
                            **latest,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR checked_at <= :at",
                    "ExpressionAttributeValues": to_item({":at": iso(record.checked_at)}),
                }
            }
        elif refresh_failed is not None:
            pointer = {
                "Update": self._refresh_failed_update(
                    record.person_id, record.plan_id, record.checked_at, refresh_failed
                )
            }
        if pointer is not None:
            items.append(pointer)
        status_update: TransactWriteItemTypeDef | None = None
        if latest is not None and write.plan_status is not None:
            status_update = {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.plan_key(record.person_id, record.plan_id)),
                    "UpdateExpression": "SET #st = :s, updated_at = :at ADD version :one",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#st": "status"},
                    "ExpressionAttributeValues": to_item(
                        {":s": write.plan_status.value, ":at": iso(record.checked_at), ":one": 1}
                    ),
                }
            }
            items.append(status_update)
        if audit_put is not None:
            items.append(transact_element(audit_put))
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException" or pointer is None:
                raise
            reasons = cancellation_reasons(exc)
            pointer_index = items.index(pointer)
            if reasons[pointer_index] != "ConditionalCheckFailed" or any(
                r not in ("None", "ConditionalCheckFailed") for r in reasons
            ):
                raise
            # A newer result is the latest already: keep this check in the history only.
            items.remove(pointer)
            if status_update is not None:
                items.remove(status_update)
            self._client.transact_write_items(TransactItems=items)

    def mark_refresh_failed(self, person_id: str, plan_id: str, at: datetime) -> bool:
        """Note on the latest result that a newer check could not reach the payer at `at` (so it
        reads as stale) and put it in the re-check bucket of `at`, to be tried again on the next
        run. False when the plan has no result yet."""
        due = keys.eligibility_due_index(person_id, plan_id, at)
        try:
            self._client.update_item(**self._refresh_failed_update(person_id, plan_id, at, due))
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _refresh_failed_update(
        self, person_id: str, plan_id: str, at: datetime, due: dict[str, str]
    ) -> UpdateTypeDef:
        values: dict[str, Any] = {":at": iso(at)}
        expression = "SET refresh_failed_at = :at"
        for name in keys.GSI1_ATTRIBUTES:
            if name in due:
                expression += f", {name} = :{name}"
                values[f":{name}"] = due[name]
        return {
            "TableName": self.table,
            "Key": to_item(keys.eligibility_latest_key(person_id, plan_id)),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeValues": to_item(values),
        }

    def drop_due(self, person_id: str, plan_id: str) -> None:
        """Take a plan's latest result out of the re-check buckets (its plan can no longer be checked)."""
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(keys.eligibility_latest_key(person_id, plan_id)),
                UpdateExpression="REMOVE gsi1pk, gsi1sk",
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise

    def _put_new(self, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
