"""Properties of the cost-share engine over generated plans, accumulators and weeks
(hypothesis): the participant never pays more than a service's charge, never more than the
remaining out-of-pocket maximum in network, and a week equals its services applied one by
one in date order, whatever the plan's copay ordering; and a session never costs less when
its copay comes after the deductible than when it comes before."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.coverage.logic.costshare import (
    Accumulators,
    BenefitTerms,
    BillingCode,
    CategoryRule,
    CostShareResult,
    NetworkTier,
    PlanBenefits,
    Service,
    ServiceCategory,
    TierAccumulators,
    apply,
)

MONDAY = date(2027, 3, 1)
KINDS = [
    (BillingCode.PSYCHOTHERAPY_60, ServiceCategory.INDIVIDUAL_THERAPY),
    (BillingCode.FAMILY_PSYCHOTHERAPY, ServiceCategory.COUPLES_THERAPY),
    (BillingCode.GROUP_PSYCHOTHERAPY, ServiceCategory.GROUP_THERAPY),
    (BillingCode.PSYCHIATRIC_IOP_PER_DIEM, ServiceCategory.PER_DIEM_IOP),
]


def copay_before_deductible(copay: int) -> CategoryRule:
    return CategoryRule(copay=copay, deductible_applies=copay == 0, coinsurance_applies=copay == 0)


def deductible_then_copay(copay: int) -> CategoryRule:
    return CategoryRule(copay=copay, copay_after_deductible=True, coinsurance_applies=copay == 0)


def copay_then_coinsurance(copay: int) -> CategoryRule:
    return CategoryRule(copay=copay, deductible_applies=copay == 0)


ORDERINGS = [copay_before_deductible, deductible_then_copay, copay_then_coinsurance]
"""The office-visit orderings a plan's confirmed terms may state (`CategoryRule` for a copay)."""


@st.composite
def terms(draw: st.DrawFn) -> BenefitTerms:
    deductible = draw(st.integers(0, 500_000))
    oop = draw(st.integers(deductible, 1_500_000))
    copay = draw(st.sampled_from([0, 2000, 3000, 5000]))
    office = draw(st.sampled_from(ORDERINGS))(copay)
    return BenefitTerms(
        deductible_individual=deductible,
        deductible_family=draw(st.one_of(st.none(), st.integers(deductible, 2 * deductible + 1))),
        coinsurance=draw(
            st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.2"), Decimal("0.125"), Decimal("0.4")])
        ),
        oop_individual=oop,
        oop_family=draw(st.one_of(st.none(), st.integers(oop, 2 * oop + 1))),
        copays_count_toward_oop=draw(st.booleans()),
        rules={ServiceCategory.INDIVIDUAL_THERAPY: office, ServiceCategory.COUPLES_THERAPY: office},
    )


@st.composite
def services(draw: st.DrawFn) -> list[Service]:
    found = []
    for _ in range(draw(st.integers(1, 10))):
        code, category = draw(st.sampled_from(KINDS))
        charge = draw(st.integers(0, 80_000))
        found.append(
            Service(
                on=MONDAY + timedelta(days=draw(st.integers(0, 6))),
                code=code,
                category=category,
                member_id=draw(st.sampled_from(["A", "B"])),
                charge=charge,
                allowed=draw(st.integers(0, charge + 20_000)),
                network=draw(st.sampled_from(list(NetworkTier))),
                covered=draw(st.integers(0, 9)) > 0,  # now and then a service the plan excludes
            )
        )
    return found


@st.composite
def starts(draw: st.DrawFn, plan: PlanBenefits) -> Accumulators:
    limits = plan.in_network

    def tier() -> TierAccumulators:
        a = draw(st.integers(0, limits.deductible_individual))
        b = draw(st.integers(0, limits.deductible_individual))
        oop_a = draw(st.integers(0, limits.oop_individual or 0))
        oop_b = draw(st.integers(0, limits.oop_individual or 0))
        return TierAccumulators({"A": a, "B": b}, a + b, {"A": oop_a, "B": oop_b}, oop_a + oop_b)

    return Accumulators(in_network=tier(), out_of_network=tier())


