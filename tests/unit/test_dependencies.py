"""Failing dependencies, without AWS: the time budget of the shared botocore configuration,
which botocore errors are the service's (503) and which the caller's (kept for the stores'
4xx), the circuits, the 503 problem and the catalog's list of dependencies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.circuit_breaker import CircuitBreakerOpenError, CircuitState
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from functions.catalog import DEFAULT_TIMEOUT_SECONDS, ENTRYPOINTS, PROBE_ACTIONS, dependencies
from functions.common import aws, readiness
from functions.common.api import create_resolver
from functions.common.circuits import Circuit
from functions.common.dynamo import error_code
from functions.common.errors import DependencyUnavailable
from functions.common.http import PROBLEM_JSON
from tests.support import Reply, api_event, context


def client_error(code: str, status: int = 400, **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    response.update(extra)
    return ClientError(response, "AnyOperation")


def cancelled(*reasons: str) -> ClientError:
    return client_error("TransactionCanceledException", CancellationReasons=[{"Code": r} for r in reasons])


# --- the time budget -----------------------------------------------------------------------------


def test_one_failing_call_fits_well_inside_an_api_functions_timeout():
    # Every attempt waiting out both timeouts, plus the longest backoff, leaves the function
    # time to answer its 503 (the old 5 attempts x 3+10 s did not: 65 s against 10)
    assert aws.worst_case_seconds() <= DEFAULT_TIMEOUT_SECONDS["api"] * 0.7
    assert aws.MAX_ATTEMPTS >= 2  # one retry still absorbs a blip


def test_the_clients_carry_the_bounded_configuration(monkeypatch):
    monkeypatch.delenv(aws.READ_TIMEOUT_ENV, raising=False)
    aws.reset_clients()
    config = aws.client("dynamodb").meta.config
    assert config.retries["total_max_attempts"] == aws.MAX_ATTEMPTS  # the first attempt included
    assert config.connect_timeout == aws.CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == aws.READ_TIMEOUT_SECONDS
    probe = aws.probe_client("dynamodb").meta.config
    assert probe.retries["total_max_attempts"] == 1
    aws.reset_clients()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("30", 30.0), ("0.5", 0.5), ("", 2.0), ("soon", 2.0), ("0", 2.0), ("3600", 2.0)],
)
def test_the_read_timeout_can_be_lengthened_for_a_slow_local_aws(raw, expected):
    environ = {aws.READ_TIMEOUT_ENV: raw}
    assert aws.read_timeout(environ) == expected
    # And a readiness probe then waits as long, within a budget a second longer
    assert aws.probe_timeout(environ) == (aws.PROBE_TIMEOUT_SECONDS if expected == 2.0 else expected)
    assert readiness.budget(environ) == max(readiness.BUDGET_SECONDS, aws.probe_timeout(environ) + 1)


def test_in_aws_readiness_waits_three_seconds_for_two_second_probes():
    assert (aws.probe_timeout({}), readiness.budget({})) == (2.0, 3.0)


# --- whose fault: the service's (503) or the caller's (the stores' 4xx) ------------------------

THROTTLED_TRANSACTION = "TransactionCanceled:ThrottlingError"


@pytest.mark.parametrize(
    ("error", "kind", "dependency", "reason"),
    [
        (EndpointConnectionError(endpoint_url="x"), "unreachable", "dynamodb", "EndpointConnectionError"),
        (ConnectTimeoutError(endpoint_url="x"), "unreachable", "dynamodb", "ConnectTimeoutError"),
        (ReadTimeoutError(endpoint_url="x"), "unreachable", "dynamodb", "ReadTimeoutError"),
        (ConnectionClosedError(endpoint_url="x"), "unreachable", "dynamodb", "ConnectionClosedError"),
        (client_error("ProvisionedThroughputExceededException"), "throttled", "dynamodb", None),
        (client_error("ThrottlingException"), "throttled", "dynamodb", None),
        (client_error("RequestLimitExceeded"), "throttled", "dynamodb", None),
        (client_error("Whatever", 429), "throttled", "dynamodb", "Whatever"),
        (client_error("InternalServerError", 500), "failing", "dynamodb", None),
        (client_error("ServiceUnavailable", 503), "failing", "dynamodb", None),
        (client_error("SomethingNew", 502), "failing", "dynamodb", "SomethingNew"),
        (client_error("KMSInvalidStateException"), "failing", "kms", None),
        (client_error("KmsThrottled"), "throttled", "kms", None),
        (cancelled("None", "ThrottlingError"), "throttled", "dynamodb", THROTTLED_TRANSACTION),
    ],
)
def test_failures_of_the_service_are_classified(error, kind, dependency, reason):
    failure = aws.classify("dynamodb", error)
    assert failure is not None
    assert (failure.kind, failure.dependency) == (kind, dependency)
    assert failure.reason == (reason or error_code(error))


@pytest.mark.parametrize(
    "error",
    [
        client_error("ConditionalCheckFailedException"),
        cancelled("ConditionalCheckFailed", "None"),
        cancelled("None", "ConditionalCheckFailed", "ThrottlingError"),  # a condition failed: the caller's
        cancelled("TransactionConflict", "None"),  # the stores' 409
        client_error("ValidationException"),
        client_error("ResourceNotFoundException"),
        client_error("AccessDeniedException"),  # an operator's problem: a plain 500
        ParamValidationError(report="bad"),
        ValueError("not botocore at all"),
    ],
)
def test_the_callers_errors_stay_what_they_were(error):
    assert aws.classify("dynamodb", error) is None


def test_dependencies_are_named_as_clients_know_them():
    assert aws.dependency_of("events") == "eventbridge"
    assert aws.dependency_of("cognito-idp") == "cognito"
    assert aws.dependency_of("sqs") == "sqs"
    assert aws.classify("events", client_error("ThrottlingException")) == aws.Failure(
        "throttled", "eventbridge", "ThrottlingException"
    )


# --- circuits ----------------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_a_circuit_opens_after_the_threshold_and_answers_at_once_then():
    # Given a circuit that opens after two failures in a row
    circuit = Circuit("unit", failure_threshold=2, cooldown_seconds=30, failures=Boom)
    calls: list[str] = []

    def failing() -> None:
        calls.append("x")
        raise Boom

    # When two calls fail
    for _ in range(2):
        with pytest.raises(Boom):
            circuit.call(failing)
    # Then it is open: the next call is refused without running
    assert circuit.state is CircuitState.OPEN
    with pytest.raises(CircuitBreakerOpenError) as refused:
        circuit.call(failing)
    assert calls == ["x", "x"]
    assert 1 <= circuit.seconds_left(refused.value.circuit) <= 30


def test_exceptions_that_are_not_failures_leave_a_circuit_closed():
    circuit = Circuit("unit", failure_threshold=1, cooldown_seconds=30, failures=Boom)

    def refused() -> None:
        raise ValueError("the caller's fault")

    for _ in range(3):
        with pytest.raises(ValueError, match="caller"):
            circuit.call(refused)
    assert circuit.state is CircuitState.CLOSED
    assert circuit.call(lambda: 42) == 42


# --- the 503 problem -----------------------------------------------------------------------------


def test_a_dependency_failure_is_a_503_problem_with_retry_after_even_when_wrapped():
    # Given routes failing on a dependency: directly, and wrapped by a library (as Powertools
    # idempotency wraps what its store raised)
    app = create_resolver()

    @app.get("/direct")
    def direct() -> None:
        raise DependencyUnavailable("DynamoDB is busy", retry_after=3, dependency="dynamodb")

    @app.get("/wrapped")
    def wrapped() -> None:
        try:
            raise DependencyUnavailable("SQS is down", retry_after=7, dependency="sqs")
        except DependencyUnavailable as exc:
            raise RuntimeError("Failed to save in progress record to idempotency store") from exc

    for path, seconds, dependency in (("/direct", 3, "dynamodb"), ("/wrapped", 7, "sqs")):
        # When it is called
        reply = Reply(app.resolve(api_event("GET", path), context()))
        # Then the answer is 503 problem+json naming the dependency, with Retry-After
        assert reply.status == 503, reply
        assert reply.content_type == PROBLEM_JSON
        assert reply.headers["retry-after"] == str(seconds)
        body = json.loads(reply.text)
        assert body["type"].endswith("/dependency-unavailable")
        assert (body["dependency"], body["retry_after"], body["instance"]) == (dependency, seconds, path)


def test_the_first_dependency_failure_is_the_one_told():
    # Given a route whose read is throttled, and whose audit of that failure then fails too
    app = create_resolver()

    @app.get("/audited")
    def audited() -> None:
        try:
            raise DependencyUnavailable("DynamoDB is busy", retry_after=1, dependency="dynamodb")
        except DependencyUnavailable:
            raise DependencyUnavailable("no time left", retry_after=5, dependency="dynamodb") from None

    # When it is called, Then the answer tells the first failure: retry in a second
    reply = Reply(app.resolve(api_event("GET", "/audited"), context()))
    assert (reply.status, reply.headers["retry-after"]) == (503, "1")
    assert json.loads(reply.text)["detail"] == "DynamoDB is busy"


def test_retry_after_is_never_below_one_second():
    assert DependencyUnavailable("x", retry_after=0).retry_after == 1


# --- what the readiness check probes ------------------------------------------------------------


def test_every_granted_table_and_messaging_resource_is_a_dependency_with_its_users():
    found = {d.name: d for d in dependencies()}
    for entry in ENTRYPOINTS:
        for grant in entry.grants:
            assert entry.id in found[f"dynamodb:{grant.table.key}"].used_by
        if entry.trigger == "stream":
            assert entry.id in found["dynamodb:schedule"].used_by
        if entry.sends_email:
            assert entry.id in found["ses"].used_by
        if entry.sends_sms:
            assert entry.id in found["sns"].used_by
        if entry.emits_events:
            assert entry.id in found["eventbridge:program-bus"].used_by
    assert found["sqs:send-queue"].used_by == ("NotifySweep", "NotifySend")
    assert found["sqs:send-dead-letters"].used_by == ("NotifySweep",)


def test_every_dependency_has_a_probe_and_the_action_it_calls():
    services = {d.service for d in dependencies()}
    assert services == set(readiness.PROBES) == set(PROBE_ACTIONS)
