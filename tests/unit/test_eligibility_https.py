"""The HTTPS clearinghouse adapter against a local HTTP server, with its credentials in moto's
Secrets Manager."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.common.errors import ConfigurationError
from functions.coverage.clearinghouse import (
    Breaker,
    ClearinghouseFailure,
    ClearinghouseRefused,
    ClearinghouseUnavailable,
    GuardedClearinghouse,
    HttpsClearinghouse,
    PayerLink,
)
from functions.coverage.logic import eligibility
from functions.coverage.logic.eligibility import ProviderIdentity
from functions.coverage.logic.x12 import (
    BenefitProfile,
    CoverageStatus,
    EligibilityRequest,
    build_270,
    render_271,
)
from functions.coverage.simulator import read_270
from local.seed import PLANS
from tests.clock import controlled_now

PROVIDER = ProviderIdentity(
    npi="1234567893", name="TANDEM BEHAVIORAL HEALTH", sender_id="TANDEMIOP", receiver_id="CLEARHOUSE"
)
ALEX_PLAN = next(p for p in PLANS if p.plan_id == "pln_demorivera01")


class Clearinghouse(BaseHTTPRequestHandler):
    """Answers each POST as `behaviour` says: "271", a status code, or "sleep"."""

    behaviour: list[str] = ["271"]
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).seen.append(
            {
                "authorization": self.headers["Authorization"],
                "content_type": self.headers["Content-Type"],
                "body": body,
            }
        )
        action = self.behaviour.pop(0) if len(self.behaviour) > 1 else self.behaviour[0]
        if action == "sleep":  # past the client's timeout: it has gone when this wakes up
            time.sleep(1.0)
            return
        if action == "271":
            payload = render_271(BenefitProfile(), read_270(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/EDI-X12")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        status = int(action)
        self.send_response(status)
        if status == 302:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        if status == 503:
            self.send_header("Retry-After", "12")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Clearinghouse.behaviour = ["271"]
    Clearinghouse.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Clearinghouse)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/eligibility"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def secrets() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        yield client


def _secret(client: Any, value: dict[str, str]) -> str:
    created = client.create_secret(
        Name=f"clearinghouse-{len(value)}-{time.monotonic_ns()}", SecretString=json.dumps(value)
    )
    return str(created["ARN"])


def _count_reads(client: Any) -> list[str]:
    calls: list[str] = []
    client.meta.events.register("before-call.secrets-manager.GetSecretValue", lambda **_: calls.append("get"))
    return calls


def _request() -> EligibilityRequest:
    return eligibility.build_request(
        ALEX_PLAN, PROVIDER, check_id=eligibility.new_check_id(), control_number=7, now=controlled_now()
    )


def test_posts_the_270_with_basic_credentials_read_once(server, secrets):
    # Given the clearinghouse's credentials in Secrets Manager
    arn = _secret(secrets, {"username": "tandem", "password": "s3cret"})
    reads = _count_reads(secrets)
    adapter = HttpsClearinghouse(server, secret_arn=arn, secrets_client=secrets, timeout_seconds=2)
    link = PayerLink(
        GuardedClearinghouse(adapter, Breaker("https", failure_threshold=2, cooldown_seconds=30)), PROVIDER
    )
    # When two checks go out
    first, second = link.ask(_request()), link.ask(_request())
    # Then each 270 was posted as X12 with HTTP Basic credentials, and the secret was read once
    assert first.result.status is CoverageStatus.ACTIVE
    assert second.result.status is CoverageStatus.ACTIVE
    expected = "Basic " + base64.b64encode(b"tandem:s3cret").decode()
    assert [s["authorization"] for s in Clearinghouse.seen] == [expected, expected]
    assert Clearinghouse.seen[0]["content_type"] == "application/EDI-X12"
    assert Clearinghouse.seen[0]["body"] == first.x12_270
    assert reads == ["get"]


def test_a_token_secret_is_sent_as_bearer(server, secrets):
    arn = _secret(secrets, {"token": "tok-123"})
    adapter = HttpsClearinghouse(server, secret_arn=arn, secrets_client=secrets, timeout_seconds=2)
    adapter.submit(build_270(_request()))
    assert Clearinghouse.seen[0]["authorization"] == "Bearer tok-123"


def test_server_errors_open_the_circuit(server, secrets):
    # Given a clearinghouse answering 500, then 503 with Retry-After
    Clearinghouse.behaviour = ["500", "503"]
    arn = _secret(secrets, {"token": "t"})
    adapter = HttpsClearinghouse(server, secret_arn=arn, secrets_client=secrets, timeout_seconds=2)
    guarded = GuardedClearinghouse(adapter, Breaker("https", failure_threshold=2, cooldown_seconds=30))
    x270 = build_270(_request())
    # When it is called three times
    with pytest.raises(ClearinghouseUnavailable) as first:
        guarded.submit(x270)
    with pytest.raises(ClearinghouseUnavailable) as second:
        guarded.submit(x270)
    with pytest.raises(ClearinghouseUnavailable) as third:
        guarded.submit(x270)
    # Then two failures opened the circuit and the third call never left the container
    assert (first.value.circuit_open, first.value.retry_after) == (False, 5)
    assert (second.value.circuit_open, second.value.retry_after) == (True, 30)
    assert third.value.circuit_open
    assert len(Clearinghouse.seen) == 2


def test_a_slow_clearinghouse_times_out(server, secrets):
    Clearinghouse.behaviour = ["sleep"]
    arn = _secret(secrets, {"token": "t"})
    adapter = HttpsClearinghouse(server, secret_arn=arn, secrets_client=secrets, timeout_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(ClearinghouseFailure, match="timeout"):
        adapter.submit(build_270(_request()))
    assert time.monotonic() - started < 0.9


def test_5xx_carries_the_clearinghouses_retry_after(server, secrets):
    Clearinghouse.behaviour = ["503"]
    adapter = HttpsClearinghouse(
        server, secret_arn=_secret(secrets, {"token": "t"}), secrets_client=secrets, timeout_seconds=2
    )
    with pytest.raises(ClearinghouseFailure) as caught:
        adapter.submit("ISA")
    assert (caught.value.reason, caught.value.retry_after) == ("status 503", 12)


def test_connection_refused_is_a_failure(secrets):
    adapter = HttpsClearinghouse(
        "http://127.0.0.1:9/x",
        secret_arn=_secret(secrets, {"token": "t"}),
        secrets_client=secrets,
        timeout_seconds=1,
    )
    with pytest.raises(ClearinghouseFailure, match="connection failed"):
        adapter.submit("ISA")


def test_401_is_refused_and_the_secret_is_read_again(server, secrets):
    # Given a rotated secret the container still holds the old value of
    Clearinghouse.behaviour = ["401", "271"]
    arn = _secret(secrets, {"token": "old"})
    reads = _count_reads(secrets)
    adapter = HttpsClearinghouse(server, secret_arn=arn, secrets_client=secrets, timeout_seconds=2)
    with pytest.raises(ClearinghouseRefused, match="status 401"):
        adapter.submit(build_270(_request()))
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"token": "new"}))
    # When the next check goes out, it reads the secret again
    adapter.submit(build_270(_request()))
    assert [s["authorization"] for s in Clearinghouse.seen] == ["Bearer old", "Bearer new"]
    assert reads == ["get", "get"]


def test_redirects_are_not_followed(server, secrets):
    Clearinghouse.behaviour = ["302"]
    adapter = HttpsClearinghouse(
        server, secret_arn=_secret(secrets, {"token": "t"}), secrets_client=secrets, timeout_seconds=2
    )
    with pytest.raises(ClearinghouseRefused, match="status 302"):
        adapter.submit("ISA")
    assert len(Clearinghouse.seen) == 1


def test_only_https_urls_are_accepted(secrets):
    with pytest.raises(ConfigurationError):
        HttpsClearinghouse(
            "http://clearinghouse.example.com/x", secret_arn="arn", secrets_client=secrets, timeout_seconds=1
        )
    HttpsClearinghouse(
        "https://clearinghouse.example.com/x", secret_arn="arn", secrets_client=secrets, timeout_seconds=1
    )


def test_an_unusable_secret_is_a_configuration_error(server, secrets):
    missing = HttpsClearinghouse(
        server,
        secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:nope",
        secrets_client=secrets,
        timeout_seconds=1,
    )
    with pytest.raises(ConfigurationError, match="ResourceNotFoundException"):
        missing.submit("ISA")
    wrong = HttpsClearinghouse(
        server, secret_arn=_secret(secrets, {"user": "x"}), secrets_client=secrets, timeout_seconds=1
    )
    with pytest.raises(ConfigurationError, match="username and password, or token"):
        wrong.submit("ISA")
    assert Clearinghouse.seen == []
