"""Handlers against moto: every table from the shared definitions, fresh per test."""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from functions.catalog import (
    DLQ_URL_ENV,
    ENTRYPOINTS,
    QUEUE_URL_ENV,
    SCHEDULE_EVENTS_TOPIC_ENV,
    SENDER_EMAIL_ENV,
    STAFF_USER_POOL_ENV,
    USER_POOL_ENV,
)
from functions.common import aws, tables
from functions.common.audit import AuditWriter
from functions.common.tables import ALL_TABLES
from functions.coverage import copies
from functions.coverage.store import CoverageStore
from functions.schedule.store import ScheduleStore
from local import moto_dynamodb, pollers, seed
from local.provision import create_schedule_events_topic, create_user_pool
from tests.clock import controlled_now
from tests.support import Reply, api_event, claims, context

SENDER = "no-reply@tandem.test"


def provision(monkeypatch: pytest.MonkeyPatch, endpoint_url: str | None = None) -> dict[str, Any]:
    """Every table from the shared definitions, the send queue and its DLQ, the verified sender
    and the program's bus, named in the environment as CDK names them for the functions."""
    where: dict[str, Any] = {"region_name": "us-east-1", "endpoint_url": endpoint_url}
    dynamodb = boto3.client("dynamodb", **where)
    names: dict[str, str] = {}
    for table in ALL_TABLES:
        name = f"test-{table.key}"
        dynamodb.create_table(**table.create_table_kwargs(name))
        monkeypatch.setenv(table.env_var, name)
        names[table.key] = name
    sqs = boto3.client("sqs", **where)
    queue_url = sqs.create_queue(QueueName="test-notify-send")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName="test-notify-send-dlq")["QueueUrl"]
    monkeypatch.setenv(QUEUE_URL_ENV, queue_url)
    monkeypatch.setenv(DLQ_URL_ENV, dlq_url)
    monkeypatch.setenv(SENDER_EMAIL_ENV, SENDER)
    boto3.client("ses", **where).verify_email_identity(EmailAddress=SENDER)
    cognito = boto3.client("cognito-idp", **where)
    pools = {
        USER_POOL_ENV: create_user_pool(cognito)[0],
        STAFF_USER_POOL_ENV: create_user_pool(cognito, staff=True)[0],
    }
    for env_var, pool_id in pools.items():
        monkeypatch.setenv(env_var, pool_id)
    sns = boto3.client("sns", **where)
    topic_arn, subscriptions = create_schedule_events_topic(sns, sqs)
    monkeypatch.setenv(SCHEDULE_EVENTS_TOPIC_ENV, topic_arn)
    return {
        "dynamodb": dynamodb,
        "sqs": sqs,
        "cognito": cognito,
        "pools": pools,
        "tables": names,
        "queue_url": queue_url,
        "dlq_url": dlq_url,
        "sns": sns,
        "schedule_events_topic": topic_arn,
        "subscriptions": subscriptions,
    }


@pytest.fixture
def moto_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with mock_aws():
        aws.reset_clients()
        yield provision(monkeypatch)
        aws.reset_clients()
    assert "AWS_ENDPOINT_URL" not in os.environ


Call = Callable[..., Reply]


def stream_records(dynamodb: Any, streams: Any, table: str) -> list[dict[str, Any]]:
    """Every record on `table`'s stream from its start, with the `eventSourceARN` Lambda adds."""
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return [{**record, "eventSourceARN": arn} for record in records]


def publish(records: list[dict[str, Any]]) -> None:
    """Schedule's publisher takes these records of its table's stream, as its event source
    mapping would hand them over, and puts their events on the schedule-events topic."""
    from functions.schedule import publish as publisher

    assert publisher.lambda_handler({"Records": records}, context("publisher")) == {"batchItemFailures": []}


