"""The outbox: outgoing messages written, read and retired while pending, and the shared
steps of a message's life (a status update over the one read, failing it for good into
the coordinators' list)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from functions.common.dynamo import error_code, from_item, get_item, to_item
from functions.common.models import iso
from functions.notify import keys
from functions.notify.logic.outbox import chunks
from functions.notify.models import Attempt, FailureRecord, MessageRecord
from functions.notify.store.base import BATCH_GET, StoreBase
from functions.notify.vocabulary import MessageStatus

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda bundle does not ship them
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

PENDING = MessageStatus.PENDING.value
QUEUED = MessageStatus.QUEUED.value


class OutboxStore(StoreBase):
    def put_message(self, record: MessageRecord) -> None:
        self._client.put_item(
            TableName=self.table,
            Item=to_item(record.to_attributes()),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def put_new_messages(self, messages: Sequence[MessageRecord]) -> bool:
        """Write messages all at once, each only if it does not exist; False when they were
        written before (a redelivered stream record)."""
        if not messages:
            return True
        return self._put_all_new([message.to_attributes() for message in messages])

    def get_message(self, message_id: str) -> MessageRecord | None:
        data = get_item(self._client, self.table, keys.message_key(message_id))
        return MessageRecord.from_attributes(data) if data else None

    def get_messages(self, message_ids: Iterable[str]) -> dict[str, MessageRecord]:
        wanted = [keys.message_key(m) for m in dict.fromkeys(message_ids)]
        return {record.message_id: record for record in MessageRecord.readable(self._batch_get(wanted))}

    def existing_messages(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these messages exist (BatchGetItem, ids only)."""
        wanted = [keys.message_key(m) for m in dict.fromkeys(message_ids)]
        found: set[str] = set()
        for chunk in chunks(wanted, BATCH_GET):
            request: dict[str, Any] = {
                self.table: {
                    "Keys": [to_item(key) for key in chunk],
                    "ProjectionExpression": "message_id",
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                found |= {
                    str(from_item(item)["message_id"])
                    for item in response.get("Responses", {}).get(self.table, [])
                }
                request = response.get("UnprocessedKeys") or {}
        return found

    def _pending(self, reminders: Iterable[str]) -> list[str]:
        return [
            m.message_id for m in self.get_messages(reminders).values() if m.status is MessageStatus.PENDING
        ]

    def _delete_pending(self, message_id: str) -> TransactWriteItemTypeDef:
        return {
            "Delete": {
                "TableName": self.table,
                "Key": to_item(keys.message_key(message_id)),
                "ConditionExpression": "#s = :pending",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item({":pending": PENDING}),
            }
        }

    def _delete_pending_now(self, message_id: str) -> bool:
        try:
            self._client.delete_item(**self._delete_pending(message_id)["Delete"])
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _update(self, message_id: str, update: str, condition: str, values: dict[str, Any]) -> bool:
        try:
            self._client.update_item(
                TableName=self.table,
                Key=to_item(keys.message_key(message_id)),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _fail_for_good(
        self,
        message: MessageRecord,
        now: datetime,
        reason: str,
        *,
        condition: str,
        values: dict[str, Any],
        outcome: str,
        attempts: int,
    ) -> bool:
        failure = FailureRecord(
            message_id=message.message_id,
            person_id=message.person_id,
            channel=message.channel,
            kind=message.kind,
            reason=reason,
            failed_at=now,
            attempts=attempts,
        )
        update: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self.table,
                "Key": to_item(keys.message_key(message.message_id)),
                "UpdateExpression": "SET #s = :failed, status_reason = :reason, attempt_log = list_append("
                f"if_not_exists(attempt_log, :empty), :entry), {INTO_HISTORY}",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":queued": QUEUED,
                        ":failed": MessageStatus.FAILED.value,
                        ":reason": reason,
                        ":empty": [],
                        ":entry": [attempt_entry(now, outcome, reason)],
                        **history_values(message, now),
                        **values,
                    }
                ),
            }
        }
        return self._transact_unless_stale([update, self._put_new(failure.to_attributes())])


INTO_HISTORY = "finished_at = :finished, gsi1pk = :hist, gsi1sk = :hist_sk"
"""A finished message leaves the due and lease indexes for its person's history."""


def history_values(message: MessageRecord, now: datetime) -> dict[str, Any]:
    return {
        ":finished": iso(now),
        ":hist": keys.history_bucket(message.person_id),
        ":hist_sk": keys.history_sort_key(now, message.message_id),
    }


def attempt_entry(at: datetime, outcome: str, reason: str | None) -> dict[str, Any]:
    return Attempt(at=at, outcome=outcome, reason=reason).model_dump(mode="json") | {"at": iso(at)}
