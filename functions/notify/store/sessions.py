"""Sessions: notify's marker of each (the version applied, the reminders held) and a
session change's plan written against it in one transaction; each person's upcoming
sessions (gsi1 `NEXT#`): the next one, a week's, and a texted confirmation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from functions.common.dynamo import cancellation_reasons, from_item, get_item, to_item
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify import keys
from functions.notify.logic.reminders import MAX_WRITES, SessionPlan
from functions.notify.models import SessionNotices, UpcomingSession
from functions.notify.store.base import transact_element
from functions.notify.store.messages import OutboxStore

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb.type_defs import PutTypeDef, TransactWriteItemTypeDef


class Applied(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    """The session marker moved on: this version (or a later one) was applied already."""
    RACED = "raced"
    """A reminder to retire left the pending state meanwhile; plan again."""


class SessionStore(OutboxStore):
    def get_session_notices(self, session_id: str) -> SessionNotices | None:
        data = get_item(self._client, self.table, keys.session_notices_key(session_id))
        return SessionNotices.from_attributes(data) if data else None

    def apply_session_plan(self, plan: SessionPlan) -> Applied:
        """Write a plan in one transaction, conditioned on the marker it was made against:
        new messages (each only once), the retired reminders deleted while still pending."""
        marker = plan.marker
        put_marker: PutTypeDef = {"TableName": self.table, "Item": to_item(marker.to_attributes())}
        if plan.expected_version is None:
            put_marker["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put_marker["ConditionExpression"] = "#v = :expected"
            put_marker["ExpressionAttributeNames"] = {"#v": "version"}
            put_marker["ExpressionAttributeValues"] = to_item({":expected": plan.expected_version})
        items: list[TransactWriteItemTypeDef] = [{"Put": put_marker}]
        items += [self._put_new(message.to_attributes()) for message in plan.messages]
        for upcoming in plan.upcoming:
            items.append({"Put": {"TableName": self.table, "Item": to_item(upcoming.to_attributes())}})
        for person_id in plan.leave:
            key = keys.upcoming_key(person_id, marker.session_id)
            items.append({"Delete": {"TableName": self.table, "Key": to_item(key)}})
        items += [self._delete_pending(message_id) for message_id in self._pending(plan.retire)]
        if len(items) > MAX_WRITES:
            raise ValueError(f"a session change of {len(items)} writes exceeds one transaction")
        cancelled = self._transact(items)
        if cancelled is None:
            return Applied.APPLIED
        reasons = cancellation_reasons(cancelled)
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return Applied.STALE
        if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
            return Applied.RACED
        raise cancelled

    def next_session(self, person_id: str, now: datetime) -> UpcomingSession | None:
        """The person's next booked session that has not begun (one Query of gsi1)."""
        response = self._client.query(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket AND gsi1sk > :now",
            ExpressionAttributeValues=to_item(
                {":bucket": keys.next_bucket(person_id), ":now": keys.since(now)}
            ),
            Limit=1,
        )
        items = response.get("Items", [])
        return UpcomingSession.from_attributes(from_item(items[0])) if items else None

    def get_upcoming(self, person_id: str, session_id: str) -> UpcomingSession | None:
        data = get_item(self._client, self.table, keys.upcoming_key(person_id, session_id))
        return UpcomingSession.from_attributes(data) if data else None

    def confirm_session(
        self, upcoming: UpcomingSession, now: datetime, via: str, audit_put: dict[str, Any]
    ) -> bool:
        """Record that the person confirmed the session at its current times; False when it
        moved or went meanwhile."""
        item: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.upcoming_key(upcoming.person_id, upcoming.session_id)),
                "UpdateExpression": "SET confirmed_at = :now, confirmed_via = :via",
                "ConditionExpression": "gsi1sk = :sk",
                "ExpressionAttributeValues": to_item(
                    {
                        ":now": iso(now),
                        ":via": via,
                        ":sk": keys.upcoming_sort_key(upcoming.start, upcoming.session_id),
                    }
                ),
            }
        }
        return self._transact_unless_stale([item, transact_element(audit_put)], first_only=True)

    def upcoming_between(self, person_id: str, start: datetime, end: datetime) -> list[UpcomingSession]:
        """The person's booked sessions beginning within [start, end) (one Query of gsi1)."""
        items = self._query_all(
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket AND gsi1sk BETWEEN :from AND :to",
            ExpressionAttributeValues=to_item(
                {":bucket": keys.next_bucket(person_id), ":from": keys.since(start), ":to": keys.since(end)}
            ),
        )
        return [u for u in UpcomingSession.readable(items) if start <= u.start < end]
