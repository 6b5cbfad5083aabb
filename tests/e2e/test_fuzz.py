"""Schemathesis against the local runtime: every operation of the committed OpenAPI document,
as coordinator, clinician and participant, in the examples, fuzzing and stateful phases
(sequences chained by the links Schemathesis infers from responses and path parameters;
TANDEM_FUZZ_COVERAGE=1 adds the coverage phase), with the
server-error, response-schema, status-code, content-type and response-header checks.

It passes only with no failure at all. Deterministic generation (no random seed, no example
database), so a failure in CI is the same failure on a laptop: the output's "Reproduce with"
curl lines and `st replay` ids name each. Bounded by `MAX_EXAMPLES` per operation and phase.

A runtime of its own (not the session's `local_runtime`): the coordinator's run creates,
changes and cancels things the other e2e tests read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import ROOT, LocalRuntime, start_runtime, stop_runtime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("fuzz")]

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
)
PHASES: tuple[str, ...] = ("examples", "fuzzing", "stateful")
if os.environ.get("TANDEM_FUZZ_COVERAGE") == "1":
    # Also each schema's edges and their negations, and every method a path lacks: several
    # thousand requests more per role (8-15 minutes a role on a loaded 2-core machine), so
    # outside CI's budget; run it before a release or after changing validation.
    PHASES = ("examples", "coverage", "fuzzing", "stateful")
MAX_EXAMPLES = int(os.environ.get("TANDEM_FUZZ_EXAMPLES", "10"))
"""Per operation and phase; raise it locally (TANDEM_FUZZ_EXAMPLES=100) for a deeper search."""
ROLES = ("participant", "clinician", "coordinator")
"""Least destructive first: the coordinator's run changes the demo program."""
RUN_TIMEOUT_SECONDS = 900
"""A guard against a hang, not the budget: `MAX_EXAMPLES` bounds the work. Measured without
the coverage phase on a 2-core machine at load average ~12-15 (other suites running): 46 s
as clinician, 105 s as participant."""


@pytest.fixture(scope="module")
def fuzz_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    runtime = start_runtime(tmp_path_factory.mktemp("tandem-fuzz"))
    yield runtime
    stop_runtime(runtime)


@pytest.fixture(scope="module")
def tokens(fuzz_runtime: LocalRuntime) -> dict[str, str]:
    """Every role's ID token, taken before any run changes the people they belong to."""
    return {role: fuzz_runtime.id_token(role) for role in ROLES}


def schemathesis(
    runtime: LocalRuntime, token: str, phases: tuple[str, ...], workdir: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{runtime.api}/openapi.json",
        "--header",
        f"Authorization: {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ",".join(phases),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",  # implies no example database
        # One at a time: two threads generating at once trip a CPython 3.11.7 race in
        # `ast.parse` (gh-106905: "AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--max-failures",
        "50",
        "--no-color",
        "--report-dir",
        str(workdir / "report"),
    ]
    return subprocess.run(
        command,
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_finds_nothing(fuzz_runtime, tokens, role, tmp_path):
    # When Schemathesis runs every phase over every operation as this role
    result = schemathesis(fuzz_runtime, tokens[role], PHASES, tmp_path)
    # Then it found no failure and no error (its summary is the assertion message)
    report = f"schemathesis as {role}:\n{result.stdout[-20000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, report
    assert "Stateful" in result.stdout  # the stateful phase ran


def test_a_method_no_route_has_is_a_405_problem(fuzz_runtime):
    for method in ("TRACE", "QUERY"):
        reply = requests.request(method, f"{fuzz_runtime.api}/health", timeout=10)
        assert reply.status_code == 405, method
        assert reply.headers["content-type"] == "application/problem+json"
