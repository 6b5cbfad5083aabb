"""The X12 package (`functions.coverage.x12`) is pure code: each of its modules, imported alone in
a fresh interpreter, loads no AWS SDK and nothing of coverage but its own modules and the domain
vocabulary (no store, route, clearinghouse adapter, simulator or Powertools)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import functions.coverage.x12 as x12

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(f"{x12.__name__}.{m.name}" for m in pkgutil.iter_modules(x12.__path__))
ALLOWED = {"functions", "functions.coverage", "functions.coverage.vocabulary", x12.__name__}
NEVER = ("boto3", "botocore", "aws_lambda_powertools", "moto")


def loaded_after_importing(module: str) -> set[str]:
    """Every module name a fresh interpreter holds after importing `module`."""
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return set(result.stdout.split())


def test_the_package_holds_the_x12_modules():
    # The parametrised test below is only as good as the module list it walks
    assert {"builder", "codes", "parser", "renderer", "summary", "tokenizer"} <= {
        m.rsplit(".", 1)[1] for m in MODULES
    }


@pytest.mark.parametrize("module", MODULES)
def test_an_x12_module_imports_only_the_package_and_the_vocabulary(module: str):
    loaded = loaded_after_importing(module)
    assert module in loaded
    ours = {m for m in loaded if m == "functions" or m.startswith("functions.")}
    outside = {m for m in ours if m not in ALLOWED and not m.startswith(f"{x12.__name__}.")}
    assert outside == set(), f"{module} loads {sorted(outside)}"
    sdk = {m for m in loaded if m.split(".")[0] in NEVER}
    assert sdk == set(), f"{module} loads {sorted(sdk)}"
