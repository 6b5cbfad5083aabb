"""Start the real `python -m local` (what `make serve` runs) on free ports for the e2e tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local import seed
from local.token import sign_in
from tests import clock
from tests.clock import controlled_now
from tests.support import free_ports

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN_SECONDS = 30
"""How quickly the runtime should be ready (a test checks it)."""
START_PATIENCE_SECONDS = 180
"""How long a test waits for the state file before giving up: a loaded machine is slow, and
waiting on the condition costs nothing when it is met."""


class LocalRuntime:
    def __init__(
        self,
        process: subprocess.Popen[bytes],
        state: dict[str, Any],
        startup_seconds: float,
        started_at: datetime,
        log: Path,
    ) -> None:
        self.process = process
        self.state = state
        self.startup_seconds = startup_seconds
        self.started_at = started_at
        """The test clock's time when the runtime was started (and seeded its demo weeks)."""
        self.api = state["api_url"]
        self.log = log

    def output(self) -> str:
        """What the runtime has printed (stdout and stderr)."""
        return self.log.read_text(errors="replace")

    def seeded_week(self, zone: str = "America/Chicago") -> str:
        """The ISO week the demo sessions were booked in: the demo participants' next week as
        it stood when the runtime seeded them (a test may run after a week boundary)."""
        year, week, _ = seed.next_week_monday(self.started_at, zone).isocalendar()
        return f"{year}-W{week:02d}"

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
        """Sign in as a demo user (or, by default, a participant): the pool of their role, and the
        TOTP code when Cognito asks for it (staff), as `local.token` does."""
        demo: dict[str, str] = next((u for u in self.state["users"] if u["username"] == username), {})
        client_id = demo.get("user_pool_client_id") or self.state["user_pool_client_id"]
        return sign_in(self.cognito(), client_id, username, password, demo.get("totp_secret"))

    def id_token(self, role: str) -> str:
        user = self.user(role)
        return self.tokens(user["username"], user["password"])["IdToken"]

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": token} if token else {}
        return requests.get(self.api + path, headers=headers, timeout=10, **kwargs)


def runtime_env(
    api_port: int, aws_port: int, state_dir: Path, extra_env: dict[str, str] | None = None
) -> dict[str, str]:
    """The environment `python -m local` runs with in the e2e tests: fast loops, and the test
    clock (the runtime and its function workers start from where the test's clock stands)."""
    env = {
        **os.environ,
        "TANDEM_API_PORT": str(api_port),
        "TANDEM_AWS_PORT": str(aws_port),
        "TANDEM_STATE_DIR": str(state_dir),
        "TANDEM_SWEEP_SECONDS": "1",
        "TANDEM_POLL_SECONDS": "0.2",
        **clock.child_environment(),  # PYTHONPATH too: ROOT, and the clock's sitecustomize
        **(extra_env or {}),
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    return env


def start_runtime(
    state_dir: Path, *, extra_env: dict[str, str] | None = None, aws_port: int | None = None
) -> LocalRuntime:
    """`python -m local` on free ports (moto on `aws_port` when given); returns once it has
    written its state file."""
    api_port, free_aws_port = free_ports(2)
    env = runtime_env(api_port, aws_port or free_aws_port, state_dir, extra_env)
    started = time.monotonic()
    started_at = controlled_now()
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
    return LocalRuntime(process, state, time.monotonic() - started, started_at, log)


def stop_runtime(runtime: LocalRuntime) -> None:
    if runtime.process.poll() is None:
        runtime.process.send_signal(signal.SIGINT)
        try:
            runtime.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            runtime.process.kill()


WEB_APP_ORIGIN = "http://localhost:5173"
"""A web app's dev server the shared runtime allows besides its own origin (`TANDEM_WEB_ORIGINS`)."""


@pytest.fixture(scope="session")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_runtime(
        tmp_path_factory.mktemp("tandem-state"), extra_env={"TANDEM_WEB_ORIGINS": WEB_APP_ORIGIN}
    )
    yield runtime
    stop_runtime(runtime)
