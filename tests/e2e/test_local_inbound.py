"""Two-way SMS through the real `python -m local`: a text published to the local inbound-SMS
topic (moto in server mode) reaches NotifyInbound through its subscribed queue and poller; the
answer is among the texts moto has sent, as the local gateway lists them."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from local.sms import publish
from tests.e2e.conftest import LocalRuntime
from tests.e2e.support import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# Casey Brooks: a seeded participant with a mobile number and SMS consent, and no login, so no
# other e2e test books anything that texts them.
CASEY, CASEY_PHONE = "per_democasey", "+14155550104"
STOPPED = "Tandem Care: you are unsubscribed and will get no more texts from us. Reply START to resubscribe."


def texts_to(local_runtime: LocalRuntime, phone: str) -> list[str]:
    reply = requests.get(local_runtime.state["sent_sms_url"], timeout=10)
    assert reply.status_code == 200, reply.text
    return [sent["text"] for sent in reply.json()["items"] if sent["to"] == phone]


def preferences(local_runtime: LocalRuntime, token: str) -> dict[str, Any]:
    reply = local_runtime.get(f"/people/{CASEY}/notification-preferences", token)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_a_demo_person_texting_stop_withdraws_consent_and_gets_one_confirmation(
    local_runtime: LocalRuntime,
) -> None:
    # Given Casey, who consented to texts (as the coordinator sees it), and has had no texts yet
    coordinator = local_runtime.id_token("coordinator")
    before = preferences(local_runtime, coordinator)
    assert before["mobile_phone"] == CASEY_PHONE
    assert before["sms_consent"]["active"] is True
    assert texts_to(local_runtime, CASEY_PHONE) == []
    # When Casey texts "  Stop " to the program's number (End User Messaging -> the local topic)
    publish(local_runtime.state, CASEY_PHONE, "  Stop ", message_id="in-e2e-casey-stop")
    # Then Casey's preferences soon show consent withdrawn by that text
    consent = eventually(lambda: _revoked(preferences(local_runtime, coordinator)["sms_consent"]))
    assert consent, "consent was not withdrawn"
    assert consent["active"] is False
    assert consent["revoked_source"] == "sms_stop"
    assert consent["revoked_at"]
    # And exactly one confirmation went back to Casey (sent in the same invocation, just after)
    assert eventually(lambda: texts_to(local_runtime, CASEY_PHONE))
    time.sleep(1)  # a few more poller rounds: nothing else may follow
    assert texts_to(local_runtime, CASEY_PHONE) == [STOPPED]


def _revoked(consent: dict[str, Any]) -> dict[str, Any] | None:
    return None if consent["active"] else consent
