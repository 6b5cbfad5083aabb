"""Two-way SMS: the consumer of the SMS service's inbound topic (AWS End User Messaging /
Pinpoint two-way SMS publishes each text a person sends to our number to SNS).

The sender is found by their number (one read of the `PHONE#<e164>` lookup the preferences
write keeps; partners sharing a phone are both found). Then:
- STOP and the other revocation words withdraw SMS consent at once (a new preferences
  version, audited) and are confirmed once; START/UNSTOP restore it (source `sms_start`);
- HELP is answered with the configured, neutral contact line;
- C confirms the person's next booked session (one Query of their upcoming sessions; the
  confirmation is kept on their upcoming-session item, audited);
- anything else gets a short "not understood, reply HELP". Someone who opted out is only
  answered for STOP, START and HELP.
Unknown numbers are answered nothing and logged without the number; no log holds a number
or what was texted.

Each inbound message acts once: Powertools idempotency on its `inboundMessageId`, so SNS
redelivering it (or Lambda retrying the invocation) neither changes anything twice nor
answers twice. A failure (DynamoDB, SNS) raises, leaves no idempotency record, and the
invocation is retried; every step is safe to repeat.

Answers are published straight to SNS, from the number the person texted, rather than put
through the outbox: they answer the person's own message, so they must go at once (the
outbox waits for the minute sweep), at any hour (the sender defers texts in quiet hours)
and even without consent (the opt-out confirmation goes after consent is withdrawn, and the
sender would skip it), and they count against no reminder limit.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AfterValidator, Field, ValidationError

from functions.common import aws
from functions.common.audit import AuditEntry, AuditWriter
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.notify.channels import publish_sms
from functions.notify.logic.inbound import (
    DEFAULT_HELP_LINE,
    Confirmed,
    InboundSms,
    Intent,
    answer_for,
    answer_text,
    check_neutral,
    intent_of,
)
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import DEFAULT_APP_URL, ConsentSource, Language

SEVEN_DAYS = 7 * 24 * 60 * 60
ACTOR_ROLE = "sms"
"""The audit entries' actor role: the person themselves, by text."""


class InboundSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    help_line: Annotated[str, AfterValidator(check_neutral)] = Field(
        default=DEFAULT_HELP_LINE, alias="SMS_HELP_LINE", min_length=10, max_length=300
    )
    app_url: str = Field(default=DEFAULT_APP_URL, alias="TANDEM_APP_URL")


SETTINGS = InboundSettings


@dataclass(frozen=True)
class Inbound:
    store: NotifyStore
    sns: Any
    audit: AuditWriter
    request_id: str
    """The inbound message id: what the audit entries name as the request."""
    help_line: str = DEFAULT_HELP_LINE
    app_url: str = DEFAULT_APP_URL


def _audit_put(deps: Inbound, person_id: str, action: str, resource: str) -> dict[str, Any]:
    entry = AuditEntry(
        entry_id=uuid.uuid4().hex,
        actor_id=person_id,
        actor_role=ACTOR_ROLE,
        action=action,
        resource=resource,
        at=datetime.now(UTC),
        request_id=deps.request_id,
        outcome="success",
    )
    return deps.audit.transact_put(entry)


def _confirm_next(
    deps: Inbound, people: tuple[str, ...], zone_of: dict[str, str], now: datetime
) -> Confirmed | None:
    """Confirm each person's next session; the earliest of them is what the answer names."""
    earliest: Confirmed | None = None
    for person_id in people:
        upcoming = deps.store.next_session(person_id, now)
        if upcoming is None:
            continue
        resource = f"session/{upcoming.session_id}/attendee/{person_id}/confirmation"
        put = _audit_put(deps, person_id, "notify.session.confirm", resource)
        if deps.store.confirm_session(upcoming, now, "sms", put):
            zone = upcoming.time_zone or zone_of.get(person_id) or "UTC"
            if earliest is None or upcoming.start < earliest.start:
                earliest = Confirmed(start=upcoming.start, zone=zone)
    return earliest


