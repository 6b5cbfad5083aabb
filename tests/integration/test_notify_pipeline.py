"""Outbox -> minute sweep -> send queue -> sender -> SES/SNS, on moto."""

from __future__ import annotations

import json
from datetime import time, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from functions.common import aws
from functions.common.models import utc_now
from functions.notify import send, sweep
from functions.notify.models import Choices, MessageRecord, PreferencesRecord, SmsConsent
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import Channel, MessageStatus
from tests.support import context, drain_queue

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)


def store(moto_env: dict[str, Any]) -> NotifyStore:
    return NotifyStore(moto_env["tables"]["notify"], aws.client("dynamodb"))


def message(message_id: str, *, channel: Channel = Channel.EMAIL, due_in: timedelta = timedelta(0), **kw):
    to = "alex@example.com" if channel is Channel.EMAIL else "+15125550101"
    return MessageRecord(
        message_id=message_id,
        person_id="per_alex00001",
        channel=channel,
        to=to,
        subject="Your care team",
        text="You have an update. Open the Tandem app to see it.",
        due_at=utc_now() + due_in,
        **kw,
    )


def sweep_once() -> dict[str, Any]:
    return sweep.lambda_handler({"detail-type": "Scheduled Event", "source": "aws.events"}, context("sweep"))


def receive_all(moto_env: dict[str, Any]) -> list[dict[str, Any]]:
    return drain_queue(moto_env["sqs"], moto_env["queue_url"])


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:test-notify-send",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def emails_sent() -> int:
    return len(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def consent_to_sms(moto_env: dict[str, Any], person_id: str = "per_alex00001") -> None:
    """The person said yes to texts (capability 1's routes will record this)."""
    now = utc_now()
    store(moto_env).put_preferences(
        PreferencesRecord(
            person_id=person_id,
            preferences=Choices(sms_enabled=True, quiet_hours_start=time(0), quiet_hours_end=time(0)),
            updated_at=now,
            version=1,
            sms_consent=SmsConsent(granted_at=now, source="web"),
        ),
        expected_version=0,
    )


def test_sweep_queues_every_due_message_in_batches_and_leaves_the_rest(moto_env):
    # Given 23 due messages (more than two SQS batches) and one due tomorrow
    outbox = store(moto_env)
    for i in range(23):
        outbox.put_message(message(f"msg_due{i:05d}", due_in=timedelta(minutes=-i)))
    outbox.put_message(message("msg_later0001", due_in=timedelta(days=1)))
    # When the minute sweep runs
    result = sweep_once()
    # Then all 23 are on the queue and marked queued, the later one still pending
    assert result == {"queued": 23, "dead_letters": "empty"}
    bodies = sorted(json.loads(m["Body"])["message_id"] for m in receive_all(moto_env))
    assert bodies == sorted(f"msg_due{i:05d}" for i in range(23))
    assert outbox.get_message("msg_due00000").status is MessageStatus.QUEUED
    assert outbox.get_message("msg_later0001").status is MessageStatus.PENDING
    # And a second sweep finds nothing new to queue
    assert sweep_once() == {"queued": 0, "dead_letters": "empty"}


def test_message_due_just_before_midnight_yesterday_is_still_swept(moto_env):
    outbox = store(moto_env)
    now = utc_now()
    yesterday_late = now.replace(hour=0, minute=0, second=0) - timedelta(seconds=30)
    outbox.put_message(message("msg_lastnight1").model_copy(update={"due_at": yesterday_late}))
    assert sweep_once() == {"queued": 1, "dead_letters": "empty"}


def test_sender_delivers_email_and_sms_once_even_when_redelivered(moto_env):
    # Given an email and an SMS (to someone who consented to texts) on the queue
    consent_to_sms(moto_env)
    outbox = store(moto_env)
    outbox.put_message(message("msg_email0001"))
    outbox.put_message(message("msg_sms000001", channel=Channel.SMS))
    sweep_once()
    queued = receive_all(moto_env)
    sms_before = len(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages)
    # When the sender processes the batch
    result = send.lambda_handler(sqs_event(queued), context("send"))
    # Then both are delivered and recorded with the provider's id
    assert result == {"batchItemFailures": []}
    assert emails_sent() == 1
    sms = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    assert len(sms) == sms_before + 1
    assert list(sms.values())[-1][0] == "+15125550101"
    email = outbox.get_message("msg_email0001")
    assert email.status is MessageStatus.SENT
    assert email.provider_message_id
    # When SQS redelivers the same messages
    again = send.lambda_handler(sqs_event(queued), context("send"))
    # Then nothing is sent twice
    assert again == {"batchItemFailures": []}
    assert emails_sent() == 1
    assert len(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages) == sms_before + 1


def test_a_failing_send_is_reported_alone_for_retry(moto_env, monkeypatch):
    # Given an email and an SMS queued, and a sender identity SES rejects (emails fail, SMS works)
    consent_to_sms(moto_env)
    outbox = store(moto_env)
    outbox.put_message(message("msg_bad000001"))
    outbox.put_message(message("msg_sms000002", channel=Channel.SMS))
    sweep_once()
    queued = receive_all(moto_env)
    email_record = next(m for m in queued if "msg_bad000001" in m["Body"])
    monkeypatch.setenv("SENDER_EMAIL", "unverified@nowhere.test")
    # When the batch is processed
    result = send.lambda_handler(sqs_event(queued), context("send"))
    # Then exactly the failed record is reported, and it stays unsent (SQS retries, then dead-letters)
    assert result == {"batchItemFailures": [{"itemIdentifier": email_record["MessageId"]}]}
    assert outbox.get_message("msg_bad000001").status is MessageStatus.QUEUED
    assert outbox.get_message("msg_sms000002").status is MessageStatus.SENT
    # And the retry after the fix goes through: the failure left no idempotency record behind
    monkeypatch.setenv("SENDER_EMAIL", "no-reply@tandem.test")
    assert send.lambda_handler(sqs_event([email_record]), context("send")) == {"batchItemFailures": []}
    assert outbox.get_message("msg_bad000001").status is MessageStatus.SENT
    assert emails_sent() == 1


def test_a_batch_that_fails_entirely_fails_the_invocation(moto_env, monkeypatch):
    # Powertools raises when every record failed, so the invocation errors (the Errors alarm
    # sees it) and SQS returns the whole batch.
    outbox = store(moto_env)
    outbox.put_message(message("msg_bad000002"))
    sweep_once()
    monkeypatch.setenv("SENDER_EMAIL", "unverified@nowhere.test")
    with pytest.raises(BatchProcessingError):
        send.lambda_handler(sqs_event(receive_all(moto_env)), context("send"))
    assert outbox.get_message("msg_bad000002").status is MessageStatus.QUEUED


class CountingSqs:
    """The real (moto) SQS client, counting the calls made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[str] = []

    def send_message_batch(self, **kwargs: Any) -> Any:
        self.calls.append(f"send_message_batch:{len(kwargs['Entries'])}")
        return self._client.send_message_batch(**kwargs)


def test_the_sweep_sends_to_sqs_ten_at_a_time(moto_env):
    # Given 23 due messages
    outbox = store(moto_env)
    for i in range(23):
        outbox.put_message(message(f"msg_cnt{i:05d}"))
    sqs = CountingSqs(moto_env["sqs"])
    # When one sweep runs
    queued = sweep.sweep(outbox, sqs, moto_env["queue_url"], now=utc_now())
    # Then three batch calls carried them: 10, 10 and 3
    assert queued == 23
    assert sqs.calls == ["send_message_batch:10", "send_message_batch:10", "send_message_batch:3"]
