"""Notify's store is typed with the boto3 stubs (`mypy_boto3_dynamodb`), a dev dependency the
Lambda bundle does not ship: every notify entry point, imported in a fresh interpreter, loads
none of them (they are imported for type checking only)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from functions.catalog import ENTRYPOINTS

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted({e.module for e in ENTRYPOINTS if e.domain == "notify"})


def test_notify_entry_points_load_no_boto3_stubs():
    assert "functions.notify.handler" in MODULES
    code = f"import sys, {', '.join(MODULES)}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(result.stdout.split())
    assert "functions.notify.store.base" in loaded
    assert {m for m in loaded if m.startswith("mypy_boto3")} == set()
