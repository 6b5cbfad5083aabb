"""Rules of the outbox: which day buckets the sweep reads, how messages are batched. No boto3."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")

# SQS takes at most 10 messages per SendMessageBatch call.
SQS_BATCH = 10

CATCH_UP_DAYS = 7
"""How far back the sweep looks for pending messages it missed (a sweep outage, a message
due just before midnight UTC that the last sweep of the day did not see). Anything older is
a week stale: a reminder of it would be useless and the sender would expire it anyway."""

LEASE = timedelta(minutes=10)
"""A claimed message the sender has not picked up after this long is queued again (the
sweep that claimed it died before its SQS call, or the queue lost it). Well above the time
a healthy queue takes to hand a message to the sender; the sender is idempotent either way."""


def sweep_days(now: datetime, catch_up_days: int = CATCH_UP_DAYS) -> list[datetime]:
    """The due-index day buckets to read, oldest first: today and the `catch_up_days` before."""
    return [now - timedelta(days=back) for back in range(catch_up_days, -1, -1)]


def lease_days(now: datetime, catch_up_days: int = CATCH_UP_DAYS) -> list[datetime]:
    """The lease-index day buckets that can hold a claim older than `LEASE`, oldest first."""
    return sweep_days(now - LEASE, catch_up_days)


def chunks(items: Sequence[T], size: int = SQS_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