def handle(message: InboundSms, deps: Inbound, now: datetime) -> str:
    """Act on one inbound text; return what was done (for logs and tests)."""
    log: dict[str, Any] = {"inbound_message_id": message.inbound_message_id}
    people = deps.store.people_with_phone(message.origination_number).person_ids
    if not people:
        logger.info("inbound text from a number nobody has on file", extra=log)
        metrics.add_metric(name="InboundUnknownNumber", unit="Count", value=1)
        return "unknown_number"
    found = deps.store.get_preferences_many(people)
    consented = any(p.sms_consented for p in found.values())
    language = next((found[p].language for p in people if p in found), Language.EN)
    intent = intent_of(message.body)
    log.update(intent=intent.value, people=len(people))

    confirmed: Confirmed | None = None
    resource = "person/{}/notification-preferences"
    if intent is Intent.STOP:
        for person_id in people:
            put = _audit_put(deps, person_id, "notify.sms_consent.revoke", resource.format(person_id))
            deps.store.revoke_sms_consent(person_id, message.origination_number, now, "sms_stop", put)
    elif intent is Intent.START:
        for person_id in people:
            put = _audit_put(deps, person_id, "notify.sms_consent.grant", resource.format(person_id))
            deps.store.grant_sms_consent(
                person_id, message.origination_number, now, ConsentSource.SMS_START.value, put
            )
    elif intent is Intent.CONFIRM:
        zones = {p: r.time_zone for p, r in found.items() if r.time_zone}
        confirmed = _confirm_next(deps, people, zones, now)

    answer = answer_for(intent, consented=consented, confirmed=confirmed)
    if answer is None:
        logger.info("inbound text acted on, not answered (no consent)", extra=log)
        return intent.value
    text = answer_text(answer, language, help_line=deps.help_line, app_url=deps.app_url, confirmed=confirmed)
    publish_sms(deps.sns, message.origination_number, text, origination=message.destination_number)
    logger.info("inbound text answered", extra={**log, "answer": answer.value})
    metrics.add_metric(name=f"Inbound_{intent.value}", unit="Count", value=1)
    return f"{intent.value}:{answer.value}"


def process(event: dict[str, Any], context: LambdaContext, *, clock: Any = utc_now) -> dict[str, Any]:
    settings = load_settings(InboundSettings)
    dynamodb = aws.client("dynamodb")
    config = IdempotencyConfig(
        event_key_jmespath="inboundMessageId",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=SEVEN_DAYS,
    )
    config.register_lambda_context(context)
    persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto3_client=dynamodb)

    @idempotent_function(
        data_keyword_argument="raw", persistence_store=persistence, config=config, key_prefix="notify#inbound"
    )
    def handle_once(raw: dict[str, Any]) -> dict[str, str]:
        message = InboundSms.model_validate(raw)
        deps = Inbound(
            store=NotifyStore(settings.notify_table, dynamodb),
            sns=aws.client("sns"),
            audit=AuditWriter(settings.audit_table, dynamodb, request_id=message.inbound_message_id),
            request_id=message.inbound_message_id,
            help_line=settings.help_line,
            app_url=settings.app_url,
        )
        return {"outcome": handle(message, deps, clock())}

    outcomes: list[str] = []
    for record in event.get("Records") or []:
        try:
            raw = json.loads((record.get("Sns") or {}).get("Message") or "")
            InboundSms.model_validate(raw)
        except (ValueError, ValidationError):
            # Not an inbound text (never retried: it would fail the same way). Nothing of it is logged.
            logger.warning(
                "not an inbound SMS notification",
                extra={"message_id": record.get("Sns", {}).get("MessageId")},
            )
            metrics.add_metric(name="InboundMalformed", unit="Count", value=1)
            outcomes.append("malformed")
            continue
        outcomes.append(handle_once(raw=raw)["outcome"])
    return {"outcomes": outcomes}


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context)


lambda_handler = background_entry("notify", _run)
