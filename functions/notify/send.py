"""The send queue's consumer: each message rendered and delivered once.

A queued message is checked again at send time (`logic.delivery`): its session may have
been cancelled or moved, consent withdrawn, quiet hours begun. SMS reminders are counted
against the person's daily and weekly limits atomically before they go. The words are
rendered now, from the stored facts, in the person's language and zone; the address is
looked up now. Every attempt is recorded on the message with its outcome.

A failing send is reported alone (Powertools partial batch response) so SQS retries it
with backoff and, after the queue's maxReceiveCount, dead-letters it; the last attempt
records the message as failed with its reason. Redelivered SQS messages never send twice:
the idempotency record (per message and claim) and the message's own status both say so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.dynamo import error_code
from functions.common.entry import background_entry
from functions.common.errors import DependencyUnavailable
from functions.common.failures import sanitized
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.notify.channels import Channels, Invite, Outgoing
from functions.notify.logic.caps import sms_reminder_counters
from functions.notify.logic.delivery import Defer, Send, Skip, decide
from functions.notify.logic.invite import Method, session_invite
from functions.notify.logic.templates import RenderContext, render
from functions.notify.models import MessageRecord
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import (
    DEFAULT_APP_URL,
    FINAL_STATUSES,
    MAX_RECEIVES,
    Channel,
    MessageKind,
    MessageStatus,
)

SEVEN_DAYS = 7 * 24 * 60 * 60


class SendSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    sender_email: str = Field(alias="SENDER_EMAIL")
    ses_configuration_set: str | None = Field(default=None, alias="SES_CONFIGURATION_SET")
    """Set for every deployed sender (CDK); absent in tests that do not exercise it."""
    app_url: str = Field(default=DEFAULT_APP_URL, alias="TANDEM_APP_URL")


SETTINGS = SendSettings


@dataclass(frozen=True)
class Sender:
    store: NotifyStore
    channels: Channels
    app_url: str = DEFAULT_APP_URL


def compose(message: MessageRecord, decision: Send, sender: Sender, now: datetime) -> Outgoing:
    """The words and attachment of one message, rendered at send time."""
    if message.kind is None:  # free-form: written with its own text
        return Outgoing(message.channel, decision.address, message.text or "", message.subject)
    rendered = render(
        RenderContext(
            kind=message.kind,
            channel=message.channel,
            language=decision.language,
            zone=decision.zone,
            now=now,
            app_url=sender.app_url,
            start=message.start,
            end=message.end,
            previous_start=message.previous_start,
            session_type=message.session_type,
            detail=message.detail or {},
        )
    )
    invite = None
    if (
        message.channel is Channel.EMAIL
        and message.kind in (MessageKind.BOOKED, MessageKind.RESCHEDULED, MessageKind.CANCELLED)
        and message.session_id
        and message.start
        and message.end
    ):
        method: Method = "CANCEL" if message.kind is MessageKind.CANCELLED else "REQUEST"
        invite = Invite(
            content=session_invite(
                session_id=message.session_id,
                sequence=message.session_version or 0,
                start=message.start,
                end=message.end,
                method=method,
                organizer_email=sender.channels.sender,
                url=sender.app_url,
                now=now,
            ),
            method=method,
        )
    return Outgoing(message.channel, decision.address, rendered.text, rendered.subject, invite)


def failure_reason(exc: Exception) -> str:
    """What went wrong, without the provider's message text (it can quote the address)."""
    if isinstance(exc, ClientError):
        return error_code(exc) or "ClientError"
    if isinstance(exc, DependencyUnavailable):  # SES or SNS throttled, failing or unreachable
        return exc.reason
    return type(exc).__name__


