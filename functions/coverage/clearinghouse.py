"""The clearinghouse adapter: a 270 goes out, a 271 comes back.

- `Clearinghouse` is the port (`functions.coverage.port`): `submit(x12_270) -> x12_271`.
- `HttpsClearinghouse` speaks CAQH CORE Connectivity (real-time, HTTP MIME multipart; see
  functions.coverage.core) over HTTPS (`urllib.request`, the standard library: `requests` is
  not in the Lambda bundle), with credentials from Secrets Manager through Powertools
  parameters (cached for a maximum age, so a rotated secret takes effect without a redeploy)
  and a timeout. Locally it talks to the CORE simulator `make serve` starts.
- `SimulatedClearinghouse` (functions.coverage.simulator) answers from demo benefit profiles;
  it is the default locally and in tests. The two share only the port, and this module loads
  the simulator only when the configuration chooses it.
- Either is wrapped in `GuardedClearinghouse`: Powertools' circuit breaker, per container.
  Timeouts, connection errors, 408/429, 5xx and the transient CORE error codes are failures
  (`ClearinghouseFailure`); after
  `CLEARINGHOUSE_FAILURE_THRESHOLD` in a row the circuit opens for
  `CLEARINGHOUSE_COOLDOWN_SECONDS`, then one probe decides. Callers only ever see
  `ClearinghouseUnavailable` (503 with a retry-after) or a 271.

Nothing here logs member data or X12 text: only reasons such as "status 503" or "timeout".
"""

from __future__ import annotations

import http.client
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, NoReturn
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities.circuit_breaker import (
    CircuitBreakerOpenError,
    CircuitState,
    CircuitTransition,
)
from pydantic import Field

from functions.common.circuits import Circuit
from functions.common.config import Settings, load_settings
from functions.common.errors import (
    RETRY_SOON_SECONDS,
    ConfigurationError,
    DependencyUnavailable,
    UpstreamRefused,
)
from functions.common.models import utc_now
from functions.common.observability import logger, metrics
from functions.coverage import core
from functions.coverage.core import CoreCredentials
from functions.coverage.logic.eligibility import ProviderIdentity, Traced, trace_match
from functions.coverage.port import Clearinghouse, ClearinghouseFailure, ClearinghouseRefused
from functions.coverage.x12.builder import EligibilityRequest, build_270
from functions.coverage.x12.models import EligibilityResult
from functions.coverage.x12.parser import parse_271
from functions.coverage.x12.tokenizer import X12Error

if TYPE_CHECKING:
    import urllib.error
    import urllib.request

    from aws_lambda_powertools.utilities.parameters import SecretsProvider

MAX_RESPONSE_BYTES = 1_000_000
"""A 271 for one patient is a few kilobytes; anything near this is not one."""


