"""The coverage table (and, read-only, the schedule table's participant/week index): the only
module of this function that speaks DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from functions.common.dynamo import (
    batch_get_by_sk,
    cancellation_reasons,
    error_code,
    from_item,
    get_item,
    to_item,
)
from functions.common.errors import FieldError, PreconditionFailed
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.coverage import keys
from functions.coverage.billing import ChargemasterRecord, FeeScheduleRecord
from functions.coverage.keys import PersonItem
from functions.coverage.logic.authorizations import AuthorizationRecord
from functions.coverage.logic.terms import ConfirmedTermsRecord
from functions.coverage.models import PlanRecord

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda runtime never imports them
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef


def transact_element(element: Mapping[str, Any]) -> TransactWriteItemTypeDef:
    """A `TransactWriteItems` element built outside coverage (the audit writer's
    `transact_put`), as the typed client takes it: `functions.common` builds it as a plain
    dict, without the boto3 stubs, so it is taken on trust here."""
    return cast("TransactWriteItemTypeDef", element)


class CoverageStore:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self.table = table_name
        self._client = client

    # --- plans -----------------------------------------------------------------------------

    def plans_of(self, person_id: str) -> list[PlanRecord]:
        """Every plan of one person: one Query (a person has a handful at most)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :plan)",
            ExpressionAttributeValues=to_item(
                {":pk": keys.person_pk(person_id), ":plan": keys.sk_prefix(PersonItem.PLAN)}
            ),
        )
        return PlanRecord.readable(from_item(item) for page in pages for item in page.get("Items", []))

    def put_plan(self, record: PlanRecord) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(record.to_attributes()))

    def get_plan(self, person_id: str, plan_id: str) -> PlanRecord | None:
        data = self.get_item(keys.plan_key(person_id, plan_id))
        return PlanRecord.from_attributes(data) if data else None

    def plan_and_terms(
        self, person_id: str, plan_id: str
    ) -> tuple[PlanRecord | None, ConfirmedTermsRecord | None]:
        """A plan and its confirmed terms: one BatchGetItem (strongly consistent)."""
        plan_key = keys.plan_key(person_id, plan_id)
        terms_key = keys.terms_key(person_id, plan_id)
        found = batch_get_by_sk(self._client, self.table, [plan_key, terms_key])
        plan, terms = found.get(keys.sort_key(plan_key)), found.get(keys.sort_key(terms_key))
        return (
            PlanRecord.from_attributes(plan) if plan else None,
            ConfirmedTermsRecord.from_attributes(terms) if terms else None,
        )

    def confirmed_terms(self, person_id: str, plan_id: str) -> ConfirmedTermsRecord | None:
        data = self.get_item(keys.terms_key(person_id, plan_id))
        return ConfirmedTermsRecord.from_attributes(data) if data else None

    def get_authorization(self, person_id: str, authorization_id: str) -> AuthorizationRecord | None:
        data = self.get_item(keys.authorization_key(person_id, authorization_id))
        return AuthorizationRecord.from_attributes(data) if data else None

    def get_item(self, key: dict[str, str]) -> dict[str, Any] | None:
        return get_item(self._client, self.table, key)

    def save(
        self, attributes: dict[str, Any], audit_put: dict[str, Any], *, expected_version: int | None
    ) -> None:
        """Create (`expected_version` None: only if new) or replace (only from the version
        read) one versioned item (a plan, its confirmed terms, a fee schedule, the
        chargemaster, an authorization), with its audit entry, in one transaction; 412 when it moved on."""
        put: PutTypeDef = {"TableName": self.table, "Item": to_item(attributes)}
        if expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :v"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_item({":v": expected_version})
        try:
            self._client.transact_write_items(TransactItems=[{"Put": put}, transact_element(audit_put)])
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException":
                raise
            raise PreconditionFailed(
                "it changed since you read it; fetch it again and retry",
                errors=[FieldError("header.If-Match", "stale")],
            ) from exc

    # --- billing reference -----------------------------------------------------------------

    def billing_items(self, *, consistent: bool = False) -> list[dict[str, Any]]:
        """Every fee schedule and the chargemaster: one Query of the BILLING partition
        (`consistent` when copying it: a change just made must be in the copy)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.BILLING_PK}),
            ConsistentRead=consistent,
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def get_fee_schedule(self, payer_id: str) -> FeeScheduleRecord | None:
        data = self.get_item(keys.fee_schedule_key(payer_id))
        return FeeScheduleRecord.from_attributes(data) if data else None

    def get_chargemaster(self) -> ChargemasterRecord | None:
        data = self.get_item(keys.chargemaster_key())
        return ChargemasterRecord.from_attributes(data) if data else None

    def put_prices(self, item: dict[str, Any]) -> bool:
        """Put a participant's copy of the prices unless the one there is as new or newer."""
        return self._put_unless_newer(item, "attribute_not_exists(pk) OR revision < :r", item["revision"])

    def _put_unless_newer(self, item: dict[str, Any], condition: str, mark: int) -> bool:
        """Put `item` if `condition` (on `:r`, the item's revision or version) holds; False
        when the one stored is newer."""
        try:
            self._client.put_item(
                TableName=self.table,
                Item=to_item(item),
                ConditionExpression=condition,
                ExpressionAttributeValues=to_item({":r": mark}),
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def prices_holders(self) -> list[str]:
        """Every participant holding a copy of the prices: one (paginated) Query of the gsi1
        bucket `PRICES`."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :b",
            ExpressionAttributeValues=to_item({":b": keys.PRICES_BUCKET}),
        )
        return [keys.prices_holder(from_item(item)) for page in pages for item in page.get("Items", [])]

    # --- a participant's coverage and week -------------------------------------------------

    def person_items(self, person_id: str) -> list[dict[str, Any]]:
        """Everything coverage keeps for one participant (plans, eligibility, projected claims,
        authorizations, couple billing choices): one Query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.person_pk(person_id)}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def person_kind(self, person_id: str) -> str | None:
        """Whether the person exists, and their kind: coverage's copy of their profile (from
        `person.changed`); None for someone coverage has not heard of (yet)."""
        copy = self.get_item(keys.person_copy_key(person_id))
        return str(copy["kind"]) if copy else None

    def person_zone(self, person_id: str) -> str | None:
        copy = self.get_item(keys.person_copy_key(person_id))
        return str(copy["time_zone"]) if copy else None

    def couple_partners(self, couple_id: str) -> list[str] | None:
        """The partners of a couple, from coverage's copy (`couple.changed`); None when there is
        no such couple (or coverage has not heard of it yet)."""
        copy = self.get_item(keys.couple_copy_key(couple_id))
        return [str(p) for p in copy.get("partner_ids") or []] if copy else None

    def schedule_week(self, person_id: str, week: str) -> list[dict[str, Any]]:
        """The participant's week as coverage keeps it from schedule's events: the sessions they
        attend, the week's group occurrences and their attendance. One Query."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item({":pk": keys.week_pk(person_id, week)}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def put_copy(self, item: dict[str, Any], revision: int) -> bool:
        """Write one copied item unless a later revision of it is there (a redelivered or
        older event changes nothing)."""
        return self._put_unless_newer(item, "attribute_not_exists(sk) OR revision <= :r", revision)

    # --- Part 2 consents (copies from the schedule stream) ----------------------------------

    def put_consent_copy(self, item: dict[str, Any]) -> bool:
        """Write coverage's copy of a consent unless a later version is there already (a
        redelivered older record never undoes a revocation)."""
        return self._put_unless_newer(item, "attribute_not_exists(sk) OR version <= :r", item["version"])

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

    def attended_on(
        self, person_id: str, day: str, source_id: str, service: dict[str, Any] | None
    ) -> tuple[dict[str, Any], int, bool]:
        """File (or, `service` None, withdraw) one attended service in the participant's
        ledger of a per-diem day, and return the day's services, the ledger's revision and
        whether this changed it (a redelivered record does not: the revision stays, so the
        day's claim is not priced again). Atomic per service, so two attendances recorded at
        once both land."""
        key = to_item(keys.attended_day_key(person_id, day))
        found = self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True).get("Item")
        ledger = from_item(found) if found else {}
        filed = dict(ledger.get("services") or {})
        if filed.get(source_id) == service:  # as filed already (or absent, and to be withdrawn)
            return filed, int(ledger.get("rev", 0)), False
        names = {"#s": source_id}
        updates: list[tuple[str, str, dict[str, Any]]]
        if service is None:
            updates = [
                ("REMOVE services.#s ADD rev :one", "attribute_exists(services)", {":one": 1}),
                ("ADD rev :one", "attribute_not_exists(services)", {":one": 1}),
            ]
        else:
            updates = [
                (
                    "SET services.#s = :svc ADD rev :one",
                    "attribute_exists(services)",
                    {":svc": service, ":one": 1},
                ),
                (
                    "SET services = :all, entity = :e ADD rev :one",
                    "attribute_not_exists(services)",
                    {":all": {source_id: service}, ":e": "ATTENDED_DAY", ":one": 1},
                ),
            ]
        for _ in range(3):  # the ledger may be created between the two forms: try again
            for expression, condition, values in updates:
                request: dict[str, Any] = {
                    "TableName": self.table,
                    "Key": key,
                    "UpdateExpression": expression,
                    "ExpressionAttributeValues": to_item(values),
                    "ReturnValues": "ALL_NEW",
                }
                if "#s" in expression:
                    request["ExpressionAttributeNames"] = names
                request["ConditionExpression"] = condition
                try:
                    new = from_item(self._client.update_item(**request)["Attributes"])
                except ClientError as exc:
                    if error_code(exc) != "ConditionalCheckFailedException":
                        raise
                    continue
                return dict(new.get("services") or {}), int(new["rev"]), True
        raise RuntimeError("the per-diem day's ledger kept changing")

    def put_day_claim(
        self, person_id: str, day: str, claim: dict[str, Any] | None, *, rev: int, source_id: str
    ) -> bool:
        """Replace (or, `claim` None, remove) a per-diem day's claim, only if the day's
        ledger is still at `rev`: a later attendance that day writes its own, newer claim."""
        check: TransactWriteItemTypeDef = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": to_item(keys.attended_day_key(person_id, day)),
                "ConditionExpression": "rev = :rev",
                "ExpressionAttributeValues": to_item({":rev": rev}),
            }
        }
        write: TransactWriteItemTypeDef = (
            {"Put": {"TableName": self.table, "Item": to_item(claim)}}
            if claim
            else {"Delete": {"TableName": self.table, "Key": to_item(keys.claim_key(person_id, source_id))}}
        )
        try:
            self._client.transact_write_items(TransactItems=[check, write])
        except ClientError as exc:
            if error_code(exc) != "TransactionCanceledException" or cancellation_reasons(exc)[:1] != [
                "ConditionalCheckFailed"
            ]:
                raise  # a conflict, not a newer ledger: the record is retried
            return False
        return True

    def family_members(self, family: str) -> list[tuple[str, str]]:
        """(person, plan) of every plan in one insurance family: one Query of its gsi1 bucket."""
        response = self._client.query(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :f",
            ExpressionAttributeValues=to_item({":f": family}),
        )
        return [keys.family_member(from_item(item)) for item in response.get("Items", [])]

    def share_with_family(self, shares: list[dict[str, Any]], drop: list[dict[str, str]]) -> None:
        """File (or withdraw) what a claim counts toward the family's accumulators with the
        other members of the family (a put or delete each: safe to repeat)."""
        for item in shares:
            self._client.put_item(TableName=self.table, Item=to_item(item))
        for key in drop:
            self._client.delete_item(TableName=self.table, Key=to_item(key))

    def drop_claim(self, person_id: str, source_id: str) -> None:
        """Attendance corrected away from `attended`: the projection no longer counts it."""
        self._client.delete_item(TableName=self.table, Key=to_item(keys.claim_key(person_id, source_id)))

    # --- authorizations and booked use ------------------------------------------------------

    def mark_alerted(self, person_id: str, authorization_id: str, kind: str) -> bool:
        """Record that an authorization's alert was raised, once: False when another consumer
        already did."""
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(keys.authorization_key(person_id, authorization_id)),
                UpdateExpression="SET alerted = list_append(if_not_exists(alerted, :none), :kind)",
                ConditionExpression="attribute_exists(pk) AND NOT contains(alerted, :k)",
                ExpressionAttributeValues=to_item({":none": [], ":kind": [kind], ":k": kind}),
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def put_item(self, item: dict[str, Any]) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def put_authorization_flags(self, person_id: str, flags: dict[str, list[str]]) -> None:
        """The participant's sessions flagged on the schedule, as last told."""
        self._client.put_item(
            TableName=self.table,
            Item=to_item(
                {**keys.authorization_flags_key(person_id), "entity": "AUTHORIZATION_FLAGS", "flags": flags}
            ),
        )

    def put_booked(self, item: dict[str, Any]) -> None:
        self._client.put_item(TableName=self.table, Item=to_item(item))

    def drop_booked(self, person_id: str, session_id: str) -> None:
        self._client.delete_item(TableName=self.table, Key=to_item(keys.booked_key(person_id, session_id)))

    def expiring(self, warn_on: date) -> list[dict[str, Any]]:
        """Authorizations whose expiry warning falls on `warn_on`: one Query of a gsi1 bucket."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :b",
            ExpressionAttributeValues=to_item({":b": keys.authorization_expiry_bucket(warn_on)}),
        )
        return [from_item(item) for page in pages for item in page.get("Items", [])]

    def set_couple_billing(
        self,
        couple_id: str,
        partner_ids: list[str],
        identified_patient_id: str,
        updated_at: datetime,
        audit_put: dict[str, Any],
    ) -> None:
        """The couple's billing choice, filed with each partner (their estimates read it in
        their own one Query), with its audit entry: one transaction."""
        items = [
            {
                **keys.couple_billing_key(partner, couple_id),
                "entity": "COUPLE_BILLING",
                "couple_id": couple_id,
                "partner_ids": partner_ids,
                "identified_patient_id": identified_patient_id,
                "updated_at": iso(updated_at),
            }
            for partner in partner_ids
        ]
        puts: list[TransactWriteItemTypeDef] = [
            {"Put": {"TableName": self.table, "Item": to_item(item)}} for item in items
        ]
        self._client.transact_write_items(TransactItems=[*puts, transact_element(audit_put)])
