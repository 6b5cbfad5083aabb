"""Build and synthesize the Tandem CDK app: used by `app.py` and by tests/infra alike."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aws_cdk import App, Environment
from aws_cdk import cx_api as cxapi
from jsii.errors import JSIIError

from infra import nag
from infra.config import Settings
from infra.stack import TandemStack

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CDK_JSON: Final = REPO_ROOT / "cdk.json"
STACK_NAME: Final = "Tandem"


def cdk_json_context() -> dict[str, Any]:
    """The `context` block of cdk.json (settings and feature flags).

    The CDK CLI passes it to the app itself; `python app.py` does not go through the CLI,
    so the app reads it here (values the CLI passes in CDK_CONTEXT_JSON still win).
    """
    if not CDK_JSON.exists():
        return {}
    context = json.loads(CDK_JSON.read_text()).get("context", {})
    return dict(context) if isinstance(context, dict) else {}


def load_openapi(path: str | Path) -> dict[str, Any]:
    """The parsed OpenAPI document at `path` (relative to the repository root)."""
    file = Path(path)
    if not file.is_absolute():
        file = REPO_ROOT / file
    if not file.exists():
        raise FileNotFoundError(f"OpenAPI document {file} not found: run `make openapi` first")
    document: dict[str, Any] = json.loads(file.read_text())
    return document


def build_app(
    *,
    openapi: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    context: Mapping[str, Any] | None = None,
    with_nag: bool = True,
) -> tuple[App, TandemStack]:
    """The app with `TandemStack` and, unless `with_nag` is false, both cdk-nag packs registered."""
    app = App(outdir=outdir, context={**cdk_json_context(), **dict(context or {})})
    document = openapi if openapi is not None else load_openapi(Settings.from_scope(app).openapi_document)
    stack = TandemStack(
        app,
        STACK_NAME,
        openapi=document,
        description="Tandem: virtual intensive outpatient program for couples (API, data, notifications)",
        env=Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    if with_nag:
        nag.register_packs(app)
    return app, stack


def synth(app: App) -> cxapi.CloudAssembly:
    """Synthesize `app`; raise `NagFindingsError` when any cdk-nag finding is unacknowledged."""
    try:
        assembly = app.synth()
    except (RuntimeError, JSIIError) as exc:
        message = str(exc)
        if "ValidationFailed" not in message and "Validation failed" not in message:
            raise
        findings = nag.unacknowledged_findings(app.outdir)
        detail = "\n  ".join(findings) if findings else message
        raise nag.NagFindingsError(f"unacknowledged cdk-nag findings:\n  {detail}") from exc
    leftover = nag.unacknowledged_findings(assembly.directory)
    if leftover:
        raise nag.NagFindingsError("unacknowledged cdk-nag findings:\n  " + "\n  ".join(leftover))
    return assembly
