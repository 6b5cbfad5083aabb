"""Part 2 consents: reading, giving and revoking them."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, from_item, to_item
from functions.common.errors import Conflict, NotFound
from functions.schedule import keys
from functions.schedule.models import Part2ConsentRecord, PersonRecord
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import PersonKind


class ConsentStore(StoreBase):
    def consents(self, participant_id: str) -> list[Part2ConsentRecord]:
        """The participant's Part 2 consents, any status: one consistent Query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.person_pk(participant_id), ":c": keys.CONSENT_PREFIX}
            ),
            ConsistentRead=True,
        )
        return Part2ConsentRecord.readable(from_item(i) for page in pages for i in page.get("Items", []))

    def add_consent(self, consent: Part2ConsentRecord, audit_put: dict[str, Any]) -> None:
        """The consent, only while its participant exists (as a participant), with its audit entry."""
        items = [
            {
                "ConditionCheck": {
                    "TableName": self.table,
                    "Key": to_item(PersonRecord.key(consent.participant_id)),
                    "ConditionExpression": "#k = :participant",
                    "ExpressionAttributeNames": {"#k": "kind"},
                    "ExpressionAttributeValues": to_item({":participant": PersonKind.PARTICIPANT.value}),
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(consent.to_attributes()),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            audit_put,
        ]
        try:
            self._transact_write(items)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                raise NotFound("no such participant") from exc
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise Conflict("a concurrent change touched this consent; retry") from exc
            raise

    def revoke_consent(
        self, current: Part2ConsentRecord, revoked: Part2ConsentRecord, audit_put: dict[str, Any]
    ) -> None:
        """The consent's revocation, only over the version read (a concurrent change is a 409)."""
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(revoked.to_attributes()),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":expected": current.version}),
                }
            },
            audit_put,
        ]
        try:
            self._transact_write(items)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise Conflict("the consent changed while it was revoked; read it and retry") from exc
            raise
