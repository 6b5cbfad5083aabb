"""People's preferences, contact data and SMS consent; the mobile-number lookup kept with
them, and the people of a zone (gsi1 `ZONE#`, the weekly digest)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from functions.common.dynamo import get_item, to_item
from functions.common.errors import FieldError, PreconditionFailed
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify import keys
from functions.notify.models import PhoneNumbers, PreferencesRecord, SmsConsent
from functions.notify.store.base import StoreBase, transact_element
from functions.notify.vocabulary import ENTITY_PHONE

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef


class PreferencesStore(StoreBase):
    def get_preferences(self, person_id: str) -> PreferencesRecord | None:
        data = get_item(self._client, self.table, keys.preferences_key(person_id))
        return PreferencesRecord.from_attributes(data) if data else None

    def get_preferences_many(self, person_ids: Iterable[str]) -> dict[str, PreferencesRecord]:
        wanted = [keys.preferences_key(p) for p in dict.fromkeys(person_ids)]
        return {
            item["person_id"]: PreferencesRecord.from_attributes(item) for item in self._batch_get(wanted)
        }

    def put_preferences(
        self,
        record: PreferencesRecord,
        *,
        expected_version: int,
        audit_puts: Sequence[dict[str, Any]] = (),
        previous_phone: str | None = None,
    ) -> None:
        """Optimistic write (version 0 means: none saved yet), with its audit entries when a
        person's request made it, and the mobile-number lookup moved along with the number."""
        put: PutTypeDef = {"TableName": self.table, "Item": to_item(record.to_attributes())}
        if expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "#v = :expected"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = to_item({":expected": expected_version})
        items: list[TransactWriteItemTypeDef] = [{"Put": put}]
        if record.phone:
            items.append(self._phone_update(record.phone, record.person_id, "ADD"))
        if previous_phone and previous_phone != record.phone:
            items.append(self._phone_update(previous_phone, record.person_id, "DELETE"))
        items += [transact_element(entry) for entry in audit_puts]
        cancelled = self._transact(items)
        if cancelled is not None:
            raise PreconditionFailed(
                "the preferences changed since you read them; fetch them again and retry",
                errors=[FieldError("header.If-Match", "stale")],
            ) from cancelled

    def _phone_update(self, phone: str, person_id: str, action: str) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.phone_key(phone)),
                "UpdateExpression": f"{action} person_ids :me SET entity = :entity",
                "ExpressionAttributeValues": to_item({":me": {person_id}, ":entity": ENTITY_PHONE}),
            }
        }

    def people_with_phone(self, phone: str) -> PhoneNumbers:
        """Who has this mobile number on file (one GetItem); nobody: an empty tuple."""
        data = get_item(self._client, self.table, keys.phone_key(phone))
        people = sorted(str(p) for p in (data or {}).get("person_ids") or ())
        return PhoneNumbers(phone=phone, person_ids=tuple(people))

    def revoke_sms_consent(
        self, person_id: str, phone: str, now: datetime, source: str, audit_put: dict[str, Any]
    ) -> bool:
        """Withdraw the person's active consent to texts at `phone`, at once; False when
        there was none to withdraw. A new version, so no edit read before it can undo it."""
        return self._consent_update(
            person_id,
            "SET sms_consent.revoked_at = :now, sms_consent.revoked_source = :source, "
            "version = version + :one, updated_at = :now",
            "phone = :phone AND attribute_exists(sms_consent) "
            "AND attribute_not_exists(sms_consent.revoked_at)",
            {":now": iso(now), ":source": source, ":one": 1, ":phone": phone},
            audit_put,
        )

    def grant_sms_consent(
        self, person_id: str, phone: str, now: datetime, source: str, audit_put: dict[str, Any]
    ) -> bool:
        """Record fresh consent to texts at `phone` unless consent is already active."""
        consent = SmsConsent(granted_at=now, source=source)
        return self._consent_update(
            person_id,
            "SET sms_consent = :consent, version = version + :one, updated_at = :now",
            "phone = :phone "
            "AND (attribute_not_exists(sms_consent) OR attribute_exists(sms_consent.revoked_at))",
            {
                ":consent": {"granted_at": iso(consent.granted_at), "source": consent.source},
                ":now": iso(now),
                ":one": 1,
                ":phone": phone,
            },
            audit_put,
        )

    def _consent_update(
        self,
        person_id: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        audit_put: dict[str, Any],
    ) -> bool:
        item: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.preferences_key(person_id)),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        return self._transact_unless_stale([item, transact_element(audit_put)], first_only=True)

    def people_in_zone(self, zone: str) -> list[str]:
        """Everyone whose saved preferences name this zone (gsi1 `ZONE#<zone>`, paged)."""
        items = self._query_all(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket",
            ExpressionAttributeValues=to_item({":bucket": keys.zone_bucket(zone)}),
            ProjectionExpression="person_id",
        )
        return [str(item["person_id"]) for item in items]
