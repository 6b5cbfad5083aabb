"""The notify table: the only module of this function that speaks DynamoDB."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, from_item, get_item, to_item
from functions.common.errors import FieldError, PreconditionFailed
from functions.common.models import iso
from functions.common.tables import GSI1
from functions.notify.models import MessageRecord, PreferencesRecord
from functions.notify.vocabulary import MessageStatus


class NotifyStore:
    def __init__(self, table_name: str, client: Any) -> None:
        self.table = table_name
        self._client = client

    # --- preferences -------------------------------------------------------------------------

    def get_preferences(self, person_id: str) -> PreferencesRecord | None:
        data = get_item(self._client, self.table, PreferencesRecord.key(person_id))
        return PreferencesRecord.from_attributes(data) if data else None

    def put_preferences(
        self, record: PreferencesRecord, *, expected_version: int, audit_put: dict[str, Any]
    ) -> None:
        """Optimistic write (version 0 means: none saved yet) together with its audit entry."""
        condition: dict[str, Any]
        if expected_version == 0:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        else:
            condition = {
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": to_item({":expected": expected_version}),
            }
        put = {"Put": {"TableName": self.table, "Item": to_item(record.to_attributes()), **condition}}
        try:
            self._client.transact_write_items(TransactItems=[put, audit_put])
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise PreconditionFailed(
                    "the preferences changed since you read them; fetch them again and retry",
                    errors=[FieldError("header.If-Match", "stale")],
                ) from exc
            raise

    # --- outbox ------------------------------------------------------------------------------

    def put_message(self, record: MessageRecord) -> None:
        self._client.put_item(
            TableName=self.table,
            Item=to_item(record.to_attributes()),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_message(self, message_id: str) -> MessageRecord | None:
        data = get_item(self._client, self.table, MessageRecord.key(message_id))
        return MessageRecord.from_attributes(data) if data else None

    def due_message_ids(self, bucket_day: datetime, now: datetime, *, limit: int) -> list[str]:
        """Pending messages of one day's bucket that are due by `now`, oldest first."""
        response = self._client.query(
            TableName=self.table,
            IndexName=GSI1,
            KeyConditionExpression="gsi1pk = :bucket AND gsi1sk <= :now",
            ExpressionAttributeValues=to_item(
                {":bucket": MessageRecord.due_bucket(bucket_day), ":now": iso(now) + "#~"}
            ),
            Limit=limit,
        )
        return [from_item(item)["message_id"] for item in response.get("Items", [])]

    def mark_queued(self, message_id: str) -> bool:
        """Leave the due index; False when someone else already moved the message on."""
        return self._transition(
            message_id,
            (MessageStatus.PENDING,),
            "SET #s = :to REMOVE gsi1pk, gsi1sk",
            {":to": MessageStatus.QUEUED.value},
        )

    def mark_sent(self, message_id: str, provider_message_id: str, sent_at: datetime) -> bool:
        return self._transition(
            message_id,
            (MessageStatus.QUEUED, MessageStatus.PENDING),
            "SET #s = :to, provider_message_id = :pid, sent_at = :at REMOVE gsi1pk, gsi1sk",
            {":to": MessageStatus.SENT.value, ":pid": provider_message_id, ":at": iso(sent_at)},
        )

    def _transition(
        self, message_id: str, expected: tuple[MessageStatus, ...], update: str, values: dict[str, Any]
    ) -> bool:
        allowed = {f":from{i}": status.value for i, status in enumerate(expected)}
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(MessageRecord.key(message_id)),
                UpdateExpression=update,
                ConditionExpression=f"#s IN ({', '.join(allowed)})",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item({**values, **allowed}),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True
