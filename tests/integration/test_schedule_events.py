"""Schedule's events on their way to the subscribers, over moto's SNS FIFO topic and SQS FIFO
queues: what the seeded program publishes, what each subscriber's filter lets through, in
which order, and what happens when a record cannot be published."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import boto3

from functions.catalog import ENTRYPOINTS
from functions.common.streams import to_change
from functions.schedule import publish as publisher
from tests.contracts import check_event
from tests.integration.conftest import publish, stream_records
from tests.support import context


def _records(moto_env: dict[str, Any]) -> list[dict[str, Any]]:
    streams: Any = boto3.client("dynamodbstreams", region_name="us-east-1")
    return stream_records(moto_env["dynamodb"], streams, moto_env["tables"]["schedule"])


def _queued(moto_env: dict[str, Any], subscriber: str) -> list[dict[str, Any]]:
    """Every event waiting on the subscriber's queue, in the order it hands them out."""
    sqs, url = moto_env["sqs"], moto_env["subscriptions"][subscriber].url
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_the_seeded_program_publishes_events_its_subscribers_receive_in_order(program, moto_env):
    # Given the demo program written to the schedule table
    records = _records(moto_env)
    # When schedule's publisher takes the stream's records
    publish(records)
    # Then each subscriber's queue holds exactly the types it subscribes to, each event as its
    # committed schema says
    for entry in (e for e in ENTRYPOINTS if e.trigger == "subscription"):
        events = _queued(moto_env, entry.id)
        assert events, entry.id
        assert {e["type"] for e in events} <= set(entry.subscribes)
        for event in events:
            check_event(event)
        # And the events of one subject arrive in the order schedule wrote them
        revisions: dict[str, list[int]] = defaultdict(list)
        for event in events:
            if "revision" in event["data"]:
                revisions[event["subject"]].append(event["data"]["revision"])
        assert all(r == sorted(r) for r in revisions.values())
    # And the seeded program publishes every kind of change it makes
    published = {e.type for r in records for e in publisher.translate(to_change(r))}
    assert {"person.changed", "couple.changed", "session.booked", "enrolment.changed"} <= published


def test_a_record_that_cannot_be_published_stops_the_batch_there(program, moto_env, monkeypatch):
    # Given a batch whose third publishable record cannot be translated
    records = [r for r in _records(moto_env) if publisher.translate(to_change(r))][:6]
    poison = records[2]["dynamodb"]["SequenceNumber"]
    original = publisher.translate

    def fails_on_the_third(change: Any, **kwargs: Any) -> Any:
        if change.sequence_number == poison:
            raise KeyError("a malformed item")
        return original(change, **kwargs)

    monkeypatch.setattr(publisher, "translate", fails_on_the_third)
    # When the publisher takes the batch
    result = publisher.lambda_handler({"Records": records}, context("publisher"))
    # Then it reports that record, so the stream retries from it, and published only those before it
    assert result == {"batchItemFailures": [{"itemIdentifier": poison}]}
    notify = next(e for e in ENTRYPOINTS if e.id == "NotifyEvents")

    def for_notify(batch: list[dict[str, Any]]) -> list[str]:
        found = [e for r in batch for e in original(to_change(r))]
        return [e.id for e in found if e.type in notify.subscribes]

    assert [e["id"] for e in _queued(moto_env, "NotifyEvents")] == for_notify(records[:2])
    # And when the stream hands the batch again from that record, everything after it follows
    monkeypatch.setattr(publisher, "translate", original)
    again = publisher.lambda_handler({"Records": records[2:]}, context("publisher"))
    assert again == {"batchItemFailures": []}
    assert [e["id"] for e in _queued(moto_env, "NotifyEvents")] == for_notify(records[2:])


def test_a_record_published_again_reaches_a_subscriber_once(program, moto_env):
    # Given the seeded program's records, published and then published again (a retried batch)
    records = _records(moto_env)
    for _ in range(2):
        publish(records)
    # Then the topic delivered each event once (the same id is a duplicate within five minutes)
    ids = [e["id"] for e in _queued(moto_env, "NotifyEvents")]
    assert ids
    assert len(ids) == len(set(ids))
