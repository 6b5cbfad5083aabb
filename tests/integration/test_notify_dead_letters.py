"""DLQ alerts to coordinators, on moto: the minute sweep reads the send queue's dead-letter
queue (one GetQueueAttributes call) and alerts every coordinator once per incident, through
the outbox, in words that name no one."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from functions.catalog import COORDINATOR_ALERT_IDS_ENV
from functions.common import aws
from functions.common.models import utc_now
from functions.notify import send, sweep
from functions.notify.logic.dead_letters import Open, alert_messages, assess
from functions.notify.models import DlqIncident, MessageRecord
from functions.notify.queues import DeadLetterQueue
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import MessageKind, MessageStatus
from tests.integration.test_notify_reminders import body_of, save_prefs, sent_emails, sqs_event
from tests.support import context

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)

COORDINATORS = ("per_coordA1", "per_coordB2")
DLQ_NAME = "test-notify-send-dlq"


@pytest.fixture
def coordinators(moto_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two coordinators alerts go to, each with an email address on file."""
    monkeypatch.setenv(COORDINATOR_ALERT_IDS_ENV, ",".join(COORDINATORS))
    for coordinator in COORDINATORS:
        save_prefs(coordinator, email_address=f"{coordinator}@tandem.example", zone="America/Chicago")
    return moto_env


def store(moto_env: dict[str, Any]) -> NotifyStore:
    return NotifyStore(moto_env["tables"]["notify"], aws.client("dynamodb"))


def dead_letter(moto_env: dict[str, Any], count: int, *, person: str = "per_alex00001") -> None:
    """What SQS's redrive moves to the DLQ: send-queue bodies of messages that kept failing."""
    for n in range(count):
        body = {"message_id": f"rem.ses_{n:04d}.{person}.sms.120", "claim": "2027-06-01T16:00:00Z"}
        moto_env["sqs"].send_message(QueueUrl=moto_env["dlq_url"], MessageBody=json.dumps(body))


def drain(moto_env: dict[str, Any]) -> None:
    moto_env["sqs"].purge_queue(QueueUrl=moto_env["dlq_url"])


def minute_sweep() -> dict[str, Any]:
    """The minute rule invoking the sweep (its environment from the catalog, as in AWS)."""
    return sweep.lambda_handler({"detail-type": "Scheduled Event", "source": "aws.events"}, context("sweep"))


def dlq_alerts(moto_env: dict[str, Any]) -> list[MessageRecord]:
    """Every DLQ alert in the outbox, whatever its status (pending, queued, sent). A Scan: the
    test wants all of them, wherever their status put them; the functions never scan."""
    items = moto_env["dynamodb"].scan(
        TableName=moto_env["tables"]["notify"],
        FilterExpression="kind = :kind",
        ExpressionAttributeValues={":kind": {"S": MessageKind.DLQ_ALERT.value}},
    )["Items"]
    found = store(moto_env).get_messages(item["message_id"]["S"] for item in items).values()
    return sorted(found, key=lambda m: m.message_id)


def test_a_dead_letter_incident_alerts_each_coordinator_once_until_the_queue_drains(coordinators):
    # Given three messages that kept failing on the dead-letter queue
    dead_letter(coordinators, 3)
    # When the minute sweep runs
    assert minute_sweep()["dead_letters"] == "opened"
    # Then each coordinator has one pending email saying how many wait and where to look
    first = dlq_alerts(coordinators)
    assert sorted(m.person_id for m in first) == sorted(COORDINATORS)
    for message in first:
        assert message.status is MessageStatus.PENDING
        assert message.detail == {
            "queue": DLQ_NAME,
            "count": 3,
            "review": f"GET /notifications/failures?month={utc_now():%Y-%m}",
        }
    # When the next sweeps find the queue still holding them, and one more arriving
    assert minute_sweep()["dead_letters"] == "open"
    dead_letter(coordinators, 1)
    assert minute_sweep()["dead_letters"] == "open"
    # Then nobody is alerted again
    assert {m.message_id for m in dlq_alerts(coordinators)} == {m.message_id for m in first}
    # When operators drain the queue, the next sweep closes the incident, quietly
    drain(coordinators)
    assert minute_sweep()["dead_letters"] == "closed"
    assert minute_sweep()["dead_letters"] == "empty"
    assert len(dlq_alerts(coordinators)) == len(COORDINATORS)
    # And when messages land there again, it is a new incident: each coordinator is alerted again
    dead_letter(coordinators, 2)
    assert minute_sweep()["dead_letters"] == "opened"
    second = [m for m in dlq_alerts(coordinators) if m.message_id not in {f.message_id for f in first}]
    assert sorted(m.person_id for m in second) == sorted(COORDINATORS)
    assert {m.detail["count"] for m in second if m.detail} == {2}


