"""People: profiles, their emails' uniqueness claims, and reading people by kind or in batches."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, error_code, from_item, get_item, to_item
from functions.common.errors import Conflict, FieldError, PreconditionFailed
from functions.common.http import decode_cursor, encode_cursor
from functions.common.tables import GSI1
from functions.schedule import keys
from functions.schedule.models import PersonRecord
from functions.schedule.store.base import Batch, StoreBase
from functions.schedule.vocabulary import ENTITY_EMAIL, PersonKind


class PeopleStore(StoreBase):
    def get_person(self, person_id: str) -> PersonRecord | None:
        data = get_item(self._client, self.table, PersonRecord.key(person_id))
        return PersonRecord.from_attributes(data) if data else None

    def create_person(self, record: PersonRecord, audit_put: dict[str, Any]) -> None:
        """Person, its email's uniqueness claim and the audit entry: one transaction."""
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(record.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._claim_email(record.email, record.person_id),
            audit_put,
        ]
        self._transact(items, email=record.email)

    def update_person(
        self, record: PersonRecord, *, expected_version: int, previous_email: str, audit_put: dict[str, Any]
    ) -> None:
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(record.to_attributes()),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": expected_version}),
                }
            }
        ]
        if record.email != previous_email:
            items.append(
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": to_item(keys.email_key(previous_email)),
                        "ConditionExpression": "owner_id = :owner",
                        "ExpressionAttributeValues": to_item({":owner": record.person_id}),
                    }
                }
            )
            items.append(self._claim_email(record.email, record.person_id))
        items.append(audit_put)
        self._transact(items, email=record.email)

    def list_people(
        self, kind: PersonKind, *, limit: int, cursor: str | None
    ) -> tuple[list[PersonRecord], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": GSI1,
            "KeyConditionExpression": "gsi1pk = :kind",
            "ExpressionAttributeValues": to_item({":kind": keys.kind_bucket(kind)}),
            "Limit": limit,
        }
        start = decode_cursor(cursor, expected_keys=set(keys.GSI1_PAGE_ATTRIBUTES))
        if start:
            kwargs["ExclusiveStartKey"] = to_item(start)
        response = self._client.query(**kwargs)
        records = PersonRecord.readable(from_item(i) for i in response.get("Items", []))
        last = response.get("LastEvaluatedKey")
        return records, encode_cursor(from_item(last) if last else None)

    def _claim_email(self, email: str, person_id: str) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item({**keys.email_key(email), "entity": ENTITY_EMAIL, "owner_id": person_id}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, items: list[dict[str, Any]], *, email: str) -> None:
        try:
            self._transact_write(items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            reasons = cancellation_reasons(exc)
            if reasons and reasons[0] == "ConditionalCheckFailed":
                if any(i.get("Put", {}).get("ConditionExpression", "").startswith("#v") for i in items[:1]):
                    raise PreconditionFailed(
                        "the person changed since you read it; fetch it again and retry",
                        errors=[FieldError("header.If-Match", "stale")],
                    ) from exc
                raise Conflict("this person already exists") from exc
            if "ConditionalCheckFailed" in reasons[1:]:
                raise Conflict(
                    "another person already uses this email address",
                    errors=[FieldError("body.email", "already registered")],
                ) from exc
            if "TransactionConflict" in reasons:
                raise Conflict("a concurrent change touched this person; retry") from exc
            raise

    def people(
        self, person_ids: list[str], *, extra: list[dict[str, str]] | None = None
    ) -> tuple[dict[str, PersonRecord], Batch]:
        """Person records (and any `extra` items) in one batch read."""
        items = self.get_many([PersonRecord.key(p) for p in person_ids] + (extra or []))
        profiles = (
            data
            for data in items.values()
            if keys.kind_of(data) is keys.ItemKind.PERSON and data.get("entity") == "PERSON"
        )
        people = {record.person_id: record for record in PersonRecord.readable(profiles)}
        return people, items

    def display_names(self, person_ids: list[str]) -> dict[str, str]:
        """Person id -> their name, for those whose profile exists (one batch read per 100)."""
        people, _ = self.people(person_ids)
        return {person_id: record.display_name for person_id, record in people.items()}

    def all_participants(self) -> list[PersonRecord]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :kind",
            ExpressionAttributeValues=to_item({":kind": keys.kind_bucket(PersonKind.PARTICIPANT)}),
        )
        return PersonRecord.readable(from_item(i) for page in pages for i in page.get("Items", []))