def subscriber_handler(subscriber: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    entry = next(e for e in ENTRYPOINTS if e.id == subscriber)
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(
        importlib.import_module(entry.module), entry.function_name
    )
    return handler


def deliver(
    moto_env: dict[str, Any], subscriber: str, *, handed: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """What waits on `subscriber`'s queue (the topic filled it through its filter), handed to
    its function ten at a time as its SQS event source would, each message it reports done
    deleted; returns each invocation's result (and appends each event it handed to `handed`)."""
    handler = subscriber_handler(subscriber)
    sqs, queue_url = moto_env["sqs"], moto_env["subscriptions"][subscriber].url
    results: list[dict[str, Any]] = []
    while messages := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
    ).get("Messages", []):
        records = pollers.sqs_records(messages, f"arn:aws:sqs:us-east-1:123456789012:{subscriber}.fifo")
        if handed is not None:
            handed.append({"Records": records})
        result = handler({"Records": records}, context(subscriber))
        results.append(result)
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for record in records:
            if record["messageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
    return results


class ScheduleChanges:
    """What AWS does after writes to the schedule table, one step at a time: the stream's records
    to its readers (schedule's own consumer and its publisher), and the published events from
    each subscriber's queue on the topic to the subscriber (coverage, notify)."""

    def __init__(self, moto_env: dict[str, Any]) -> None:
        from local.pollers import StreamPoller

        self._env = moto_env
        self.stream = StreamPoller(
            aws.client("dynamodb"), aws.client("dynamodbstreams"), moto_env["tables"]["schedule"], log=print
        )
        self.handed: dict[str, list[dict[str, Any]]] = {s: [] for s in moto_env["subscriptions"]}
        """Every batch each subscriber was handed, in order."""

    def step(self) -> None:
        self.stream.step()
        for subscriber in self._env["subscriptions"]:
            for result in deliver(self._env, subscriber, handed=self.handed[subscriber]):
                assert result == {"batchItemFailures": []}, (subscriber, result)

    def mark(self, subscriber: str) -> int:
        """Where `subscriber`'s batches stand now (for `redeliver(since=...)`)."""
        return len(self.handed[subscriber])

    def redeliver(self, subscriber: str, *, since: int = 0) -> None:
        """Every batch `subscriber` was handed (since `mark`), handed again (as a queue may after
        the topic's deduplication window, or when a delete is lost)."""
        handler = subscriber_handler(subscriber)
        for batch in list(self.handed[subscriber][since:]):
            assert handler(batch, context(subscriber)) == {"batchItemFailures": []}


def caller_of(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]], *, before: Callable[[], None] | None = None
) -> Call:
    """Calls of one API function; `before` runs first (coverage's: its copy of schedule's
    changes so far, as the pipeline would have delivered them)."""

    def call(method: str, path: str, **kwargs: Any) -> Reply:
        if before is not None:
            before()
        return Reply(handler(api_event(method, path, **kwargs), context()))

    return call


def create_person(body: dict[str, Any]) -> str:
    """A person created as a coordinator creates one (schedule's `POST /people`, sign-in and all);
    their id. Other domains hear of them when the change goes through the pipeline
    (`ScheduleChanges.step`), as in AWS a moment later."""
    from functions.schedule.handler import lambda_handler

    reply = caller_of(lambda_handler)(
        "POST", "/people", caller=claims("per_coord0001", "coordinator"), body=body
    )
    assert reply.status == 201, reply
    return str(reply.json["person_id"])


def audit_entries(moto_env: dict[str, Any], resource: str) -> list[dict[str, Any]]:
    items = moto_env["dynamodb"].query(
        TableName=moto_env["tables"]["audit"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"RESOURCE#{resource}"}},
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


# Real DynamoDB applies each request (a transaction included) atomically; moto applies a
# transaction without a lock, so two threads could interleave inside one. The concurrency
# tests rely on DynamoDB's guarantee, which this lock gives moto back: it serialises
# requests, never the code under test between them.
_ATOMIC = threading.RLock()


@pytest.fixture
def atomic_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "get_item", "query"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _ATOMIC:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


