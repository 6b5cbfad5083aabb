"""The minute sweep: due outbox messages onto the send queue, ten per SQS call."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.notify.logic.outbox import chunks, sweep_days
from functions.notify.store import NotifyStore

MAX_PER_SWEEP = 1000


class SweepSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")
    queue_url: str = Field(alias="NOTIFY_QUEUE_URL")


SETTINGS = SweepSettings


def sweep(store: NotifyStore, sqs: Any, queue_url: str) -> int:
    """Queue every due pending message; return how many were queued."""
    now = utc_now()
    due: list[str] = []
    for day in sweep_days(now):
        due.extend(store.due_message_ids(day, now, limit=MAX_PER_SWEEP - len(due)))
        if len(due) >= MAX_PER_SWEEP:
            break
    queued = 0
    for batch in chunks(due):
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"message_id": message_id})}
                for i, message_id in enumerate(batch)
            ],
        )
        # Sent first, marked second: a crash between the two re-sends (the sender is
        # idempotent), never loses. Entries SQS refused stay pending for the next sweep.
        for ok in response.get("Successful", []):
            if store.mark_queued(batch[int(ok["Id"])]):
                queued += 1
        if response.get("Failed"):
            logger.warning("queue refused messages", extra={"failed": len(response["Failed"])})
    metrics.add_metric(name="MessagesQueued", unit="Count", value=queued)
    return queued


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(SweepSettings)
    store = NotifyStore(settings.notify_table, aws.client("dynamodb"))
    return {"queued": sweep(store, aws.client("sqs"), settings.queue_url)}


lambda_handler = background_entry("notify", _run)
