"""AWS that stops answering mid-run: the handlers' endpoint is a moto server (in this process)
that a test stops, a port that never answers, or a moto that throttles or fails. Every API
function answers 503 problem+json with Retry-After within its timeout, stores nothing half-way,
and a dead service fails fast once its circuit is open; `/health` stays up and `/health/ready`
says which dependency is down. Background functions fail retryably (their event source
retries), never dropping what they were given."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from chalice.local import LambdaContext
from moto.core.base_backend import BackendDict
from moto.core.exceptions import ServiceException
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.server import ThreadedMotoServer
from moto.ses.models import SESBackend
from moto.sqs.models import SQSBackend

from functions.catalog import DEFAULT_TIMEOUT_SECONDS, EVENT_BUS_ENV, dependencies
from functions.common import aws, readiness
from functions.common.audit import AuditWriter
from functions.common.errors import dependency_failure_in
from functions.common.http import PROBLEM_JSON
from functions.common.models import utc_now
from functions.common.observability import metrics
from functions.coverage import events as coverage_events
from functions.coverage import prices
from functions.coverage.handler import lambda_handler as coverage_api
from functions.notify import alerts, inbound, send, sweep
from functions.notify import events as notify_events
from functions.notify.handler import lambda_handler as notify_api
from functions.notify.logic.outbox import LEASE
from functions.notify.vocabulary import MessageStatus
from functions.schedule import authorization_flags
from functions.schedule import events as schedule_events
from functions.schedule import publish as publisher
from functions.schedule.handler import lambda_handler as schedule_api
from functions.schedule.store import ScheduleStore
from local import seed
from tests.clock import controlled_now
from tests.integration import test_notify_pipeline as pipeline
from tests.integration.conftest import provision, stream_records
from tests.integration.test_notify_inbound import sns_event
from tests.integration.test_schedule_api import participant_body
from tests.support import Reply, api_event, claims, free_ports, published, sqs_records
from tests.unit.test_coordinator_alerts import EVENT as ALERT

API_TIMEOUT = DEFAULT_TIMEOUT_SECONDS["api"]
COORDINATOR = claims("per_coord0001", "coordinator")
PARTICIPANT = claims("per_part00001", "participant")
BUS = "test-program"


def api_context() -> Any:
    """A Lambda context with the API functions' timeout (10 s), as API Gateway would invoke."""
    ctx = LambdaContext("api", 512, max_runtime_ms=API_TIMEOUT * 1000)
    ctx.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    return ctx


def call(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]], method: str, path: str, **kwargs: Any
) -> tuple[Reply, float]:
    """One request through `handler`: its reply and how long it took (seconds)."""
    started = time.monotonic()
    reply = Reply(handler(api_event(method, path, **kwargs), api_context()))
    return reply, time.monotonic() - started


def assert_unavailable(reply: Reply, dependency: str = "dynamodb") -> int:
    """A 503 problem naming `dependency`, with a Retry-After it also carries; its seconds."""
    assert reply.status == 503, reply
    assert reply.content_type == PROBLEM_JSON
    body = reply.json
    assert body["type"].endswith("/dependency-unavailable")
    assert body["dependency"] == dependency
    seconds = int(reply.headers["retry-after"])
    assert seconds >= 1
    assert body["retry_after"] == seconds
    return seconds


def participants(client: Any, table: str) -> int:
    return len(
        client.query(
            TableName=table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :k",
            ExpressionAttributeValues={":k": {"S": "KIND#participant"}},
        )["Items"]
    )