@pytest.fixture
def program(moto_env: dict[str, Any]) -> ScheduleStore:
    """The seeded demo program (people, availability, care teams, couples, next week's sessions)."""
    dynamodb = aws.client("dynamodb")
    store = ScheduleStore(moto_env["tables"]["schedule"], dynamodb)
    audit = AuditWriter(moto_env["tables"]["audit"], dynamodb, request_id="seed")
    # Seeded with the local runtime's moto changes (local/moto_dynamodb.py): the same items and
    # stream records, but a transaction costs its items, not a copy of every table it touches
    # (a quarter of the time: this fixture runs for every test the clock matrix repeats).
    with moto_dynamodb.installed():
        seed.seed_schedule(store, audit, now=controlled_now())
    copy_program_into_coverage(moto_env)
    return store


_cursor: dict[str, str] = {}
"""Per stream shard, where `copy_schedule_into_coverage` goes on reading (this test's)."""


@pytest.fixture(autouse=True)
def _fresh_copy_cursor() -> Iterator[None]:
    _cursor.clear()
    yield
    _cursor.clear()


def _shards() -> tuple[Any, str, list[str]]:
    dynamodb, streams = aws.client("dynamodb"), aws.client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=os.environ[tables.SCHEDULE.env_var])["Table"]["LatestStreamArn"]
    shards = [s["ShardId"] for s in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]]
    return streams, arn, shards


def _hand_to_copies(events: list[Any]) -> None:
    """Coverage's copy of these events (the copy alone: not the claims and projected use its
    subscriber also works out, which tests drive through `ScheduleChanges`)."""
    store = CoverageStore(os.environ[tables.COVERAGE.env_var], aws.client("dynamodb"))
    for event in events:
        if event.type in copies.COPIED:
            copies.apply(store, copies.copies_of(event, store, "America/Chicago"))


def copy_program_into_coverage(moto_env: dict[str, Any]) -> None:
    """Coverage's copy of the seeded program: the events its items publish, read from the table
    as it stands (reading moto's stream back costs more than the seed itself), and the stream's
    end as where later copies start."""
    from functions.common.dynamo import from_item
    from functions.common.streams import Change
    from functions.schedule.publish import TRANSLATORS, translate

    streams, arn, shards = _shards()
    for shard in shards:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")
        _cursor[shard] = iterator["ShardIterator"]
    items = [
        from_item(raw)
        for page in moto_env["dynamodb"]
        .get_paginator("scan")
        .paginate(TableName=moto_env["tables"]["schedule"])
        for raw in page.get("Items", [])
    ]
    changes = [
        Change(event_name="INSERT", entity=str(item["entity"]), old=None, new=item, sequence_number=str(n))
        for n, item in enumerate(items)
        if item.get("entity") in TRANSLATORS
    ]
    _hand_to_copies([e for change in changes for e in translate(change)])


def _published_since_cursor() -> list[Any]:
    """The events schedule publishes for its table's changes since the cursor (all of them, the
    first time), the cursor moved past them."""
    from functions.common.streams import to_change
    from functions.schedule.publish import translate

    streams, arn, shards = _shards()
    records: list[dict[str, Any]] = []
    for shard in shards:
        iterator: str | None = (
            _cursor.get(shard)
            or streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
                "ShardIterator"
            ]
        )
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            iterator = page.get("NextShardIterator")
            if iterator:
                _cursor[shard] = iterator
            if len(page["Records"]) < 1000:
                break
    return [e for r in records for e in translate(to_change(r))]


def copy_schedule_into_coverage() -> None:
    """Coverage's copy subscriber takes the events of the schedule table's changes since the
    last call (handed to it directly, ten at a time, without the topic): what the pipeline has
    delivered by the time someone asks coverage's API, which reads only its own copy of
    people, couples and weeks (the e2e tests go through the real pipeline)."""
    _hand_to_copies(_published_since_cursor())
