"""The send queue's dead-letter queue as the sweep watches it: the only SQS read of notify
besides the sender's event source (one `GetQueueAttributes` call)."""

from __future__ import annotations

from typing import Any

WAITING_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
"""Visible, in flight (someone is looking at them) and delayed: every message the queue holds."""


class DeadLetterQueue:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self.url = queue_url

    @property
    def name(self) -> str:
        """The queue's name: the last part of its URL."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    def waiting(self) -> int:
        """How many messages the queue holds (approximately, as SQS counts)."""
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=list(WAITING_ATTRIBUTES)
        )["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in WAITING_ATTRIBUTES)
