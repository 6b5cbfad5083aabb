"""Dead-letter alerts: when an incident opens and closes, what the coordinators' email holds
(the queue, a count and where to look; nothing about anyone), and how it reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.notify.logic.dead_letters import Close, Open, alert_messages, assess, where_to_look
from functions.notify.logic.templates import RenderContext, render
from functions.notify.models import DlqIncident
from functions.notify.vocabulary import COORDINATOR_KINDS, FAILURES_ROUTE, Channel, Language, MessageKind

NOW = datetime(2027, 6, 1, 16, 0, tzinfo=UTC)
QUEUE = "Tandem-MessagingNotifySendDlq1A2B3C"
OPEN = DlqIncident(queue=QUEUE, incident_id="inc1", opened_at=NOW - timedelta(hours=3), waiting=2)


def test_messages_waiting_and_no_incident_open_one():
    step = assess(QUEUE, 3, None, NOW, new_incident_id="inc2")
    assert step == Open(DlqIncident(queue=QUEUE, incident_id="inc2", opened_at=NOW, waiting=3))


@pytest.mark.parametrize("waiting", [1, 2, 40])
def test_an_open_incident_stays_quiet_however_many_messages_wait(waiting):
    assert assess(QUEUE, waiting, OPEN, NOW, new_incident_id="inc2") is None


def test_an_empty_queue_closes_the_open_incident_and_otherwise_does_nothing():
    assert assess(QUEUE, 0, OPEN, NOW, new_incident_id="inc2") == Close(OPEN)
    assert assess(QUEUE, 0, None, NOW, new_incident_id="inc2") is None


def test_one_email_per_coordinator_with_the_queue_the_count_and_where_to_look():
    messages = alert_messages(OPEN, ["per_coordA1", "per_coordB2", "per_coordA1"])
    assert [m.person_id for m in messages] == ["per_coordA1", "per_coordB2"]  # each once
    for message in messages:
        assert message.kind is MessageKind.DLQ_ALERT
        assert message.kind in COORDINATOR_KINDS
        assert message.channel is Channel.EMAIL
        assert message.due_at == OPEN.opened_at
        assert (message.to, message.text, message.session_id) == (None, None, None)
        assert message.detail == {
            "queue": QUEUE,
            "count": 2,
            "review": "GET /notifications/failures?month=2027-06",
        }
    # The incident names the messages: writing them again is refused by the outbox
    assert [m.message_id for m in messages] == ["dlq.inc1.per_coordA1.email", "dlq.inc1.per_coordB2.email"]
    assert where_to_look(NOW).startswith(f"GET {FAILURES_ROUTE}?month=")


def test_no_coordinators_no_messages():
    assert alert_messages(OPEN, []) == []


@pytest.mark.parametrize(
    ("language", "subject", "lines"),
    [
        (
            Language.EN,
            "Messages could not be delivered",
            [f"Queue: {QUEUE}", "Count: 2", "Where to look: GET /notifications/failures?month=2027-06"],
        ),
        (
            Language.ES,
            "Mensajes sin entregar",
            [f"Cola: {QUEUE}", "Cantidad: 2", "Dónde revisar: GET /notifications/failures?month=2027-06"],
        ),
    ],
)
def test_the_alert_email_says_how_many_wait_and_where_to_look(language, subject, lines):
    [message] = alert_messages(OPEN, ["per_coordA1"])
    assert message.kind is not None
    rendered = render(
        RenderContext(
            kind=message.kind,
            channel=Channel.EMAIL,
            language=language,
            zone="America/Chicago",
            now=NOW,
            app_url="https://app.tandem.example",
            detail=message.detail or {},
        )
    )
    assert rendered.subject == subject
    for line in lines:
        assert line in rendered.text.splitlines()
    assert "https://app.tandem.example" in rendered.text