class Aws:
    """moto in server mode on a port of its own, as the handlers' AWS. `stop()` makes the port
    refuse connections mid-run; `start_again()` serves the same (in-process) state on a new
    port, so a test can look at what was stored and let the handlers recover."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.server: ThreadedMotoServer | None = None
        self.url = ""
        self.start_again()
        self.env = provision(monkeypatch, self.url)
        self.client("events").create_event_bus(Name=BUS)
        monkeypatch.setenv(EVENT_BUS_ENV, BUS)

    def start_again(self) -> None:
        (port,) = free_ports(1)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.server.start()
        self.url = f"http://127.0.0.1:{port}"
        self._monkeypatch.setenv("AWS_ENDPOINT_URL", self.url)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.url)  # type: ignore[call-overload]


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # moto in this process, on a loaded machine, can take seconds where DynamoDB takes
    # milliseconds: a 2 s read timeout would fail (and retry) calls that are not failing. The
    # production timeouts are what the tests of a silent endpoint use (they drop this).
    monkeypatch.setenv(aws.READ_TIMEOUT_ENV, "20")
    aws.reset_clients()
    moto = Aws(monkeypatch)
    try:
        yield moto
    finally:
        moto.stop()
        aws.reset_clients()
        BackendDict.reset()


class Blackhole:
    """A port that accepts connections and never answers: a network path that drops replies."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)

    def close(self) -> None:
        self._listener.close()
        for connection in self._held:
            connection.close()


class Throttled(ServiceException):
    code = "ProvisionedThroughputExceededException"
    message = "The level of configured provisioned throughput for the table was exceeded."


class Failing(ServiceException):
    code = "InternalServerError"
    message = "Internal server error"


def failing_backend(
    monkeypatch: pytest.MonkeyPatch, backend: type, method: str, error: Callable[[], Exception]
) -> list[int]:
    """moto's `backend.method` answers `error()` (on the wire, as AWS would); the calls made."""
    calls: list[int] = []

    def fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise error()

    monkeypatch.setattr(backend, method, fail)
    return calls


def dependency_failures() -> int:
    return len(metrics.metric_set.get("DependencyUnavailable", {}).get("Value", []))


# --- the API functions ---------------------------------------------------------------------------


def test_every_domain_answers_503_with_retry_after_once_aws_stops_and_health_stays_up(outage):
    # Given a person, readable while AWS answers
    created, _ = call(schedule_api, "POST", "/people", caller=COORDINATOR, body=participant_body())
    assert created.status == 201, created
    person_id = created.json["person_id"]
    assert call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)[0].status == 200
    metrics.clear_metrics()
    # When moto stops: its port refuses every connection
    outage.stop()
    # Then a read of each domain answers 503 problem+json naming DynamoDB, with Retry-After,
    # well inside the function's timeout
    for handler, path in (
        (schedule_api, f"/people/{person_id}"),
        (coverage_api, f"/participants/{person_id}/plans"),
        (notify_api, f"/people/{person_id}/notification-preferences"),
    ):
        reply, seconds = call(handler, "GET", path, caller=COORDINATOR)
        assert_unavailable(reply)
        assert reply.json["instance"] == path
        assert seconds < API_TIMEOUT
    # And each failure is counted (the DependencyUnavailable metric an alarm watches)
    assert dependency_failures() >= 3
    # And the liveness probe calls nothing, so it still answers
    health, _ = call(schedule_api, "GET", "/health")
    assert (health.status, health.json) == (200, {"status": "ok"})


def test_a_create_during_the_outage_stores_nothing_and_its_retry_succeeds_after(outage, monkeypatch):
    monkeypatch.setattr(aws, "COOLDOWN_SECONDS", 1)
    table = outage.env["tables"]["schedule"]
    # Given AWS stops answering
    outage.stop()
    # When a coordinator creates a participant (with an Idempotency-Key, to retry safely)
    headers = {"Idempotency-Key": "create-alex"}
    reply, seconds = call(
        schedule_api, "POST", "/people", caller=COORDINATOR, body=participant_body(), headers=headers
    )
    # Then the answer is 503 with Retry-After, in time
    assert_unavailable(reply)
    assert seconds < API_TIMEOUT
    # And once AWS is back, nothing of it was stored: no person, no idempotency record to block
    # the retry
    outage.start_again()
    assert participants(outage.client("dynamodb"), table) == 0
    # When the circuit's cooldown has passed and the client retries with the same key
    time.sleep(2.2)  # the circuit reopens to a probe after COOLDOWN_SECONDS (whole seconds)
    body = participant_body()
    again, _ = call(schedule_api, "POST", "/people", caller=COORDINATOR, body=body, headers=headers)
    # Then the person is created once, as a first try (nothing to replay)
    assert again.status == 201, again
    assert "idempotent-replayed" not in again.headers
    assert participants(outage.client("dynamodb"), table) == 1


