"""The clearinghouse adapter: a 270 goes out, a 271 comes back.

- `Clearinghouse` is the port: `submit(x12_270) -> x12_271`.
- `HttpsClearinghouse` POSTs the 270 to the clearinghouse over HTTPS (`urllib.request`, the
  standard library: `requests` is not in the Lambda bundle), with credentials read once per
  container from Secrets Manager and a timeout.
- `SimulatedClearinghouse` (functions.coverage.simulator) answers from demo benefit profiles;
  it is the default locally and in tests.
- Either is wrapped in `GuardedClearinghouse`: Powertools' circuit breaker, per container.
  Timeouts, connection errors, 408/429 and 5xx are failures (`ClearinghouseFailure`); after
  `CLEARINGHOUSE_FAILURE_THRESHOLD` in a row the circuit opens for
  `CLEARINGHOUSE_COOLDOWN_SECONDS`, then one probe decides. Callers only ever see
  `ClearinghouseUnavailable` (503 with a retry-after) or a 271.

Nothing here logs member data or X12 text: only reasons such as "status 503" or "timeout".
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerOpenError,
    CircuitState,
    CircuitTransition,
)
from pydantic import Field

from functions.common.circuits import Circuit
from functions.common.config import Settings, load_settings
from functions.common.errors import RETRY_SOON_SECONDS, ConfigurationError, DependencyUnavailable
from functions.common.observability import logger, metrics
from functions.coverage.logic.eligibility import ProviderIdentity, Traced, trace_match
from functions.coverage.logic.x12 import EligibilityRequest, EligibilityResult, X12Error, build_270, parse_271

if TYPE_CHECKING:
    import urllib.request

MAX_RESPONSE_BYTES = 1_000_000
"""A 271 for one patient is a few kilobytes; anything near this is not one."""


class Clearinghouse(Protocol):
    def submit(self, x12_270: str) -> str:
        """Send one 270 interchange; return the 271 interchange that answers it."""
        ...


class ClearinghouseFailure(Exception):
    """A transient failure (timeout, connection error, 408/429, 5xx): counts toward the circuit.

    `reason` names what happened, never what was sent.
    """

    def __init__(self, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ClearinghouseRefused(Exception):
    """The clearinghouse answered but refused the request (a 4xx, a redirect): not transient, so
    it does not open the circuit; an operator has to look."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ClearinghouseUnavailable(DependencyUnavailable):
    """What routes and the re-check see when no 271 came back (503 with Retry-After)."""

    def __init__(self, detail: str, *, retry_after: int, circuit_open: bool) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.circuit_open = circuit_open


# --------------------------------------------------------------------------- settings

_X12_ID = r"^[A-Za-z0-9][A-Za-z0-9 .\-]*$"
"""Letters, digits and a few separators: never an X12 delimiter."""


class ClearinghouseSettings(Settings):
    """How eligibility reaches payers. Every variable has a default that works locally; in AWS
    set CLEARINGHOUSE=https with CLEARINGHOUSE_URL and CLEARINGHOUSE_SECRET_ARN.

    The timeout stays well inside the API function's own (10 s): a slow clearinghouse costs one
    request its timeout, and after `failure_threshold` of them the circuit answers at once.
    """

    mode: Literal["simulated", "https"] | None = Field(
        default=None, alias="CLEARINGHOUSE", description="simulated (default outside prod) or https"
    )
    url: str | None = Field(default=None, alias="CLEARINGHOUSE_URL")
    secret_arn: str | None = Field(default=None, alias="CLEARINGHOUSE_SECRET_ARN")
    timeout_seconds: float = Field(default=5, gt=0, le=25, alias="CLEARINGHOUSE_TIMEOUT_SECONDS")
    failure_threshold: int = Field(default=3, ge=1, le=50, alias="CLEARINGHOUSE_FAILURE_THRESHOLD")
    cooldown_seconds: int = Field(default=30, ge=1, le=3600, alias="CLEARINGHOUSE_COOLDOWN_SECONDS")
    sender_id: str = Field(
        default="TANDEMIOP", pattern=_X12_ID, max_length=15, alias="CLEARINGHOUSE_SENDER_ID"
    )
    receiver_id: str = Field(
        default="CLEARHOUSE", pattern=_X12_ID, max_length=15, alias="CLEARINGHOUSE_RECEIVER_ID"
    )
    usage: Literal["P", "T"] = Field(default="T", alias="CLEARINGHOUSE_USAGE")
    provider_npi: str = Field(default="1234567893", pattern=r"^\d{10}$", alias="PROVIDER_NPI")
    provider_name: str = Field(
        default="TANDEM BEHAVIORAL HEALTH",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 .,'&\-]*$",
        max_length=60,
        alias="PROVIDER_NAME",
    )

    def resolved_mode(self) -> Literal["simulated", "https"]:
        """The adapter to use. Production never falls back to the simulator silently."""
        if self.mode is not None:
            return self.mode
        if self.stage == "prod":
            raise ConfigurationError("CLEARINGHOUSE must be set (https) in production")
        return "simulated"

    def provider(self) -> ProviderIdentity:
        return ProviderIdentity(
            npi=self.provider_npi,
            name=self.provider_name,
            sender_id=self.sender_id,
            receiver_id=self.receiver_id,
            usage=self.usage,
        )


