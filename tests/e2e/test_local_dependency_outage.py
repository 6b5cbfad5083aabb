"""The local runtime losing AWS mid-run: its functions reach moto through a switch this test
holds (`TANDEM_FUNCTIONS_AWS_URL`). Cut, the API answers 503 problem+json with Retry-After in
time, `/health` stays up and `/health/ready` names what is down; a create tried meanwhile left
nothing behind; back on, the API recovers; DynamoDB throttling is a 503 that asks to retry
soon."""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from functions.catalog import DEFAULT_TIMEOUT_SECONDS
from tests.e2e.conftest import LocalRuntime, start_runtime, stop_runtime
from tests.support import free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

API_TIMEOUT = DEFAULT_TIMEOUT_SECONDS["api"]
THROTTLED = (
    b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
    b'"message":"Rate of requests exceeds the allowed throughput."}'
)
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class AwsSwitch:
    """An HTTP forwarder on a port of its own, in front of moto: `up` forwards every request,
    `down` closes the port (connections are refused, as if AWS were unreachable), `throttle`
    answers DynamoDB's requests with ThrottlingException (and forwards the rest)."""

    def __init__(self) -> None:
        (self.port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = ""
        self.mode = "up"
        self._server: ThreadingHTTPServer | None = None

    def up(self) -> None:
        self.mode = "up"
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
            self._server.daemon_threads = True
            threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        self.mode = "down"
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def throttle(self) -> None:
        self.up()
        self.mode = "throttle"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        switch = self

        class Forward(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                if switch.mode == "throttle" and target.startswith("DynamoDB_"):
                    self.send_response(400)
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                    self.send_header("Content-Length", str(len(THROTTLED)))
                    self.end_headers()
                    self.wfile.write(THROTTLED)
                    return
                where = urlsplit(switch.target)
                upstream = http.client.HTTPConnection(where.hostname or "", where.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
                    answer = upstream.getresponse()
                    payload = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

        return Forward


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalRuntime, AwsSwitch]]:
    # The switch stands in front of moto's port from the start: the function workers reach
    # AWS only through it (TANDEM_FUNCTIONS_AWS_URL), the gateway and the loops go to moto.
    (aws_port,) = free_ports(1)
    switch = AwsSwitch()
    switch.target = f"http://127.0.0.1:{aws_port}"
    switch.up()
    state_dir: Path = tmp_path_factory.mktemp("tandem-outage")
    runtime = start_runtime(state_dir, aws_port=aws_port, extra_env={"TANDEM_FUNCTIONS_AWS_URL": switch.url})
    try:
        yield runtime, switch
    finally:
        switch.up()
        stop_runtime(runtime)
        switch.down()


def timed_get(runtime: LocalRuntime, path: str, token: str | None) -> tuple[requests.Response, float]:
    started = time.monotonic()
    reply = runtime.get(path, token)
    return reply, time.monotonic() - started


def assert_unavailable(reply: requests.Response) -> int:
    assert reply.status_code == 503, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.json()["dependency"] == "dynamodb"
    seconds = int(reply.headers["Retry-After"])
    assert seconds >= 1
    return seconds


def test_the_api_answers_503_while_aws_is_cut_and_recovers_after(switched: tuple[LocalRuntime, AwsSwitch]):
    runtime, switch = switched
    token = runtime.id_token("coordinator")
    alex = runtime.user("participant")["person_id"]
    # Given the API and every dependency answering
    assert runtime.get(f"/people/{alex}", token).status_code == 200
    ready = runtime.get("/health/ready", token)
    assert ready.status_code == 200, ready.text
    assert {d["state"] for d in ready.json()["dependencies"]} == {"up"}

    # When the functions' AWS is cut
    switch.down()
    # Then a read answers 503 problem+json with Retry-After, within the function's timeout
    reply, seconds = timed_get(runtime, f"/people/{alex}", token)
    assert_unavailable(reply)
    assert seconds < API_TIMEOUT
    # And a create fails the same way
    email = f"robin-{uuid.uuid4().hex[:8]}@example.com"
    body = {
        "kind": "participant",
        "display_name": "Robin Example",
        "email": email,
        "time_zone": "America/New_York",
        "state": "NY",
        "age_group": "adult",
    }
    headers = {"Authorization": token, "Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    created = requests.post(runtime.api + "/people", json=body, headers=headers, timeout=API_TIMEOUT * 2)
    assert_unavailable(created)
    # And the liveness probe still answers, while the readiness check names every table down
    assert runtime.get("/health").status_code == 200
    not_ready, seconds = timed_get(runtime, "/health/ready", token)
    assert not_ready.status_code == 503, not_ready.text
    assert not_ready.headers["Content-Type"] == "application/problem+json"
    assert "Retry-After" in not_ready.headers
    assert seconds < API_TIMEOUT
    states = {d["name"]: d["state"] for d in not_ready.json()["dependencies"]}
    assert states["dynamodb:schedule"] == states["sqs:send-queue"] == "down"

    # When AWS is back
    switch.up()
    # Then the create tried meanwhile left nothing: no person holds the email
    tables = runtime.state["tables"]
    claim = runtime.client("dynamodb").get_item(
        TableName=tables["schedule"], Key={"pk": {"S": f"EMAIL#{email}"}, "sk": {"S": "EMAIL"}}
    )
    assert "Item" not in claim
    # And once the circuit lets a call through again, the API answers and the retry creates it
    deadline = time.monotonic() + 60
    while (reply := runtime.get(f"/people/{alex}", token)).status_code == 503:
        assert time.monotonic() < deadline, "the API did not recover"
        time.sleep(min(int(reply.headers["Retry-After"]), 2))
    assert reply.status_code == 200, reply.text
    again = requests.post(runtime.api + "/people", json=body, headers=headers, timeout=API_TIMEOUT * 2)
    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers


def test_dynamodb_throttling_is_a_503_to_retry_soon(switched: tuple[LocalRuntime, AwsSwitch]):
    runtime, switch = switched
    token = runtime.id_token("coordinator")
    alex = runtime.user("participant")["person_id"]
    # Given DynamoDB throttling every request of the functions
    switch.throttle()
    try:
        # When a coordinator reads a person
        reply, seconds = timed_get(runtime, f"/people/{alex}", token)
    finally:
        switch.up()
    # Then it is 503, to retry in a second
    assert assert_unavailable(reply) == 1
    assert reply.json()["detail"] == "DynamoDB is busy; try again shortly"
    assert seconds < API_TIMEOUT
    # And with the throttling over, the next read succeeds at once (no circuit opened)
    assert runtime.get(f"/people/{alex}", token).status_code == 200