def test_a_silent_aws_answers_within_the_timeout_then_the_open_circuit_fails_fast(outage, monkeypatch):
    # Given a person, then an AWS endpoint that accepts connections and never answers
    created, _ = call(schedule_api, "POST", "/people", caller=COORDINATOR, body=participant_body())
    person_id = created.json["person_id"]
    silent = Blackhole()
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent.url)
    monkeypatch.delenv(aws.READ_TIMEOUT_ENV)  # the production timeouts
    try:
        # When the person is read
        reply, seconds = call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)
        # Then the answer is 503 before the function's timeout: one call, retried once, and no
        # second call (the audit of the failure) that could outlast the invocation
        assert_unavailable(reply)
        assert aws.READ_TIMEOUT_SECONDS <= seconds < API_TIMEOUT
        assert silent.accepted == aws.MAX_ATTEMPTS
        # When more reads fail, until the circuit opens
        for _ in range(aws.FAILURE_THRESHOLD - 1):
            assert_unavailable(call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)[0])
        reached = silent.accepted
        # Then the next read is refused at once: nothing reaches the endpoint, and the client is
        # told to come back once the circuit may close
        reply, _ = call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)
        assert 1 <= assert_unavailable(reply) <= aws.COOLDOWN_SECONDS
        assert silent.accepted == reached
        assert aws.circuit_state("dynamodb") == "OPEN"
    finally:
        silent.close()


def test_throttling_is_a_503_to_retry_soon_and_never_opens_the_circuit(outage, monkeypatch):
    # Given a person, and then DynamoDB throttling every read
    created, _ = call(schedule_api, "POST", "/people", caller=COORDINATOR, body=participant_body())
    person_id = created.json["person_id"]
    themself = claims(person_id, "participant")  # their own profile: one GetItem
    with pytest.MonkeyPatch.context() as throttling:
        calls = failing_backend(throttling, DynamoDBBackend, "get_item", Throttled)
        # When it is read more times than the circuit's threshold
        for _ in range(aws.FAILURE_THRESHOLD + 1):
            reply, seconds = call(schedule_api, "GET", f"/people/{person_id}", caller=themself)
            # Then each is 503 asking to retry in a second
            assert assert_unavailable(reply) == aws.THROTTLED_RETRY_AFTER_SECONDS
            assert reply.json["detail"] == "DynamoDB is busy; try again shortly"
            assert seconds < API_TIMEOUT
        # And every read reached DynamoDB (retried once by botocore): a throttle opens no circuit
        assert len(calls) == (aws.FAILURE_THRESHOLD + 1) * aws.MAX_ATTEMPTS
        assert aws.circuit_state("dynamodb") == "CLOSED"
    # And once the throttling stops, the read succeeds at once
    assert call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)[0].status == 200


def test_a_failing_service_opens_the_circuit_after_the_threshold(outage, monkeypatch):
    created, _ = call(schedule_api, "POST", "/people", caller=COORDINATOR, body=participant_body())
    person_id = created.json["person_id"]
    # Given DynamoDB answering every read and write with an internal error
    calls = failing_backend(monkeypatch, DynamoDBBackend, "get_item", Failing)
    failing_backend(monkeypatch, DynamoDBBackend, "put_item", Failing)  # the failure's audit entry
    # When reads fail as often as the threshold
    for _ in range(aws.FAILURE_THRESHOLD):
        assert_unavailable(call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)[0])
    reached = len(calls)
    # Then the circuit is open: the next read does not reach DynamoDB
    reply, _ = call(schedule_api, "GET", f"/people/{person_id}", caller=COORDINATOR)
    assert assert_unavailable(reply) <= aws.COOLDOWN_SECONDS
    assert len(calls) == reached