class ClearinghouseRejected(UpstreamRefused):
    """What routes and the re-check see when the clearinghouse refused the inquiry (502, no
    Retry-After: the program's set-up needs attention first)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, dependency="clearinghouse")


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
    set CLEARINGHOUSE=https with CLEARINGHOUSE_URL (the clearinghouse's CAQH CORE real-time
    endpoint) and CLEARINGHOUSE_SECRET_ARN (the secret holding the CORE credentials, read
    again once it is older than CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS).

    The timeout stays well inside the API function's own (10 s): a slow clearinghouse costs one
    request its timeout, and after `failure_threshold` of them the circuit answers at once.
    """

    mode: Literal["simulated", "https"] | None = Field(
        default=None, alias="CLEARINGHOUSE", description="simulated (default outside prod) or https"
    )
    url: str | None = Field(default=None, alias="CLEARINGHOUSE_URL")
    secret_arn: str | None = Field(default=None, alias="CLEARINGHOUSE_SECRET_ARN")
    secret_max_age_seconds: int = Field(
        default=300, ge=1, le=3600, alias="CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS"
    )
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
            raise ClearinghouseRejected(
                f"the clearinghouse refused the inquiry ({exc.reason}); the program's set-up needs "
                "attention, and trying again will not help until it is fixed"
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


# --------------------------------------------------------------------------- HTTPS (CAQH CORE)


def _loopback(host: str | None) -> bool:
    return host in {"localhost", "127.0.0.1", "::1"}


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


SECRET_KEYS = ("username", "password", "sender_id", "receiver_id")
"""The clearinghouse secret is a JSON object with these four strings (see infra/config.py)."""


def read_credentials(raw: object) -> CoreCredentials:
    """The CORE credentials in the secret's (JSON-decoded) value; ClearinghouseRefused naming the
    missing keys (never their values) when it lacks any."""
    values = raw if isinstance(raw, Mapping) else {}
    missing = [key for key in SECRET_KEYS if not isinstance(values.get(key), str) or not values[key].strip()]
    if missing:
        raise ClearinghouseRefused("the clearinghouse secret lacks " + ", ".join(missing))
    return CoreCredentials(
        username=values["username"],
        password=values["password"],
        sender_id=values["sender_id"],
        receiver_id=values["receiver_id"],
    )


class HttpsClearinghouse:
    """Sends the 270 to the clearinghouse over HTTPS as CAQH CORE Connectivity prescribes for
    real-time exchanges (functions.coverage.core: a MIME multipart envelope with the credentials
    in it), and reads the 271 out of the envelope that answers it.

    - Credentials come from the Secrets Manager secret through Powertools parameters
      (`SecretsProvider.get(..., transform="json", max_age=...)`): cached for `secret_max_age`
      seconds, so a rotated secret takes effect within that age without a redeploy; after the
      clearinghouse refuses our credentials the next call reads the secret afresh.
    - HTTP: `urllib.request` (the standard library: `requests` is not in the Lambda bundle).
      Redirects are refused, so credentials never follow a redirect to another host.
    - Timeouts, connection errors, HTTP 408/429/5xx and the transient CORE error codes are
      `ClearinghouseFailure` (they count toward the circuit); other refusals (a 4xx, an
      envelope error, a 999 or TA1 instead of a 271, our credentials) are `ClearinghouseRefused`.
    """

    def __init__(
        self,
        url: str,
        *,
        secret_id: str,
        secrets: SecretsProvider,
        timeout_seconds: float,
        secret_max_age: int = 300,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        payload_ids: Callable[[], str] = lambda: str(uuid.uuid4()),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        parts = urlsplit(url)
        if not parts.hostname or not (
            parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))
        ):
            raise ConfigurationError("CLEARINGHOUSE_URL must be an https URL")
        self.url = url
        self.timeout_seconds = timeout_seconds
        self._secret_id = secret_id
        self._secrets = secrets
        self._max_age = secret_max_age
        self._max = max_response_bytes
        self._payload_ids = payload_ids
        self._clock = clock
        self._refetch = threading.Event()
        self._opener: urllib.request.OpenerDirector | None = None

    def credentials(self) -> CoreCredentials:
        """The credentials as the secret holds them now (Powertools' cache, at most
        `secret_max_age` old; fresh after the clearinghouse refused the last ones)."""
        from aws_lambda_powertools.utilities.parameters.exceptions import (
            GetParameterError,
            TransformParameterError,
        )
        from botocore.exceptions import ClientError

        force = self._refetch.is_set()
        try:
            raw = self._secrets.get(
                self._secret_id, transform="json", max_age=self._max_age, force_fetch=force
            )
        except TransformParameterError:
            raise ClearinghouseRefused("the clearinghouse secret is not JSON") from None
        except GetParameterError as exc:
            cause = exc.__context__
            code = ""
            if isinstance(cause, ClientError):
                code = str(cause.response.get("Error", {}).get("Code", ""))
            if code in {"ResourceNotFoundException", "AccessDeniedException", "DecryptionFailure"}:
                raise ClearinghouseRefused(f"the clearinghouse secret cannot be read ({code})") from None
            raise ClearinghouseFailure(f"secrets manager: {code or type(cause).__name__}") from None
        self._refetch.clear()
        return read_credentials(raw)

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

        payload_id = self._payload_ids()
        fields = core.request_envelope(x12_270, self.credentials(), payload_id=payload_id, now=self._clock())
        body, content_type = core.build_envelope(fields)
        request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__ (https only)
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": content_type, "Accept": "multipart/form-data"},
        )
        try:
            with self._open().open(request, timeout=self.timeout_seconds) as response:
                answer: bytes = response.read(self._max + 1)
                answer_type = response.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            self._refused_by_status(exc)
        except TimeoutError:
            raise ClearinghouseFailure("timeout") from None
        except urllib.error.URLError as exc:
            timed_out = isinstance(exc.reason, TimeoutError)
            raise ClearinghouseFailure("timeout" if timed_out else "connection failed") from None
        except (OSError, http.client.HTTPException) as exc:
            raise ClearinghouseFailure(f"connection failed ({type(exc).__name__})") from None
        if len(answer) > self._max:
            raise ClearinghouseRefused("response too large")
        return self._read(answer, answer_type, payload_id)

    def _refused_by_status(self, exc: urllib.error.HTTPError) -> NoReturn:
        """An HTTP error status, with the CORE error code of its envelope when it has one."""
        status = exc.code
        retry_after = _retry_after(exc.headers.get("Retry-After"))
        try:
            fields = core.parse_envelope(exc.read(self._max), exc.headers.get("Content-Type"))
        except (core.EnvelopeError, OSError, http.client.HTTPException):
            fields = {}
        code = fields.get("ErrorCode")
        reason = f"status {status}" + (f", CORE {core.safe_code(code)}" if code else "")
        if status in (401, 403) or (code and core.outcome(code) == "credentials"):
            self._refetch.set()  # a rotated secret: read it afresh next time
            raise ClearinghouseRefused(reason) from None
        if status in (408, 429) or status >= 500 or (code and core.outcome(code) == "retry"):
            raise ClearinghouseFailure(reason, retry_after=retry_after) from None
        raise ClearinghouseRefused(reason) from None

    def _read(self, answer: bytes, content_type: str | None, payload_id: str) -> str:
        """The 271 in a response envelope, or why there is none."""
        try:
            fields = core.parse_envelope(answer, content_type)
        except core.EnvelopeError as exc:
            raise ClearinghouseRefused(f"the answer is not a CORE envelope ({exc})") from None
        code = fields.get("ErrorCode")
        match core.outcome(code):
            case "credentials":
                self._refetch.set()
                raise ClearinghouseRefused(f"CORE {core.safe_code(code)}")
            case "retry":
                raise ClearinghouseFailure(f"CORE {core.safe_code(code)}")
            case "refused":
                raise ClearinghouseRefused(f"CORE {core.safe_code(code)}")
        if fields.get("PayloadID", "").strip() != payload_id:
            raise ClearinghouseRefused("the answer's PayloadID is not our request's")
        payload_type = fields.get("PayloadType", "").strip()
        if payload_type in (core.PAYLOAD_999, core.PAYLOAD_TA1) or payload_type.startswith(
            ("X12_999", "X12_TA1")
        ):
            raise ClearinghouseRefused(f"the 270 was refused ({payload_type[:7]})")
        if payload_type != core.PAYLOAD_271:
            raise ClearinghouseRefused(f"unexpected PayloadType ({core.safe_code(payload_type)})")
        payload = fields.get("Payload", "")
        if not payload.strip():
            raise ClearinghouseRefused("the answer carries no 271")
        return payload


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
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        from functions.common import aws

        inner = HttpsClearinghouse(
            settings.url,
            secret_id=settings.secret_arn,
            secrets=SecretsProvider(boto3_client=aws.client("secretsmanager")),
            timeout_seconds=settings.timeout_seconds,
            secret_max_age=settings.secret_max_age_seconds,
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
