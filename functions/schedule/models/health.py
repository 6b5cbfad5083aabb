"""The liveness probe's answer (`GET /health`)."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str
