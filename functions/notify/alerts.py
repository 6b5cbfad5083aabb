"""Notify's consumer of coverage's coordinator alerts (EventBridge events on the program's
bus: an authorization running low or about to expire, an eligibility check needing
attention): one email per alert to each coordinator named in `COORDINATOR_ALERT_IDS`, in
the outbox for the minute sweep.

Idempotent per event: the message id is the event id, the coordinator and the channel, so a
redelivered event writes nothing twice. The message holds ids, counts and dates only; the
words are rendered at send time (coordinator templates), the address looked up then."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger
from functions.notify.models import MessageRecord
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageKind

KINDS = {
    "authorization.low": MessageKind.AUTHORIZATION_LOW,
    "authorization.expiring": MessageKind.AUTHORIZATION_EXPIRING,
    "eligibility.problem": MessageKind.ELIGIBILITY_PROBLEM,
}
FACTS = {
    # event detail field -> the fact the coordinator templates list
    "participant_id": "participant_id",
    "authorization_id": "authorization_id",
    "remaining": "units_remaining",
    "end": "expires_on",
    "problem": "reason",
}


class CoordinatorSettings(Settings):
    """Who coordinator alerts go to (every entry point that `notifies_coordinators`)."""

    coordinator_alert_ids: str = Field(
        default="", alias="COORDINATOR_ALERT_IDS", description="Comma-separated person ids of coordinators"
    )

    def coordinators(self) -> list[str]:
        return [p.strip() for p in self.coordinator_alert_ids.split(",") if p.strip()]


class AlertSettings(CoordinatorSettings):
    notify_table: str = Field(alias="NOTIFY_TABLE")


SETTINGS = AlertSettings


def messages_for(event: dict[str, Any], coordinators: list[str]) -> list[MessageRecord]:
    """The outbox messages one alert event owes (none for an event of another kind)."""
    kind = KINDS.get(str(event.get("detail-type")))
    if kind is None:
        return []
    detail = event.get("detail") or {}
    facts = {fact: detail[name] for name, fact in FACTS.items() if name in detail}
    now = utc_now()
    return [
        MessageRecord(
            message_id=f"alr.{event['id']}.{coordinator}.{Channel.EMAIL.value}",
            person_id=coordinator,
            channel=Channel.EMAIL,
            kind=kind,
            due_at=now,
            detail=facts,
            created_at=now,
        )
        for coordinator in coordinators
    ]


def _work(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(AlertSettings)
    coordinators = settings.coordinators()
    if not coordinators:
        logger.warning("coordinator alert dropped: COORDINATOR_ALERT_IDS is empty")
        return {"messages": 0}
    messages = messages_for(event, coordinators)
    written = NotifyStore(settings.notify_table, aws.client("dynamodb")).put_new_messages(messages)
    logger.info("coordinator alert", extra={"kind": event.get("detail-type"), "new": written})
    return {"messages": len(messages) if written else 0}


lambda_handler = background_entry("notify", _work)
