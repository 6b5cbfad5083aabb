"""Estimates priced from a real 271 text (parsed as a check parses it): procedure-specific lines,
the 271 line behind each estimate line, unknown terms and limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from functions.coverage.logic import eligibility
from functions.coverage.logic.x12 import parse_271
from functions.coverage.vocabulary import NetworkStatus
from local import seed
from tests.integration.test_estimates import ALEX, call, coverage, next_week, put_271, week_of
from tests.unit.x12_corpus import PROVIDER, interchange, payer, subscriber

__all__ = ["coverage"]  # the fixture, imported for these tests


def _record(body: str, person_id: str = "per_demoalex", plan_id: str = "pln_demorivera01") -> Any:
    text = interchange(
        payer("LONE STAR MUTUAL", "LSM01") + PROVIDER + subscriber("RIVERA", "ALEX", "LSM884201-01") + body
    )
    plan = next(p for p in seed.PLANS if p.plan_id == plan_id)
    return eligibility.record_from(
        parse_271(text),
        plan,
        check_id="elg_corpus0001",
        checked_at=datetime.now(UTC) - timedelta(hours=1),
        requested_by="per_democoordinator",
    )


PPO = (
    "EB*1*FAM*30^MH*PR*LONE STAR MUTUAL PPO~"
    "EB*C*IND*MH***23*1500*****Y~"
    "EB*C*IND*MH***29*1450*****Y~"
    "EB*G*IND*MH***23*6000*****Y~"
    "EB*B*IND*MH***27*30*****Y~"
    "EB*A*IND*MH***27**.2****Y~"
)


def _estimate(coverage_store: Any, body: str) -> dict[str, Any]:
    put_271(coverage_store, _record(body))
    return week_of(call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX))


def _line(estimate: dict[str, Any], code: str) -> dict[str, Any]:
    return next(line for line in estimate["lines"] if line["code"] == code)


def test_a_noncovered_procedure_denies_that_procedure_only_and_lines_name_their_271_line(coverage):
    # Given Alex's PPO says couples psychotherapy (90847) is not covered, by a line naming it
    estimate = _estimate(coverage, PPO + "EB*I*IND*MH**********HC:90847~")
    # Then the couples session is at the full charge, and the individual session keeps its copay
    couples, individual = _line(estimate, "90847"), _line(estimate, "90837")
    assert couples["parts"][0]["kind"] == "not_covered"
    assert couples["you_pay"] == couples["charge"]
    assert individual["you_pay"] == "30.00"
    # And each line says which 271 line priced it
    assert [(p["term"], p["segment"]) for p in couples["priced_by"]] == [
        ("not_covered", "EB*I*IND*MH**********HC:90847")
    ]
    assert [(p["term"], p["segment"]) for p in individual["priced_by"]] == [
        ("copay", "EB*B*IND*MH***27*30*****Y")
    ]
    group = _line(estimate, "90853")
    assert {p["term"] for p in group["priced_by"]} >= {"deductible"}
    assert all(p["line"] > 0 for p in group["priced_by"])


def test_without_the_procedure_line_the_couples_session_is_covered(coverage):
    # The same 271 without the line naming 90847: the couples session is a copay visit
    estimate = _estimate(coverage, PPO)
    assert _line(estimate, "90847")["you_pay"] == "30.00"


def test_a_procedure_copay_prices_that_procedure(coverage):
    # Given a $15 copay named for group psychotherapy (90853) besides the $30 office copay
    estimate = _estimate(coverage, PPO + "EB*B*IND*MH***27*15*****Y*HC:90853~")
    group = _line(estimate, "90853")
    assert group["you_pay"] == "15.00"
    assert group["priced_by"][0]["segment"] == "EB*B*IND*MH***27*15*****Y*HC:90853"
    assert _line(estimate, "90837")["you_pay"] == "30.00"


def test_a_coinsurance_the_payer_did_not_give_is_undetermined_not_zero(coverage):
    # Given a PPO that gives no coinsurance line for mental health
    estimate = _estimate(coverage, PPO.replace("EB*A*IND*MH***27**.2****Y~", ""))
    # Then a group session (deductible, then coinsurance) says its coinsurance is unknown, and why
    group = _line(estimate, "90853")
    assert group["undetermined"] == [
        {"term": "coinsurance", "reason": "the payer gave no in-network coinsurance for mental health"}
    ]
    # And a copay visit has nothing undetermined
    assert _line(estimate, "90837")["undetermined"] == []
    assert any("could not be fully determined" in note for note in estimate["notes"])


def test_with_every_term_given_nothing_is_undetermined(coverage):
    estimate = _estimate(coverage, PPO)
    assert all(line["undetermined"] == [] for line in estimate["lines"])
    assert not any("could not be fully determined" in note for note in estimate["notes"])


def test_out_of_network_without_a_coinsurance_says_so(coverage):
    # Given Alex sees the program out of network, and the payer gave an out-of-network
    # deductible but no out-of-network coinsurance
    plan = next(p for p in seed.PLANS if p.plan_id == "pln_demorivera01")
    coverage.put_plan(plan.model_copy(update={"network_status": NetworkStatus.OUT_OF_NETWORK}))
    estimate = _estimate(coverage, PPO + "EB*C*IND*MH***23*3000*****N~")
    # Then every covered line's coinsurance is undetermined, never 0 %
    covered = [line for line in estimate["lines"] if line["code"] and line["allowed"] != "0.00"]
    assert covered
    for line in covered:
        assert {
            "term": "coinsurance",
            "reason": "the payer gave no out-of-network coinsurance for mental health",
        } in line["undetermined"]


def test_the_coverage_summary_never_reads_a_missing_coinsurance_as_nothing(coverage):
    put_271(coverage, _record(PPO.replace("EB*A*IND*MH***27**.2****Y~", "")))
    reply = call("GET", "/participants/per_demoalex/coverage-summary", caller=ALEX)
    assert reply.status == 200, reply
    group = next(c for c in reply.json["categories"] if c["category"] == "group_therapy")
    assert group["your_share"].startswith("an undetermined share after the deductible")
