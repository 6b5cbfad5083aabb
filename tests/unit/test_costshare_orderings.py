"""How a copay combines with the deductible and coinsurance, worked by hand: the orderings a
plan's Summary of Benefits and Coverage states and a 271 cannot (copay before the deductible,
deductible then copay, copay then coinsurance), and a per-diem IOP day against the same
sessions billed per service.

The plan of every example unless it says otherwise, amounts in cents (in network):
- deductible $1,000 individual (no family deductible), coinsurance 20 %, out-of-pocket
  maximum $3,000 individual; copays count toward the maximum (ACA);
- individual therapy 90837: charge $250, allowed $150; copay $30;
- group therapy 90853: charge $95, allowed $50; per-diem day S9480: charge $650, allowed $300
  (groups and per-diem days: the deductible, then coinsurance).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from functions.coverage.logic.costshare import (
    Accumulators,
    BenefitTerms,
    BillingCode,
    BillingModel,
    BillingRule,
    CategoryRule,
    Chargemaster,
    DaySession,
    FeeSchedule,
    LineItem,
    NetworkTier,
    PartKind,
    PlanBenefits,
    Service,
    ServiceCategory,
    TierAccumulators,
    apply,
    claim_lines,
)

Cat = ServiceCategory
Code = BillingCode
DAY = date(2027, 2, 1)
COPAY_BEFORE_DEDUCTIBLE = CategoryRule(copay=3000, deductible_applies=False, coinsurance_applies=False)
DEDUCTIBLE_THEN_COPAY = CategoryRule(copay=3000, copay_after_deductible=True, coinsurance_applies=False)
COPAY_THEN_COINSURANCE = CategoryRule(copay=3000, deductible_applies=False)
TERMS = BenefitTerms(
    deductible_individual=100000,
    coinsurance=Decimal("0.20"),
    oop_individual=300000,
    copays_count_toward_oop=True,
)


def plan(office: CategoryRule, **changes: object) -> PlanBenefits:
    return PlanBenefits(
        in_network=replace(TERMS, rules={Cat.INDIVIDUAL_THERAPY: office}, **changes)  # type: ignore[arg-type]
    )


def met(deductible: int, oop: int | None = None) -> Accumulators:
    """What member A has met so far (the out-of-pocket figure defaults to the deductible's)."""
    oop = deductible if oop is None else oop
    return Accumulators(in_network=TierAccumulators({"A": deductible}, deductible, {"A": oop}, oop))


def therapy(on: date = DAY) -> Service:
    return Service(on, Code.PSYCHOTHERAPY_60, Cat.INDIVIDUAL_THERAPY, "A", charge=25000, allowed=15000)


def one(office: CategoryRule, start: Accumulators, **changes: object) -> tuple[LineItem, Accumulators]:
    result = apply([therapy()], plan(office, **changes), start)
    [line] = result.lines
    return line, result.accumulators


def kinds(line: LineItem) -> list[tuple[PartKind, int]]:
    return [(p.kind, p.cents) for p in line.parts]


# --- copay before the deductible (what a 271's copay is taken to mean) ----------------------


def test_copay_before_deductible_is_the_copay_alone_and_leaves_the_deductible_untouched():
    # $600 of the $1,000 deductible met ($400 left). Allowed $150: the $30 copay is the whole
    # share; the deductible is waived for the visit, so $600 stays met. Plan: 150 - 30 = $120.
    line, after = one(COPAY_BEFORE_DEDUCTIBLE, met(60000))
    assert kinds(line) == [(PartKind.COPAY, 3000)]
    assert (line.participant_pays, line.plan_pays) == (3000, 12000)
    assert after.in_network.deductible_met("A") == 60000
    assert after.in_network.oop_met("A") == 60000 + 3000


# --- deductible then copay ------------------------------------------------------------------


def test_deductible_then_copay_before_the_deductible_is_met_pays_the_allowed_amount():
    # $400 of the deductible left. Allowed $150 all goes to the deductible (150 < 400), so
    # nothing is left for a copay: the participant pays $150, the plan $0; $250 still left.
    line, after = one(DEDUCTIBLE_THEN_COPAY, met(60000))
    assert kinds(line) == [(PartKind.DEDUCTIBLE, 15000)]
    assert (line.participant_pays, line.plan_pays) == (15000, 0)
    assert after.in_network.deductible_met("A") == 75000


def test_deductible_then_copay_once_the_deductible_is_met_is_the_copay():
    # Deductible met ($0 left): nothing goes to it, the $30 copay applies; plan pays $120.
    line, _ = one(DEDUCTIBLE_THEN_COPAY, met(100000))
    assert kinds(line) == [(PartKind.COPAY, 3000)]
    assert line.parts[0].reason == "$30.00 copay after the deductible"
    assert line.plan_pays == 12000


def test_deductible_then_copay_meeting_the_deductible_mid_session():
    # $100 of the deductible left. Allowed $150: $100 meets the deductible, the $30 copay
    # applies to the $50 left: 100 + 30 = $130; the plan pays 150 - 130 = $20.
    line, after = one(DEDUCTIBLE_THEN_COPAY, met(90000))
    assert kinds(line) == [(PartKind.DEDUCTIBLE, 10000), (PartKind.COPAY, 3000)]
    assert line.parts[0].reason == "$100.00 toward the remaining deductible (deductible now met)"
    assert (line.participant_pays, line.plan_pays) == (13000, 2000)
    assert after.in_network.deductible_met("A") == 100000


def test_deductible_then_copay_when_less_than_the_copay_is_left_after_the_deductible():
    # $130 of the deductible left: $130 to it leaves $20 of the $150, so the copay is $20
    # (never more than what is left): 130 + 20 = $150, the plan pays $0.
    line, _ = one(DEDUCTIBLE_THEN_COPAY, met(87000))
    assert kinds(line) == [(PartKind.DEDUCTIBLE, 13000), (PartKind.COPAY, 2000)]
    assert line.plan_pays == 0


def test_four_sessions_deductible_then_copay_against_copay_before_deductible():
    # $400 of the deductible left, four $150 sessions a week apart.
    # Deductible then copay: 150 (left 250), 150 (left 100), 100 + 30 = 130 (met), 30: $460.
    # Copay before deductible: 4 x 30 = $120: the understatement the issue describes.
    sessions = [therapy(date(2027, 2, day)) for day in (1, 8, 15, 22)]
    after_deductible = apply(sessions, plan(DEDUCTIBLE_THEN_COPAY), met(60000))
    before_deductible = apply(sessions, plan(COPAY_BEFORE_DEDUCTIBLE), met(60000))
    assert [line.participant_pays for line in after_deductible.lines] == [15000, 15000, 13000, 3000]
    assert after_deductible.totals.participant_pays == 46000
    assert before_deductible.totals.participant_pays == 12000


def test_deductible_then_copay_stops_at_the_out_of_pocket_maximum():
    # $100 of the deductible left, but only $50 left before the $3,000 maximum ($2,950 met).
    # Uncapped it would be $100 deductible + $30 copay; capped: $50 of the deductible, no
    # copay, and a note that the maximum is reached. The plan pays 150 - 50 = $100.
    line, after = one(DEDUCTIBLE_THEN_COPAY, met(90000, oop=295000))
    assert kinds(line) == [(PartKind.DEDUCTIBLE, 5000), (PartKind.OUT_OF_POCKET_MAXIMUM, 0)]
    assert line.plan_pays == 10000
    assert after.in_network.oop_met("A") == 300000


def test_a_copay_after_the_deductible_needs_the_deductible_to_apply():
    with pytest.raises(ValueError, match="needs the deductible"):
        CategoryRule(copay=3000, copay_after_deductible=True, deductible_applies=False)


# --- copay then coinsurance -------------------------------------------------------------------


def test_copay_then_coinsurance_on_the_remainder():
    # Deductible waived: the $30 copay, then 20 % of the $120 left = $24: $54; plan pays $96.
    # The deductible ($400 left) is untouched.
    line, after = one(COPAY_THEN_COINSURANCE, met(60000))
    assert kinds(line) == [(PartKind.COPAY, 3000), (PartKind.COINSURANCE, 2400)]
    assert line.parts[1].reason == "20% coinsurance on $120.00"
    assert line.plan_pays == 9600
    assert after.in_network.deductible_met("A") == 60000


def test_copay_then_coinsurance_rounds_the_coinsurance_once_to_the_cent():
    # 12.5 % coinsurance: $30 copay, then 12.5 % of $120 = $15.00; with a $29.99 copay,
    # 12.5 % of $120.01 = $15.00125, rounded half up to $15.00: 29.99 + 15.00 = $44.99.
    rule = replace(COPAY_THEN_COINSURANCE, copay=2999)
    line, _ = one(rule, met(60000), coinsurance=Decimal("0.125"))
    assert kinds(line) == [(PartKind.COPAY, 2999), (PartKind.COINSURANCE, 1500)]
    assert line.participant_pays == 4499


def test_copay_then_coinsurance_stops_at_the_out_of_pocket_maximum():
    # $40 left before the maximum: the $30 copay, then $10 of the $24 coinsurance: $40.
    line, _ = one(COPAY_THEN_COINSURANCE, met(60000, oop=296000))
    assert kinds(line) == [
        (PartKind.COPAY, 3000),
        (PartKind.COINSURANCE, 1000),
        (PartKind.OUT_OF_POCKET_MAXIMUM, 0),
    ]
    assert line.plan_pays == 11000


def test_copay_then_coinsurance_with_the_deductible_between_them():
    # A plan whose copay comes first and the deductible then applies to the rest: $30 copay,
    # $100 to the deductible ($100 left), 20 % of the $20 left = $4: $134; plan pays $16.
    rule = CategoryRule(copay=3000)
    line, _ = one(rule, met(90000))
    assert kinds(line) == [(PartKind.COPAY, 3000), (PartKind.DEDUCTIBLE, 10000), (PartKind.COINSURANCE, 400)]
    assert line.plan_pays == 1600


# --- per diem against per service for an IOP day ---------------------------------------------

ALLOWED = {Code.PSYCHOTHERAPY_60: 15000, Code.GROUP_PSYCHOTHERAPY: 5000, Code.PSYCHIATRIC_IOP_PER_DIEM: 30000}
CHARGES = Chargemaster(
    prices={
        Code.PSYCHOTHERAPY_60: 25000,
        Code.GROUP_PSYCHOTHERAPY: 9500,
        Code.PSYCHIATRIC_IOP_PER_DIEM: 65000,
    }
)
IOP_DAY = [
    DaySession(DAY, Cat.GROUP_THERAPY, 60, "A", session_id="group-am"),
    DaySession(DAY, Cat.INDIVIDUAL_THERAPY, 60, "A", session_id="individual"),
    DaySession(DAY, Cat.GROUP_THERAPY, 60, "A", session_id="group-pm"),
]


def iop_day(model: BillingModel) -> list[LineItem]:
    fees = FeeSchedule(
        payer="P", network=NetworkTier.IN_NETWORK, allowed=ALLOWED, billing=BillingRule(model=model)
    )
    services = claim_lines(IOP_DAY, fees, CHARGES)
    return list(apply(services, plan(COPAY_BEFORE_DEDUCTIBLE), met(80000)).lines)


def test_an_iop_day_billed_per_service():
    # Three hours: group, individual, group; $200 of the deductible left.
    # Group $50 -> deductible (150 left); individual -> the $30 copay (deductible waived);
    # group $50 -> deductible (100 left). 50 + 30 + 50 = $130; the plan pays 0 + 120 + 0.
    lines = iop_day(BillingModel.PER_SERVICE)
    assert [line.service.code for line in lines] == [
        Code.GROUP_PSYCHOTHERAPY,
        Code.PSYCHOTHERAPY_60,
        Code.GROUP_PSYCHOTHERAPY,
    ]
    assert [line.participant_pays for line in lines] == [5000, 3000, 5000]
    assert sum(line.plan_pays for line in lines) == 12000


def test_the_same_iop_day_billed_per_diem():
    # The three hours meet the 3-hour minimum: one S9480 line, allowed $300.
    # $200 to the deductible (now met), 20 % of the $100 left = $20: $220; the plan pays $80.
    [line] = iop_day(BillingModel.PER_DIEM)
    assert line.service.code is Code.PSYCHIATRIC_IOP_PER_DIEM
    assert kinds(line) == [(PartKind.DEDUCTIBLE, 20000), (PartKind.COINSURANCE, 2000)]
    assert (line.participant_pays, line.plan_pays) == (22000, 8000)
