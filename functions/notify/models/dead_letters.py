"""A dead-letter incident: the send queue's DLQ holding messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict

from functions.common.models import StoredRecord, iso
from functions.notify import keys
from functions.notify.vocabulary import ENTITY_DLQ_INCIDENT


class DlqIncident(StoredRecord):
    """The send queue's dead-letter queue holding messages, from the sweep that first found it
    non-empty (and alerted the coordinators) until one finds it empty again
    (`ALERT#DLQ#<queue>` / `INCIDENT`). Its queue's name and counts only."""

    model_config = ConfigDict(frozen=True)

    queue: str
    incident_id: str
    """Unique per incident: its alerts' ids derive from it."""
    opened_at: datetime
    waiting: int
    """How many messages the queue held when the incident opened."""

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.dlq_incident_key(self.queue),
            "entity": ENTITY_DLQ_INCIDENT,
            "queue": self.queue,
            "incident_id": self.incident_id,
            "opened_at": iso(self.opened_at),
            "waiting": self.waiting,
        }
