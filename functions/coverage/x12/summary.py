"""Summarise a parsed 271 for one network and a ranked list of service types (or one procedure):
deductible, out-of-pocket maximum, copay, coinsurance, visit limits and every other quantity, prior
authorization, each with the 271 lines it was read from. Pure: no I/O, no logging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from functions.coverage.x12.codes import (
    QUANTITY_UNITS,
    BenefitInfo,
    CoverageLevel,
    Network,
    TimePeriod,
)
from functions.coverage.x12.models import (
    Benefit,
    BenefitLine,
    CoverageStatus,
    EligibilityResult,
    Entity,
    Procedure,
    Rejection,
    X12Model,
    network_rank,
)


class Accumulator(X12Model):
    """A deductible or out-of-pocket maximum: totals and what remains, individual and family."""

    individual_total: Decimal | None = None
    individual_remaining: Decimal | None = None
    family_total: Decimal | None = None
    family_remaining: Decimal | None = None


class BenefitSummary(X12Model):
    """The numbers a cost estimate needs, for one network and a ranked list of service types."""

    status: CoverageStatus
    network: Network
    service_types: tuple[str, ...]
    procedure: str | None = Field(default=None, description="The procedure code summarised, if one")
    plan_begin: date | None = None
    plan_end: date | None = None
    plan_description: str | None = None
    deductible: Accumulator = Accumulator()
    out_of_pocket: Accumulator = Accumulator()
    copay: Decimal | None = None
    coinsurance: Decimal | None = Field(default=None, description="Fraction: 0.2 is 20 %")
    visit_limit: Decimal | None = None
    visit_limit_period: TimePeriod | None = None
    visits_remaining: Decimal | None = None
    limits: tuple[Limit, ...] = Field(
        default=(), description="Every quantity the lines for these service types carry, with its period"
    )
    prior_auth_required: bool | None = None
    not_covered: bool = Field(
        default=False, description="An EB*I (non-covered) applies to the best-matching service type"
    )
    messages: tuple[str, ...] = ()
    contacts: tuple[Entity, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    sources: dict[str, tuple[BenefitLine, ...]] = Field(
        default_factory=dict, description="Term (copay, deductible, ...) -> the 271 lines it was read from"
    )


INDIVIDUAL_LEVELS = (CoverageLevel.INDIVIDUAL, CoverageLevel.EMPLOYEE_ONLY)
FAMILY_LEVELS = (
    CoverageLevel.FAMILY,
    CoverageLevel.EMPLOYEE_AND_SPOUSE,
    CoverageLevel.EMPLOYEE_AND_CHILDREN,
    CoverageLevel.SPOUSE_AND_CHILDREN,
    CoverageLevel.DEPENDENTS_ONLY,
)
TOTAL_PERIODS: tuple[TimePeriod | None, ...] = (
    TimePeriod.CALENDAR_YEAR,
    TimePeriod.SERVICE_YEAR,
    TimePeriod.CONTRACT,
    None,
)
_REMAINING = (TimePeriod.REMAINING,)
_YEAR_TO_DATE = (TimePeriod.YEAR_TO_DATE,)


class _Picker:
    """Picks the benefit that best answers one question, by precedence.

    A benefit that names procedures (EB13) applies to those procedures only: it answers for
    `procedure` when it names that code (and then before any service-type-wide benefit), and is
    ignored otherwise.
    """

    def __init__(
        self,
        benefits: Sequence[Benefit],
        service_types: Sequence[str],
        network: Network,
        procedure: str | None = None,
    ) -> None:
        self.benefits = benefits
        self.service_types: list[str | None] = [*service_types, None]
        self.network = network
        self.procedure = procedure

    def relevant(self, b: Benefit) -> tuple[int, int, int] | None:
        if b.procedure is not None and b.procedure.code != self.procedure:
            return None
        if b.service_type not in self.service_types:
            return None
        network = network_rank(b.network, self.network)
        if network is None:
            return None
        named = 0 if b.procedure is not None else 1
        return named, self.service_types.index(b.service_type), network

    def best(
        self,
        info: BenefitInfo | None,
        value: Callable[[Benefit], object | None],
        levels: Sequence[CoverageLevel | None] | None = None,
        periods: Sequence[TimePeriod | None] | None = None,
    ) -> Benefit | None:
        best: tuple[tuple[int, ...], Benefit] | None = None
        for order, b in enumerate(self.benefits):
            if (info is not None and b.info is not info) or value(b) is None:
                continue
            rank = self.relevant(b)
            if rank is None:
                continue
            if levels is not None and b.level not in levels:
                continue
            if periods is not None and b.period not in periods:
                continue
            key = (
                *rank,
                levels.index(b.level) if levels is not None else 0,
                periods.index(b.period) if periods is not None else 0,
                1 if b.industry_codes else 0,
                order,
            )
            if best is None or key < best[0]:
                best = (key, b)
        return best[1] if best else None

    def amount(
        self, info: BenefitInfo, levels: Sequence[CoverageLevel | None], periods: Sequence[TimePeriod | None]
    ) -> Benefit | None:
        return self.best(info, lambda b: b.amount, levels, periods)

    def accumulator(self, info: BenefitInfo) -> tuple[Accumulator, list[Benefit]]:
        values: dict[str, Decimal | None] = {}
        used_lines: list[Benefit] = []
        for name, levels in (("individual", INDIVIDUAL_LEVELS), ("family", FAMILY_LEVELS)):
            total_b = self.amount(info, levels, TOTAL_PERIODS)
            remaining_b = self.amount(info, levels, _REMAINING)
            total = total_b.amount if total_b else None
            remaining = remaining_b.amount if remaining_b else None
            used_lines += [b for b in (total_b, remaining_b) if b is not None]
            if remaining is None and total is not None:
                used_b = self.amount(info, levels, _YEAR_TO_DATE)
                if used_b is not None and used_b.amount is not None:
                    used_lines.append(used_b)
                    remaining = max(total - used_b.amount, Decimal(0))
            values[f"{name}_total"], values[f"{name}_remaining"] = total, remaining
        return Accumulator.model_validate(values), used_lines


def _visits(b: Benefit) -> Decimal | None:
    """Visits a line limits: EB09 VS / EB10 (on a limitations line EB09 may be left out), else HSD VS."""
    qualifier = (b.quantity_qualifier or ("VS" if b.info is BenefitInfo.LIMITATIONS else "")).upper()
    if b.quantity is not None and qualifier == "VS":
        return b.quantity
    return next((h.quantity for h in b.deliveries if h.quantity_qualifier == "VS" and h.quantity), None)


def _visits_period(b: Benefit) -> TimePeriod | None:
    if b.quantity is not None and b.period is not None:
        return b.period
    return next((h.period for h in b.deliveries if h.quantity_qualifier == "VS" and h.quantity), b.period)


_REMAINING_PERIODS = (TimePeriod.REMAINING, TimePeriod.LIFETIME_REMAINING)


LimitKind = Literal["limit", "remaining", "used"]


class Limit(X12Model):
    """A quantity a 271 line carries (EB09/EB10 on any EB, or an HSD under it), with its period:
    e.g. 30 visits per calendar year, 22 visits remaining, 30 days per admission, 3 visits a week."""

    kind: LimitKind
    quantity: Decimal
    unit_code: str = Field(description="EB09 / HSD01 quantity qualifier, e.g. VS")
    unit: str = Field(description="What is counted: visits, days, hours, ...")
    period: TimePeriod | None = None
    period_count: Decimal | None = Field(default=None, description="HSD06: periods the quantity spans")
    service_type: str | None = None
    procedure: Procedure | None = None
    network: Network | None = None
    level: CoverageLevel | None = None
    source: BenefitLine | None = None

    @property
    def counts_visits(self) -> bool:
        return self.unit_code == "VS"


def _kind(qualifier: str, period: TimePeriod | None) -> LimitKind:
    if qualifier == "99":
        return "used"
    return "remaining" if period in _REMAINING_PERIODS else "limit"


def limits_of(b: Benefit) -> tuple[Limit, ...]:
    """Every quantity a benefit line carries: its own EB09/EB10 and each HSD under it."""
    common = {
        "service_type": b.service_type,
        "procedure": b.procedure,
        "network": b.network,
        "level": b.level,
        "source": b.source,
    }
    found: list[Limit] = []
    qualifier = (b.quantity_qualifier or ("VS" if b.info is BenefitInfo.LIMITATIONS else "")).upper()
    if b.quantity is not None and qualifier:
        found.append(
            Limit(
                kind=_kind(qualifier, b.period),
                quantity=b.quantity,
                unit_code=qualifier,
                unit=QUANTITY_UNITS.get(qualifier, qualifier),
                period=b.period,
                **common,
            )
        )
    for h in b.deliveries:
        if h.quantity is None or not h.quantity_qualifier:
            continue
        code = h.quantity_qualifier.upper()
        period = h.period or b.period
        found.append(
            Limit(
                kind=_kind(code, period),
                quantity=h.quantity,
                unit_code=code,
                unit=QUANTITY_UNITS.get(code, code),
                period=period,
                period_count=h.period_count,
                **common,
            )
        )
    return tuple(found)


def _distinct(limits: Iterable[Limit]) -> tuple[Limit, ...]:
    """Each limit once: EB03 repetitions copy one line's limit onto every service type it names."""
    seen: dict[tuple[object, ...], Limit] = {}
    for q in limits:
        key = (q.source, q.kind, q.quantity, q.unit_code, q.period, q.period_count, q.procedure, q.network)
        seen.setdefault(key, q)
    return tuple(seen.values())


