"""The SMS reminder limits: counter items per person and local day / ISO week, each holding
the ids of the reminders it admitted (`logic/caps.py` has the rules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from functions.common.dynamo import cancellation_reasons, get_item, to_item
from functions.notify import keys
from functions.notify.logic.caps import CapCounter, CapName
from functions.notify.store.base import StoreBase
from functions.notify.vocabulary import ENTITY_SMS_CAP

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class SmsCapStore(StoreBase):
    def reserve_sms(self, person_id: str, message_id: str, counters: Sequence[CapCounter]) -> CapName | None:
        """Count one SMS reminder against every limit at once, or against none: the name of
        the limit it would exceed, else None. Counting the same reminder again is free."""
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self.table,
                    "Key": to_item(keys.sms_cap_key(person_id, counter.sort_key)),
                    "UpdateExpression": "ADD ids :ids SET entity = :entity, expires_at = :expires",
                    "ConditionExpression": (
                        "attribute_not_exists(ids) OR contains(ids, :id) OR size(ids) < :limit"
                    ),
                    "ExpressionAttributeValues": {
                        ":ids": {"SS": [message_id]},
                        ":id": {"S": message_id},
                        ":limit": {"N": str(counter.limit)},
                        ":entity": {"S": ENTITY_SMS_CAP},
                        ":expires": {"N": str(int(counter.expires_at.timestamp()))},
                    },
                }
            }
            for counter in counters
        ]
        cancelled = self._transact(items)
        if cancelled is None:
            return None
        for counter, reason in zip(counters, cancellation_reasons(cancelled), strict=False):
            if reason == "ConditionalCheckFailed":
                return counter.name
        raise cancelled

    def release_sms(self, person_id: str, message_id: str, counters: Sequence[CapCounter]) -> None:
        """Give back what `reserve_sms` counted (the text did not go out)."""
        for counter in counters:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(keys.sms_cap_key(person_id, counter.sort_key)),
                UpdateExpression="DELETE ids :ids",
                ExpressionAttributeValues={":ids": {"SS": [message_id]}},
            )

    def sms_cap_count(self, person_id: str, counter: CapCounter) -> int:
        data = get_item(self._client, self.table, keys.sms_cap_key(person_id, counter.sort_key))
        return len(data.get("ids", [])) if data else 0