# --------------------------------------------------------------------------- circuit breaker


class Breaker:
    """Powertools' circuit breaker around the clearinghouse, its state held per container."""

    def __init__(self, name: str, *, failure_threshold: int, cooldown_seconds: int) -> None:
        self._circuit = Circuit(
            name,
            failure_threshold=failure_threshold,
            cooldown_seconds=cooldown_seconds,
            failures=ClearinghouseFailure,
            on_transition=self._transition,
        )
        self.name = self._circuit.name
        self.cooldown_seconds = cooldown_seconds

    @property
    def state(self) -> CircuitState:
        return self._circuit.state

    def call(self, submit: Callable[[str], str], x12_270: str) -> str:
        try:
            return self._circuit.call(submit, x12_270)
        except CircuitBreakerOpenError as exc:
            raise ClearinghouseUnavailable(
                "the clearinghouse is unavailable; try again later",
                retry_after=self._circuit.seconds_left(exc.circuit),
                circuit_open=True,
            ) from None
        except ClearinghouseFailure as exc:
            logger.warning("clearinghouse call failed", extra={"reason": exc.reason})
            metrics.add_metric(name="ClearinghouseFailures", unit="Count", value=1)
            opened = self.state != CircuitState.CLOSED
            retry_after = self.cooldown_seconds if opened else min(RETRY_SOON_SECONDS, self.cooldown_seconds)
            if exc.retry_after:
                retry_after = max(retry_after, min(exc.retry_after, self.cooldown_seconds))
            raise ClearinghouseUnavailable(
                "the clearinghouse did not answer; try again later",
                retry_after=retry_after,
                circuit_open=opened,
            ) from None
        except ClearinghouseRefused as exc:
            logger.error("clearinghouse refused the inquiry", extra={"reason": exc.reason})
            metrics.add_metric(name="ClearinghouseRefusals", unit="Count", value=1)
            raise ClearinghouseUnavailable(
                "the clearinghouse refused the inquiry; the program's set-up needs attention",
                retry_after=self.cooldown_seconds,
                circuit_open=False,
            ) from None

    @staticmethod
    def _transition(change: CircuitTransition) -> None:
        logger.warning(
            "clearinghouse circuit changed",
            extra={"from_state": change.from_state.value, "to_state": change.to_state.value},
        )
        if change.to_state == CircuitState.OPEN:
            metrics.add_metric(name="ClearinghouseCircuitOpened", unit="Count", value=1)


class GuardedClearinghouse:
    """A clearinghouse behind the circuit breaker: a 271, or `ClearinghouseUnavailable`."""

    def __init__(self, inner: Clearinghouse, breaker: Breaker) -> None:
        self.inner = inner
        self.breaker = breaker

    def submit(self, x12_270: str) -> str:
        return self.breaker.call(self.inner.submit, x12_270)

    @property
    def circuit_open(self) -> bool:
        return self.breaker.state != CircuitState.CLOSED


# --------------------------------------------------------------------------- HTTPS


def _loopback(host: str | None) -> bool:
    return host in {"localhost", "127.0.0.1", "::1"}


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