def test_a_transaction_cancelled_for_throughput_is_503_and_one_cancelled_by_a_condition_stays_412(
    outage, monkeypatch
):
    path = "/me/notification-preferences"
    body = {"email": "alex@example.com", "time_zone": "America/Chicago"}

    def save() -> Reply:
        return call(notify_api, "PUT", path, caller=PARTICIPANT, body=body, headers={"If-Match": '"0"'})[0]

    # Given DynamoDB cancelling the save's transaction for throughput
    failing_backend(
        monkeypatch,
        DynamoDBBackend,
        "transact_write_items",
        lambda: TransactionCanceledException([("ThrottlingError", "Throughput exceeds the limit", None)]),
    )
    # When a participant saves their preferences, Then it is 503 to retry soon (not a 412)
    assert assert_unavailable(save()) == aws.THROTTLED_RETRY_AFTER_SECONDS
    # Given it cancels the transaction because a condition failed (someone saved meanwhile)
    failing_backend(
        monkeypatch,
        DynamoDBBackend,
        "transact_write_items",
        lambda: TransactionCanceledException(
            [("ConditionalCheckFailed", "The conditional request failed", None)]
        ),
    )
    # Then that stays the caller's 412, as the store maps it
    assert save().status == 412


# --- the readiness check --------------------------------------------------------------------


def ready(caller: dict[str, str] = COORDINATOR) -> tuple[Reply, float]:
    return call(schedule_api, "GET", "/health/ready", caller=caller)


def test_readiness_reports_every_dependency_up_by_name(outage):
    reply, seconds = ready()
    assert reply.status == 200, reply
    report = reply.json
    assert report["status"] == "ready"
    assert seconds < API_TIMEOUT
    found = {d["name"]: d for d in report["dependencies"]}
    assert set(found) == {d.name for d in dependencies()}
    assert {d["state"] for d in found.values()} == {"up"}
    assert found["dynamodb:schedule"]["resource"] == outage.env["tables"]["schedule"]
    assert found["sqs:send-queue"]["resource"] == "test-notify-send"
    assert found["eventbridge:program-bus"]["resource"] == BUS
    assert found["dynamodb:schedule"]["circuit"] == "closed"
    assert "SchedulePublisher" in found["dynamodb:schedule"]["used_by"]  # its stream


def test_readiness_names_the_one_dependency_that_is_down(outage):
    # Given the notify table gone
    outage.client("dynamodb").delete_table(TableName=outage.env["tables"]["notify"])
    # When readiness is checked
    reply, _ = ready()
    # Then it is 503 problem+json with Retry-After, naming the table, the others up
    assert reply.status == 503, reply
    assert reply.content_type == PROBLEM_JSON
    assert int(reply.headers["retry-after"]) == readiness.RETRY_AFTER_SECONDS
    assert reply.json["detail"] == "not ready: dynamodb:notify is down"
    found = {d["name"]: d for d in reply.json["dependencies"]}
    assert (found["dynamodb:notify"]["state"], found["dynamodb:notify"]["reason"]) == (
        "down",
        "ResourceNotFoundException",
    )
    assert {d["state"] for name, d in found.items() if name != "dynamodb:notify"} == {"up"}


@pytest.mark.parametrize("how", ["stopped", "silent"])
def test_readiness_answers_within_its_budget_when_aws_is_gone(outage, monkeypatch, how):
    # Given AWS stopped (refusing connections) or silent (never answering), and the production
    # timeouts
    monkeypatch.delenv(aws.READ_TIMEOUT_ENV)
    silent = None
    if how == "stopped":
        outage.stop()
    else:
        silent = Blackhole()
        monkeypatch.setenv("AWS_ENDPOINT_URL", silent.url)
    try:
        # When readiness is checked
        reply, seconds = ready()
        # Then every dependency is reported down, within the check's budget
        assert reply.status == 503, reply
        assert seconds < readiness.BUDGET_SECONDS + 2  # the budget, and the time to answer
        states = {d["state"] for d in reply.json["dependencies"]}
        assert states == {"down"}
        reasons = {d["reason"] for d in reply.json["dependencies"]}
        expected = (
            "EndpointConnectionError"
            if how == "stopped"
            else f"no answer within {readiness.BUDGET_SECONDS:g} s"
        )
        assert reasons <= {expected, "ReadTimeoutError"}
    finally:
        if silent is not None:
            silent.close()