@st.composite
def cases(draw: st.DrawFn) -> tuple[PlanBenefits, Accumulators, list[Service]]:
    plan = PlanBenefits(in_network=draw(terms()), out_of_network=draw(st.one_of(st.none(), terms())))
    return plan, draw(starts(plan)), draw(services())


def _oop_left(limit: int | None, met: int) -> int | None:
    return None if limit is None else max(limit - met, 0)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_participant_never_pays_more_than_the_charge(
    case: tuple[PlanBenefits, Accumulators, list[Service]],
) -> None:
    plan, start, week = case
    for line in apply(week, plan, start).lines:
        assert 0 <= line.participant_pays <= line.service.charge
        assert line.plan_pays >= 0
        assert sum(part.cents for part in line.parts) == line.participant_pays


@settings(max_examples=300, deadline=None)
@given(cases())
def test_in_network_never_more_than_the_remaining_out_of_pocket_maximum(
    case: tuple[PlanBenefits, Accumulators, list[Service]],
) -> None:
    plan, start, week = case
    result = apply(week, plan, start)
    terms = plan.in_network
    for member in ("A", "B"):
        left = _oop_left(terms.oop_individual, start.in_network.oop_met(member))
        if left is None:
            continue
        counted = sum(
            line.cost_share
            - (
                sum(p.cents for p in line.parts if p.kind.value == "copay")
                if not terms.copays_count_toward_oop
                else 0
            )
            for line in result.lines
            if line.service.member_id == member and line.service.network is NetworkTier.IN_NETWORK
        )
        assert counted <= left


@settings(max_examples=300, deadline=None)
@given(cases())
def test_a_week_equals_its_services_applied_one_by_one_in_order(
    case: tuple[PlanBenefits, Accumulators, list[Service]],
) -> None:
    plan, start, week = case
    together = apply(week, plan, start)
    carried = start
    one_by_one: list[int] = []
    for service in sorted(week, key=lambda s: s.on):
        step: CostShareResult = apply([service], plan, carried)
        one_by_one += [line.participant_pays for line in step.lines]
        carried = step.accumulators
    assert [line.participant_pays for line in together.lines] == one_by_one
    assert together.accumulators == carried


@settings(max_examples=300, deadline=None)
@given(
    terms(),
    st.sampled_from([2000, 3000, 5000]),
    st.integers(0, 80_000),
    st.integers(0, 80_000),
    st.integers(0, 500_000),
    st.integers(0, 1_500_000),
)
def test_deductible_then_copay_never_costs_less_than_copay_before_deductible(
    plan_terms: BenefitTerms, copay: int, charge: int, allowed: int, met: int, oop_met: int
) -> None:
    # One office visit, the same plan and accumulators, copays counting toward the maximum
    # (the ACA's rule): the deductible first can only add to what the copay alone costs.
    base = replace(plan_terms, copays_count_toward_oop=True)
    service = Service(
        MONDAY, BillingCode.PSYCHOTHERAPY_60, ServiceCategory.INDIVIDUAL_THERAPY, "A", charge, allowed
    )
    start = Accumulators(
        in_network=TierAccumulators(
            {"A": min(met, base.deductible_individual)},
            min(met, base.deductible_individual),
            {"A": oop_met},
            oop_met,
        )
    )

    def pays(rule: CategoryRule) -> int:
        plan = PlanBenefits(in_network=replace(base, rules={ServiceCategory.INDIVIDUAL_THERAPY: rule}))
        [line] = apply([service], plan, start).lines
        assert 0 <= line.participant_pays <= charge
        return line.participant_pays

    assert pays(deductible_then_copay(copay)) >= pays(copay_before_deductible(copay))
