"""boto3 clients, created once per container and lazily (no network, no client at import), that
fail fast and say so when an AWS service cannot answer.

Stores receive a client in their constructor; handlers take theirs from here. Tests
either hand a moto-backed client to a store directly, or call `reset_clients()` inside
`mock_aws` so handlers build fresh clients against the mock.

Every client `client()` builds:
- retries and times out within an API function's budget (`worst_case_seconds()`, 10 s in
  `functions.catalog.DEFAULT_TIMEOUT_SECONDS`): botocore's standard retry mode, `MAX_ATTEMPTS`
  attempts, `CONNECT_TIMEOUT_SECONDS` to connect and `read_timeout()` to read;
- turns a failure of the service itself, once botocore's retries are spent, into
  `AwsUnavailable` (a `DependencyUnavailable`: 503 with Retry-After, naming the service):
  connection errors and timeouts, 5xx and internal errors, throttling (a transaction cancelled
  only for throughput included) and KMS keys that cannot be used (named `kms`). Errors that are
  the caller's (ConditionalCheckFailed, a transaction cancelled by a condition, validation)
  stay the `ClientError`s the stores map to 4xx;
- runs each call through its service's circuit (`functions.common.circuits`, per container):
  after `FAILURE_THRESHOLD` calls in a row that found the service unreachable or failing, calls
  fail at once for `COOLDOWN_SECONDS`, so a dead dependency costs one request its timeout, not
  every request. Throttling does not open a circuit: the service answers, only more slowly;
- once a call of the invocation (`invocation()`) has failed, starts no call that could outlast
  the invocation (less than `worst_case_seconds()` left): a request that found DynamoDB dead
  answers its 503 instead of waiting again, to record the failure, until Lambda kills it.
Each failure is logged (service, reason, operation: never data) and counted in the metric
`DependencyUnavailable`. Background functions simply raise it: their event source retries.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Literal, NamedTuple

from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerOpenError,
    CircuitState,
    CircuitTransition,
)
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from functions.common.circuits import Circuit
from functions.common.dynamo import cancellation_reasons, error_code
from functions.common.errors import RETRY_SOON_SECONDS, DependencyUnavailable
from functions.common.observability import logger, metrics

CONNECT_TIMEOUT_SECONDS: Final = 1.0
READ_TIMEOUT_SECONDS: Final = 2.0
"""DynamoDB, SQS, SNS, SES and EventBridge answer in tens of milliseconds; two seconds without
an answer is an outage, not a slow reply."""
READ_TIMEOUT_ENV: Final = "TANDEM_AWS_READ_TIMEOUT_SECONDS"
"""Overrides `READ_TIMEOUT_SECONDS` and `PROBE_TIMEOUT_SECONDS` (seconds, 0.1 to 60): the local
runtime's moto, on a busy laptop, is far slower than the services it stands in for."""
MAX_ATTEMPTS: Final = 2
"""Attempts per call, the first included (botocore's standard retry mode)."""
THROTTLED_BACKOFF_SECONDS: Final = 1.0
"""The most botocore's standard mode waits after a throttled first attempt (its jittered
exponential backoff has a base of 1 s for throttling, 25-50 ms otherwise)."""
FAILURE_THRESHOLD: Final = 3
COOLDOWN_SECONDS: Final = 10
THROTTLED_RETRY_AFTER_SECONDS: Final = 1
PROBE_TIMEOUT_SECONDS: Final = 2.0
"""Connect and read timeout of a readiness probe (one attempt, no circuit)."""

SERVICE_NAMES: Final[dict[str, str]] = {
    "dynamodb": "DynamoDB",
    "sqs": "SQS",
    "ses": "SES",
    "sns": "SNS",
    "eventbridge": "EventBridge",
    "cognito": "Cognito",
    "kms": "KMS",
    "secretsmanager": "Secrets Manager",
    "chime": "Chime SDK",
}
"""How clients' 503 problems name a dependency (`dependency` is the key)."""
_DEPENDENCY_OF_SERVICE: Final = {
    "events": "eventbridge",
    "cognito-idp": "cognito",
    "chime-sdk-meetings": "chime",
}

# botocore's standard retry mode treats these as throttling (ThrottledRetryableChecker), plus
# SNS's and SQS's own spellings.
THROTTLING_CODES: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "Throttled",
        "RequestThrottledException",
        "RequestThrottled",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "SlowDown",
        "EC2ThrottledException",
    }
)
FAILING_CODES: Final = frozenset(
    {
        "InternalServerError",
        "InternalServerErrorException",
        "InternalFailure",
        "InternalError",
        "InternalErrorException",
        "InternalServiceError",
        "InternalServiceErrorException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "Unavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        # SES: sending paused for the account or the configuration set
        "AccountSendingPausedException",
        "ConfigurationSetSendingPausedException",
    }
)
"""Error codes of a service failing (besides any 5xx status)."""
TRANSACTION_THROTTLING_REASONS: Final = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)

Kind = Literal["unreachable", "failing", "throttled"]


