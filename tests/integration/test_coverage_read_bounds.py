"""Each coverage read route issues at most two DynamoDB read calls (authorization included)
and never scans, counted on the handlers' own client through botocore's events, on a cold
container: the prices the estimates use are the participant's own copy, read with the rest of
their coverage partition, never a third read of the program's reference."""

from __future__ import annotations

import pytest

from functions.coverage.routes.estimates import forget_reference
from tests.integration.test_estimates import (
    ALEX,
    CASEY,
    COORDINATOR,
    call,
    coverage,  # noqa: F401
    lone_star_271,
    next_week,
    put_271,
)
from tests.support import dynamodb_calls as counting

READS = {"GetItem", "Query", "BatchGetItem", "Scan"}
ROUTES = [
    ("own plans", ALEX, "/me/coverage"),
    ("a participant's plans", COORDINATOR, "/participants/per_demoalex/plans"),
    ("coverage summary", ALEX, "/participants/per_demoalex/coverage-summary"),
    ("authorizations", ALEX, "/participants/per_demoalex/authorizations"),
    ("eligibility", ALEX, "/participants/per_demoalex/eligibility"),
    ("week estimate", ALEX, "/participants/per_demoalex/estimates/week?week={week}"),
    ("session estimate", ALEX, "/participants/per_demoalex/sessions/ses_demorivera02/estimate?week={week}"),
    ("program estimate", ALEX, "/participants/per_demoalex/estimates/program?weeks=6&week={week}"),
    ("good faith estimate", CASEY, "/participants/per_democasey/good-faith-estimate?week={week}"),
    ("chargemaster", COORDINATOR, "/billing/chargemaster"),
    ("fee schedule", COORDINATOR, "/billing/fee-schedules/LSM01"),
]


@pytest.mark.parametrize(("label", "caller", "path"), ROUTES, ids=[r[0] for r in ROUTES])
def test_coverage_read_routes_stay_within_two_reads(coverage, label, caller, path):  # noqa: F811
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    path = path.format(week=next_week())
    assert call("GET", path, caller=caller).status == 200
    forget_reference()  # a cold container: no cached reference data
    with counting() as counts:
        reply = call("GET", path, caller=caller)
    assert reply.status == 200, reply
    assert counts["Scan"] == 0
    reads = sum(n for op, n in counts.items() if op in READS)
    assert 1 <= reads <= 2, f"{label}: {dict(counts)}"  # (at least one: the counter is live)
