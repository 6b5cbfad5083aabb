"""Settings of the embedded runtime, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from functions.common.cors import parse_origins
from functions.common.tables import TableDef

REGION = "us-east-1"
PREFIX = "tandem-local"
SENDER_EMAIL = "no-reply@tandem.example"


@dataclass(frozen=True)
class LocalSettings:
    host: str
    api_port: int
    aws_port: int
    state_dir: Path
    sweep_seconds: float
    poll_seconds: float
    workers: int = 4
    """Function worker processes (Lambda-like containers, one event at a time each)."""
    worker_max_events: int = 1000
    """Events a worker handles before it is replaced (as Lambda recycles containers); 0: never."""
    functions_aws_url: str | None = None
    """Where the functions reach AWS, when not moto itself (a proxy in front of it): the
    gateway's token checks and the loops' reads still go to moto, as API Gateway's authorizer
    and Lambda's event sources would."""
    extra_web_origins: tuple[str, ...] = ()
    """`TANDEM_WEB_ORIGINS` (comma-separated): web origins allowed to call the API from a
    browser besides the runtime's own (a web app's dev server, say)."""
    clearinghouse: ClearinghouseEndpoint | None = None
    """A CAQH CORE endpoint to send eligibility checks to instead of the local CORE simulator."""
    clearinghouse_port: int = 0
    """The local CORE simulator's port (0: any free one; the banner and the state file say which)."""

    @classmethod
    def from_env(cls) -> LocalSettings:
        """The settings `TANDEM_*` variables give; ValueError naming what is wrong."""
        return cls(
            host="127.0.0.1",
            api_port=int(os.environ.get("TANDEM_API_PORT", "8000")),
            aws_port=int(os.environ.get("TANDEM_AWS_PORT", "5000")),
            state_dir=Path(os.environ.get("TANDEM_STATE_DIR", ".tandem")),
            sweep_seconds=float(os.environ.get("TANDEM_SWEEP_SECONDS", "60")),
            poll_seconds=float(os.environ.get("TANDEM_POLL_SECONDS", "0.5")),
            workers=max(1, int(os.environ.get("TANDEM_WORKERS", "4"))),
            worker_max_events=max(0, int(os.environ.get("TANDEM_WORKER_MAX_EVENTS", "1000"))),
            functions_aws_url=os.environ.get("TANDEM_FUNCTIONS_AWS_URL") or None,
            extra_web_origins=_web_origins(os.environ.get("TANDEM_WEB_ORIGINS", "")),
            clearinghouse=ClearinghouseEndpoint.from_env(),
            clearinghouse_port=int(os.environ.get("TANDEM_CLEARINGHOUSE_PORT", "0")),
        )

    @property
    def own_origins(self) -> tuple[str, ...]:
        """The runtime's own origin, as `localhost` and as 127.0.0.1 (where the web app is served)."""
        return (f"http://localhost:{self.api_port}", f"http://127.0.0.1:{self.api_port}")

    @property
    def web_origins(self) -> tuple[str, ...]:
        """The runtime's own origins (the web app it serves), then `TANDEM_WEB_ORIGINS`."""
        return parse_origins([*self.own_origins, *self.extra_web_origins])

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def aws_endpoint_url(self) -> str:
        return f"http://{self.host}:{self.aws_port}"


def _web_origins(text: str) -> tuple[str, ...]:
    try:
        return parse_origins(text)
    except ValueError as exc:
        raise SystemExit(f"TANDEM_WEB_ORIGINS: {exc}") from None


@dataclass(frozen=True)
class ClearinghouseEndpoint:
    """A CAQH CORE real-time endpoint and the credentials it issued (`TANDEM_CLEARINGHOUSE_*`).
    Locally they go into moto's Secrets Manager, so the functions read them as in AWS."""

    url: str
    user: str
    password: str
    sender_id: str
    receiver_id: str

    VARIABLES = (
        "TANDEM_CLEARINGHOUSE_URL",
        "TANDEM_CLEARINGHOUSE_USER",
        "TANDEM_CLEARINGHOUSE_PASSWORD",
        "TANDEM_CLEARINGHOUSE_SENDER_ID",
        "TANDEM_CLEARINGHOUSE_RECEIVER_ID",
    )

    @classmethod
    def from_env(cls) -> ClearinghouseEndpoint | None:
        """None unless TANDEM_CLEARINGHOUSE_URL is set; then every variable is needed."""
        values = [os.environ.get(name, "").strip() for name in cls.VARIABLES]
        if not values[0]:
            return None
        missing = [name for name, value in zip(cls.VARIABLES, values, strict=True) if not value]
        if missing:
            raise ValueError("TANDEM_CLEARINGHOUSE_URL also needs " + ", ".join(missing))
        parts = urlsplit(values[0])
        loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
            raise ValueError("TANDEM_CLEARINGHOUSE_URL must be an https URL (or http on this machine)")
        url, user, password, sender_id, receiver_id = values
        return cls(url, user, password, sender_id, receiver_id)


def table_name(table: TableDef) -> str:
    return f"{PREFIX}-{table.key}"


QUEUE_NAME = f"{PREFIX}-notify-send"
DLQ_NAME = f"{PREFIX}-notify-send-dlq"
USER_POOL_NAME = f"{PREFIX}-users"
USER_POOL_CLIENT_NAME = f"{PREFIX}-web"
INBOUND_SMS_TOPIC_NAME = f"{PREFIX}-inbound-sms"
CLEARINGHOUSE_SECRET_NAME = f"{PREFIX}/clearinghouse"
CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS = 30
"""Locally a changed secret takes effect within 30 s (in AWS: CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS,
5 minutes by default)."""
PROGRAM_SMS_NUMBER = "+18885550100"
"""The program's (fictional) number people text locally: what inbound texts name as their
destination, and so the number answers come from."""
