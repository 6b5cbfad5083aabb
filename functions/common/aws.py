"""boto3 clients, created once per container and lazily (no network, no client at import).

Stores receive a client in their constructor; handlers take theirs from here. Tests
either hand a moto-backed client to a store directly, or call `reset_clients()` inside
`mock_aws` so handlers build fresh clients against the mock.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=10)


@cache
def _client(service: str, region: str, endpoint: str | None) -> Any:
    import boto3

    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        region_name=region,
        endpoint_url=endpoint,
        config=_CONFIG,
    )


def client(service: str) -> Any:
    """The process-wide client for `service` (honours AWS_ENDPOINT_URL for the local runtime)."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL") or None)


def reset_clients() -> None:
    """Forget cached clients (tests switching between moto contexts)."""
    _client.cache_clear()
