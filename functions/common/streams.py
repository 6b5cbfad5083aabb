"""Consuming the schedule table's stream: domain events, one record at a time.

Each consumer maps entity types (the `entity` attribute every item carries) to a handler
of `Change`s. Powertools' batch processor reports failed records individually, so one bad
record is retried (and, after the event source's retries, sent to its on-failure queue)
without holding the others back. Records of entity types a consumer has no handler for
are acknowledged: the event-source filter should not have delivered them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common.dynamo import from_item
from functions.common.failures import sanitized
from functions.common.observability import logger


@dataclass(frozen=True)
class Change:
    """One stream record, deserialised: what the item was and what it became."""

    event_name: Literal["INSERT", "MODIFY", "REMOVE"]
    entity: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    sequence_number: str
    created_at: datetime | None = None
    """When DynamoDB wrote the change (the record's approximate creation time)."""


ChangeHandler = Callable[[Change], None]


def to_change(raw: dict[str, Any]) -> Change:
    ddb = raw.get("dynamodb") or {}
    new = from_item(ddb["NewImage"]) if ddb.get("NewImage") else None
    old = from_item(ddb["OldImage"]) if ddb.get("OldImage") else None
    entity = str((new or old or {}).get("entity", ""))
    return Change(
        event_name=raw.get("eventName", "MODIFY"),
        entity=entity,
        old=old,
        new=new,
        sequence_number=str(ddb.get("SequenceNumber", "")),
        created_at=_created(ddb.get("ApproximateCreationDateTime")),
    )


def _created(value: Any) -> datetime | None:
    """The record's creation time: epoch seconds from Lambda, a datetime from boto3's reader."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


def process_changes(
    event: dict[str, Any], context: LambdaContext, handlers: Mapping[str, ChangeHandler]
) -> dict[str, Any]:
    """Run each record through its entity's handler; report the failures individually."""
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    def record_handler(record: DynamoDBRecord) -> None:
        change = to_change(record.raw_event)
        handler = handlers.get(change.entity)
        if handler is None:
            logger.debug("no handler for entity", extra={"entity": change.entity})
            return
        handler(change)

    return dict(
        process_partial_response(
            event=event, record_handler=sanitized(record_handler), processor=processor, context=context
        )
    )
