"""Calendar feeds: the secret link's token and the items a feed reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.common.auth import Principal, Role
from functions.common.dynamo import error_code, from_item, get_item, to_item
from functions.common.errors import Conflict
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.schedule import keys
from functions.schedule.store.base import StoreBase
from functions.schedule.vocabulary import ENTITY_FEED


class FeedStore(StoreBase):
    def set_feed(self, owner: Principal, token_hash: str, now: datetime, audit_put: dict[str, Any]) -> None:
        """Point the person's feed at a new token; the old token stops working in the same write."""
        person_id = owner.person_id
        pointer_key = keys.feed_pointer_key(person_id)
        current = get_item(self._client, self.table, pointer_key)
        old = current["token_hash"] if current else None
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {
                            **keys.feed_key(token_hash),
                            "entity": ENTITY_FEED,
                            "person_id": person_id,
                            "role": owner.role.value,
                            "username": owner.username,
                            "created_at": iso(now),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(
                        {
                            **pointer_key,
                            "entity": ENTITY_FEED,
                            "token_hash": token_hash,
                            "created_at": iso(now),
                        }
                    ),
                    # Only over the pointer this request read, so no live token is ever orphaned.
                    **(
                        {
                            "ConditionExpression": "token_hash = :old",
                            "ExpressionAttributeValues": to_item({":old": old}),
                        }
                        if old
                        else {"ConditionExpression": "attribute_not_exists(pk)"}
                    ),
                }
            },
            audit_put,
        ]
        if old:
            items.append({"Delete": {"TableName": self.table, "Key": to_item(keys.feed_key(old))}})
        try:
            self._transact_write(items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("the calendar link changed meanwhile; retry") from exc
            raise

    def revoke_feed(self, person_id: str, audit_put: dict[str, Any]) -> bool:
        pointer_key = keys.feed_pointer_key(person_id)
        current = get_item(self._client, self.table, pointer_key)
        if current is None:
            return False
        old = current["token_hash"]
        try:
            self._transact_write(
                [
                    {"Delete": {"TableName": self.table, "Key": to_item(keys.feed_key(old))}},
                    {
                        "Delete": {
                            "TableName": self.table,
                            "Key": to_item(pointer_key),
                            "ConditionExpression": "token_hash = :old",
                            "ExpressionAttributeValues": to_item({":old": old}),
                        }
                    },
                    audit_put,
                ]
            )
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise Conflict("the calendar link changed meanwhile; retry") from exc
            raise
        return True

    def feed_owner(self, token_hash: str) -> Principal | None:
        data = get_item(self._client, self.table, keys.feed_key(token_hash), consistent=False)
        if data is None:
            return None
        return Principal(person_id=data["person_id"], role=Role(data["role"]), username=data["username"])

    def calendar_items(self, person_id: str, since: datetime) -> list[dict[str, Any]]:
        """Sessions from `since` on, and group enrolments/facilitations: one Query (GSI1)."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :p AND gsi1sk >= :since",
            ExpressionAttributeValues=to_item(
                {":p": keys.schedule_pk(person_id), ":since": keys.schedule_from(since)}
            ),
        )
        return [from_item(i) for page in pages for i in page.get("Items", [])]
