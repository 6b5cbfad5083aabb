"""The nightly eligibility re-check on moto: stale results only, found without Scan."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.common import aws
from functions.common.models import utc_now
from functions.coverage import recheck
from functions.coverage.clearinghouse import payer_link, reset_clearinghouses
from functions.coverage.eligibility_store import EligibilityStore
from functions.coverage.handler import lambda_handler
from functions.coverage.routes import eligibility as routes
from functions.coverage.simulator import SimulatedClearinghouse
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import PlanType
from local.seed import PLANS
from tests.integration.conftest import audit_entries, caller_of, copy_schedule_into_coverage
from tests.support import claims, context

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)

call = caller_of(lambda_handler, before=copy_schedule_into_coverage)
COORDINATOR = claims("per_democoordinator", "coordinator")
SEEDED = {p.plan_id: p for p in PLANS}
CHECKS = {
    "pln_demorivera01": "per_demoalex",
    "pln_demorivera02": "per_demojamie",
    "pln_demobrooks01": "per_demotaylor",
}


@pytest.fixture(autouse=True)
def _fresh_circuits(monkeypatch):
    monkeypatch.setenv("CLEARINGHOUSE_FAILURE_THRESHOLD", "2")
    reset_clearinghouses()
    yield
    reset_clearinghouses()


@pytest.fixture
def plans(moto_env) -> CoverageStore:
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    for plan in PLANS:
        store.put_plan(plan)
    return store


@pytest.fixture
def elig(moto_env) -> EligibilityStore:
    return EligibilityStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))


def checked(plan_id: str, at: datetime) -> str:
    """Check a plan as a coordinator would have at `at`; its check id."""
    with pytest.MonkeyPatch.context() as frozen:
        frozen.setattr(routes, "utc_now", lambda: at)
        reply = call(
            "POST", f"/participants/{CHECKS[plan_id]}/plans/{plan_id}/eligibility-checks", caller=COORDINATOR
        )
    assert reply.status == 201, reply
    return str(reply.json["check_id"])


def change(store: CoverageStore, plan_id: str, **changes: Any) -> None:
    store.put_plan(SEEDED[plan_id].model_copy(update=changes))


def latest(elig: EligibilityStore, plan_id: str):
    [record] = [r for r in elig.latest_of(CHECKS[plan_id]) if r.plan_id == plan_id]
    return record


def received() -> int:
    inner = payer_link().clearinghouse.inner
    assert isinstance(inner, SimulatedClearinghouse)
    return inner.received


def run() -> dict[str, Any]:
    return recheck.lambda_handler({"source": "aws.events"}, context("recheck"))


@pytest.fixture
def dynamodb_calls(moto_env):
    counts: Counter[str] = Counter()

    def count(model, **_kwargs):
        counts[model.name] += 1

    client = aws.client("dynamodb")
    client.meta.events.register("before-call.dynamodb", count)
    yield counts
    client.meta.events.unregister("before-call.dynamodb", count)


def test_only_stale_results_are_checked_again(moto_env, plans, elig, dynamodb_calls):
    # Given Alex was checked four days ago, Jamie an hour ago, and Taylor four days ago with a
    # member id the payer does not know (a person must fix that first)
    now = utc_now()
    alex_check = checked("pln_demorivera01", now - timedelta(days=4))
    jamie_check = checked("pln_demorivera02", now - timedelta(hours=1))
    change(plans, "pln_demobrooks01", member_id="SIM-NOTFOUND")
    taylor_check = checked("pln_demobrooks01", now - timedelta(days=4))
    asked_before = received()
    dynamodb_calls.clear()
    # When the nightly re-check runs
    report = run()
    # Then only Alex's plan was checked again, by the system, and it is fresh now
    assert report == {"due": 1, "checked": 1, "failed": 0, "skipped": 0, "stopped_early": False}
    assert received() == asked_before + 1
    alex = latest(elig, "pln_demorivera01")
    assert alex.check_id != alex_check
    assert alex.source == "recheck"
    assert alex.requested_by == recheck.RECHECK_ACTOR
    assert now - alex.checked_at < timedelta(minutes=1)
    assert latest(elig, "pln_demorivera02").check_id == jamie_check
    assert latest(elig, "pln_demobrooks01").check_id == taylor_check
    # And it found them without a Scan
    assert dynamodb_calls["Scan"] == 0
    # And the re-check is audited under its own name
    entries = audit_entries(moto_env, "person/per_demoalex/plan/pln_demorivera01/eligibility")
    assert sorted((e["actor_id"], e["outcome"]) for e in entries) == [
        ("per_democoordinator", "success"),
        ("system/eligibility-recheck", "success"),
    ]
    # And a second run finds nothing due
    assert run()["due"] == 0


def test_one_failing_plan_does_not_stop_the_others(moto_env, plans, elig):
    # Given three stale results, one of whose payer is now unreachable
    week_ago = utc_now() - timedelta(days=7)
    for plan_id in CHECKS:
        checked(plan_id, week_ago)
    change(plans, "pln_demorivera02", member_id="SIM-OUTAGE")
    # When the re-check runs (one failure stays below the circuit's threshold of two)
    report = run()
    # Then the other two were checked, and the failed one reads as stale and stays due
    assert report == {"due": 3, "checked": 2, "failed": 1, "skipped": 0, "stopped_early": False}
    jamie = latest(elig, "pln_demorivera02")
    assert jamie.checked_at == week_ago
    assert jamie.refresh_failed_at is not None
    assert call("GET", "/participants/per_demojamie/eligibility", caller=COORDINATOR).json["items"][0][
        "stale"
    ]
    assert [
        e["outcome"]
        for e in audit_entries(moto_env, "person/per_demojamie/plan/pln_demorivera02/eligibility")
        if e["actor_id"] == recheck.RECHECK_ACTOR
    ] == ["error"]
    # And the next run tries it again
    change(plans, "pln_demorivera02")
    assert run() == {"due": 1, "checked": 1, "failed": 0, "skipped": 0, "stopped_early": False}
    assert latest(elig, "pln_demorivera02").refresh_failed_at is None


def test_a_refused_inquiry_fails_that_plan_only_and_opens_no_circuit(moto_env, plans, elig):
    # Given three stale results, and the clearinghouse refusing two plans' inquiries (999s),
    # as many as the circuit's threshold
    week_ago = utc_now() - timedelta(days=7)
    for plan_id in CHECKS:
        checked(plan_id, week_ago)
    change(plans, "pln_demorivera01", member_id="SIM-REFUSED-1")
    change(plans, "pln_demorivera02", member_id="SIM-REFUSED-2")
    # When the re-check runs
    report = run()
    # Then those two failed (stale, still due), the third was checked: refusals open no circuit
    assert report == {"due": 3, "checked": 1, "failed": 2, "skipped": 0, "stopped_early": False}
    assert latest(elig, "pln_demorivera01").refresh_failed_at is not None
    assert latest(elig, "pln_demobrooks01").checked_at > week_ago


def test_an_open_circuit_stops_the_run(moto_env, plans, elig):
    # Given three stale results and the clearinghouse down for all of them
    week_ago = utc_now() - timedelta(days=7)
    for plan_id in CHECKS:
        checked(plan_id, week_ago)
        change(plans, plan_id, member_id="SIM-OUTAGE")
    asked_before = received()
    # When the re-check runs
    report = run()
    # Then it stops once the circuit opens (after two failures), leaving the rest for next time
    assert report == {"due": 2, "checked": 0, "failed": 2, "skipped": 0, "stopped_early": True}
    assert received() == asked_before + 2
    marked = [latest(elig, plan_id).refresh_failed_at is not None for plan_id in CHECKS]
    assert sorted(marked) == [False, True, True]


def test_a_plan_that_can_no_longer_be_checked_leaves_the_due_list(moto_env, plans, elig):
    # Given Alex's stale result, and Alex's plan turned self-pay since
    checked("pln_demorivera01", utc_now() - timedelta(days=5))
    change(plans, "pln_demorivera01", plan_type=PlanType.SELF_PAY, payer_id=None)
    # When the re-check runs twice
    first, second = run(), run()
    # Then it skips the plan once and never finds it again; the old result stays readable
    assert (first["skipped"], first["checked"]) == (1, 0)
    assert second["due"] == 0
    assert latest(elig, "pln_demorivera01").status == "active"
