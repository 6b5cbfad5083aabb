"""Settings of the embedded runtime, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

    @classmethod
    def from_env(cls) -> LocalSettings:
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
        )

    @property
    def web_origins(self) -> tuple[str, ...]:
        """The runtime's own origin (as `localhost` and as 127.0.0.1: the web app it serves),
        then `TANDEM_WEB_ORIGINS`."""
        own = (f"http://localhost:{self.api_port}", f"http://127.0.0.1:{self.api_port}")
        return parse_origins([*own, *self.extra_web_origins])

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


def table_name(table: TableDef) -> str:
    return f"{PREFIX}-{table.key}"


QUEUE_NAME = f"{PREFIX}-notify-send"
DLQ_NAME = f"{PREFIX}-notify-send-dlq"
USER_POOL_NAME = f"{PREFIX}-users"
USER_POOL_CLIENT_NAME = f"{PREFIX}-web"
INBOUND_SMS_TOPIC_NAME = f"{PREFIX}-inbound-sms"
PROGRAM_SMS_NUMBER = "+18885550100"
"""The program's (fictional) number people text locally: what inbound texts name as their
destination, and so the number answers come from."""
