"""Care teams, couples and caseloads, and what a reader is to the people they read."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import cancellation_reasons, error_code, from_item, get_item, to_item
from functions.common.errors import Conflict, FieldError, PreconditionFailed
from functions.common.tables import GSI1
from functions.schedule import keys
from functions.schedule.logic.teams import Relations
from functions.schedule.models import CareAssignment, CoupleRecord, Part2ConsentRecord, PersonRecord
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import CareRole


class TeamStore(StoreBase):
    def relations(self, participant_id: str) -> Relations:
        """A participant's care team and couple: one Query over their CARE# and COUPLE items."""
        response = self._client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {
                    ":pk": keys.person_pk(participant_id),
                    ":from": keys.RELATIONS_RANGE[0],
                    ":to": keys.RELATIONS_RANGE[1],
                }
            ),
            ConsistentRead=True,
        )
        return Relations.from_items(participant_id, [from_item(item) for item in response.get("Items", [])])

    def person_context(self, person_id: str) -> tuple[PersonRecord | None, Relations, list[dict[str, Any]]]:
        """A person's profile, care positions, couple and group enrolments: one Query over
        their items from CARE# to PROFILE (which also passes their makeup offers)."""
        person, relations, enrolments, _ = self.reader_context(person_id)
        return person, relations, enrolments

    def reader_context(
        self, person_id: str
    ) -> tuple[PersonRecord | None, Relations, list[dict[str, Any]], list[Part2ConsentRecord]]:
        """`person_context` and the person's Part 2 consents (CONSENT# sorts between CARE# and
        PROFILE): still one Query, consistent, so a consent given or revoked a moment ago counts."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":pk": keys.person_pk(person_id), ":from": keys.READER_RANGE[0], ":to": keys.READER_RANGE[1]}
            ),
            ConsistentRead=True,
        )
        items = [from_item(i) for page in pages for i in page.get("Items", [])]
        profile = next((i for i in items if keys.kind_of(i) is keys.ItemKind.PERSON), None)
        enrolments = [i for i in items if keys.kind_of(i) in keys.GROUP_POINTERS]
        person = PersonRecord.from_attributes(profile) if profile else None
        consents = Part2ConsentRecord.readable(i for i in items if keys.kind_of(i) is keys.ItemKind.CONSENT)
        return person, Relations.from_items(person_id, items), enrolments, consents

    def caseload(self, clinician_id: str) -> dict[str, list[CareRole]]:
        """Participant -> the clinician's positions on their team: one Query (GSI1 CASELOAD#)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :c",
            ExpressionAttributeValues=to_item({":c": keys.caseload_pk(clinician_id)}),
        )
        found: dict[str, list[CareRole]] = {}
        for page in pages:
            for item in page.get("Items", []):
                data = from_item(item)
                role = data.get("role") or CareRole.COUPLES_THERAPIST.value
                found.setdefault(str(data["participant_id"]), []).append(CareRole(role))
        return found

    def set_care_team(
        self, participant_id: str, wanted: dict[CareRole, str], audit_put: dict[str, Any]
    ) -> None:
        """Replace the participant's care positions (an absent one is deleted, a no-op if unset)."""
        items: list[dict[str, Any]] = []
        for role in CareRole:
            if role is CareRole.COUPLES_THERAPIST:
                continue  # set on the couple
            if role in wanted:
                assignment = CareAssignment(
                    participant_id=participant_id, role=role, clinician_id=wanted[role]
                )
                items.append({"Put": {"TableName": self.table, "Item": to_item(assignment.to_attributes())}})
            else:
                key = CareAssignment.key(participant_id, role)
                items.append({"Delete": {"TableName": self.table, "Key": to_item(key)}})
        items.append(audit_put)
        self._transact_write(items)

    def get_couple(self, couple_id: str) -> CoupleRecord | None:
        data = get_item(self._client, self.table, CoupleRecord.key(couple_id))
        return CoupleRecord.from_attributes(data) if data else None

    def create_couple(self, couple: CoupleRecord, audit_put: dict[str, Any]) -> None:
        """The couple and each partner's pointer to it: a partner belongs to one couple at a time."""
        not_there = "attribute_not_exists(pk)"
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(couple.to_attributes()),
                    "ConditionExpression": not_there,
                }
            },
            *(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(couple.membership_attributes(partner)),
                        "ConditionExpression": not_there,
                    }
                }
                for partner in couple.partner_ids
            ),
            audit_put,
        ]
        try:
            self._transact_write(items)
        except ClientError as exc:
            reasons = cancellation_reasons(exc)
            taken = [
                i - 1 for i, code in enumerate(reasons) if code == "ConditionalCheckFailed" and i in (1, 2)
            ]
            if taken:
                raise Conflict(
                    "a partner already belongs to a couple",
                    errors=[FieldError(f"body.partner_ids.{i}", "already in a couple") for i in taken],
                ) from exc
            raise

    def update_couple(self, before: CoupleRecord, after: CoupleRecord, audit_put: dict[str, Any]) -> None:
        """The couple (only from the version read) and both partners' pointers, which also
        move them to the new couples therapist's caseload."""
        items = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(after.to_attributes()),
                    "ConditionExpression": "#v = :v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": to_item({":v": before.version}),
                }
            },
            *(
                {"Put": {"TableName": self.table, "Item": to_item(after.membership_attributes(partner))}}
                for partner in after.partner_ids
            ),
            audit_put,
        ]
        try:
            self._transact_write(items)
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise PreconditionFailed(
                "the couple changed since you read it; fetch it again and retry",
                errors=[FieldError("header.If-Match", "stale")],
            ) from exc