def test_the_alert_reaches_the_coordinators_by_email_and_names_no_one(coordinators):
    # Given an incident opened by one sweep
    dead_letter(coordinators, 2, person="per_alex00001")
    minute_sweep()
    # When the next sweep queues the alerts and the sender sends them
    assert minute_sweep()["queued"] == len(COORDINATORS)
    queued = coordinators["sqs"].receive_message(QueueUrl=coordinators["queue_url"], MaxNumberOfMessages=10)[
        "Messages"
    ]
    assert send.process_batch(sqs_event(queued), context("send")) == {"batchItemFailures": []}
    # Then each coordinator got one email: how many wait, and where to look
    emails = sent_emails()
    assert sorted(to for recipients, _ in emails for to in recipients) == sorted(
        f"{c}@tandem.example" for c in COORDINATORS
    )
    for _, message in emails:
        assert message["Subject"] == "Messages could not be delivered"
        text = body_of(message)
        assert f"Queue: {DLQ_NAME}" in text
        assert "Count: 2" in text
        assert "Where to look: GET /notifications/failures?month=" in text
        # And nothing of the failed messages: not whose they were, not what they were
        assert "per_alex" not in text
        assert "rem.ses" not in text
    assert {m.status for m in dlq_alerts(coordinators)} == {MessageStatus.SENT}


def test_two_sweeps_finding_the_queue_full_at_once_alert_once(coordinators):
    # Given two sweeps that both read the queue holding messages, and no incident open
    notify = store(coordinators)
    now = utc_now()
    steps = [
        assess(DLQ_NAME, 4, notify.get_dlq_incident(DLQ_NAME), now, new_incident_id=i) for i in ("a", "b")
    ]
    assert all(isinstance(step, Open) for step in steps)
    # When both try to open their incident with its alerts
    opened = [
        notify.open_dlq_incident(step.incident, alert_messages(step.incident, list(COORDINATORS)))
        for step in steps
        if isinstance(step, Open)
    ]
    # Then only the first did, and only its alerts are in the outbox
    assert opened == [True, False]
    assert {m.message_id for m in dlq_alerts(coordinators)} == {f"dlq.a.{c}.email" for c in COORDINATORS}
    incident = notify.get_dlq_incident(DLQ_NAME)
    assert incident is not None
    assert (incident.incident_id, incident.waiting) == ("a", 4)


def test_a_close_never_ends_an_incident_opened_since(coordinators):
    notify = store(coordinators)
    now = utc_now()
    old = DlqIncident(queue=DLQ_NAME, incident_id="old", opened_at=now - timedelta(hours=1), waiting=1)
    current = DlqIncident(queue=DLQ_NAME, incident_id="new", opened_at=now, waiting=1)
    assert notify.open_dlq_incident(current, [])
    assert not notify.close_dlq_incident(old)
    assert notify.get_dlq_incident(DLQ_NAME) == current
    assert notify.close_dlq_incident(current)
    assert notify.get_dlq_incident(DLQ_NAME) is None


def test_without_coordinators_the_incident_still_opens_once_and_nothing_is_addressed(moto_env):
    # Given no coordinators configured (COORDINATOR_ALERT_IDS unset)
    dead_letter(moto_env, 1)
    # When the sweeps run
    assert minute_sweep()["dead_letters"] == "opened"
    assert minute_sweep()["dead_letters"] == "open"
    # Then no message was written, and the incident is open (the warning is not repeated)
    assert dlq_alerts(moto_env) == []
    assert store(moto_env).get_dlq_incident(DLQ_NAME) is not None


def test_an_empty_queue_is_quiet(coordinators):
    assert minute_sweep() == {"queued": 0, "dead_letters": "empty"}
    assert dlq_alerts(coordinators) == []


def test_the_count_is_every_message_the_queue_holds_in_flight_ones_too(moto_env):
    # Given three dead letters, one of which an operator is looking at (in flight)
    dead_letter(moto_env, 3)
    moto_env["sqs"].receive_message(
        QueueUrl=moto_env["dlq_url"], MaxNumberOfMessages=1, VisibilityTimeout=300
    )
    dlq = DeadLetterQueue(moto_env["sqs"], moto_env["dlq_url"])
    # Then the queue still counts as holding three
    assert (dlq.name, dlq.waiting()) == (DLQ_NAME, 3)
