"""Background loops that deliver what AWS would: schedule-table stream records to their
consumers (through the catalog's filters), the minute sweep, the nightly jobs, send-queue
messages to the sender (deleting what succeeded, leaving failures to SQS's redrive into the DLQ),
program-bus events to their `event` entry points (through each one's local rule and queue), and
inbound texts to the `topic` entry points (through the local inbound-SMS topic's SQS subscription)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from functions.catalog import ENTRYPOINTS, Entrypoint, Trigger
from local import signals
from local.filters import matches_any
from local.workers import Invoke, describe, error_type, invoke_in_process

Log = Callable[[str], None]
BATCH_SIZE = 100
"""Stream records per invocation (the event source mapping's default batch size)."""
READ_LIMIT = 1000
"""Stream records per GetRecords call (DynamoDB Streams' maximum)."""
MAX_ROUNDS = 20
"""Reads a poller makes in one step while there is more to read (so a stop is seen between)."""


def invoke(entry: Entrypoint, event: dict[str, Any]) -> dict[str, Any]:
    """Run `entry` in this process (the default of every poller: the runtime gives them its
    worker pool's `invoke` instead)."""
    return invoke_in_process(entry, event)


class Loop(threading.Thread):
    """Calls `step` every `interval` seconds until stopped; a failing step is logged, not fatal."""

    def __init__(self, name: str, interval: float, step: Callable[[], None], log: Log) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self._step = step
        self._log = log
        self._halt = threading.Event()

    def run(self) -> None:
        signals.main_thread_only()
        while not self._halt.is_set():
            try:
                self._step()
            except Exception as exc:  # noqa: BLE001 - a poller must outlive one bad round
                if not self._halt.is_set():  # stopping: moto and the workers are going away
                    self._log(f"{self.name}: {type(exc).__name__}: {exc}")
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()


class StreamPoller:
    """Reads the schedule table's stream from LATEST and hands records to each consumer whose
    filters match, retrying failed records (as the event source mapping would) up to
    `max_attempts` before giving up on them. `trim`, when given, is told the last sequence
    number of every batch delivered (the local runtime drops those records from moto)."""

    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table_name: str,
        log: Log,
        max_attempts: int = 3,
        *,
        trim: Callable[[str], object] | None = None,
        invoker: Invoke | None = None,
    ) -> None:
        self._invoker = invoker
        self._streams = streams
        self._log = log
        self._max_attempts = max_attempts
        self._trim = trim
        self.stream_arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._iterators: dict[str, str | None] = {}
        self.consumers = [e for e in ENTRYPOINTS if e.trigger == "stream"]
        self._refresh_shards()

    def _refresh_shards(self) -> None:
        shards = self._streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"]

    def step(self) -> None:
        """Deliver what the stream holds now (up to `MAX_ROUNDS` reads: no backlog left behind)."""
        for shard_id, iterator in list(self._iterators.items()):
            for _ in range(MAX_ROUNDS):
                if iterator is None:
                    break
                response = self._streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
                iterator = self._iterators[shard_id] = response.get("NextShardIterator")
                records = response.get("Records", [])
                if records:
                    self.deliver([{**r, "eventSourceARN": self.stream_arn} for r in records])
                    if self._trim is not None:
                        self._trim(records[-1]["dynamodb"]["SequenceNumber"])
                if len(records) < READ_LIMIT:
                    break

    def deliver(self, records: list[dict[str, Any]]) -> None:
        """Each consumer gets the records its filters match, in order, `BATCH_SIZE` at a time;
        the consumers run side by side, as their event source mappings do."""
        with ThreadPoolExecutor(max_workers=len(self.consumers), thread_name_prefix="stream") as pool:
            for future in [pool.submit(self._deliver_to, consumer, records) for consumer in self.consumers]:
                future.result()

    def _deliver_to(self, consumer: Entrypoint, records: list[dict[str, Any]]) -> None:
        matching = [r for r in records if matches_any(consumer.stream_filters, r)]
        for start in range(0, len(matching), BATCH_SIZE):
            batch = matching[start : start + BATCH_SIZE]
            for attempt in range(1, self._max_attempts + 1):
                if not batch:
                    break
                try:
                    result = (self._invoker or invoke)(consumer, {"Records": batch})
                    failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
                except Exception:  # noqa: BLE001 - an invocation error fails the whole batch
                    failed = {r["dynamodb"].get("SequenceNumber") for r in batch}
                batch = [r for r in batch if r["dynamodb"].get("SequenceNumber") in failed]
                if batch and attempt == self._max_attempts:
                    self._log(f"{consumer.id}: {len(batch)} stream record(s) failed {attempt} times; dropped")


