"""The cost-share engine and its money helpers: pure rules, realistic PPO numbers."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from functions.coverage.logic.costshare import (
    COST_SHARE_KINDS,
    Accumulation,
    Accumulators,
    BelowMinimum,
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
    Program,
    Service,
    ServiceCategory,
    TierAccumulators,
    apply,
    billing_lines,
    claim_lines,
    code_session,
    self_pay,
)
from functions.coverage.logic.money import format_percent, format_usd, percent_of, to_cents, to_dollars

Cat = ServiceCategory
Code = BillingCode
IN = NetworkTier.IN_NETWORK
OUT = NetworkTier.OUT_OF_NETWORK
MON = date(2027, 1, 11)  # Monday of 2027-W02

# A typical PPO: office visits are a $30 copay with the deductible waived; program days and
# groups go to the deductible and then 20% coinsurance. Out of network: 40%, higher limits.
OFFICE = CategoryRule(copay=3000, deductible_applies=False, coinsurance_applies=False)
IN_TERMS = BenefitTerms(
    deductible_individual=150000,
    deductible_family=300000,
    coinsurance=Decimal("0.20"),
    oop_individual=500000,
    oop_family=1000000,
    rules={
        Cat.INDIVIDUAL_THERAPY: OFFICE,
        Cat.MEDICATION_MANAGEMENT: OFFICE,
        Cat.COUPLES_THERAPY: CategoryRule(
            copay=3000, deductible_applies=False, coinsurance_applies=False, visit_limit=20
        ),
        Cat.DIGITAL_PLATFORM: CategoryRule(covered=False),
    },
)
OUT_TERMS = BenefitTerms(
    deductible_individual=300000,
    deductible_family=600000,
    coinsurance=Decimal("0.40"),
    oop_individual=1000000,
    oop_family=2000000,
)
PPO = PlanBenefits(in_network=IN_TERMS, out_of_network=OUT_TERMS)
HMO = PlanBenefits(in_network=IN_TERMS)

ALLOWED = {
    Code.PSYCHIATRIC_IOP_PER_DIEM: 45000,
    Code.ALCOHOL_DRUG_IOP_PER_DIEM: 40000,
    Code.PSYCHOTHERAPY_60: 14000,
    Code.PSYCHOTHERAPY_45: 10000,
    Code.PSYCHOTHERAPY_30: 7000,
    Code.FAMILY_PSYCHOTHERAPY: 15000,
    Code.GROUP_PSYCHOTHERAPY: 6000,
    Code.BEHAVIORAL_HEALTH_COUNSELING: 2800,
    Code.ALCOHOL_DRUG_GROUP: 5500,
    Code.OFFICE_VISIT_ESTABLISHED: 11000,
    Code.PSYCHOTHERAPY_ADD_ON_30: 7000,
}
CHARGEMASTER = Chargemaster(
    prices={
        Code.PSYCHIATRIC_IOP_PER_DIEM: 60000,
        Code.ALCOHOL_DRUG_IOP_PER_DIEM: 55000,
        Code.PSYCHOTHERAPY_60: 20000,
        Code.PSYCHOTHERAPY_45: 16000,
        Code.PSYCHOTHERAPY_30: 11000,
        Code.FAMILY_PSYCHOTHERAPY: 20000,
        Code.GROUP_PSYCHOTHERAPY: 8000,
        Code.BEHAVIORAL_HEALTH_COUNSELING: 4000,
        Code.ALCOHOL_DRUG_GROUP: 7500,
        Code.OFFICE_VISIT_ESTABLISHED: 18000,
        Code.PSYCHOTHERAPY_ADD_ON_30: 10000,
    },
    self_pay_prices={Code.PSYCHOTHERAPY_60: 15000, Code.BEHAVIORAL_HEALTH_COUNSELING: 3000},
)
PER_SERVICE = FeeSchedule(payer="Acme PPO", network=IN, allowed=ALLOWED)
PER_DIEM = FeeSchedule(
    payer="Acme PPO",
    network=IN,
    allowed=ALLOWED,
    billing=BillingRule(model=BillingModel.PER_DIEM, per_diem_minimum_hours=Decimal(3)),
)


def svc(
    on: date,
    code: BillingCode = Code.PSYCHIATRIC_IOP_PER_DIEM,
    category: ServiceCategory = Cat.PER_DIEM_IOP,
    charge: int = 60000,
    allowed: int = 45000,
    member: str = "A",
    **kw,
) -> Service:
    return Service(
        on=on, code=code, category=category, member_id=member, charge=charge, allowed=allowed, **kw
    )


def therapy(on: date, member: str = "A", **kw) -> Service:
    return svc(on, Code.PSYCHOTHERAPY_60, Cat.INDIVIDUAL_THERAPY, 20000, 14000, member, **kw)


def met(
    deductible: dict[str, int] | None = None,
    oop: dict[str, int] | None = None,
    family_deductible: int | None = None,
    family_oop: int | None = None,
) -> TierAccumulators:
    deductible, oop = deductible or {}, oop or {}
    return TierAccumulators(
        individual_deductible=deductible,
        family_deductible=sum(deductible.values()) if family_deductible is None else family_deductible,
        individual_oop=oop,
        family_oop=sum(oop.values()) if family_oop is None else family_oop,
    )


def parts(line: LineItem) -> list[tuple[PartKind, int, str]]:
    return [(p.kind, p.cents, p.reason) for p in line.parts]


# --- money ----------------------------------------------------------------------------------


def test_money_is_formatted_parsed_and_rounded_exactly():
    assert format_usd(123456) == "$1,234.56"
    assert format_usd(5) == "$0.05"
    assert format_usd(-100) == "-$1.00"
    assert to_cents("$1,234.56") == 123456
    assert to_cents(Decimal("75.5")) == 7550
    assert to_cents(30) == 3000
    assert to_dollars(12345) == Decimal("123.45")
    assert percent_of(12000, Decimal("0.20")) == 2400
    assert percent_of(100, Decimal("0.125")) == 13  # 12.5 cents rounds half up
    assert percent_of(5, Decimal("0.10")) == 1
    assert percent_of(4, Decimal("0.10")) == 0
    assert format_percent(Decimal("0.20")) == "20%"
    assert format_percent(Decimal("0.125")) == "12.5%"


@pytest.mark.parametrize("bad", ["1.005", "abc", "NaN"])
def test_money_refuses_fractions_of_a_cent_and_nonsense(bad):
    with pytest.raises(ValueError, match="not"):
        to_cents(bad)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        to_cents(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="coinsurance"):
        BenefitTerms(coinsurance=0.2)  # type: ignore[arg-type]


# --- deductible, coinsurance, out-of-pocket maximum -----------------------------------------


def test_deductible_is_crossed_mid_service_then_coinsurance_applies():
    # Given $1,400.00 of the $1,500.00 deductible already met
    start = Accumulators(in_network=met(deductible={"A": 140000}, oop={"A": 140000}))

    # When two program days are shared
    result = apply([svc(MON), svc(MON + timedelta(days=1))], PPO, start)

    # Then the first pays the last $100.00 of deductible and 20% of the rest, the second only 20%
    first, second = result.lines
    assert parts(first) == [
        (PartKind.DEDUCTIBLE, 10000, "$100.00 toward the remaining deductible (deductible now met)"),
        (PartKind.COINSURANCE, 7000, "20% coinsurance on $350.00"),
    ]
    assert (first.allowed, first.plan_pays, first.participant_pays, first.adjustment) == (
        45000,
        28000,
        17000,
        15000,
    )
    assert parts(second) == [(PartKind.COINSURANCE, 9000, "20% coinsurance on $450.00")]
    assert second.plan_pays == 36000
    acc = result.accumulators.in_network
    assert (acc.deductible_met("A"), acc.family_deductible) == (150000, 150000)
    assert (acc.oop_met("A"), acc.family_oop) == (140000 + 17000 + 9000,) * 2
    assert result.totals.participant_pays == 26000
    assert result.totals.plan_pays == 64000


def test_partial_deductible_reads_toward_the_remaining_deductible():
    result = apply([svc(MON, allowed=7500, charge=9000, category=Cat.GROUP_THERAPY)], PPO)

    assert parts(result.lines[0]) == [(PartKind.DEDUCTIBLE, 7500, "$75.00 toward the remaining deductible")]
    assert result.lines[0].plan_pays == 0


def test_out_of_pocket_maximum_is_reached_mid_service_and_then_everything_is_covered():
    # Given the deductible met and $4,950.00 of the $5,000.00 out-of-pocket maximum
    start = Accumulators(in_network=met(deductible={"A": 150000}, oop={"A": 495000}))

    # When a program day, another, and a copay visit follow
    result = apply([svc(MON), svc(MON + timedelta(days=1)), therapy(MON + timedelta(days=2))], PPO, start)

    # Then the first day's coinsurance stops at the $50.00 left; afterwards the participant pays $0
    first, second, visit = result.lines
    assert parts(first) == [
        (
            PartKind.COINSURANCE,
            5000,
            "20% coinsurance on $450.00, limited to the $50.00 left before the out-of-pocket maximum",
        ),
        (PartKind.OUT_OF_POCKET_MAXIMUM, 0, "out-of-pocket maximum reached"),
    ]
    assert first.plan_pays == 40000
    for line in (second, visit):
        assert line.participant_pays == 0
        assert line.plan_pays == line.allowed
        assert parts(line) == [(PartKind.OUT_OF_POCKET_MAXIMUM, 0, "out-of-pocket maximum reached")]
    assert result.accumulators.in_network.oop_met("A") == 500000


def test_family_out_of_pocket_maximum_binds_before_the_individual_one():
    # Given the family $50.00 short of its $10,000.00 maximum while A has met only $3,000.00
    start = Accumulators(
        in_network=met(
            deductible={"A": 150000}, oop={"A": 300000}, family_deductible=300000, family_oop=995000
        )
    )

    line = apply([svc(MON)], PPO, start).lines[0]

    assert line.participant_pays == 5000
    assert parts(line)[-1] == (PartKind.OUT_OF_POCKET_MAXIMUM, 0, "family out-of-pocket maximum reached")
    assert "before the family out-of-pocket maximum" in line.parts[0].reason


def test_copay_visit_waives_the_deductible():
    result = apply([therapy(MON)], PPO)

    line = result.lines[0]
    assert parts(line) == [(PartKind.COPAY, 3000, "$30.00 copay")]
    assert (line.allowed, line.plan_pays, line.adjustment) == (14000, 11000, 6000)
    assert result.accumulators.in_network.deductible_met("A") == 0
    assert result.accumulators.in_network.oop_met("A") == 3000  # copays count under the ACA


def test_copays_outside_the_maximum_keep_being_charged_when_the_plan_says_so():
    terms = BenefitTerms(
        coinsurance=Decimal("0.20"),
        oop_individual=100000,
        copays_count_toward_oop=False,
        rules={Cat.INDIVIDUAL_THERAPY: OFFICE},
    )
    start = Accumulators(in_network=met(oop={"A": 100000}))

    result = apply([therapy(MON)], PlanBenefits(in_network=terms), start)

    assert parts(result.lines[0]) == [(PartKind.COPAY, 3000, "$30.00 copay")]
    assert result.accumulators.in_network.oop_met("A") == 100000


def test_allowed_above_the_charge_is_limited_to_the_charge():
    line = apply([svc(MON, charge=40000, allowed=45000)], PPO).lines[0]

    assert line.allowed == 40000
    assert line.participant_pays == 40000  # all toward the deductible
    assert line.adjustment == 0


# --- networks -------------------------------------------------------------------------------


def test_out_of_network_balance_billing_counts_toward_nothing():
    # Given the out-of-network deductible met and an out-of-network therapist whose charge
    # is $80.00 above what the plan allows
    start = Accumulators(out_of_network=met(deductible={"A": 300000}))
    visit = svc(MON, Code.PSYCHOTHERAPY_60, Cat.GROUP_THERAPY, charge=20000, allowed=12000, network=OUT)

    # When it is shared
    result = apply([visit], PPO, start)

    # Then the participant owes 40% of the allowed amount and the balance bill, and only the
    # coinsurance fills the out-of-network maximum; in-network accumulators are untouched
    line = result.lines[0]
    assert parts(line) == [
        (PartKind.COINSURANCE, 4800, "40% coinsurance on $120.00"),
        (PartKind.BALANCE_BILLING, 8000, "$80.00 above the plan's allowed amount (balance billing)"),
    ]
    assert (line.plan_pays, line.participant_pays, line.balance_billed, line.adjustment) == (
        7200,
        12800,
        8000,
        0,
    )
    assert result.accumulators.out_of_network.oop_met("A") == 4800
    assert result.accumulators.out_of_network.deductible_met("A") == 300000
    assert result.accumulators.in_network == TierAccumulators()
    assert result.totals.balance_billed == 8000


def test_out_of_network_is_still_balance_billed_after_the_maximum():
    start = Accumulators(out_of_network=met(deductible={"A": 300000}, oop={"A": 1000000}))

    line = apply([svc(MON, network=OUT, charge=60000, allowed=40000)], PPO, start).lines[0]

    assert line.plan_pays == 40000
    assert line.participant_pays == 20000
    assert [p.kind for p in line.parts] == [PartKind.OUT_OF_POCKET_MAXIMUM, PartKind.BALANCE_BILLING]


def test_combined_accumulation_lets_out_of_network_spending_fill_one_pool():
    plan = PlanBenefits(in_network=IN_TERMS, out_of_network=OUT_TERMS, accumulation=Accumulation.COMBINED)

    result = apply([svc(MON, network=OUT, charge=45000), svc(MON + timedelta(days=1))], plan)

    out_line, in_line = result.lines
    assert out_line.participant_pays == 45000  # toward the shared deductible
    assert parts(in_line)[0] == (PartKind.DEDUCTIBLE, 45000, "$450.00 toward the remaining deductible")
    assert result.accumulators.in_network.deductible_met("A") == 90000
    assert result.accumulators.out_of_network == TierAccumulators()


def test_hmo_does_not_cover_out_of_network():
    result = apply([svc(MON, network=OUT)], HMO)

    assert parts(result.lines[0]) == [
        (PartKind.NOT_COVERED, 60000, "out-of-network services are not covered by the plan")
    ]
    assert result.accumulators == Accumulators()


# --- family, visits, coverage ---------------------------------------------------------------


def test_family_deductible_is_met_across_partners_with_embedded_individual_deductibles():
    # Given a family plan (individual $1,500.00 embedded in family $3,000.00) where the
    # couple's child has met $800.00
    start = Accumulators(in_network=met(deductible={"C": 80000}, oop={"C": 80000}))
    days = [MON + timedelta(days=i) for i in range(7)]

    # When partner A has four program days, then partner B three
    services = [svc(d, member="A") for d in days[:4]] + [svc(d, member="B") for d in days[4:]]
    result = apply(services, PPO, start)

    # Then A meets the individual deductible on day four, and B's second day meets the family's
    deductibles = [sum(p.cents for p in line.parts if p.kind is PartKind.DEDUCTIBLE) for line in result.lines]
    assert deductibles == [45000, 45000, 45000, 15000, 45000, 25000, 0]
    assert result.lines[3].parts[0].reason == "$150.00 toward the remaining deductible (deductible now met)"
    assert parts(result.lines[5]) == [
        (
            PartKind.DEDUCTIBLE,
            25000,
            "$250.00 toward the remaining family deductible (family deductible now met)",
        ),
        (PartKind.COINSURANCE, 4000, "20% coinsurance on $200.00"),
    ]
    # And B's own deductible is satisfied by the family's although B paid only $700.00
    assert parts(result.lines[6]) == [(PartKind.COINSURANCE, 9000, "20% coinsurance on $450.00")]
    acc = result.accumulators.in_network
    assert (acc.deductible_met("A"), acc.deductible_met("B"), acc.family_deductible) == (
        150000,
        70000,
        300000,
    )
    assert start.in_network.individual_deductible == {"C": 80000}  # the input is untouched


def test_visit_limit_denies_the_visit_after_the_twentieth():
    # Given 19 of 20 covered couples visits used
    start = Accumulators(visits={"A": {Cat.COUPLES_THERAPY: 19}})
    couples = [
        svc(MON + timedelta(days=i), Code.FAMILY_PSYCHOTHERAPY, Cat.COUPLES_THERAPY, 20000, 15000)
        for i in (0, 7)
    ]

    result = apply(couples, PPO, start)

    twentieth, twenty_first = result.lines
    assert parts(twentieth) == [(PartKind.COPAY, 3000, "$30.00 copay")]
    assert parts(twenty_first) == [(PartKind.VISIT_LIMIT, 20000, "visit limit of 20 reached")]
    assert (twenty_first.plan_pays, twenty_first.allowed, twenty_first.covered) == (0, 0, False)
    assert result.accumulators.visits_used("A", Cat.COUPLES_THERAPY) == 20
    assert result.accumulators.in_network.oop_met("A") == 3000


def test_add_on_follows_its_visit_past_the_visit_limit():
    terms = BenefitTerms(rules={Cat.MEDICATION_MANAGEMENT: CategoryRule(copay=3000, visit_limit=1)})
    lines = [
        svc(d, code, Cat.MEDICATION_MANAGEMENT, 10000, 8000, add_on=add_on)
        for d in (MON, MON + timedelta(days=28))
        for code, add_on in ((Code.OFFICE_VISIT_ESTABLISHED, False), (Code.PSYCHOTHERAPY_ADD_ON_30, True))
    ]

    result = apply(lines, PlanBenefits(in_network=terms))

    assert [line.covered for line in result.lines] == [True, True, False, False]
    assert result.accumulators.visits_used("A", Cat.MEDICATION_MANAGEMENT) == 1


@pytest.mark.parametrize(
    "service",
    [
        svc(MON, Code.PSYCHOTHERAPY_60, Cat.DIGITAL_PLATFORM, 5000, 0),
        svc(MON, covered=False),
    ],
)
def test_non_covered_service_is_the_participants_in_full(service):
    result = apply([service], PPO)

    line = result.lines[0]
    assert parts(line) == [(PartKind.NOT_COVERED, service.charge, "not covered by the plan")]
    assert (line.allowed, line.plan_pays, line.participant_pays) == (0, 0, service.charge)
    assert result.accumulators == Accumulators()


def test_services_are_shared_in_date_order_whatever_the_input_order():
    # Given five program days listed newest first
    services = [svc(MON + timedelta(days=i)) for i in range(5)]

    forwards = apply(services, PPO)
    backwards = apply(list(reversed(services)), PPO)

    # Then the deductible goes to the earliest days either way
    assert forwards == backwards
    assert [line.service.on for line in backwards.lines] == [s.on for s in services]
    assert backwards.lines[0].participant_pays == 45000


def test_same_day_services_keep_their_input_order():
    group = svc(MON, allowed=10000, charge=10000, category=Cat.GROUP_THERAPY)
    day = svc(MON)

    first = apply([day, group], PPO)
    assert [line.service for line in first.lines] == [day, group]


def test_weekly_totals():
    result = apply([svc(MON), svc(MON + timedelta(days=7)), svc(MON + timedelta(days=8))], PPO)

    weekly = result.weekly_totals()
    assert list(weekly) == ["2027-W02", "2027-W03"]
    assert weekly["2027-W02"].participant_pays == 45000
    assert weekly["2027-W03"].allowed == 90000
    assert sum(t.plan_pays for t in weekly.values()) == result.totals.plan_pays


# --- coding: per service, per diem, self-pay ------------------------------------------------


def session(day: date, category: ServiceCategory, minutes: int, member: str = "A", **kw) -> DaySession:
    return DaySession(on=day, category=category, minutes=minutes, member_id=member, **kw)


@pytest.mark.parametrize(
    ("category", "minutes", "codes"),
    [
        (Cat.INDIVIDUAL_THERAPY, 15, []),
        (Cat.INDIVIDUAL_THERAPY, 16, [(Code.PSYCHOTHERAPY_30, 1, False)]),
        (Cat.INDIVIDUAL_THERAPY, 37, [(Code.PSYCHOTHERAPY_30, 1, False)]),
        (Cat.INDIVIDUAL_THERAPY, 38, [(Code.PSYCHOTHERAPY_45, 1, False)]),
        (Cat.INDIVIDUAL_THERAPY, 52, [(Code.PSYCHOTHERAPY_45, 1, False)]),
        (Cat.INDIVIDUAL_THERAPY, 53, [(Code.PSYCHOTHERAPY_60, 1, False)]),
        (Cat.COUPLES_THERAPY, 25, []),
        (Cat.COUPLES_THERAPY, 50, [(Code.FAMILY_PSYCHOTHERAPY, 1, False)]),
        (Cat.GROUP_THERAPY, 90, [(Code.GROUP_PSYCHOTHERAPY, 1, False)]),
        (Cat.SUBSTANCE_USE_COUNSELING, 7, []),
        (Cat.SUBSTANCE_USE_COUNSELING, 8, [(Code.BEHAVIORAL_HEALTH_COUNSELING, 1, False)]),
        (Cat.SUBSTANCE_USE_COUNSELING, 50, [(Code.BEHAVIORAL_HEALTH_COUNSELING, 3, False)]),
        (Cat.SUBSTANCE_USE_COUNSELING, 53, [(Code.BEHAVIORAL_HEALTH_COUNSELING, 4, False)]),
        (Cat.SUBSTANCE_USE_GROUP, 90, [(Code.ALCOHOL_DRUG_GROUP, 1, False)]),
        (
            Cat.MEDICATION_MANAGEMENT,
            30,
            [(Code.OFFICE_VISIT_ESTABLISHED, 1, False), (Code.PSYCHOTHERAPY_ADD_ON_30, 1, True)],
        ),
        (Cat.MEDICAL_CONSULTATION, 30, [(Code.OFFICE_VISIT_ESTABLISHED, 1, False)]),
        (Cat.SOBER_ACTIVITY, 120, []),
        (Cat.DIGITAL_PLATFORM, 20, []),
    ],
)
def test_sessions_are_coded_per_service(category, minutes, codes):
    assert code_session(session(MON, category, minutes)) == codes


def test_h0004_is_priced_per_unit():
    services = claim_lines([session(MON, Cat.SUBSTANCE_USE_COUNSELING, 50)], PER_SERVICE, CHARGEMASTER)

    assert services == [
        Service(
            on=MON,
            code=Code.BEHAVIORAL_HEALTH_COUNSELING,
            category=Cat.SUBSTANCE_USE_COUNSELING,
            member_id="A",
            charge=12000,
            allowed=8400,
            units=3,
        )
    ]


def test_medication_management_is_two_lines_and_one_copay():
    # Given a medication-management visit billed per service
    services = claim_lines([session(MON, Cat.MEDICATION_MANAGEMENT, 30)], PER_SERVICE, CHARGEMASTER)

    # When it is shared
    result = apply(services, PPO)

    # Then 99214 carries the $30.00 copay and the 90833 add-on is the plan's
    em, add_on = result.lines
    assert (em.service.code, add_on.service.code) == (
        Code.OFFICE_VISIT_ESTABLISHED,
        Code.PSYCHOTHERAPY_ADD_ON_30,
    )
    assert parts(em) == [(PartKind.COPAY, 3000, "$30.00 copay")]
    assert (add_on.participant_pays, add_on.plan_pays) == (0, 7000)
    assert result.accumulators.visits_used("A", Cat.MEDICATION_MANAGEMENT) == 1


def test_couples_session_is_billed_once_under_the_identified_patient():
    # Given the couples session on both partners' calendars, billed to the identified patient A
    sessions = [session(MON, Cat.COUPLES_THERAPY, 50, member="A", session_id="ses_1") for _ in range(2)]

    services = claim_lines(sessions, PER_SERVICE, CHARGEMASTER)

    assert [(s.code, s.member_id) for s in services] == [(Code.FAMILY_PSYCHOTHERAPY, "A")]


def test_per_diem_day_at_or_above_the_minimum_is_one_line_with_carve_outs_beside_it():
    # Given a day of two groups and an individual session (3 h 20 min) plus medication management
    day = [
        session(MON, Cat.GROUP_THERAPY, 90),
        session(MON, Cat.GROUP_THERAPY, 60),
        session(MON, Cat.INDIVIDUAL_THERAPY, 50),
        session(MON, Cat.MEDICATION_MANAGEMENT, 30),
        session(MON, Cat.SOBER_ACTIVITY, 120),
    ]

    services = claim_lines(day, PER_DIEM, CHARGEMASTER)

    assert [(s.code, s.category, s.charge, s.allowed) for s in services] == [
        (Code.PSYCHIATRIC_IOP_PER_DIEM, Cat.PER_DIEM_IOP, 60000, 45000),
        (Code.OFFICE_VISIT_ESTABLISHED, Cat.MEDICATION_MANAGEMENT, 18000, 11000),
        (Code.PSYCHOTHERAPY_ADD_ON_30, Cat.MEDICATION_MANAGEMENT, 10000, 7000),
    ]


def test_per_diem_for_a_substance_use_program_is_h0015():
    day = [session(MON, Cat.SUBSTANCE_USE_GROUP, 120), session(MON, Cat.SUBSTANCE_USE_COUNSELING, 60)]

    services = claim_lines(day, PER_DIEM, CHARGEMASTER, program=Program.SUBSTANCE_USE)

    assert [(s.code, s.allowed) for s in services] == [(Code.ALCOHOL_DRUG_IOP_PER_DIEM, 40000)]


def test_per_diem_day_below_the_minimum_is_billed_per_service_or_not_at_all():
    # Given 2 h 10 min attended: a no-show group and a sober activity do not count toward the day
    day = [
        session(MON, Cat.GROUP_THERAPY, 90),
        session(MON, Cat.GROUP_THERAPY, 90, attended=False),
        session(MON, Cat.INDIVIDUAL_THERAPY, 40),
        session(MON, Cat.SOBER_ACTIVITY, 120),
    ]

    per_service = claim_lines(day, PER_DIEM, CHARGEMASTER)
    not_billed = billing_lines(
        day, BillingRule(model=BillingModel.PER_DIEM, below_minimum=BelowMinimum.NOT_BILLED)
    )

    assert [s.code for s in per_service] == [Code.GROUP_PSYCHOTHERAPY, Code.PSYCHOTHERAPY_45]
    assert not_billed == []


def test_per_diem_is_counted_per_member_and_day():
    week = [session(MON + timedelta(days=d), Cat.GROUP_THERAPY, 180, member=m) for d in (0, 1) for m in "AB"]

    services = claim_lines(week, PER_DIEM, CHARGEMASTER)

    assert [(s.on, s.member_id, s.code) for s in services] == [
        (MON + timedelta(days=d), m, Code.PSYCHIATRIC_IOP_PER_DIEM) for d in (0, 1) for m in "AB"
    ]


def test_code_missing_from_the_fee_schedule_is_not_covered():
    narrow = FeeSchedule(payer="Narrow", network=IN, allowed={Code.PSYCHOTHERAPY_60: 14000})

    services = claim_lines([session(MON, Cat.GROUP_THERAPY, 90)], narrow, CHARGEMASTER)
    line = apply(services, PPO).lines[0]

    assert services[0].covered is False
    assert parts(line) == [(PartKind.NOT_COVERED, 8000, "not covered by the plan")]


def test_chargemaster_without_a_price_is_an_error():
    with pytest.raises(ValueError, match="no price"):
        claim_lines([session(MON, Cat.GROUP_THERAPY, 90)], PER_SERVICE, Chargemaster(prices={}))


def test_self_pay_uses_the_chargemaster_cash_prices():
    sessions = [
        session(MON, Cat.INDIVIDUAL_THERAPY, 55),
        session(MON, Cat.SUBSTANCE_USE_COUNSELING, 45),
        session(MON, Cat.GROUP_THERAPY, 90),
    ]

    result = self_pay(sessions, CHARGEMASTER)

    assert [parts(line) for line in result.lines] == [
        [(PartKind.SELF_PAY, 15000, "self-pay rate for 90837")],
        [(PartKind.SELF_PAY, 9000, "self-pay rate for H0004: 3 units at $30.00")],
        [(PartKind.SELF_PAY, 8000, "self-pay rate for 90853")],  # no cash price: the gross charge
    ]
    assert result.totals.participant_pays == 32000
    assert result.totals.plan_pays == 0


# --- invariants over random sequences -------------------------------------------------------


def _random_terms(rng: random.Random) -> BenefitTerms:
    deductible = rng.choice([0, 50000, 150000, 300000])
    oop = rng.choice([None, deductible + rng.randint(0, 400000)])

    def rule() -> CategoryRule:
        return CategoryRule(
            copay=rng.choice([0, 0, 2500, 3000, 5000]),
            deductible_applies=rng.random() < 0.7,
            coinsurance_applies=rng.random() < 0.8,
            visit_limit=rng.choice([None, None, 2, 5]),
            covered=rng.random() < 0.95,
        )

    return BenefitTerms(
        deductible_individual=deductible,
        deductible_family=rng.choice([None, deductible * 2, deductible + rng.randint(0, deductible)]),
        coinsurance=Decimal(rng.choice(["0", "0.1", "0.2", "0.3", "0.4", "0.125", "1"])),
        oop_individual=oop,
        oop_family=None if oop is None else rng.choice([None, oop * 2, oop + rng.randint(0, oop)]),
        copays_count_toward_oop=rng.random() < 0.8,
        default_rule=rule(),
        rules={c: rule() for c in rng.sample(list(Cat), 4)},
    )


def _random_services(rng: random.Random) -> list[Service]:
    services = []
    for _ in range(rng.randint(1, 40)):
        charge = rng.choice([0, rng.randint(1, 100000)])
        services.append(
            Service(
                on=MON + timedelta(days=rng.randint(0, 60)),
                code=rng.choice(list(Code)),
                category=rng.choice(list(Cat)),
                member_id=rng.choice("ABC"),
                charge=charge,
                allowed=rng.randint(0, charge * 6 // 5),
                network=rng.choice([IN, IN, OUT]),
                covered=rng.random() < 0.95,
                add_on=rng.random() < 0.1,
            )
        )
    return services


def _starting_pool(rng: random.Random, terms: BenefitTerms) -> TierAccumulators:
    def some(limit: int | None) -> int:
        return rng.randint(0, limit if limit is not None else 200000) // 2

    deductible = {m: some(terms.deductible_individual) for m in "AB"}
    oop = {m: some(terms.oop_individual) for m in "AB"}
    return TierAccumulators(
        individual_deductible=deductible,
        family_deductible=sum(deductible.values()),
        individual_oop=oop,
        family_oop=sum(oop.values()),
    )


def _check_invariants(services: list[Service], plan: PlanBenefits, start: Accumulators) -> None:
    result = apply(services, plan, start)

    assert len(result.lines) == len(services)
    assert [line.service.on for line in result.lines] == sorted(s.on for s in services)
    assert result == apply(sorted(services, key=lambda s: s.on), plan, start)

    credited: dict[NetworkTier, dict[str, dict[str, int]]] = {t: {"ded": {}, "oop": {}} for t in NetworkTier}
    for line in result.lines:
        s = line.service
        assert all(p.cents >= 0 for p in line.parts)
        assert min(line.allowed, line.plan_pays, line.participant_pays, line.adjustment) >= 0
        assert sum(p.cents for p in line.parts) == line.participant_pays
        assert line.plan_pays + line.participant_pays + line.adjustment == s.charge
        if not line.covered:
            assert (line.allowed, line.plan_pays, line.participant_pays) == (0, 0, s.charge)
            continue
        terms = plan.terms(s.network)
        assert terms is not None
        assert line.allowed == min(s.allowed, s.charge)
        assert line.plan_pays + line.cost_share == line.allowed
        if s.network is OUT:
            assert line.balance_billed == s.charge - line.allowed
        else:
            assert line.balance_billed == 0
            assert line.adjustment == s.charge - line.allowed
        pool = credited[plan.pool(s.network)]
        for p in line.parts:
            if p.kind is PartKind.DEDUCTIBLE:
                pool["ded"][s.member_id] = pool["ded"].get(s.member_id, 0) + p.cents
            if p.kind in COST_SHARE_KINDS and (p.kind is not PartKind.COPAY or terms.copays_count_toward_oop):
                pool["oop"][s.member_id] = pool["oop"].get(s.member_id, 0) + p.cents

    for tier in NetworkTier:
        before, after = start.tier(tier), result.accumulators.tier(tier)
        ded, oop = credited[tier]["ded"], credited[tier]["oop"]
        assert after.family_deductible - before.family_deductible == sum(ded.values())
        assert after.family_oop - before.family_oop == sum(oop.values())
        for member in "ABC":
            assert after.deductible_met(member) - before.deductible_met(member) == ded.get(member, 0)
            assert after.oop_met(member) - before.oop_met(member) == oop.get(member, 0)
        if plan.accumulation is Accumulation.COMBINED:
            continue
        terms = plan.terms(tier)
        if terms is None:
            continue
        for member in "ABC":
            assert after.deductible_met(member) <= max(
                terms.deductible_individual, before.deductible_met(member)
            )
            if terms.oop_individual is not None:
                assert after.oop_met(member) <= max(terms.oop_individual, before.oop_met(member))
        if terms.deductible_family is not None:
            assert after.family_deductible <= max(terms.deductible_family, before.family_deductible)
        if terms.oop_family is not None:
            assert after.family_oop <= max(terms.oop_family, before.family_oop)

    for member, categories in result.accumulators.visits.items():
        for category, used in categories.items():
            limit = plan.in_network.rule(category).visit_limit
            if limit is not None and plan.out_of_network is None:
                assert used <= max(limit, start.visits_used(member, category))

    total = result.totals
    assert total.participant_pays == sum(line.participant_pays for line in result.lines)
    assert total.plan_pays + total.participant_pays <= total.charge


def test_invariants_hold_for_random_service_sequences():
    rng = random.Random(20270111)
    for _ in range(500):
        in_terms = _random_terms(rng)
        out_terms = _random_terms(rng) if rng.random() < 0.7 else None
        plan = PlanBenefits(
            in_network=in_terms,
            out_of_network=out_terms,
            accumulation=rng.choice([Accumulation.SEPARATE] * 3 + [Accumulation.COMBINED]),
        )
        start = Accumulators(
            in_network=_starting_pool(rng, in_terms),
            out_of_network=_starting_pool(rng, out_terms or in_terms),
        )
        _check_invariants(_random_services(rng), plan, start)


def test_distinct_dates_make_input_order_irrelevant():
    rng = random.Random(7)
    for _ in range(100):
        plan = PlanBenefits(in_network=_random_terms(rng), out_of_network=_random_terms(rng))
        services = _random_services(rng)
        days = rng.sample(range(365), len(services))
        services = [replace(s, on=MON + timedelta(days=d)) for s, d in zip(services, days, strict=True)]
        shuffled = services[:]
        rng.shuffle(shuffled)
        assert apply(shuffled, plan) == apply(services, plan)