def test_readiness_is_for_coordinators(outage):
    reply, _ = ready(PARTICIPANT)
    assert reply.status == 403
    assert call(schedule_api, "GET", "/health/ready")[0].status == 401


# --- background functions: a failure their event source retries ----------------------------------


def background_context(name: str) -> Any:
    return LambdaContext(name, 512, max_runtime_ms=60_000)


def test_stream_and_subscription_consumers_fail_the_batch_for_a_retry_while_aws_is_unreachable(outage):
    # Given the demo program's bookings on the schedule table's stream
    dynamodb = aws.client("dynamodb")
    store = ScheduleStore(outage.env["tables"]["schedule"], dynamodb)
    seed.seed_schedule(
        store, AuditWriter(outage.env["tables"]["audit"], dynamodb, "seed"), now=controlled_now()
    )
    sessions = [
        r
        for r in stream_records(
            outage.client("dynamodb"), outage.client("dynamodbstreams"), outage.env["tables"]["schedule"]
        )
        if r["dynamodb"].get("NewImage", {}).get("entity") == {"S": "SESSION"}
    ]
    assert sessions
    events = [published(r) for r in sessions]
    # When AWS stops answering and the consumers get the batch
    outage.stop()
    every = {r["dynamodb"]["SequenceNumber"] for r in sessions}
    messages = sqs_records(events)
    batches = [
        (schedule_events, {"Records": sessions}, every),
        (notify_events, messages, {m["messageId"] for m in messages["Records"]}),
        (coverage_events, messages, {m["messageId"] for m in messages["Records"]}),
    ]
    for consumer, batch, identifiers in batches:
        # Then each reports every record failed (Powertools then fails the invocation), so the
        # event source retries the batch and, in the end, sends it to the on-failure queue
        kinds: set[str] = set()
        try:
            result = consumer.lambda_handler(batch, background_context(consumer.__name__))
        except BatchProcessingError as failed:
            kinds = {str(value) for _, value, _ in failed.child_exceptions}
            result = {"batchItemFailures": [{"itemIdentifier": i} for i in identifiers]}
        reported = {item["itemIdentifier"] for item in result["batchItemFailures"]}
        assert reported == identifiers, (consumer.__name__, "let through", identifiers - reported)
        # (each record's failure told by its type only: the dependency failure)
        assert kinds <= {"AwsUnavailable"}, (consumer.__name__, kinds)
    # And schedule's publisher reports the batch's first record, so the stream retries from it
    # and nothing after it is published ahead of it
    result = publisher.lambda_handler({"Records": sessions}, background_context("publisher"))
    assert result == {"batchItemFailures": [{"itemIdentifier": sessions[0]["dynamodb"]["SequenceNumber"]}]}


def test_event_and_topic_consumers_raise_so_lambda_retries_them(outage, monkeypatch):
    monkeypatch.setenv("COORDINATOR_ALERT_IDS", "per_coord0001")
    now = controlled_now().isoformat()
    deliveries: list[tuple[Callable[[dict[str, Any], Any], dict[str, Any]], dict[str, Any]]] = [
        (
            authorization_flags.lambda_handler,
            {
                "source": "tandem.coverage",
                "detail-type": "authorization.flags",
                "detail": {
                    "participant_id": "per_demoalex",
                    "flags": {"ses_1": ["outside"]},
                    "computed_at": now,
                },
            },
        ),
        (
            prices.lambda_handler,
            {"source": "tandem.coverage", "detail-type": "billing.reference.changed", "detail": {}},
        ),
        (alerts.lambda_handler, ALERT),
        (inbound.lambda_handler, sns_event("HELP")),
    ]
    # Given DynamoDB stops answering
    outage.stop()
    for handler, event in deliveries:
        # When each consumer gets its event, Then it raises the dependency failure: Lambda's
        # asynchronous retries (and then the DLQ) keep the event
        with pytest.raises(Exception) as failed:  # noqa: PT011 - which one is checked below
            handler(event, background_context("consumer"))
        cause = dependency_failure_in(failed.value)  # the inbound's idempotency layer wraps it
        assert cause is not None, failed.value
        assert cause.dependency == "dynamodb"


