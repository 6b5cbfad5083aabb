"""The HTTPS clearinghouse adapter speaking CAQH CORE to the local CORE simulator over real HTTP
(the simulator server in this process on a free port), with its credentials in moto's Secrets
Manager read through Powertools parameters."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import time_machine
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from moto import mock_aws

from functions.common.errors import ConfigurationError
from functions.coverage import core
from functions.coverage.clearinghouse import (
    Breaker,
    ClearinghouseRejected,
    ClearinghouseUnavailable,
    GuardedClearinghouse,
    HttpsClearinghouse,
    PayerLink,
)
from functions.coverage.logic import eligibility
from functions.coverage.logic.eligibility import ProviderIdentity
from functions.coverage.port import ClearinghouseFailure, ClearinghouseRefused
from functions.coverage.x12.builder import EligibilityRequest, build_270
from functions.coverage.x12.models import CoverageStatus
from local.core_server import DEFAULT_CREDENTIALS, CoreSimulator
from local.seed import PLANS
from tests.clock import controlled_now

PROVIDER = ProviderIdentity(
    npi="1234567893", name="TANDEM BEHAVIORAL HEALTH", sender_id="TANDEMIOP", receiver_id="CLEARHOUSE"
)
ALEX_PLAN = next(p for p in PLANS if p.plan_id == "pln_demorivera01")
GOOD = {
    "username": DEFAULT_CREDENTIALS.username,
    "password": DEFAULT_CREDENTIALS.password,
    "sender_id": DEFAULT_CREDENTIALS.sender_id,
    "receiver_id": DEFAULT_CREDENTIALS.receiver_id,
}


@pytest.fixture
def simulator() -> Iterator[CoreSimulator]:
    server = CoreSimulator("127.0.0.1", 0).start()
    yield server
    server.stop()


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _secret(client: Any, value: dict[str, str]) -> str:
    created = client.create_secret(
        Name=f"clearinghouse-{time.monotonic_ns()}", SecretString=json.dumps(value)
    )
    return str(created["ARN"])


def _reads(client: Any) -> list[str]:
    calls: list[str] = []
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: calls.append("get"))
    return calls


def _adapter(url: str, client: Any, arn: str, **kwargs: Any) -> HttpsClearinghouse:
    return HttpsClearinghouse(
        url,
        secret_id=arn,
        secrets=SecretsProvider(boto3_client=client),
        timeout_seconds=kwargs.pop("timeout_seconds", 2),
        **kwargs,
    )


def _request(member_id: str = "NEWCOMER-7731", payer_id: str = "ACME9") -> EligibilityRequest:
    plan = ALEX_PLAN.model_copy(update={"member_id": member_id, "payer_id": payer_id})
    return eligibility.build_request(
        plan, PROVIDER, check_id=eligibility.new_check_id(), control_number=7, now=controlled_now()
    )


def test_a_newcomer_at_any_payer_is_an_active_ppo_over_core(simulator, secrets):
    # Given the CORE credentials in Secrets Manager and a member id nobody seeded, at a payer
    # nobody seeded
    adapter = _adapter(simulator.url, secrets, _secret(secrets, GOOD))
    link = PayerLink(
        GuardedClearinghouse(adapter, Breaker("core", failure_threshold=2, cooldown_seconds=30)), PROVIDER
    )
    # When the eligibility check goes out
    answer = link.ask(_request())
    # Then the CORE simulator took the envelope and the 271 says active PPO
    assert answer.result.status is CoverageStatus.ACTIVE
    assert simulator.received == 1
    assert answer.trace == "matched"


@pytest.mark.parametrize(
    ("member_id", "status"),
    [
        ("SIM-TERMED", CoverageStatus.INACTIVE),
        ("sim-notfound-2", CoverageStatus.REJECTED),
        ("SIM-HDHP-1", CoverageStatus.ACTIVE),
    ],
)
def test_member_id_patterns_choose_the_answer(simulator, secrets, member_id, status):
    adapter = _adapter(simulator.url, secrets, _secret(secrets, GOOD))
    link = PayerLink(
        GuardedClearinghouse(adapter, Breaker("core", failure_threshold=2, cooldown_seconds=30)), PROVIDER
    )
    assert link.ask(_request(member_id)).result.status is status


def test_an_outage_is_transient_and_opens_the_circuit(simulator, secrets):
    # Given a member whose payer is down (the simulator answers 503 with Retry-After 5)
    adapter = _adapter(simulator.url, secrets, _secret(secrets, GOOD))
    guarded = GuardedClearinghouse(adapter, Breaker("core", failure_threshold=2, cooldown_seconds=30))
    x270 = build_270(_request("SIM-OUTAGE"))
    with pytest.raises(ClearinghouseFailure) as failure:
        adapter.submit(x270)
    assert (failure.value.reason, failure.value.retry_after) == ("status 503, CORE ServerBusy", 5)
    # When the checks keep failing
    with pytest.raises(ClearinghouseUnavailable) as first:
        guarded.submit(x270)
    with pytest.raises(ClearinghouseUnavailable) as second:
        guarded.submit(x270)
    with pytest.raises(ClearinghouseUnavailable) as third:
        guarded.submit(x270)
    # Then they count toward the circuit, which opens and answers without calling out
    assert (first.value.circuit_open, first.value.retry_after) == (False, 5)
    assert (second.value.circuit_open, second.value.retry_after) == (True, 30)
    assert third.value.circuit_open
    assert simulator.received == 3


def test_refused_credentials_are_not_retried_nor_counted(simulator, secrets):
    # Given a wrong password in the secret
    adapter = _adapter(simulator.url, secrets, _secret(secrets, {**GOOD, "password": "wrong"}))
    guarded = GuardedClearinghouse(adapter, Breaker("core", failure_threshold=1, cooldown_seconds=30))
    x270 = build_270(_request())
    with pytest.raises(ClearinghouseRefused, match="status 401, CORE UnAuthorized"):
        adapter.submit(x270)
    # Then callers get a clear refusal (502, no retry-after: retrying will not help), and the
    # circuit stays closed (it is not transient)
    with pytest.raises(ClearinghouseRejected) as refused:
        guarded.submit(x270)
    assert "refused the inquiry (status 401, CORE UnAuthorized)" in refused.value.detail
    assert refused.value.status == 502
    assert "retry_after" not in refused.value.extensions
    assert not guarded.circuit_open


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        ({**GOOD, "sender_id": "SOMEONEELSE"}, "status 400, CORE SenderIDIllegal"),
        ({k: v for k, v in GOOD.items() if k != "receiver_id"}, "the clearinghouse secret lacks receiver_id"),
    ],
)
def test_envelope_and_secret_errors_are_refusals(simulator, secrets, secret, error):
    adapter = _adapter(simulator.url, secrets, _secret(secrets, secret))
    with pytest.raises(ClearinghouseRefused, match=error):
        adapter.submit(build_270(_request()))


def test_a_270_the_clearinghouse_cannot_read_is_refused_with_a_999(simulator, secrets):
    adapter = _adapter(simulator.url, secrets, _secret(secrets, GOOD))
    with pytest.raises(ClearinghouseRefused, match=r"the 270 was refused \(X12_999\)"):
        adapter.submit("ISA*not a 270~")


def test_a_rotated_secret_is_used_once_older_than_its_max_age(simulator, secrets):
    # Given a secret read once (cached for 60 s) and then rotated on both sides
    arn = _secret(secrets, GOOD)
    reads = _reads(secrets)
    adapter = _adapter(simulator.url, secrets, arn, secret_max_age=60)
    x270 = build_270(_request())
    adapter.submit(x270)
    rotated = {**GOOD, "password": "rotated-password"}
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))
    simulator.credentials = core.CoreCredentials(
        rotated["username"], rotated["password"], rotated["sender_id"], rotated["receiver_id"]
    )
    # When a check goes out within the max age, the cached (old) password is sent and refused
    with pytest.raises(ClearinghouseRefused, match="UnAuthorized"):
        adapter.submit(x270)
    assert adapter.credentials().password == "rotated-password"  # refused: read afresh
    # And with a fresh adapter, only once the cached value is older than max_age
    later = _adapter(simulator.url, secrets, arn, secret_max_age=60)
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(GOOD))
    simulator.credentials = DEFAULT_CREDENTIALS
    later.submit(x270)
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(rotated))
    simulator.credentials = core.CoreCredentials(
        rotated["username"], rotated["password"], rotated["sender_id"], rotated["receiver_id"]
    )
    with time_machine.travel(controlled_now() + timedelta(seconds=30), tick=False):
        assert later.credentials().password == GOOD["password"]  # still cached
    with time_machine.travel(controlled_now() + timedelta(seconds=61), tick=False):
        assert later.submit(x270).startswith("ISA")  # the rotated one, read again
    assert len(reads) == 4


# --------------------------------------------------------------------------- transport


class Raw(BaseHTTPRequestHandler):
    """Answers each POST as `behaviour` says: a status code, or "sleep"."""

    behaviour = "500"
    seen = 0

    def do_POST(self) -> None:
        type(self).seen += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        if self.behaviour == "sleep":  # past the client's timeout: it has gone when this wakes up
            time.sleep(1.0)
            return
        status = int(self.behaviour)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        if status == 503:
            self.send_header("Retry-After", "12")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def raw() -> Iterator[str]:
    Raw.seen = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Raw)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/core"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(
    ("behaviour", "error", "reason"),
    [
        ("503", ClearinghouseFailure, "status 503"),
        ("429", ClearinghouseFailure, "status 429"),
        ("302", ClearinghouseRefused, "status 302"),  # redirects are not followed
        ("404", ClearinghouseRefused, "status 404"),
        ("200", ClearinghouseRefused, "not a CORE envelope"),
    ],
)
def test_http_statuses(raw, secrets, behaviour, error, reason):
    Raw.behaviour = behaviour
    adapter = _adapter(raw, secrets, _secret(secrets, GOOD))
    with pytest.raises(error, match=reason) as caught:
        adapter.submit("ISA")
    if behaviour == "503":
        assert getattr(caught.value, "retry_after", None) == 12
    assert Raw.seen == 1


def test_a_slow_clearinghouse_times_out(raw, secrets):
    Raw.behaviour = "sleep"
    adapter = _adapter(raw, secrets, _secret(secrets, GOOD), timeout_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(ClearinghouseFailure, match="timeout"):
        adapter.submit("ISA")
    assert time.monotonic() - started < 0.9


def test_connection_refused_is_a_failure(secrets):
    adapter = _adapter("http://127.0.0.1:9/x", secrets, _secret(secrets, GOOD), timeout_seconds=1)
    with pytest.raises(ClearinghouseFailure, match="connection failed"):
        adapter.submit("ISA")


def test_only_https_urls_are_accepted(secrets):
    with pytest.raises(ConfigurationError):
        _adapter("http://clearinghouse.example.com/x", secrets, "arn")
    _adapter("https://clearinghouse.example.com/x", secrets, "arn")


def test_a_missing_secret_is_a_refusal_not_a_crash(simulator, secrets):
    adapter = _adapter(simulator.url, secrets, "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope")
    with pytest.raises(ClearinghouseRefused, match="ResourceNotFoundException"):
        adapter.submit("ISA")
    assert simulator.received == 0
