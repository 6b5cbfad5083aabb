"""The send queue's consumer: each message delivered once, failures retried by SQS and
dead-lettered after the queue's maxReceiveCount."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.notify.channels import Channels
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import MessageStatus

SEVEN_DAYS = 7 * 24 * 60 * 60


class SendSettings(Settings):
    notify_table: str = Field(alias="NOTIFY_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")
    sender_email: str = Field(alias="SENDER_EMAIL")


SETTINGS = SendSettings


def deliver(message_id: str, store: NotifyStore, channels: Channels) -> str:
    """Send one outbox message unless it is already sent; return its delivery status."""
    message = store.get_message(message_id)
    if message is None:
        logger.warning("message vanished before sending", extra={"message_id": message_id})
        return "missing"
    if message.status is MessageStatus.SENT:
        return "already_sent"
    provider_id = channels.send(message)
    store.mark_sent(message_id, provider_id, utc_now())
    metrics.add_metric(name=f"Sent_{message.channel.value}", unit="Count", value=1)
    return "sent"


def _run(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings(SendSettings)
    store = NotifyStore(settings.notify_table, aws.client("dynamodb"))
    channels = Channels(aws.client("ses"), aws.client("sns"), settings.sender_email)
    config = IdempotencyConfig(
        event_key_jmespath="message_id", raise_on_no_idempotency_key=True, expires_after_seconds=SEVEN_DAYS
    )
    config.register_lambda_context(context)
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.idempotency_table, boto3_client=aws.client("dynamodb")
    )

    # A redelivered SQS message finds the stored result and never sends twice.
    @idempotent_function(
        data_keyword_argument="body", persistence_store=persistence, config=config, key_prefix="notify#send"
    )
    def send_once(body: dict[str, Any]) -> dict[str, str]:
        return {"status": deliver(str(body["message_id"]), store, channels)}

    def record_handler(record: SQSRecord) -> dict[str, str]:
        result: dict[str, str] = send_once(body=json.loads(record.body))
        return result

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )


lambda_handler = background_entry("notify", _run)