class Failure(NamedTuple):
    """What `classify` found: the kind of failure, the dependency to name and why (a code or
    an exception type, never a message)."""

    kind: Kind
    dependency: str
    reason: str


class AwsUnavailable(DependencyUnavailable):
    """An AWS service could not serve a call (see the module's description)."""

    def __init__(self, failure: Failure, *, retry_after: int, operation: str) -> None:
        name = SERVICE_NAMES.get(failure.dependency, failure.dependency)
        detail = (
            f"{name} is busy; try again shortly"
            if failure.kind == "throttled"
            else f"{name} is not available right now; try again later"
        )
        super().__init__(
            detail, retry_after=retry_after, dependency=failure.dependency, reason=failure.reason
        )
        self.kind: Kind = failure.kind
        self.operation = operation


class _Failed(Exception):
    """Inside a circuit: an unreachable or failing service (counts toward opening it)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class _OutOfTime(Exception):
    """The invocation has no time left for another call after a failure."""


class _Throttled(Exception):
    """Inside a circuit: a throttled call (does not count toward opening it)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


# --------------------------------------------------------------------------- configuration


def _timeout_override(environ: Mapping[str, str] | None) -> float | None:
    raw = (os.environ if environ is None else environ).get(READ_TIMEOUT_ENV, "")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0.1 <= value <= 60 else None


def read_timeout(environ: Mapping[str, str] | None = None) -> float:
    """The read timeout: `READ_TIMEOUT_ENV` when set to a number of seconds from 0.1 to 60."""
    override = _timeout_override(environ)
    return READ_TIMEOUT_SECONDS if override is None else override


def probe_timeout(environ: Mapping[str, str] | None = None) -> float:
    """A readiness probe's connect and read timeout: `PROBE_TIMEOUT_SECONDS`, or the override."""
    override = _timeout_override(environ)
    return PROBE_TIMEOUT_SECONDS if override is None else override


def worst_case_seconds(read: float = READ_TIMEOUT_SECONDS) -> float:
    """The longest one call can take before it fails: every attempt waiting out both timeouts,
    plus botocore's longest backoff between them."""
    backoff = sum(THROTTLED_BACKOFF_SECONDS * float(2**attempt) for attempt in range(MAX_ATTEMPTS - 1))
    return float(MAX_ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + read) + backoff)


def _config(read: float) -> Config:
    return Config(
        # total_max_attempts counts the first attempt; botocore's `max_attempts` would not
        retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=read,
    )


def dependency_of(service: str) -> str:
    """The dependency name of a botocore service name (`events` -> `eventbridge`)."""
    return _DEPENDENCY_OF_SERVICE.get(service, service)


# --------------------------------------------------------------------------- what failed


