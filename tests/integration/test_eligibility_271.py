"""Eligibility checks through the coverage handler with payers' real 271 styles: untraced answers,
answers to another inquiry, and AAA rejections at every loop with their follow-up action."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from functions.coverage.simulator import SimulatedClearinghouse
from tests.integration.test_eligibility_api import (
    ALEX_CHECK,
    COORDINATOR,
    JAMIE_CHECK,
    _fresh_circuits,
    call,
    items,
    plans,
    simulator,
)
from tests.unit.x12_corpus import PROVIDER, dependent, interchange, payer, subscriber

pytestmark = pytest.mark.clock
__all__ = ["_fresh_circuits", "plans"]  # fixtures, imported for these tests


def _answering(monkeypatch: pytest.MonkeyPatch, body: Callable[[str], str]) -> None:
    """The clearinghouse answers every 270 with `interchange(body(<the 270's trace number>))`."""
    inner: SimulatedClearinghouse = simulator()

    def submit(x12_270: str) -> str:
        found = re.search(r"TRN\*1\*([^*~]+)", x12_270)
        assert found is not None
        return interchange(body(found.group(1)))

    monkeypatch.setattr(inner, "submit", submit)


def _jamie(trace: str, loop: str) -> str:
    """Alex's family plan answering for Jamie (the dependent, 2000D), echoing `trace`."""
    return (
        payer("LONE STAR MUTUAL", "LSM01")
        + PROVIDER
        + subscriber("RIVERA", "ALEX", "LSM884201-01", children=True)
        + dependent("RIVERA", "JAMIE").replace("TRC-C0RPUS", trace)
        + loop
    )


def test_an_untraced_rejection_at_2000a_is_stored_with_its_follow_up(moto_env, plans, monkeypatch):
    # Given a clearinghouse that rejects at 2000A, before any loop that could carry a TRN
    _answering(monkeypatch, lambda trace: "HL*1**20*1~AAA*N**42*W~NM1*PR*2*LONE STAR MUTUAL*****PI*LSM01~")
    # When a coordinator checks Alex's plan
    reply = call("POST", ALEX_CHECK, caller=COORDINATOR)
    # Then the answer is accepted (it came back on the check's own connection), marked untraced
    assert reply.status == 201, reply
    body = reply.json
    assert (body["status"], body["trace"]) == ("rejected", "untraced")
    (rejection,) = body["rejections"]
    assert rejection["code"] == "42"
    assert rejection["loop"] == "2000A"
    assert rejection["follow_up"] == "wait_30_days"
    assert rejection["follow_up_action"] == "Wait 30 days, then check again"
    assert body["rejection"] == rejection
    # And it is stored: the participant's eligibility list shows it
    listed = call("GET", "/participants/per_demoalex/eligibility", caller=COORDINATOR).json["items"]
    assert [(i["status"], i["trace"], i["rejections"][0]["loop"]) for i in listed] == [
        ("rejected", "untraced", "2000A")
    ]


def test_a_dependent_rejection_at_2100d_echoing_our_trace_is_stored(moto_env, plans, monkeypatch):
    # Given the payer finds the subscriber but not Jamie, the dependent (AAA in 2100D)
    _answering(
        monkeypatch,
        lambda trace: _jamie(trace, "AAA*Y**67*C~"),
    )
    reply = call("POST", JAMIE_CHECK, caller=COORDINATOR)
    assert reply.status == 201, reply
    body = reply.json
    assert (body["status"], body["trace"]) == ("rejected", "matched")
    assert [(r["code"], r["loop"], r["follow_up"]) for r in body["rejections"]] == [
        ("67", "2100D", "correct_and_resubmit")
    ]


def test_an_answer_echoing_another_trace_is_refused_and_nothing_is_stored(moto_env, plans, monkeypatch):
    # Given an answer whose TRN*2 echoes another inquiry's trace number
    _answering(
        monkeypatch,
        lambda trace: (
            payer("LONE STAR MUTUAL", "LSM01")
            + PROVIDER
            + subscriber("RIVERA", "ALEX", "LSM884201-01").replace("TRC-C0RPUS", "NOT-OURS")
            + "EB*1*IND*30*PR~"
        ),
    )
    reply = call("POST", ALEX_CHECK, caller=COORDINATOR)
    assert reply.status == 503, reply
    assert items(moto_env, "per_demoalex", "ELIG") == []


def test_an_active_answer_without_trn_is_accepted_untraced(moto_env, plans, monkeypatch):
    _answering(
        monkeypatch,
        lambda trace: (
            payer("LONE STAR MUTUAL", "LSM01")
            + PROVIDER
            + subscriber("RIVERA", "ALEX", "LSM884201-01", trace=False)
            + "EB*1*IND*30^MH*PR~EB*B*IND*MH***27*30*****Y~"
        ),
    )
    reply = call("POST", ALEX_CHECK, caller=COORDINATOR)
    assert reply.status == 201, reply
    assert (reply.json["status"], reply.json["trace"]) == ("active", "untraced")


def test_the_result_shows_what_coordinators_act_on(moto_env, plans, monkeypatch):
    # Given Jamie, Alex's spouse on the family plan, with a procedure-specific line and limits
    _answering(
        monkeypatch,
        lambda trace: _jamie(
            trace,
            "INS*N*01~"
            "EB*1*FAM*30^MH^AI^A6*PR*LONE STAR MUTUAL PPO~"
            "DTP*291*RD8*20260101-20261231~"
            "EB*B*IND*MH***27*30*****Y~"
            "EB*A*IND*MH***23**.2*VS*30**Y~"
            "EB*F*IND*MH***29***VS*12**Y~"
            "EB*I*IND*MH**********HC:90846~"
            "EB*1**AI~AAA*Y**53*C~",
        ),
    )
    reply = call("POST", JAMIE_CHECK, caller=COORDINATOR)
    assert reply.status == 201, reply
    body = reply.json
    # Then the API shows the insurance type, the relationship and every active service type
    assert (body["insurance_type"], body["insurance_type_name"]) == (
        "PR",
        "Preferred provider organization (PPO)",
    )
    assert (body["patient_relationship"], body["patient_relationship_code"]) == ("spouse", "01")
    assert [s["code"] for s in body["active_service_types"]] == ["30", "MH", "AI", "A6"]
    assert body["active_service_types"][1]["name"] == "Mental Health"
    assert (body["plan_begin"], body["plan_end"]) == ("2026-01-01", "2026-12-31")
    # And the AAA of the 2110D benefit loop with its follow-up, without rejecting the coverage
    assert body["status"] == "active"
    assert [(r["code"], r["loop"], r["follow_up"]) for r in body["rejections"]] == [
        ("53", "2110D", "correct_and_resubmit")
    ]
    # And the limits with their periods, and the procedure a line names
    mental = next(b for b in body["benefits"] if b["category"] == "mental_health")
    limits = [(q["kind"], q["quantity"], q["unit"], q["period"]) for q in mental["in_network"]["limits"]]
    assert limits == [("limit", "30", "visits", "calendar_year"), ("remaining", "12", "visits", "remaining")]
    assert (mental["in_network"]["visit_limit"], mental["in_network"]["visits_remaining"]) == (30, 12)
    assert mental["in_network"]["not_covered"] is False
    (named,) = mental["procedures"]
    assert (named["qualifier"], named["code"], named["in_network"]["not_covered"]) == ("HC", "90846", True)
