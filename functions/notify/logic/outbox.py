"""Rules of the outbox: which day buckets the sweep reads, how messages are batched. No boto3."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

# SQS takes at most 10 messages per SendMessageBatch call.
SQS_BATCH = 10


def sweep_days(now: datetime) -> list[datetime]:
    """Yesterday's bucket too: a message due just before midnight UTC must not be stranded
    when the sweep that should have taken it ran late or failed."""
    return [now - timedelta(days=1), now]


def chunks(items: Sequence[T], size: int = SQS_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