def classify(service: str, exc: BaseException) -> Failure | None:
    """The failure of the service behind a botocore error, or None when the error is the
    caller's (a condition, validation, a missing resource) or no botocore error at all."""
    dependency = dependency_of(service)
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return Failure("unreachable", dependency, type(exc).__name__)
    if not isinstance(exc, ClientError):
        return None
    code = error_code(exc)
    status = int((exc.response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code.lower().startswith("kms"):
        kind: Kind = "throttled" if "throttl" in code.lower() else "failing"
        return Failure(kind, "kms", code)
    if code in THROTTLING_CODES or status == 429:
        return Failure("throttled", dependency, code or str(status))
    if code == "TransactionCanceledException":
        reasons = set(cancellation_reasons(exc))
        throttled = reasons & TRANSACTION_THROTTLING_REASONS
        if throttled and "ConditionalCheckFailed" not in reasons:
            return Failure("throttled", dependency, "TransactionCanceled:" + min(throttled))
        return None
    if status >= 500 or code in FAILING_CODES:
        return Failure("failing", dependency, code or str(status))
    return None


# --------------------------------------------------------------------------- circuits

_CIRCUITS: dict[str, Circuit] = {}
_CIRCUITS_GUARD = threading.Lock()


def _circuit_changed(change: CircuitTransition) -> None:
    service = change.circuit_name.rsplit("-", 1)[0]
    logger.warning(
        "dependency circuit changed",
        extra={
            "dependency": dependency_of(service),
            "from_state": change.from_state.value,
            "to_state": change.to_state.value,
        },
    )
    if change.to_state == CircuitState.OPEN:
        metrics.add_metric(name="DependencyCircuitOpened", unit="Count", value=1)


def circuit(service: str) -> Circuit:
    """This container's circuit of one botocore service."""
    with _CIRCUITS_GUARD:
        found = _CIRCUITS.get(service)
        if found is None:
            found = _CIRCUITS[service] = Circuit(
                service,
                failure_threshold=FAILURE_THRESHOLD,
                cooldown_seconds=COOLDOWN_SECONDS,
                failures=_Failed,
                on_transition=_circuit_changed,
            )
        return found


def circuit_state(service: str) -> CircuitState:
    """The state of a service's circuit in this container (closed when never used)."""
    with _CIRCUITS_GUARD:
        found = _CIRCUITS.get(service)
    return found.state if found is not None else CircuitState.CLOSED


Make = Callable[[str, dict[str, Any]], Any]
"""botocore's `BaseClient._make_api_call`, bound: (operation name, parameters) -> response."""


@dataclass
class _Invocation:
    deadline: float | None
    """`time.monotonic()` at which Lambda ends the invocation (None: unknown)."""
    failed: bool = False
    """A call of this invocation found a service unavailable."""


_INVOCATION: ContextVar[_Invocation | None] = ContextVar("tandem_aws_invocation", default=None)


@contextmanager
def invocation(context: Any) -> Iterator[None]:
    """The calls made inside belong to one Lambda invocation, whose remaining time `context`
    tells (`get_remaining_time_in_millis`)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = time.monotonic() + remaining() / 1000 if callable(remaining) else None
    token = _INVOCATION.set(_Invocation(deadline))
    try:
        yield
    finally:
        _INVOCATION.reset(token)


def _out_of_time(state: _Invocation | None) -> bool:
    """After a failure, a call that could outlast the invocation is not started."""
    if state is None or not state.failed or state.deadline is None:
        return False
    return state.deadline - time.monotonic() < worst_case_seconds(read_timeout())


def _once(service: str, make: Make, operation: str, params: dict[str, Any]) -> Any:
    try:
        return make(operation, params)
    except (ClientError, BotoCoreError) as exc:
        failure = classify(service, exc)
        if failure is None:
            raise
        if failure.kind == "throttled":
            raise _Throttled(failure) from None
        raise _Failed(failure) from None


def guarded_call(service: str, operation: str, make: Make, params: dict[str, Any]) -> Any:
    """Make one API call through the service's circuit; `AwsUnavailable` when the service
    cannot serve it."""
    breaker = circuit(service)
    state = _INVOCATION.get()
    try:
        if _out_of_time(state):
            raise _OutOfTime
        return breaker.call(_once, service, make, operation, params)
    except _OutOfTime:
        failure = Failure("unreachable", dependency_of(service), "no time left after a failure")
        retry_after = RETRY_SOON_SECONDS
    except CircuitBreakerOpenError as exc:
        failure = Failure("unreachable", dependency_of(service), "circuit open")
        retry_after = breaker.seconds_left(exc.circuit)
    except _Failed as exc:
        failure = exc.failure
        retry_after = COOLDOWN_SECONDS if breaker.state != CircuitState.CLOSED else RETRY_SOON_SECONDS
    except _Throttled as exc:
        failure = exc.failure
        retry_after = THROTTLED_RETRY_AFTER_SECONDS
    if state is not None:
        state.failed = True
    logger.warning(
        "dependency unavailable",
        extra={"dependency": failure.dependency, "reason": failure.reason, "operation": operation},
    )
    metrics.add_metric(name="DependencyUnavailable", unit="Count", value=1)
    raise AwsUnavailable(failure, retry_after=retry_after, operation=operation)


class _GuardedCalls:
    """Mixed into the class of every client `client()` builds (botocore's
    `creating-client-class` event): each API call, paginated and waiter calls included, goes
    through `guarded_call`."""

    meta: Any

    def _make_api_call(self, operation_name: str, api_params: dict[str, Any]) -> Any:
        make = super()._make_api_call  # type: ignore[misc]
        return guarded_call(self.meta.service_model.service_name, operation_name, make, api_params)


def _guard_client_class(base_classes: list[type], **_kwargs: Any) -> None:
    base_classes.insert(0, _GuardedCalls)


# --------------------------------------------------------------------------- clients


@cache
def _client(service: str, region: str, endpoint: str | None, read: float) -> Any:
    import boto3

    session = boto3.session.Session()
    session.events.register("creating-client-class", _guard_client_class)
    return session.client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=endpoint,
        config=_config(read),
    )


_PROBE_CLIENTS_GUARD = threading.Lock()


@cache
def _probe_session() -> Any:
    import boto3

    return boto3.session.Session()


@cache
def _probe_client(service: str, region: str, endpoint: str | None, timeout: float) -> Any:
    return _probe_session().client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=timeout,
            read_timeout=timeout,
        ),
    )


def _where() -> tuple[str, str | None]:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return region, os.environ.get("AWS_ENDPOINT_URL") or None


def client(service: str) -> Any:
    """The process-wide client for `service` (honours AWS_ENDPOINT_URL for the local runtime)."""
    region, endpoint = _where()
    return _client(service, region, endpoint, read_timeout())


def probe_client(service: str) -> Any:
    """A client for readiness probes: one attempt, short timeouts, no circuit (a probe reports
    what the service answers now, even while this container's circuit is open)."""
    region, endpoint = _where()
    with _PROBE_CLIENTS_GUARD:  # one session, which is not thread-safe, makes them all
        return _probe_client(service, region, endpoint, probe_timeout())


def reset_clients() -> None:
    """Forget cached clients and circuits (tests switching between moto contexts)."""
    _client.cache_clear()
    _probe_client.cache_clear()
    _probe_session.cache_clear()
    with _CIRCUITS_GUARD:
        _CIRCUITS.clear()
