"""Deployment settings, read from CDK context (`cdk.json`, `-c key=value`, CDK_CONTEXT_JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from constructs import Construct

DEFAULTS: Final[dict[str, Any]] = {
    "openapi_document": "openapi/tandem.json",
    "stage": "prod",
    "powertools_layer_version": 27,
    "api_reserved_concurrency": 10,
    "worker_reserved_concurrency": 5,
    "sender_email": "no-reply@example.org",
    "api_throttle_rate_limit": 50,
    "api_throttle_burst_limit": 100,
    "waf_rate_limit": 1000,
    "alarm_email": "",
}
"""Fallbacks when a key is absent from the context; `cdk.json` repeats them (a test checks they agree)."""


@dataclass(frozen=True)
class Settings:
    """Typed view of the context keys in `DEFAULTS`."""

    openapi_document: str
    stage: str
    powertools_layer_version: int
    api_reserved_concurrency: int
    worker_reserved_concurrency: int
    sender_email: str
    api_throttle_rate_limit: int
    api_throttle_burst_limit: int
    waf_rate_limit: int
    alarm_email: str

    @classmethod
    def from_scope(cls, scope: Construct) -> Settings:
        """Read every setting from the scope's context, falling back to `DEFAULTS`."""

        def get(key: str) -> Any:
            value = scope.node.try_get_context(key)
            return DEFAULTS[key] if value is None else value

        settings = cls(
            openapi_document=str(get("openapi_document")),
            stage=str(get("stage")),
            powertools_layer_version=int(get("powertools_layer_version")),
            api_reserved_concurrency=int(get("api_reserved_concurrency")),
            worker_reserved_concurrency=int(get("worker_reserved_concurrency")),
            sender_email=str(get("sender_email")),
            api_throttle_rate_limit=int(get("api_throttle_rate_limit")),
            api_throttle_burst_limit=int(get("api_throttle_burst_limit")),
            waf_rate_limit=int(get("waf_rate_limit")),
            alarm_email=str(get("alarm_email")),
        )
        if "@" not in settings.sender_email:
            raise ValueError(f"context sender_email must be an email address, got {settings.sender_email!r}")
        return settings

    @property
    def sender_domain(self) -> str:
        """The domain part of the sender address (its SES domain identity)."""
        return self.sender_email.rsplit("@", 1)[1]
