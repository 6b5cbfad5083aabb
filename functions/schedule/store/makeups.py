"""Makeup offers: written once per missed session, read per person, accepted with a booking."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, from_item, to_item
from functions.schedule import keys
from functions.schedule.models import MakeupOfferRecord
from functions.schedule.store.base import StoreBase


class MakeupStore(StoreBase):
    def put_makeup_offer(self, offer: MakeupOfferRecord) -> bool:
        """Write the offer unless one exists already (a redelivered event changes nothing)."""
        try:
            self._client.put_item(
                TableName=self.table,
                Item=to_item(offer.to_attributes()),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def makeup_offers(self, person_id: str) -> list[MakeupOfferRecord]:
        response = self._client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :m)",
            ExpressionAttributeValues=to_item({":pk": keys.person_pk(person_id), ":m": keys.MAKEUP_PREFIX}),
            ScanIndexForward=False,
        )
        return MakeupOfferRecord.readable(from_item(i) for i in response.get("Items", []))

    def accepted_offer_put(self, before: MakeupOfferRecord, after: MakeupOfferRecord) -> dict[str, Any]:
        """The offer's move to accepted, for the booking's transaction (only from open)."""
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(after.to_attributes()),
                "ConditionExpression": "#v = :expected AND #s = :open",
                "ExpressionAttributeNames": {"#v": "version", "#s": "status"},
                "ExpressionAttributeValues": to_item({":expected": before.version, ":open": "open"}),
            }
        }