class HttpsClearinghouse:
    """POSTs the 270 (`application/EDI-X12`) to the clearinghouse and reads the 271 back.

    The secret (JSON) holds either `username` and `password` (HTTP Basic) or `token` (Bearer).
    It is read once per container, and read again after a 401/403 (a rotated secret).
    Redirects are refused, so credentials never follow a redirect to another host.
    """

    def __init__(
        self,
        url: str,
        *,
        secret_arn: str,
        secrets_client: Any,
        timeout_seconds: float,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        parts = urlsplit(url)
        if not parts.hostname or not (
            parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))
        ):
            raise ConfigurationError("CLEARINGHOUSE_URL must be an https URL")
        self.url = url
        self.timeout_seconds = timeout_seconds
        self._secret_arn = secret_arn
        self._secrets = secrets_client
        self._max = max_response_bytes
        self._authorization: str | None = None
        self._lock = threading.Lock()
        self._opener: urllib.request.OpenerDirector | None = None

    def _credentials(self) -> str:
        """The Authorization header value, from the secret (cached for the container's life)."""
        with self._lock:
            if self._authorization is None:
                self._authorization = self._read_secret()
            return self._authorization

    def _read_secret(self) -> str:
        import base64

        from botocore.exceptions import BotoCoreError, ClientError

        try:
            raw = self._secrets.get_secret_value(SecretId=self._secret_arn)["SecretString"]
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in {"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure"}:
                raise ConfigurationError(f"the clearinghouse secret cannot be read ({code})") from None
            raise ClearinghouseFailure(f"secrets manager: {code or 'error'}") from None
        except BotoCoreError as exc:
            raise ClearinghouseFailure(f"secrets manager: {type(exc).__name__}") from None
        try:
            secret = json.loads(raw)
        except (TypeError, ValueError):
            secret = None
        if isinstance(secret, Mapping) and secret.get("token"):
            return f"Bearer {secret['token']}"
        if isinstance(secret, Mapping) and secret.get("username") and secret.get("password"):
            pair = f"{secret['username']}:{secret['password']}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        raise ConfigurationError("the clearinghouse secret needs username and password, or token")

    def _forget_credentials(self) -> None:
        with self._lock:
            self._authorization = None

    def _open(self) -> urllib.request.OpenerDirector:
        import urllib.request

        class _NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None  # a 3xx then surfaces as an HTTPError

        if self._opener is None:
            self._opener = urllib.request.build_opener(_NoRedirect)
        return self._opener

    def submit(self, x12_270: str) -> str:
        import http.client
        import urllib.error
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__ (https only)
            self.url,
            data=x12_270.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/EDI-X12",
                "Accept": "application/EDI-X12, text/plain",
                "Authorization": self._credentials(),
            },
        )
        try:
            with self._open().open(request, timeout=self.timeout_seconds) as response:
                body: bytes = response.read(self._max + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status in (401, 403):
                self._forget_credentials()
            if status in (408, 429) or status >= 500:
                raise ClearinghouseFailure(
                    f"status {status}", retry_after=_retry_after(exc.headers.get("Retry-After"))
                ) from None
            raise ClearinghouseRefused(f"status {status}") from None
        except TimeoutError:
            raise ClearinghouseFailure("timeout") from None
        except urllib.error.URLError as exc:
            timed_out = isinstance(exc.reason, TimeoutError)
            raise ClearinghouseFailure("timeout" if timed_out else "connection failed") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ClearinghouseFailure(f"connection failed ({type(exc).__name__})") from None
        if len(body) > self._max:
            raise ClearinghouseRefused("response too large")
        return body.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- wiring


@dataclass(frozen=True)
class Answer:
    """One exchange: the 270 sent, the 271 received and what it says."""

    x12_270: str
    x12_271: str
    result: EligibilityResult
    trace: Traced = "matched"
    """Whether the 271 echoed the inquiry's trace number, or none (untraced)."""


@dataclass(frozen=True)
class PayerLink:
    """What an eligibility check needs to reach a payer: the adapter and who the program is."""

    clearinghouse: GuardedClearinghouse
    provider: ProviderIdentity

    def ask(self, request: EligibilityRequest) -> Answer:
        """Send the 270 of `request`; the 271 that answers it, parsed.

        ClearinghouseUnavailable when no answer came back, or one that is not a readable 271 for
        this inquiry (that is logged by position only: X12 errors never quote element values).
        """
        x12_270 = build_270(request)
        x12_271 = self.clearinghouse.submit(x12_270)
        retry_after = self.clearinghouse.breaker.cooldown_seconds
        try:
            result = parse_271(x12_271)
        except X12Error as exc:
            logger.error("clearinghouse answer is not a readable 271", extra={"reason": str(exc)})
            raise ClearinghouseUnavailable(
                "the clearinghouse's answer could not be read; try again later",
                retry_after=retry_after,
                circuit_open=False,
            ) from None
        # A real-time 271 answers the 270 sent on its own connection; a trace number it echoes
        # must be ours, and one that echoes none is accepted and recorded as untraced.
        match = trace_match(request, result)
        if match == "mismatched":
            logger.error("clearinghouse answer echoes another inquiry's trace number")
            raise ClearinghouseUnavailable(
                "the clearinghouse answered another inquiry; try again later",
                retry_after=retry_after,
                circuit_open=False,
            )
        if match == "untraced":
            logger.warning("clearinghouse answer echoes no trace number; accepted as untraced")
        return Answer(x12_270, x12_271, result, match)


@cache
def _guarded(settings: ClearinghouseSettings) -> GuardedClearinghouse:
    inner: Clearinghouse
    if settings.resolved_mode() == "https":
        if not settings.url or not settings.secret_arn:
            raise ConfigurationError(
                "CLEARINGHOUSE=https needs CLEARINGHOUSE_URL and CLEARINGHOUSE_SECRET_ARN"
            )
        from functions.common import aws

        inner = HttpsClearinghouse(
            settings.url,
            secret_arn=settings.secret_arn,
            secrets_client=aws.client("secretsmanager"),
            timeout_seconds=settings.timeout_seconds,
        )
    else:
        from functions.coverage.simulator import SimulatedClearinghouse

        inner = SimulatedClearinghouse()
    breaker = Breaker(
        "clearinghouse",
        failure_threshold=settings.failure_threshold,
        cooldown_seconds=settings.cooldown_seconds,
    )
    return GuardedClearinghouse(inner, breaker)


def payer_link(environ: Mapping[str, str] | None = None) -> PayerLink:
    """The container's clearinghouse (created once per configuration) and the provider identity."""
    settings = load_settings(ClearinghouseSettings, environ)
    return PayerLink(_guarded(settings), settings.provider())


def reset_clearinghouses() -> None:
    """Forget the container's adapters and their circuits (tests)."""
    _guarded.cache_clear()
