"""The cost-share engine against a table of hand-computed scenarios. Each row names the plan,
what was already met, the services in order, and what the participant pays per line, worked
out by hand (the arithmetic is in the row's comment).

Plan used unless a row says otherwise (a typical PPO), amounts in cents:
- in network: deductible $1,000 individual / $2,000 family, 20% coinsurance, out-of-pocket
  maximum $3,000 / $6,000; office visits (individual therapy, medication management) a $30
  copay with the deductible waived; groups and per-diem days: deductible, then coinsurance.
- out of network: deductible $2,000 / $4,000, 40% coinsurance, maximum $6,000 / $12,000.
- allowed amounts: 90837 $150 (charge $250), 90853 $50 (charge $95), S9480 $300 (charge $650).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.coverage.logic.costshare import (
    Accumulators,
    BenefitTerms,
    BillingCode,
    CategoryRule,
    NetworkTier,
    PlanBenefits,
    Service,
    ServiceCategory,
    TierAccumulators,
    apply,
)

Cat = ServiceCategory
Code = BillingCode
DAY = date(2027, 2, 1)
OFFICE = CategoryRule(copay=3000, deductible_applies=False, coinsurance_applies=False)
IN_TERMS = BenefitTerms(
    deductible_individual=100000,
    deductible_family=200000,
    coinsurance=Decimal("0.20"),
    oop_individual=300000,
    oop_family=600000,
    rules={Cat.INDIVIDUAL_THERAPY: OFFICE, Cat.MEDICATION_MANAGEMENT: OFFICE},
)
OUT_TERMS = BenefitTerms(
    deductible_individual=200000,
    deductible_family=400000,
    coinsurance=Decimal("0.40"),
    oop_individual=600000,
    oop_family=1200000,
)
PPO = PlanBenefits(in_network=IN_TERMS, out_of_network=OUT_TERMS)


def therapy(member: str = "A", **changes: Any) -> Service:
    base = Service(DAY, Code.PSYCHOTHERAPY_60, Cat.INDIVIDUAL_THERAPY, member, charge=25000, allowed=15000)
    return replace(base, **changes)


def group(member: str = "A", **changes: Any) -> Service:
    base = Service(DAY, Code.GROUP_PSYCHOTHERAPY, Cat.GROUP_THERAPY, member, charge=9500, allowed=5000)
    return replace(base, **changes)


def per_diem(**changes: Any) -> Service:
    base = Service(DAY, Code.PSYCHIATRIC_IOP_PER_DIEM, Cat.PER_DIEM_IOP, "A", charge=65000, allowed=30000)
    return replace(base, **changes)


@dataclass(frozen=True)
class Met:
    """What was met before the first service (in network unless `out`)."""

    deductible: dict[str, int] = field(default_factory=dict)
    family_deductible: int = 0
    oop: dict[str, int] = field(default_factory=dict)
    family_oop: int = 0
    out: bool = False

    def accumulators(self) -> Accumulators:
        tier = TierAccumulators(
            individual_deductible=self.deductible,
            family_deductible=max(self.family_deductible, sum(self.deductible.values())),
            individual_oop=self.oop,
            family_oop=max(self.family_oop, sum(self.oop.values())),
        )
        return Accumulators(out_of_network=tier) if self.out else Accumulators(in_network=tier)


@dataclass(frozen=True)
class Row:
    name: str
    services: list[Service]
    pays: list[int]
    met: Met = Met()
    plan: PlanBenefits = PPO


SCENARIOS = [
    Row("office copay, deductible waived", [therapy()], [3000]),
    Row("group: all toward an untouched deductible", [group()], [5000]),
    Row("group: deductible met, 20% of $50", [group()], [1000], Met({"A": 100000})),
    # $20 left: $20 deductible + 20% of $30 = $26
    Row("group crosses the deductible mid-service", [group()], [2600], Met({"A": 98000})),
    # $70 left: $50, then $20 + 20% of $30
    Row("two groups cross the deductible in order", [group(), group()], [5000, 2600], Met({"A": 93000})),
    Row("copay capped by the $10 left of the maximum", [therapy()], [1000], Met({"A": 0}, oop={"A": 299000})),
    Row("out-of-pocket maximum met: nothing more", [group()], [0], Met({"A": 100000}, oop={"A": 300000})),
    # deductible met; 20% = $10, only $5 left before the maximum
    Row("coinsurance capped by the maximum", [group()], [500], Met({"A": 100000}, oop={"A": 299500})),
    Row(
        "family deductible met by the partner: coinsurance",
        [group("B")],
        [1000],
        Met({"A": 100000, "B": 0}, 200000),
    ),
    # B's own $1,000 untouched but the family has $10 left: $10 + 20% of $40
    Row("family deductible binds first", [group("B")], [1800], Met({"A": 99000, "B": 0}, 199000)),
    Row(
        "family maximum caps a copay",
        [therapy("B")],
        [800],
        Met({"A": 0, "B": 0}, oop={"A": 599200}, family_oop=599200),
    ),
    # out of network, allowed $40: all toward the $2,000 deductible, plus $55 above allowed
    Row(
        "out of network: deductible and balance billing",
        [group(network=NetworkTier.OUT_OF_NETWORK, allowed=4000)],
        [9500],
    ),
    # 40% of $40 = $16, plus $55 balance
    Row(
        "out of network, deductible met: 40% and balance",
        [group(network=NetworkTier.OUT_OF_NETWORK, allowed=4000)],
        [7100],
        Met({"A": 200000}, out=True),
    ),
    Row(
        "out of network past the maximum: the balance is still owed",
        [group(network=NetworkTier.OUT_OF_NETWORK, allowed=4000)],
        [5500],
        Met({"A": 200000}, oop={"A": 600000}, out=True),
    ),
    Row("not covered: the whole charge", [group(covered=False)], [9500]),
    Row(
        "visit limit reached on the third visit",
        [therapy(), therapy(on=DAY + timedelta(days=1)), therapy(on=DAY + timedelta(days=2))],
        [3000, 3000, 25000],
        plan=replace(
            PPO, in_network=replace(IN_TERMS, rules={Cat.INDIVIDUAL_THERAPY: replace(OFFICE, visit_limit=2)})
        ),
    ),
    Row("copay above the allowed amount is limited to it", [therapy(allowed=2000)], [2000]),
    Row("coinsurance on $42.75 rounds to $8.55", [group(allowed=4275)], [855], Met({"A": 100000})),
    # 12.5% of $1.00 = 12.5 cents, rounded half up
    Row(
        "coinsurance rounds half up to the cent",
        [group(allowed=100, charge=100)],
        [13],
        Met({"A": 100000}),
        replace(PPO, in_network=replace(IN_TERMS, coinsurance=Decimal("0.125"))),
    ),
    Row(
        "medication management: one copay, the add-on free",
        [
            Service(DAY, Code.OFFICE_VISIT_ESTABLISHED, Cat.MEDICATION_MANAGEMENT, "A", 22000, 12840),
            Service(
                DAY, Code.PSYCHOTHERAPY_ADD_ON_30, Cat.MEDICATION_MANAGEMENT, "A", 11000, 6890, add_on=True
            ),
        ],
        [3000, 0],
    ),
    Row(
        "counseling units: one copay for four units",
        [
            Service(
                DAY,
                Code.BEHAVIORAL_HEALTH_COUNSELING,
                Cat.SUBSTANCE_USE_COUNSELING,
                "A",
                18000,
                10000,
                units=4,
            )
        ],
        [3000],
        plan=replace(
            PPO, in_network=replace(IN_TERMS, rules={**IN_TERMS.rules, Cat.SUBSTANCE_USE_COUNSELING: OFFICE})
        ),
    ),
    Row("per diem day toward the deductible", [per_diem()], [30000]),
    # $100 left: $100 + 20% of $200
    Row("per diem day crosses the deductible", [per_diem()], [14000], Met({"A": 90000})),
    # $40 deductible + 20% of $10 = $42, within the $45 left
    Row(
        "deductible and coinsurance under the maximum",
        [group()],
        [4200],
        Met({"A": 96000}, oop={"A": 295500}),
    ),
    # $40 deductible fits the $41 left; coinsurance stops at $1
    Row("the maximum stops the coinsurance", [group()], [4100], Met({"A": 96000}, oop={"A": 295900})),
    # the family (with others on the plan) has $20 left, B $500: B pays $20 + 20% of $30
    Row(
        "second partner finishes the family deductible",
        [group("B")],
        [2600],
        Met({"A": 99000, "B": 50000}, 198000),
    ),
    Row(
        "individual-only plan: no family deductible",
        [group("B")],
        [5000],
        Met({"A": 100000}),
        replace(PPO, in_network=replace(IN_TERMS, deductible_family=None, oop_family=None)),
    ),
    Row(
        "no coinsurance after the deductible",
        [group()],
        [0],
        Met({"A": 100000}),
        replace(PPO, in_network=replace(IN_TERMS, coinsurance=Decimal(0))),
    ),
    Row(
        "copays outside the maximum keep being charged",
        [therapy()],
        [3000],
        Met({"A": 100000}, oop={"A": 300000}),
        replace(PPO, in_network=replace(IN_TERMS, copays_count_toward_oop=False)),
    ),
    Row(
        "a week in date order: copay, deductible, then coinsurance",
        [group(on=DAY + timedelta(days=2)), therapy(), group(on=DAY + timedelta(days=1))],
        [3000, 5000, 2600],  # sorted by date: therapy, group day 2 ($50 of $70 left), group day 3
        Met({"A": 93000}),
    ),
    Row(
        "HMO: out of network is not covered",
        [group(network=NetworkTier.OUT_OF_NETWORK)],
        [9500],
        plan=PlanBenefits(in_network=IN_TERMS),
    ),
]


@pytest.mark.parametrize("row", SCENARIOS, ids=[row.name for row in SCENARIOS])
def test_hand_computed_scenario(row: Row) -> None:
    result = apply(row.services, row.plan, row.met.accumulators())
    assert [line.participant_pays for line in result.lines] == row.pays
    for line in result.lines:
        # Every line is exact: the parts add up, and the plan and participant share the allowed amount.
        assert sum(part.cents for part in line.parts) == line.participant_pays
        assert line.plan_pays >= 0


def test_the_table_is_at_least_thirty_scenarios() -> None:
    assert len(SCENARIOS) >= 30
