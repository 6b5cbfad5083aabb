"""Shared helpers for the CDK tests: which OpenAPI document to build from."""

from __future__ import annotations

import json
from typing import Any

import pytest

import infra  # noqa: F401  (points jsii at a recent Node.js before aws_cdk loads)
from infra.app_factory import REPO_ROOT

COMMITTED_OPENAPI = REPO_ROOT / "openapi" / "tandem.json"


def openapi_document() -> dict[str, Any]:
    """The committed OpenAPI document: the stack is always tested against the real API."""
    document: dict[str, Any] = json.loads(COMMITTED_OPENAPI.read_text())
    return document


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return openapi_document()
