"""Shared helpers for the CDK tests: which OpenAPI document to build from, and the bare synth."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

import infra  # noqa: F401  (points jsii at a recent Node.js before aws_cdk loads)
from infra import app_factory
from infra.app_factory import REPO_ROOT
from infra.stack import TandemStack

COMMITTED_OPENAPI = REPO_ROOT / "openapi" / "tandem.json"


def openapi_document() -> dict[str, Any]:
    """The committed OpenAPI document: the stack is always tested against the real API."""
    document: dict[str, Any] = json.loads(COMMITTED_OPENAPI.read_text())
    return document


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    return openapi_document()


@dataclass(frozen=True)
class Synth:
    """One synthesized stack: its template (as JSON too), construct tree and cloud assembly."""

    stack: TandemStack
    template: Template
    resources: dict[str, dict[str, Any]]
    outdir: Path


def synthesize(document: dict[str, Any], outdir: Path, context: dict[str, Any] | None = None) -> Synth:
    """The stack built with `context` over cdk.json's (no cdk-nag: tests/infra/test_nag.py runs it)."""
    _, stack = app_factory.build_app(openapi=document, outdir=str(outdir), context=context, with_nag=False)
    template = Template.from_stack(stack)
    return Synth(stack, template, template.to_json()["Resources"], outdir)


@pytest.fixture(scope="session")
def bare(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The stack as a bare `make synth` builds it (cdk.json's context: stage dev), synthesized once
    per session (per xdist worker) for every module that reads it. Read it, never change it."""
    return synthesize(document, tmp_path_factory.mktemp("cdk-bare"))
