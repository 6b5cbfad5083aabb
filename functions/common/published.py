"""Publishing a domain's events on its FIFO topic (SNS), and reading them off a subscriber's
FIFO queue (SQS), the transport of the published language (`functions/contracts/`).

Publishing: each event is one message, its `subject` the FIFO message group (events of one
subject are delivered in the order published; different subjects side by side), its `id` the
deduplication id (a retried publish within five minutes is dropped by the topic), its `type`
and `version` message attributes (each subscription filters on `type`). Events go out ten to a
PublishBatch call, in order; a partial failure raises, so the caller retries the whole change.

Consuming: each subscriber's FIFO queue delivers its events in batches of up to ten, in order
per subject. `process_events` validates each against the contract and hands it to the handler
of its type; a failure fails that message and every later one of its subject in the batch
(Powertools' FIFO processor), so nothing overtakes an event that must be retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.common.failures import sanitized
from functions.common.observability import logger

MAX_BATCH = 10
"""Messages per PublishBatch call (SNS's limit)."""
TYPE_ATTRIBUTE = "type"
VERSION_ATTRIBUTE = "version"


class Envelope(Protocol):
    """What the transport needs of an event (every contract's envelope has these)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def subject(self) -> str: ...

    def model_dump_json(self) -> str: ...


class TopicPublisher:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def publish(self, events: Sequence[Envelope]) -> None:
        for start in range(0, len(events), MAX_BATCH):
            batch = events[start : start + MAX_BATCH]
            response = self._client.publish_batch(
                TopicArn=self._topic,
                PublishBatchRequestEntries=[
                    {
                        "Id": str(n),
                        "Message": event.model_dump_json(),
                        "MessageGroupId": event.subject,
                        "MessageDeduplicationId": event.id,
                        "MessageAttributes": {
                            TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": event.type},
                            VERSION_ATTRIBUTE: {"DataType": "Number", "StringValue": str(event.version)},
                        },
                    }
                    for n, event in enumerate(batch)
                ],
            )
            if response.get("Failed"):
                codes = sorted({str(f.get("Code")) for f in response["Failed"]})
                raise RuntimeError(f"{len(response['Failed'])} event(s) not published: {', '.join(codes)}")


EventHandler = Callable[[Any], None]


def process_events(
    event: dict[str, Any],
    context: LambdaContext,
    parse: Callable[[Mapping[str, Any]], BaseModel],
    handlers: Mapping[str, EventHandler],
) -> dict[str, Any]:
    """Run each queued event through the handler of its type; report failures individually
    (and, per subject, everything after a failure, so the retry keeps their order)."""
    processor = SqsFifoPartialProcessor(skip_group_on_error=True)

    def record_handler(record: SQSRecord) -> None:
        try:
            raw = json.loads(record.body)
        except ValueError as exc:
            raise ValueError("a queued message is not JSON") from exc
        kind = raw.get("type") if isinstance(raw, dict) else None
        handler = handlers.get(str(kind))
        if handler is None:
            logger.warning("no handler for event type", extra={"type": str(kind)[:64]})
            return
        handler(parse(raw))

    return dict(
        process_partial_response(
            event=event, record_handler=sanitized(record_handler), processor=processor, context=context
        )
    )
