"""The 271 corpus (`x12_corpus.py`): what the program reads from each payer style.

Each case lists only what it is about; `extract` reduces a 271 to the facts a coordinator and
the estimate use, through the same path a check takes (parse -> benefits of the result).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from functions.coverage.logic import eligibility
from functions.coverage.logic.eligibility import CostShareOut
from functions.coverage.x12.builder import EligibilityRequest, Subscriber
from functions.coverage.x12.parser import parse_271
from tests.unit.x12_corpus import CASES, TRACE, Case


def _share(share: CostShareOut | None) -> dict[str, Any] | None:
    if share is None:
        return None
    return {
        "copay_cents": share.copay_cents,
        "coinsurance_rate": None
        if share.coinsurance_rate is None
        else str(share.coinsurance_rate.normalize()),
        "deductible": (
            share.deductible.individual_total_cents,
            share.deductible.individual_remaining_cents,
            share.deductible.family_total_cents,
            share.deductible.family_remaining_cents,
        ),
        "out_of_pocket": (
            share.out_of_pocket.individual_total_cents,
            share.out_of_pocket.individual_remaining_cents,
            share.out_of_pocket.family_total_cents,
            share.out_of_pocket.family_remaining_cents,
        ),
        "visit_limit": share.visit_limit,
        "visit_limit_period": share.visit_limit_period.value if share.visit_limit_period else None,
        "visits_remaining": share.visits_remaining,
        "limits": [
            (
                q.kind,
                str(q.quantity),
                q.unit_code,
                q.period.value if q.period else None,
                str(q.period_count) if q.period_count is not None else None,
                q.procedure,
            )
            for q in share.limits
        ],
        "not_covered": share.not_covered,
    }


def _request(trace: str) -> EligibilityRequest:
    return EligibilityRequest(
        control_number=1,
        created=datetime(2025, 12, 1, 9, 30),
        sender_id="TANDEMIOP",
        receiver_id="CLEARHOUSE",
        payer_name="PAYER",
        payer_id="P1",
        provider_name="TANDEM BEHAVIORAL HEALTH",
        provider_npi="1234567893",
        subscriber=Subscriber(first_name="A", last_name="B", member_id="M1", birth_date=date(1990, 1, 1)),
        date_of_service=date(2025, 12, 1),
        trace_number=trace,
    )


def extract(case: Case) -> dict[str, Any]:
    result = parse_271(case.text)
    match = eligibility.trace_match(_request(case.trace or TRACE), result)
    benefits = {b.category: b for b in eligibility.benefits_of(result)}
    mh, su = benefits.get("mental_health"), benefits.get("substance_use")
    return {
        "status": result.status.value,
        "insurance_type": result.insurance_type,
        "plan_begin": result.plan_begin.isoformat() if result.plan_begin else None,
        "plan_end": result.plan_end.isoformat() if result.plan_end else None,
        "relationship": result.patient_relationship_code,
        "active_service_types": list(result.active_service_types),
        "rejections": [
            (r.code, r.loop, r.follow_up.value if r.follow_up else None) for r in result.rejections
        ],
        "traced": {"matched": True, "untraced": False}.get(match, match),
        "mh_in": _share(mh.in_network) if mh else None,
        "mh_out": _share(mh.out_of_network) if mh else None,
        "su_in": _share(su.in_network) if su else None,
        "procedures": {p.code: _share(p.in_network) for p in mh.procedures} if mh else {},
    }


def _matches(actual: Any, expected: Any) -> bool:
    """Dicts match on the keys the case names; everything else exactly."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _matches(actual[k], v) for k, v in expected.items())
    return bool(actual == expected)


def test_the_corpus_has_25_distinct_transactions_each_naming_its_style():
    assert len(CASES) >= 25
    assert len({c.name for c in CASES}) == len(CASES)
    assert len({c.text for c in CASES}) == len(CASES)
    assert all(c.style and c.expected for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_extraction(case: Case):
    # Given a 271 in one payer's style; When it is read as a check reads it
    found = extract(case)
    # Then what the case expects is what was read
    expected = {k: v for k, v in case.expected.items() if k in found}
    mismatched = {k: (found[k], v) for k, v in expected.items() if not _matches(found[k], v)}
    assert not mismatched, mismatched


def test_a_noncovered_procedure_leaves_its_category_covered():
    # Given a PPO whose only non-covered line names 90846
    case = next(c for c in CASES if c.name == "ppo_noncovered_procedure")
    (mh,) = [b for b in eligibility.benefits_of(parse_271(case.text)) if b.category == "mental_health"]
    # Then mental health stays covered with its copay and the procedure alone is not covered
    assert mh.in_network.not_covered is False
    assert mh.in_network.copay_cents == 3500
    (named,) = mh.procedures
    assert (named.qualifier, named.code, named.in_network.not_covered) == ("HC", "90846", True)
    # And the terms say which 271 line they came from
    (line,) = named.in_network.sources["not_covered"]
    assert line.segment == "EB*I*IND*MH**********HC:90846"
    assert case.text.split("~")[line.line + 1].strip() == line.segment  # ISA, GS precede ST (line 1)
    assert mh.in_network.sources["copay"][0].segment == "EB*B*IND*MH***27*35*****Y"


def test_a_procedure_copay_wins_over_the_service_type_for_that_procedure_only():
    case = next(c for c in CASES if c.name == "bcbs_copays_by_procedure")
    (mh,) = [b for b in eligibility.benefits_of(parse_271(case.text)) if b.category == "mental_health"]
    assert mh.in_network.copay_cents is None
    named = mh.for_procedure("90853")
    assert named is not None
    assert named.in_network.copay_cents == 2000
    assert mh.for_procedure("90834") is None
    assert mh.in_network.coinsurance_rate == Decimal(".1")


def test_every_traced_case_echoes_its_270_and_none_answers_another():
    # A 271 answered on the 270's own connection: matched or untraced, never another inquiry's
    for case in CASES:
        assert extract(case)["traced"] in (True, False), case.name
    other = next(c for c in CASES if c.name == "national_ppo")
    assert eligibility.trace_match(_request("TRC-999999"), parse_271(other.text)) == "mismatched"
    assert not eligibility.answers(_request("TRC-999999"), parse_271(other.text))


def test_rejections_at_every_loop_keep_their_loop_and_follow_up():
    loops = {r[1] for c in CASES for r in c.expected.get("rejections", [])}
    assert loops >= {"2000A", "2100A", "2100B", "2100C", "2100D", "2110C"}
