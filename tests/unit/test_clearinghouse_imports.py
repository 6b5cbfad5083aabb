"""The clearinghouse adapter and the demo simulator share only the port
(`functions.coverage.port`): neither imports the other, so the production adapter's import graph
holds no simulator (it loads it only when a stage is configured for it), and changing the
simulator cannot break the adapter's import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def modules_loaded_by(module: str) -> set[str]:
    """The `functions.*` modules a fresh interpreter has loaded after importing `module`."""
    code = (
        f"import sys, {module}; "
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('functions.'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("module", "never"),
    [
        ("functions.coverage.clearinghouse", "functions.coverage.simulator"),
        ("functions.coverage.simulator", "functions.coverage.clearinghouse"),
    ],
)
def test_the_adapter_and_the_simulator_do_not_import_each_other(module: str, never: str):
    loaded = modules_loaded_by(module)
    assert module in loaded
    assert "functions.coverage.port" in loaded
    assert never not in loaded