def summarise(
    result: EligibilityResult,
    service_types: Sequence[str] = ("MH", "30"),
    network: Network = Network.IN_NETWORK,
    procedure: str | None = None,
) -> BenefitSummary:
    """Deductible, out-of-pocket maximum, copay, coinsurance, visit limit and prior auth for a patient,
    for a service type (or, given `procedure`, for that procedure code within it).

    Benefits that name procedures (EB13) apply to those procedures only: without `procedure`
    they are left out; with it, the ones naming it come before every other.

    Precedence, most decisive first, when several EBs answer the same question:
    1. procedure: EBs naming `procedure` first;
    2. service type: the order of `service_types` (specific before general, so MH beats 30), then
       EBs without a service type;
    3. network: the exact EB12 flag, then `W` (not applicable, applies to both), then no flag;
    4. coverage level: IND before EMP (individual), FAM before ESP/ECH/SPC/DEP (family);
    5. time period: totals 23 calendar year, 22 service year, 25 contract, then none;
       remaining is 29 (else total minus 24 year-to-date);
    6. EBs without III before specific ones; then document order.
    """
    benefits = result.patient_benefits
    pick = _Picker(benefits, service_types, network, procedure)
    copay = pick.best(BenefitInfo.CO_PAYMENT, lambda b: b.amount)
    coinsurance = pick.best(BenefitInfo.CO_INSURANCE, lambda b: b.percent)
    not_remaining = [
        p for p in (*TimePeriod, None) if p not in (TimePeriod.REMAINING, TimePeriod.LIFETIME_REMAINING)
    ]
    # Visit limits: a limitations line first, else a visit quantity on any other line (EB09/EB10
    # or HSD), as payers put them on the coverage or coinsurance line too.
    limit = pick.best(BenefitInfo.LIMITATIONS, _visits, periods=not_remaining) or pick.best(
        None, _visits, periods=not_remaining
    )
    left = pick.best(BenefitInfo.LIMITATIONS, _visits, periods=_REMAINING) or pick.best(
        None, _visits, periods=_REMAINING
    )
    ranked = sorted(
        ((rank, b) for b in benefits if (rank := pick.relevant(b)) is not None), key=lambda pair: pair[0]
    )
    auth = next((b for _, b in ranked if b.authorization_required is not None), None)
    top = ranked[0][0][:2] if ranked else None
    denial = next((b for rank, b in ranked if b.info is BenefitInfo.NON_COVERED and rank[:2] == top), None)
    deductible, deductible_lines = pick.accumulator(BenefitInfo.DEDUCTIBLE)
    out_of_pocket, oop_lines = pick.accumulator(BenefitInfo.OUT_OF_POCKET)
    read_from: dict[str, Sequence[Benefit | None]] = {
        "copay": (copay,),
        "coinsurance": (coinsurance,),
        "deductible": deductible_lines,
        "out_of_pocket": oop_lines,
        "visit_limit": (limit,),
        "visits_remaining": (left,),
        "prior_auth_required": (auth,),
        "not_covered": (denial,),
    }
    sources = {
        term: lines
        for term, found in read_from.items()
        if (lines := tuple(dict.fromkeys(s for b in found if b is not None and (s := b.source) is not None)))
    }
    in_order = [b for b in benefits if pick.relevant(b) is not None]
    return BenefitSummary(
        status=result.status,
        network=network,
        service_types=tuple(service_types),
        procedure=procedure,
        plan_begin=result.plan_begin,
        plan_end=result.plan_end,
        plan_description=result.plan_description,
        deductible=deductible,
        out_of_pocket=out_of_pocket,
        copay=copay.amount if copay else None,
        coinsurance=coinsurance.percent if coinsurance else None,
        visit_limit=_visits(limit) if limit else None,
        visit_limit_period=_visits_period(limit) if limit else None,
        visits_remaining=_visits(left) if left else None,
        limits=_distinct(q for b in in_order for q in limits_of(b)),
        prior_auth_required=auth.authorization_required if auth else None,
        not_covered=denial is not None,
        messages=tuple(dict.fromkeys(m for b in in_order for m in b.messages)),
        contacts=tuple(dict.fromkeys(e for b in in_order for e in b.entities)),
        rejections=result.rejections,
        sources=sources,
    )


def procedures_named(result: EligibilityResult, service_types: Sequence[str]) -> tuple[Procedure, ...]:
    """The procedures the patient's benefits name (EB13) within `service_types` (or with no service
    type), in document order, each once."""
    wanted = {*service_types, None}
    return tuple(
        dict.fromkeys(
            b.procedure
            for b in result.patient_benefits
            if b.procedure is not None and b.service_type in wanted
        )
    )
