"""Two-way SMS through the embedded runtime: the inbound-SMS topic and its subscribed queue
provisioned in moto from the catalog, the topic poller invoking NotifyInbound with the event
Lambda receives from SNS, and the texts moto has sent as the local gateway lists them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.catalog import ENTRYPOINTS, Entrypoint, topic_entrypoints
from functions.common import aws
from functions.common.models import utc_now
from functions.notify.store import NotifyStore
from functions.openapi import load_committed
from local import gateway as gw
from local import pollers, provision, runtime, seed
from local import settings as names
from local.sms import inbound_text

SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "ses", "sns", "cognito-idp", "events")
CASEY, CASEY_PHONE = "per_democasey", "+14155550104"
STOPPED = "Tandem Care: you are unsubscribed and will get no more texts from us. Reply START to resubscribe."

Local = tuple[dict[str, Any], provision.Resources]


@pytest.fixture
def local_sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Local]:
    """moto provisioned as `make serve` provisions it, the demo people's contact details in notify."""
    with mock_aws():
        aws.reset_clients()
        clients = {s: boto3.client(s, region_name="us-east-1") for s in SERVICES}  # type: ignore[call-overload]
        resources = provision.provision(clients)
        for name, value in runtime.function_environment(resources).items():
            monkeypatch.setenv(name, value)
        seed.seed_notify(NotifyStore(resources.tables["notify"], aws.client("dynamodb")), now=utc_now())
        yield clients, resources
        aws.reset_clients()


def entry_of(entry_id: str) -> Entrypoint:
    return next(e for e in ENTRYPOINTS if e.id == entry_id)


def inbound_poller(local: Local, log: list[str]) -> pollers.TopicPoller:
    clients, resources = local
    [(entry, poller)] = runtime.topic_pollers(clients["sqs"], resources, log.append)
    assert entry.id == "NotifyInbound"
    return poller


def text(local: Local, body: str, *, sender: str = CASEY_PHONE, message_id: str = "in-local-0001") -> None:
    """`sender` texts the program's number: End User Messaging publishes it to the topic."""
    clients, resources = local
    message = inbound_text(sender, body, message_id=message_id)
    clients["sns"].publish(TopicArn=resources.inbound_sms_topic_arn, Message=json.dumps(message))


