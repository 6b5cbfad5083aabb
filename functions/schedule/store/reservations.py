"""Reservations: the quarter-hours each person holds (BUSY# items), which make double
booking a failed condition rather than a race."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions.common.dynamo import from_item, to_item
from functions.common.models import iso
from functions.schedule import keys
from functions.schedule.logic.booking import RESERVATION_TTL, Reservation
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import ENTITY_RESERVATION


class ReservationStore(StoreBase):
    def busy_slots(self, person_id: str, start: datetime, end: datetime) -> set[datetime]:
        """The quarter-hours a person holds in [start, end): one Query of their reservations."""
        first, last = keys.reservation_range(start, end)
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item({":pk": keys.busy_pk(person_id), ":from": first, ":to": last}),
            ProjectionExpression="sk",
        )
        return {keys.reservation_slot(from_item(item)) for page in pages for item in page.get("Items", [])}

    def _reserve(self, reservation: Reservation) -> dict[str, Any]:
        expires = int((reservation.end + RESERVATION_TTL).timestamp())
        item = {
            **keys.reservation_key(reservation.person_id, reservation.slot),
            "entity": ENTITY_RESERVATION,
            "person_id": reservation.person_id,
            "session_id": reservation.session_id,
            "start": iso(reservation.start),
            "end": iso(reservation.end),
            "expires_at": expires,
        }
        return {
            "Put": {
                "TableName": self.table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _release(self, reservation: Reservation) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": to_item(keys.reservation_key(reservation.person_id, reservation.slot)),
                "ConditionExpression": "session_id = :sid",
                "ExpressionAttributeValues": to_item({":sid": reservation.session_id}),
            }
        }

    def _repoint(self, reservation: Reservation) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.reservation_key(reservation.person_id, reservation.slot)),
                "UpdateExpression": "SET #s = :start, #e = :end, expires_at = :exp",
                "ConditionExpression": "session_id = :sid",
                "ExpressionAttributeNames": {"#s": "start", "#e": "end"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":start": iso(reservation.start),
                        ":end": iso(reservation.end),
                        ":exp": int((reservation.end + RESERVATION_TTL).timestamp()),
                        ":sid": reservation.session_id,
                    }
                ),
            }
        }
