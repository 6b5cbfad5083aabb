"""The minute sweep: due outbox messages onto the send queue, ten per SQS call; then a look
at the send queue's dead-letter queue.

Each due message is claimed first (a conditional pending -> queued update), then queued:
of two sweeps running at once exactly one claims a message, so none is queued twice. A
claim whose SQS call never happened (the sweep died in between) is found again in the
lease index after `LEASE` and queued then; one SQS refused is given back at once.

Messages that kept failing wait on the dead-letter queue: the coordinators get one alert per
incident (`logic.dead_letters` says when one opens and closes), written to the outbox like
every coordinator alert and queued by a later sweep.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import load_settings
from functions.common.entry import background_entry
from functions.common.models import iso, utc_now
from functions.common.observability import logger, metrics
from functions.notify.alerts import CoordinatorSettings
from functions.notify.logic.dead_letters import Close, Open, alert_messages, assess
from functions.notify.logic.outbox import LEASE, chunks, lease_days, sweep_days
from functions.notify.queues import DeadLetterQueue
from functions.notify.store import NotifyStore

MAX_PER_SWEEP = 1000


class SweepSettings(CoordinatorSettings):
    notify_table: str = Field(alias="NOTIFY_TABLE")
    queue_url: str = Field(alias="NOTIFY_QUEUE_URL")
    dlq_url: str = Field(alias="NOTIFY_DLQ_URL")


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


def watch_dead_letters(
    store: NotifyStore, dlq: DeadLetterQueue, coordinators: list[str], *, now: datetime
) -> str:
    """Alert the coordinators when the dead-letter queue's incident opens, close it once the
    queue is empty; return what happened (`opened`, `closed`, `open`, `empty`, `raced`)."""
    waiting = dlq.waiting()
    metrics.add_metric(name="SendDeadLettersWaiting", unit="Count", value=waiting)
    step = assess(dlq.name, waiting, store.get_dlq_incident(dlq.name), now, new_incident_id=uuid.uuid4().hex)
    log = {"queue": dlq.name, "waiting": waiting}
    if isinstance(step, Open):
        if not coordinators:
            logger.warning("dead-letter alert not addressed: COORDINATOR_ALERT_IDS is empty", extra=log)
        alerts = alert_messages(step.incident, coordinators)
        if not store.open_dlq_incident(step.incident, alerts):
            return "raced"  # another sweep opened it (and alerted) first
        logger.warning("messages are waiting on the dead-letter queue", extra={**log, "alerts": len(alerts)})
        return "opened"
    if isinstance(step, Close):
        if store.close_dlq_incident(step.incident):
            logger.info("the dead-letter queue is empty again", extra=log)
            return "closed"
        return "raced"
    return "open" if waiting > 0 else "empty"


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(SweepSettings)
    store = NotifyStore(settings.notify_table, aws.client("dynamodb"))
    sqs = aws.client("sqs")
    now = utc_now()
    queued = sweep(store, sqs, settings.queue_url, now=now)
    dead_letters = watch_dead_letters(
        store, DeadLetterQueue(sqs, settings.dlq_url), settings.coordinators(), now=now
    )
    return {"queued": queued, "dead_letters": dead_letters}


lambda_handler = background_entry("notify", _run)
