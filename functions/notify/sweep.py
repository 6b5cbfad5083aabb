"""The minute sweep: due outbox messages onto the send queue, ten per SQS call.

Each due message is claimed first (a conditional pending -> queued update), then queued:
of two sweeps running at once exactly one claims a message, so none is queued twice. A
claim whose SQS call never happened (the sweep died in between) is found again in the
lease index after `LEASE` and queued then; one SQS refused is given back at once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import iso, utc_now
from functions.common.observability import logger, metrics
from functions.notify.logic.outbox import LEASE, chunks, lease_days, sweep_days
from functions.notify.store import NotifyStore

MAX_PER_SWEEP = 1000


class SweepSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")
    queue_url: str = Field(alias="NOTIFY_QUEUE_URL")


SETTINGS = SweepSettings


def _claimed(store: NotifyStore, now: datetime) -> list[tuple[str, str]]:
    """Claim what is due (and stale claims nobody picked up); (message id, due sort key)."""
    claimed: list[tuple[str, str]] = []
    seen = 0
    for day in sweep_days(now):
        for message_id, due_key in store.due_messages(day, now, limit=MAX_PER_SWEEP - seen):
            seen += 1
            if store.claim(message_id, now):
                claimed.append((message_id, due_key))
        if seen >= MAX_PER_SWEEP:
            return claimed
    for day in lease_days(now):
        for message_id, lease_key in store.stale_claims(day, now - LEASE, limit=MAX_PER_SWEEP - seen):
            seen += 1
            if store.reclaim(message_id, lease_key, now):
                claimed.append((message_id, ""))
        if seen >= MAX_PER_SWEEP:
            break
    return claimed


def sweep(store: NotifyStore, sqs: Any, queue_url: str, *, now: datetime | None = None) -> int:
    """Queue every due pending message this sweep claims; return how many were queued."""
    now = now or utc_now()
    claimed = _claimed(store, now)
    queued = 0
    for batch in chunks(claimed):
        response = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"message_id": message_id, "claim": iso(now)})}
                for i, (message_id, _) in enumerate(batch)
            ],
        )
        queued += len(response.get("Successful", []))
        failed = response.get("Failed", [])
        for refused in failed:
            message_id, due_key = batch[int(refused["Id"])]
            # A fresh claim goes back to pending now; a reclaimed one waits for the next lease.
            if due_key:
                store.release_claim(message_id, now, due_key)
        if failed:
            logger.warning("queue refused messages", extra={"failed": len(failed)})
    metrics.add_metric(name="MessagesQueued", unit="Count", value=queued)
    return queued


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(SweepSettings)
    store = NotifyStore(settings.notify_table, aws.client("dynamodb"))
    return {"queued": sweep(store, aws.client("sqs"), settings.queue_url, now=utc_now())}


lambda_handler = background_entry("notify", _run)