def sqs_records(messages: list[dict[str, Any]], queue_arn: str) -> list[dict[str, Any]]:
    """The records Lambda's SQS event source hands a function for messages received from a queue."""
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": queue_arn.split(":")[3],
        }
        for m in messages
    ]


class QueuePoller:
    """Long-polls an SQS queue (the send queue, or a `consumer`'s subscription queue on the
    schedule-events topic) and deletes every message the consumer did not report failed. Like
    Lambda's SQS event source, it runs up to `concurrency` batches of 10 side by side and keeps
    receiving while the queue has messages (up to `MAX_ROUNDS` rounds a step)."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        log: Log,
        *,
        invoker: Invoke | None = None,
        concurrency: int = 2,
        consumer: Entrypoint | None = None,
    ) -> None:
        self._invoker = invoker
        self._sqs = sqs
        self._queue_url = queue_url
        self._log = log
        self._concurrency = concurrency
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.consumer = consumer or next(e for e in ENTRYPOINTS if e.trigger == "queue")

    def step(self) -> None:
        for _ in range(MAX_ROUNDS):
            batches: list[list[dict[str, Any]]] = []
            while len(batches) < self._concurrency:
                messages = self._sqs.receive_message(
                    QueueUrl=self._queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=0 if batches else 1,
                    MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
                if not messages:
                    break
                batches.append(messages)
            if not batches:
                return
            with ThreadPoolExecutor(max_workers=len(batches), thread_name_prefix="queue") as pool:
                list(pool.map(self._deliver, batches))

    def _deliver(self, messages: list[dict[str, Any]]) -> None:
        records = sqs_records(messages, self._arn)
        try:
            result = (self._invoker or invoke)(self.consumer, {"Records": records})
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - an invocation error returns the whole batch to SQS
            failed = {r["messageId"] for r in records}
        done = [r for r in records if r["messageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(done)],
            )
        if failed:
            self._log(f"{self.consumer.id}: {len(failed)} message(s) failed; SQS will redeliver")


class AsyncPoller:
    """Delivers what waits on the local queue of one asynchronously invoked entry point as Lambda
    would: one event per invocation, tried `max_attempts` times (AWS: once and two retries), then
    moved to the entry's dead-letter queue. Subclasses say which trigger they stand in for and
    turn a queued message into the event Lambda would be invoked with."""

    trigger: ClassVar[Trigger]
    source: ClassVar[str]
    """What invokes the entry point, as error messages name it."""
    noun: ClassVar[str]
    """What the log calls one delivery."""
    unreadable: ClassVar[str]
    """What the log says of a queued message that is not one to deliver."""

    def __init__(
        self,
        sqs: Any,
        entry: Entrypoint,
        queue_url: str,
        dlq_url: str,
        log: Log,
        max_attempts: int = 3,
        *,
        invoker: Invoke | None = None,
    ) -> None:
        if entry.trigger != self.trigger:
            raise ValueError(f"{entry.id} is not invoked by {self.source}")
        self._invoker = invoker
        self._sqs = sqs
        self.consumer = entry
        self._queue_url = queue_url
        self._dlq_url = dlq_url
        self._log = log
        self._max_attempts = max_attempts

    def event_of(self, body: str) -> dict[str, Any]:
        """The invocation event of one queued message; ValueError when it is not one."""
        raise NotImplementedError

    def label(self, event: dict[str, Any]) -> str:
        """How the log names one event (an id, never its content)."""
        return str(event.get("id", "?"))

    def step(self) -> None:
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            if not self._deliver(message["Body"]):
                self._sqs.send_message(QueueUrl=self._dlq_url, MessageBody=message["Body"])
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _deliver(self, body: str) -> bool:
        try:
            event = self.event_of(body)
        except ValueError:
            self._log(f"{self.consumer.id}: {self.unreadable}; dead-lettered")
            return False
        failure = ""
        for _ in range(self._max_attempts):
            try:
                (self._invoker or invoke)(self.consumer, event)
            except Exception as exc:  # noqa: BLE001 - as Lambda would, retry then dead-letter
                failure = self.failure(exc)
            else:
                return True
        self._log(
            f"{self.consumer.id}: {self.noun} {self.label(event)} failed {self._max_attempts} times "
            f"({failure}); dead-lettered"
        )
        return False

    def failure(self, exc: Exception) -> str:
        return describe(exc)


class EventPoller(AsyncPoller):
    """Delivers the program bus's events to one `event` entry point as its EventBridge rule would.
    The local rule on the bus copies each matching event, as EventBridge's JSON, into the entry's
    queue; this reads that queue."""

    trigger = "event"
    source = "events on the bus"
    noun = "event"
    unreadable = "a message on its event queue is not JSON"

    def event_of(self, body: str) -> dict[str, Any]:
        event = json.loads(body)
        if not isinstance(event, dict):
            raise ValueError("not an event")
        return event


class TopicPoller(AsyncPoller):
    """Delivers the inbound-SMS topic's messages to one `topic` entry point as its SNS subscription
    would. moto's SNS delivers each published message, in SNS's JSON envelope, to the SQS queue
    subscribed to the topic; this reads that queue and invokes the function with the event Lambda
    receives from SNS (one record). The log names the SNS message id only: a text's body and
    numbers are never logged, nor an exception's message (it could quote them)."""

    trigger = "topic"
    source = "the inbound-SMS topic"
    noun = "message"
    unreadable = "a message on its topic queue is not an SNS notification"

    def event_of(self, body: str) -> dict[str, Any]:
        envelope = json.loads(body)
        if not isinstance(envelope, dict) or envelope.get("Type") != "Notification":
            raise ValueError("not an SNS notification")
        return sns_event(envelope, f"{envelope.get('TopicArn', '')}:{self.consumer.id}")

    def label(self, event: dict[str, Any]) -> str:
        return str(event["Records"][0]["Sns"].get("MessageId", "?"))

    def failure(self, exc: Exception) -> str:
        return error_type(exc)


def sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """The event Lambda is invoked with for one SNS notification (its HTTP/SQS JSON envelope:
    the same fields, two of them spelt differently)."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": envelope.get("Type", "Notification"),
                    "MessageId": envelope.get("MessageId"),
                    "TopicArn": envelope.get("TopicArn"),
                    "Subject": envelope.get("Subject"),
                    "Message": envelope.get("Message", ""),
                    "Timestamp": envelope.get("Timestamp"),
                    "SignatureVersion": envelope.get("SignatureVersion"),
                    "Signature": envelope.get("Signature"),
                    "SigningCertUrl": envelope.get("SigningCertURL"),
                    "UnsubscribeUrl": envelope.get("UnsubscribeURL"),
                    "MessageAttributes": envelope.get("MessageAttributes") or {},
                },
            }
        ]
    }


def sweep_event(rule: str = "tandem-local-minute") -> dict[str, Any]:
    """An EventBridge scheduled event, as a schedule rule (by default the minute rule) delivers it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"],
        "detail": {},
    }


def minute_entries() -> list[Entrypoint]:
    """The schedule entry points AWS runs every minute (the minute sweep runs these)."""
    return [e for e in ENTRYPOINTS if e.every_minute]


def nightly_entries() -> list[Entrypoint]:
    """The schedule entry points AWS runs once a day (the nightly runner, or `run_nightly`)."""
    return [e for e in ENTRYPOINTS if e.daily is not None]


def run_sweep(invoker: Invoke | None = None) -> None:
    """One minute's tick: every minute entry point, never a nightly one."""
    for entry in minute_entries():
        (invoker or invoke)(entry, sweep_event())


def run_nightly(entry_id: str | None = None, invoker: Invoke | None = None) -> dict[str, dict[str, Any]]:
    """Run the nightly jobs now (or only `entry_id`), as their rules would; their results by id."""
    entries = [e for e in nightly_entries() if entry_id in (None, e.id)]
    if entry_id is not None and not entries:
        raise KeyError(f"no nightly entry point {entry_id!r}")
    run = invoker or invoke
    return {entry.id: run(entry, sweep_event(f"tandem-local-{entry.id}")) for entry in entries}


class NightlyRunner:
    """Runs each daily entry point once a UTC day, at the first step at or after its cron time
    (EventBridge reads cron in UTC). A time already past when the runtime starts waits for the
    next day: `run_nightly()` runs the jobs on demand. A failing run is not repeated that day."""

    def __init__(
        self,
        log: Log,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        run: Callable[[Entrypoint, dict[str, Any]], Any] = invoke,
    ) -> None:
        self._log = log
        self._clock = clock
        self._run = run
        self.entries = nightly_entries()
        now = self._now()
        self.last_run: dict[str, date] = {e.id: now.date() for e in self.entries if self._due(e, now)}

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    @staticmethod
    def _due(entry: Entrypoint, now: datetime) -> bool:
        at = entry.daily
        return at is not None and now.time() >= at

    def step(self) -> None:
        now = self._now()
        for entry in self.entries:
            if self.last_run.get(entry.id) == now.date() or not self._due(entry, now):
                continue
            self.last_run[entry.id] = now.date()
            try:
                self._run(entry, sweep_event(f"tandem-local-{entry.id}"))
            except Exception as exc:  # noqa: BLE001 - one job failing must not stop the others
                self._log(f"{entry.id}: nightly run failed: {type(exc).__name__}: {exc}")
