"""Environment configuration, parsed into typed models at handler entry (never at import).

Each function declares a `Settings` subclass naming the environment variables it needs;
`load_settings` validates them on every invocation (cheap: a handful of strings) so a
missing or malformed variable fails the invocation with a clear message naming it,
instead of failing the container at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from functions.common.errors import ConfigurationError


class Settings(BaseModel):
    """Settings every function shares. Field aliases are the environment variable names.

    Each entry point's module names its model `SETTINGS`; a test checks that every variable
    a model requires is one the catalog (and so CDK) gives that entry point.
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    region: str = Field(default="us-east-1", alias="AWS_REGION")
    stage: str = Field(default="local", alias="TANDEM_STAGE")


class ApiSettings(Settings):
    """What every API function needs besides its own table: the audit trail and idempotency."""

    audit_table: str = Field(alias="AUDIT_TABLE")
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE")


S = TypeVar("S", bound=BaseModel)


def load_settings(model: type[S], environ: Mapping[str, str] | None = None) -> S:
    """Validate the environment against `model`; raise `ConfigurationError` naming what is wrong."""
    source = dict(os.environ if environ is None else environ)
    try:
        return model.model_validate(source)
    except ValidationError as exc:
        missing = sorted(
            str(err["loc"][0]) for err in exc.errors(include_url=False, include_input=False) if err["loc"]
        )
        raise ConfigurationError(f"invalid or missing environment variables: {', '.join(missing)}") from exc
