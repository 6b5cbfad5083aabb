"""Dead-letter alerts: when messages that kept failing wait on the send queue's dead-letter
queue, the coordinators hear of it once per incident. No boto3.

An incident opens when a sweep finds the queue holding messages (visible, in flight or
delayed: one reading) and none is open; opening it writes one email per coordinator to the
outbox, in the same transaction as the incident, conditioned on no incident being open, so
of two sweeps at once only one alerts. While it stays open, however long the queue holds
messages and however many more arrive, nothing more is sent. The first sweep that finds the
queue empty closes it (drained by operators, or expired after the queue's 14-day retention);
messages landing after that open a new incident, and a new alert.

The alert is PHI-free: the queue's name, how many messages wait and where coordinators look
(their failures list, which names the messages' ids, kinds and reasons): no person, number,
address or words. The counts SQS gives are approximate, and so is the one in the alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from functions.common.models import iso
from functions.notify.models import DlqIncident, MessageRecord
from functions.notify.vocabulary import FAILURES_ROUTE, Channel, MessageKind


@dataclass(frozen=True)
class Open:
    """The queue holds messages and no incident is open: open this one and alert."""

    incident: DlqIncident


@dataclass(frozen=True)
class Close:
    """The queue is empty again: the open incident is over."""

    incident: DlqIncident


Step = Open | Close | None
"""None: nothing to do (empty and nothing open, or holding messages with the incident open)."""


def assess(
    queue: str, waiting: int, incident: DlqIncident | None, now: datetime, *, new_incident_id: str
) -> Step:
    """What one reading of the queue (`waiting` messages) means, given the open incident if any;
    `new_incident_id` names the incident should one open."""
    if waiting > 0 and incident is None:
        return Open(DlqIncident(queue=queue, incident_id=new_incident_id, opened_at=now, waiting=waiting))
    if waiting <= 0 and incident is not None:
        return Close(incident)
    return None


def where_to_look(moment: datetime) -> str:
    """The coordinators' failures list of the incident's month."""
    return f"GET {FAILURES_ROUTE}?month={iso(moment)[:7]}"


def alert_messages(incident: DlqIncident, coordinators: Sequence[str]) -> list[MessageRecord]:
    """One email per coordinator, due at once; ids derived from the incident, so writing them
    twice is refused."""
    return [
        MessageRecord(
            message_id=f"dlq.{incident.incident_id}.{coordinator}.{Channel.EMAIL.value}",
            person_id=coordinator,
            channel=Channel.EMAIL,
            kind=MessageKind.DLQ_ALERT,
            due_at=incident.opened_at,
            detail={
                "queue": incident.queue,
                "count": incident.waiting,
                "review": where_to_look(incident.opened_at),
            },
            created_at=incident.opened_at,
        )
        for coordinator in dict.fromkeys(coordinators)
    ]