def deliver(
    message_id: str,
    sender: Sender,
    *,
    now: datetime,
    claim: str | None = None,
    receive_count: int = 1,
) -> str:
    """Send one queued message unless something says otherwise; return what happened."""
    store = sender.store
    message = store.get_message(message_id)
    if message is None:
        logger.warning("message vanished before sending", extra={"message_id": message_id})
        return "missing"
    if message.status is MessageStatus.SENT:
        return "already_sent"
    if message.status in FINAL_STATUSES:
        return message.status.value
    if message.status is MessageStatus.PENDING:
        return "not_claimed"  # an old copy; the sweep queues it again when it is due
    if not store.begin_attempt(message_id, now, claim=claim):
        return "superseded"  # another claim of it is the one to send (or it moved on meanwhile)
    log = {"message_id": message_id, "channel": message.channel.value, "kind": str(message.kind)}

    prefs = store.get_preferences(message.person_id)
    session = series = None
    if message.kind is MessageKind.REMINDER and message.session_id:
        session = store.get_session_notices(message.session_id)
    if message.kind is MessageKind.REMINDER and message.group_id:
        series = store.get_group_series(message.person_id, message.group_id)
    decision = decide(message, prefs, session, now, series)
    if isinstance(decision, Skip):
        store.finish(message, decision.status, now, decision.reason)
        logger.info("message not sent", extra={**log, "status": decision.status.value})
        metrics.add_metric(name=f"NotSent_{decision.status.value}", unit="Count", value=1)
        return decision.status.value
    if isinstance(decision, Defer):
        store.defer(message_id, decision.until, now, decision.reason)
        logger.info("message deferred", extra={**log, "until": decision.until.isoformat()})
        return "deferred"

    counters = sms_reminder_counters(now, decision.zone) if decision.capped else ()
    if counters:
        over = store.reserve_sms(message.person_id, message_id, counters)
        if over is not None:
            status = MessageStatus.SKIPPED_CAP
            store.finish(message, status, now, f"SMS reminder limit per {over} reached")
            logger.info("message not sent", extra={**log, "status": status.value, "limit": over})
            metrics.add_metric(name=f"NotSent_{status.value}", unit="Count", value=1)
            return status.value
    try:
        provider_id = sender.channels.send(compose(message, decision, sender, now))
    except Exception as exc:
        if counters:
            store.release_sms(message.person_id, message_id, counters)
        reason = failure_reason(exc)
        final = receive_count >= MAX_RECEIVES
        store.record_failure(message, now, reason, final=final, attempts=message.attempts + 1)
        logger.warning("send failed", extra={**log, "reason": reason, "final": final})
        metrics.add_metric(name=f"Failed_{message.channel.value}", unit="Count", value=1)
        raise
    store.mark_sent(message, provider_id, now)
    logger.info("message sent", extra=log)
    metrics.add_metric(name=f"Sent_{message.channel.value}", unit="Count", value=1)
    return "sent"


def process_batch(
    event: dict[str, Any], context: LambdaContext, *, clock: Callable[[], datetime] = utc_now
) -> dict[str, Any]:
    settings = load_settings(SendSettings)
    sender = Sender(
        store=NotifyStore(settings.notify_table, aws.client("dynamodb")),
        channels=Channels(
            aws.client("ses"),
            aws.client("sns"),
            settings.sender_email,
            settings.ses_configuration_set or None,
        ),
        app_url=settings.app_url,
    )
    # One idempotency record per message and claim: a redelivered SQS message finds it and
    # never sends twice, while a message deferred by quiet hours and claimed again later
    # is a new delivery.
    config = IdempotencyConfig(
        event_key_jmespath="[message_id, claim]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=SEVEN_DAYS,
    )
    config.register_lambda_context(context)
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=aws.client("dynamodb")
    )

    @idempotent_function(
        data_keyword_argument="body", persistence_store=persistence, config=config, key_prefix="notify#send"
    )
    def send_once(body: dict[str, Any], receive_count: int) -> dict[str, str]:
        status = deliver(
            str(body["message_id"]),
            sender,
            now=clock(),
            claim=body.get("claim"),
            receive_count=receive_count,
        )
        return {"status": status}

    def record_handler(record: SQSRecord) -> dict[str, str]:
        receive_count = int(record.attributes.approximate_receive_count or 1)
        result: dict[str, str] = send_once(body=json.loads(record.body), receive_count=receive_count)
        return result

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(
            event=event, record_handler=sanitized(record_handler), processor=processor, context=context
        )
    )


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, context)


lambda_handler = background_entry("notify", _run)
