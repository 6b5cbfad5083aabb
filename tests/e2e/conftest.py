"""Start the real `python -m local` (what `make serve` runs) on free ports for the e2e tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_SECONDS = 30
"""How quickly the runtime should be ready (a test checks it)."""
START_PATIENCE_SECONDS = 180
"""How long a test waits for the state file before giving up: a loaded machine is slow, and
waiting on the condition costs nothing when it is met."""


def free_ports(count: int) -> list[int]:
    """Distinct free ports: every socket stays bound until all are chosen (two bind(0)
    calls in a row may otherwise return the same port)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


class LocalRuntime:
    def __init__(
        self, process: subprocess.Popen[bytes], state: dict[str, Any], startup_seconds: float, log: Path
    ) -> None:
        self.process = process
        self.state = state
        self.startup_seconds = startup_seconds
        self.api = state["api_url"]
        self.log = log

    def output(self) -> str:
        """What the runtime has printed (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def cognito(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.state["aws_endpoint_url"],
            region_name=self.state["region"],
            aws_access_key_id="e2e",
            aws_secret_access_key="e2e",
        )

    def client(self, service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.state["aws_endpoint_url"],
            region_name=self.state["region"],
            aws_access_key_id="e2e",
            aws_secret_access_key="e2e",
        )

    def user(self, role: str) -> dict[str, str]:
        return next(u for u in self.state["users"] if u["role"] == role)

    def tokens(self, username: str, password: str) -> dict[str, str]:
        result = self.cognito().initiate_auth(
            ClientId=self.state["user_pool_client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return dict(result["AuthenticationResult"])

    def id_token(self, role: str) -> str:
        user = self.user(role)
        return self.tokens(user["username"], user["password"])["IdToken"]

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": token} if token else {}
        return requests.get(self.api + path, headers=headers, timeout=10, **kwargs)


def runtime_env(api_port: int, aws_port: int, state_dir: Path) -> dict[str, str]:
    """The environment `python -m local` runs with in the e2e tests (fast loops)."""
    env = {
        **os.environ,
        "TANDEM_API_PORT": str(api_port),
        "TANDEM_AWS_PORT": str(aws_port),
        "TANDEM_STATE_DIR": str(state_dir),
        "TANDEM_SWEEP_SECONDS": "1",
        "TANDEM_POLL_SECONDS": "0.2",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def start_runtime(state_dir: Path) -> LocalRuntime:
    """`python -m local` on free ports; returns once it has written its state file."""
    api_port, aws_port = free_ports(2)
    env = runtime_env(api_port, aws_port, state_dir)
    started = time.monotonic()
    # Its output goes to a file: a pipe nobody reads fills up and stalls the runtime's prints.
    log = state_dir / "runtime.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    state_file = state_dir / "local.json"
    while not state_file.exists():
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            pytest.fail(f"local runtime exited early ({process.returncode}):\n{output}")
        if time.monotonic() - started > START_PATIENCE_SECONDS:
            process.kill()
            pytest.fail("local runtime did not become ready")
        time.sleep(0.1)
    state = json.loads(state_file.read_text())
    return LocalRuntime(process, state, time.monotonic() - started, log)


def stop_runtime(runtime: LocalRuntime) -> None:
    if runtime.process.poll() is None:
        runtime.process.send_signal(signal.SIGINT)
        try:
            runtime.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            runtime.process.kill()


@pytest.fixture(scope="session")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_runtime(tmp_path_factory.mktemp("tandem-state"))
    yield runtime
    stop_runtime(runtime)