def queued(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def sms_consented(resources: provision.Resources, person_id: str = CASEY) -> bool:
    record = NotifyStore(resources.tables["notify"], aws.client("dynamodb")).get_preferences(person_id)
    assert record is not None
    return record.sms_consented


def test_provision_subscribes_a_queue_per_topic_entry_point_to_the_inbound_topic(local_sms: Local) -> None:
    clients, resources = local_sms
    # Given the runtime provisioned once, and again (as on every `make serve` against a live moto)
    assert provision.provision(clients) == resources
    # Then the inbound-SMS topic exists once (beside the schedule-events topic), with one
    # subscription: NotifyInbound's queue
    assert resources.inbound_sms_topic_arn.endswith(f":{names.INBOUND_SMS_TOPIC_NAME}")
    assert sorted(t["TopicArn"] for t in clients["sns"].list_topics()["Topics"]) == sorted(
        [resources.inbound_sms_topic_arn, resources.schedule_events_topic_arn]
    )
    assert {e.id for e in topic_entrypoints()} == set(resources.topic_queues) == {"NotifyInbound"}
    [subscription] = clients["sns"].list_subscriptions_by_topic(TopicArn=resources.inbound_sms_topic_arn)[
        "Subscriptions"
    ]
    queue = resources.topic_queues["NotifyInbound"]
    arn = clients["sqs"].get_queue_attributes(QueueUrl=queue.url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("sqs", arn)


def test_a_stop_texted_to_the_topic_withdraws_consent_and_is_confirmed_once(local_sms: Local) -> None:
    clients, resources = local_sms
    log: list[str] = []
    poller = inbound_poller(local_sms, log)
    assert sms_consented(resources)
    # Given Casey texts "  Stop " to the program's number
    text(local_sms, "  Stop ")
    # When the topic poller runs
    poller.step()
    # Then Casey's consent is withdrawn, and one confirmation went back to Casey
    assert not sms_consented(resources)
    [sent] = runtime.sent_sms()
    assert (sent["to"], sent["text"]) == (CASEY_PHONE, STOPPED)
    # And the message left its queue, nothing dead-lettered or logged
    queue = resources.topic_queues["NotifyInbound"]
    assert queued(clients["sqs"], queue.url) == 0
    assert queued(clients["sqs"], queue.dlq_url) == 0
    assert log == []


def test_the_function_gets_the_event_lambda_gets_from_sns(
    local_sms: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def recording(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
        seen.append((entry.id, event))
        return {}

    monkeypatch.setattr(pollers, "invoke", recording)
    _, resources = local_sms
    text(local_sms, "HELP", message_id="in-local-0002")
    inbound_poller(local_sms, []).step()
    [(entry_id, event)] = seen
    assert entry_id == "NotifyInbound"
    [record] = event["Records"]
    assert (record["EventSource"], record["EventVersion"]) == ("aws:sns", "1.0")
    sns = record["Sns"]
    assert sns["Type"] == "Notification"
    assert sns["TopicArn"] == resources.inbound_sms_topic_arn
    assert sns["MessageId"]
    # (Lambda's spelling of the two URL fields, not the HTTP/SQS envelope's)
    assert {"SigningCertUrl", "UnsubscribeUrl"} <= set(sns)
    assert json.loads(sns["Message"]) == inbound_text(CASEY_PHONE, "HELP", message_id="in-local-0002")


def test_a_failing_text_is_retried_then_dead_lettered_and_the_log_quotes_nothing_of_it(
    local_sms: Local, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients, resources = local_sms
    attempts: list[dict[str, Any]] = []

    def failing(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
        attempts.append(event)
        raise RuntimeError(f"could not write preferences of {CASEY_PHONE}")

    monkeypatch.setattr(pollers, "invoke", failing)
    log: list[str] = []
    text(local_sms, "STOP")
    # When every invocation fails
    inbound_poller(local_sms, log).step()
    # Then it was tried three times (Lambda: once and two retries), then moved to the DLQ
    assert len(attempts) == 3
    queue = resources.topic_queues["NotifyInbound"]
    assert queued(clients["sqs"], queue.url) == 0
    [dead] = clients["sqs"].receive_message(QueueUrl=queue.dlq_url).get("Messages", [])
    assert json.loads(json.loads(dead["Body"])["Message"])["inboundMessageId"] == "in-local-0001"
    # And the log names the SNS message and the failure's type, never the number or the text
    message_id = attempts[0]["Records"][0]["Sns"]["MessageId"]
    assert log == [f"NotifyInbound: message {message_id} failed 3 times (RuntimeError); dead-lettered"]


def test_a_message_that_is_not_an_sns_notification_is_dead_lettered(local_sms: Local) -> None:
    clients, resources = local_sms
    queue = resources.topic_queues["NotifyInbound"]
    clients["sqs"].send_message(
        QueueUrl=queue.url, MessageBody=json.dumps({"Type": "SubscriptionConfirmation"})
    )
    log: list[str] = []
    inbound_poller(local_sms, log).step()
    assert queued(clients["sqs"], queue.url) == 0
    assert queued(clients["sqs"], queue.dlq_url) == 1
    assert log == ["NotifyInbound: a message on its topic queue is not an SNS notification; dead-lettered"]
    assert sms_consented(resources)


def test_only_topic_entry_points_are_polled_from_the_topic() -> None:
    with pytest.raises(ValueError, match="not invoked by the inbound-SMS topic"):
        pollers.TopicPoller(None, entry_of("NotifyAlerts"), "q", "dlq", lambda _: None)
    with pytest.raises(ValueError, match="not invoked by events"):
        pollers.EventPoller(None, entry_of("NotifyInbound"), "q", "dlq", lambda _: None)


def test_the_gateway_lists_the_texts_moto_has_sent(local_sms: Local) -> None:
    # Given an answered text
    text(local_sms, "STOP")
    inbound_poller(local_sms, []).step()
    gateway = gw.Gateway(
        document=load_committed(),
        verifier=gw.TokenVerifier("http://127.0.0.1:9", "us-east-1", "pool", "client"),
        api_url="http://127.0.0.1:8000",
        sent_sms=runtime.sent_sms,
    )
    # When anyone asks the local gateway for the sent texts (local only: not an API route)
    status, headers, body = gw.handle(gateway, "GET", gw.SENT_SMS_PATH, [], None)
    # Then they get what moto's SNS holds
    assert status == 200
    assert ("Content-Type", "application/json") in headers
    [sent] = json.loads(body)["items"]
    assert (sent["to"], sent["text"]) == (CASEY_PHONE, STOPPED)
    assert gw.SENT_SMS_PATH not in load_committed()["paths"]
