"""Email goes through the SES configuration set the stack gives the sender (it requires TLS)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from functions.catalog import SES_CONFIGURATION_SET_ENV
from functions.common import aws
from functions.notify import send
from tests.integration.test_notify_pipeline import message, receive_all, sqs_event, store, sweep_once
from tests.support import context

CONFIGURATION_SET = "tandem-test-email"


def recorded_sends() -> list[dict[str, Any]]:
    """What the sender's own (moto-backed) SES client is asked to send, parameter by parameter."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    aws.client("ses").meta.events.register("provide-client-params.ses.SendRawEmail", record)
    return calls


@pytest.mark.parametrize("configured", [True, False])
def test_the_sender_sends_email_through_the_tls_configuration_set(
    moto_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    # Given a configuration set that requires TLS, named to the sender as CDK names it
    boto3.client("sesv2", region_name="us-east-1").create_configuration_set(
        ConfigurationSetName=CONFIGURATION_SET, DeliveryOptions={"TlsPolicy": "REQUIRE"}
    )
    if configured:
        monkeypatch.setenv(SES_CONFIGURATION_SET_ENV, CONFIGURATION_SET)
    calls = recorded_sends()
    # And an email on the send queue
    store(moto_env).put_message(message("msg_tls000001"))
    sweep_once()
    # When the sender delivers it
    result = send.lambda_handler(sqs_event(receive_all(moto_env)), context("send"))
    # Then SES was asked to send it through that configuration set (and accepted it)
    assert result == {"batchItemFailures": []}
    (call,) = calls
    assert call.get("ConfigurationSetName") == (CONFIGURATION_SET if configured else None)
    assert store(moto_env).get_message("msg_tls000001").provider_message_id