def test_the_sweep_raises_when_dynamodb_is_unreachable(outage):
    outage.stop()
    with pytest.raises(aws.AwsUnavailable):
        sweep.lambda_handler(
            {"detail-type": "Scheduled Event", "source": "aws.events"}, background_context("sweep")
        )


# --- the outbox: SQS and SES failing (moto's backends answering errors) --------------------------


class SqsFailing(ServiceException):
    code = "InternalError"
    message = "We encountered an internal error. Please try again."


class SesThrottling(ServiceException):
    code = "Throttling"
    message = "Maximum sending rate exceeded."


@pytest.mark.filterwarnings("ignore:Exception.*does not match an error shape")
def test_a_message_sqs_refused_is_kept_claimed_and_queued_after_the_lease(moto_env, monkeypatch):
    outbox = pipeline.store(moto_env)
    outbox.put_message(pipeline.message("msg_sqsdown01"))
    # Given SQS failing every send
    with pytest.MonkeyPatch.context() as down:
        failing_backend(down, SQSBackend, "send_message_batch", SqsFailing)
        # When the minute sweep runs, Then it fails naming SQS (EventBridge retries it)
        with pytest.raises(aws.AwsUnavailable) as failed:
            pipeline.sweep_once()
        assert failed.value.dependency == "sqs"
    # And the message is not lost: claimed, not on the queue
    assert outbox.get_message("msg_sqsdown01").status is MessageStatus.QUEUED
    assert pipeline.receive_all(moto_env) == []
    # When SQS is back and a sweep runs after the claim's lease
    later = utc_now() + LEASE + timedelta(minutes=1)
    assert sweep.sweep(outbox, aws.client("sqs"), moto_env["queue_url"], now=later) == 1
    # Then it is on the queue
    [queued] = pipeline.receive_all(moto_env)
    assert json.loads(queued["Body"])["message_id"] == "msg_sqsdown01"


@pytest.mark.filterwarnings("ignore:Exception.*does not match an error shape")
def test_a_message_ses_throttled_stays_queued_and_is_sent_once_on_redelivery(moto_env, monkeypatch):
    outbox = pipeline.store(moto_env)
    outbox.put_message(pipeline.message("msg_sesbusy01"))
    pipeline.sweep_once()
    delivered = pipeline.receive_all(moto_env)
    # Given SES throttling every send
    with pytest.MonkeyPatch.context() as busy:
        failing_backend(busy, SESBackend, "send_raw_email", SesThrottling)
        # When the sender gets the message, Then the invocation fails (SQS redelivers it)
        with pytest.raises(BatchProcessingError):
            send.lambda_handler(pipeline.sqs_event(delivered), background_context("send"))
    # And the message is still queued, its attempt recorded with SES's code, nothing sent
    record = outbox.get_message("msg_sesbusy01")
    assert record.status is MessageStatus.QUEUED
    assert record.status_reason == "Throttling"
    assert pipeline.emails_sent() == 0
    # When SQS redelivers it after SES recovered, Then it is sent, once
    again = pipeline.sqs_event(delivered)
    again["Records"][0]["attributes"]["ApproximateReceiveCount"] = "2"
    assert send.lambda_handler(again, background_context("send")) == {"batchItemFailures": []}
    assert outbox.get_message("msg_sesbusy01").status is MessageStatus.SENT
    assert pipeline.emails_sent() == 1
