"""The cost-share engine: who pays what for a sequence of services. Pure: no boto3, no I/O.

Money is integer cents (see `money`); coinsurance is a Decimal rate rounded to the cent
ROUND_HALF_UP once per service line.

Coding (`billing_lines`, `claim_lines`): sessions become billing lines under the payer's
billing model.
- Per service: individual psychotherapy by CPT time rule (16-37 min 90832, 38-52 min 90834,
  53+ min 90837, under 16 min not billable); couples/family with the patient present 90847
  (26+ min); group 90853; substance-use individual counselling H0004 in 15-minute units (a unit
  counts from 8 minutes: 50 min is 3 units, 53 min is 4); substance-use group H0005;
  medication management 99214 plus the 90833 psychotherapy add-on (two lines, one visit);
  medical consultation 99214. Digital-platform use and sober activities are not billable.
- Per diem: a member's day whose attended program sessions total at least the configured
  hours is one S9480 line (H0015 for a substance-use program). Carve-outs (medication
  management and medical consultation by default) are billed per service beside the per diem
  and do not count toward its hours. A day below the threshold is billed per service by
  default (`BelowMinimum.PER_SERVICE`) or not at all (`BelowMinimum.NOT_BILLED`), as the
  contract says.
- Only attended sessions bill (pass expected sessions as attended to project costs). A
  session seen twice under one `session_id` bills once. A couples session bills once, under
  the identified patient: give it the identified patient's member id and price it with that
  patient's plan.

Cost share (`apply`): services in date order (stable: same-day services keep input order),
accumulators carried from one to the next. For a covered service the allowed amount is the
lesser of the fee schedule's and the charge; the participant's share within it is, in order,
the copay (capped at the allowed amount; none on add-on codes), the deductible (embedded:
capped at both the member's remaining individual and the family's remaining deductible),
coinsurance on what remains, and all of it capped at the remaining out-of-pocket maximum
(individual and family). A rule may take the copay after the deductible instead
(`CategoryRule.copay_after_deductible`: the allowed amount goes to the deductible first and
the copay applies to what is left, so a session that meets the deductible mid-way pays the
rest of the deductible and then the copay, capped at what is left). The plan pays the rest
of the allowed amount. Out of network the participant also owes the charge above the allowed
amount (balance billing), which counts toward neither the deductible nor the out-of-pocket
maximum. Non-covered services and visits beyond a visit limit are the participant's in full
and count toward nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from functions.coverage.logic.money import format_percent, format_usd, percent_of


class BillingCode(StrEnum):
    PSYCHOTHERAPY_60 = "90837"
    PSYCHOTHERAPY_45 = "90834"
    PSYCHOTHERAPY_30 = "90832"
    FAMILY_PSYCHOTHERAPY = "90847"
    """Couples/family psychotherapy with the patient present."""
    GROUP_PSYCHOTHERAPY = "90853"
    BEHAVIORAL_HEALTH_COUNSELING = "H0004"
    """Behavioral health counselling and therapy, per 15 minutes."""
    ALCOHOL_DRUG_GROUP = "H0005"
    OFFICE_VISIT_ESTABLISHED = "99214"
    PSYCHOTHERAPY_ADD_ON_30 = "90833"
    """Psychotherapy add-on to an E/M visit; never billed alone."""
    PSYCHIATRIC_IOP_PER_DIEM = "S9480"
    ALCOHOL_DRUG_IOP_PER_DIEM = "H0015"


class ServiceCategory(StrEnum):
    INDIVIDUAL_THERAPY = "individual_therapy"
    COUPLES_THERAPY = "couples_therapy"
    GROUP_THERAPY = "group_therapy"
    SUBSTANCE_USE_COUNSELING = "substance_use_counseling"
    SUBSTANCE_USE_GROUP = "substance_use_group"
    MEDICATION_MANAGEMENT = "medication_management"
    MEDICAL_CONSULTATION = "medical_consultation"
    PER_DIEM_IOP = "per_diem_iop"
    DIGITAL_PLATFORM = "digital_platform"
    SOBER_ACTIVITY = "sober_activity"


class NetworkTier(StrEnum):
    IN_NETWORK = "in_network"
    OUT_OF_NETWORK = "out_of_network"


class Accumulation(StrEnum):
    SEPARATE = "separate"
    """In- and out-of-network spending fill separate deductibles and out-of-pocket maximums."""
    COMBINED = "combined"
    """Both tiers fill one pool (kept under `Accumulators.in_network`); each tier's limits apply to it."""


class BillingModel(StrEnum):
    PER_SERVICE = "per_service"
    PER_DIEM = "per_diem"


class BelowMinimum(StrEnum):
    """What a per-diem contract does with a day below the minimum attended hours."""

    PER_SERVICE = "per_service"
    NOT_BILLED = "not_billed"


class Program(StrEnum):
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"


class PartKind(StrEnum):
    COPAY = "copay"
    DEDUCTIBLE = "deductible"
    COINSURANCE = "coinsurance"
    OUT_OF_POCKET_MAXIMUM = "out_of_pocket_maximum"
    """A $0 note: the out-of-pocket maximum stopped (part of) the share."""
    BALANCE_BILLING = "balance_billing"
    NOT_COVERED = "not_covered"
    VISIT_LIMIT = "visit_limit"
    SELF_PAY = "self_pay"


COST_SHARE_KINDS = frozenset({PartKind.COPAY, PartKind.DEDUCTIBLE, PartKind.COINSURANCE})
"""The parts paid within the allowed amount."""
DENIED_KINDS = frozenset({PartKind.NOT_COVERED, PartKind.VISIT_LIMIT, PartKind.SELF_PAY})
"""The parts where the participant pays the whole charge and the plan nothing."""

NOT_BILLABLE = frozenset({ServiceCategory.DIGITAL_PLATFORM, ServiceCategory.SOBER_ACTIVITY})
"""Categories that never become a billing line nor count toward per-diem hours."""

UNIT_MINUTES: Mapping[BillingCode, int] = {BillingCode.BEHAVIORAL_HEALTH_COUNSELING: 15}
"""Codes billed in timed units, and the minutes in a unit."""


def _non_negative(**values: int | None) -> None:
    for name, value in values.items():
        if value is not None and value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")


# --- benefits -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryRule:
    """How one service category is shared. The default (no copay, deductible then
    coinsurance) suits per-diem and group lines; a common PPO office-visit rule is
    `CategoryRule(copay=3000, deductible_applies=False, coinsurance_applies=False)` (copay
    before the deductible, which it leaves untouched). Deductible then copay:
    `CategoryRule(copay=3000, copay_after_deductible=True, coinsurance_applies=False)`; copay then
    coinsurance on the rest: `CategoryRule(copay=3000, deductible_applies=False)`."""

    copay: int = 0
    """Cents per visit (not on add-on codes)."""
    deductible_applies: bool = True
    coinsurance_applies: bool = True
    visit_limit: int | None = None
    """Covered visits per member per plan year (add-on codes are part of their visit)."""
    covered: bool = True
    coinsurance: Decimal | None = None
    """This rule's own coinsurance rate (a procedure-specific one); None: the tier's."""
    visit_pool: str | None = None
    """Rules naming the same pool share one visit count and limit (a payer's limit on all
    mental-health visits); None: the limit counts this category's visits alone."""
    copay_after_deductible: bool = False
    """The deductible first, the copay on what it leaves (a copay-after-deductible plan);
    False: the copay first."""
    visit_unit: Literal["visit", "day"] = "visit"
    """What `visit_limit` counts: visits, or days with any visit (a payer's days per admission:
    a day's second session is within the day already counted). Days need a `visit_pool`."""

    def __post_init__(self) -> None:
        _non_negative(copay=self.copay, visit_limit=self.visit_limit)
        if self.visit_unit == "day" and self.visit_pool is None:
            raise ValueError("a limit counted in days needs a visit pool")
        if self.copay_after_deductible and not self.deductible_applies:
            raise ValueError("a copay after the deductible needs the deductible to apply")
        if self.coinsurance is not None and not Decimal(0) <= self.coinsurance <= Decimal(1):
            raise ValueError(f"coinsurance must be a Decimal rate from 0 to 1, got {self.coinsurance!r}")


@dataclass(frozen=True, slots=True)
class BenefitTerms:
    """One network tier's benefits. `None` limits mean there is none (no family deductible,
    no out-of-pocket maximum)."""

    deductible_individual: int = 0
    deductible_family: int | None = None
    coinsurance: Decimal = Decimal(0)
    """The participant's share after the deductible, e.g. `Decimal("0.20")`."""
    oop_individual: int | None = None
    oop_family: int | None = None
    copays_count_toward_oop: bool = True
    """True under the ACA. When False, copays are neither capped by nor credited to the maximum."""
    default_rule: CategoryRule = field(default_factory=CategoryRule)
    rules: Mapping[ServiceCategory, CategoryRule] = field(default_factory=dict)
    procedure_rules: Mapping[str, CategoryRule] = field(default_factory=dict)
    """Billing code -> its own rule (a benefit that names the procedure): wins over the category's."""

    def __post_init__(self) -> None:
        _non_negative(
            deductible_individual=self.deductible_individual,
            deductible_family=self.deductible_family,
            oop_individual=self.oop_individual,
            oop_family=self.oop_family,
        )
        if not isinstance(self.coinsurance, Decimal) or not Decimal(0) <= self.coinsurance <= Decimal(1):
            raise ValueError(f"coinsurance must be a Decimal rate from 0 to 1, got {self.coinsurance!r}")

    def rule(self, category: ServiceCategory, code: str | None = None) -> CategoryRule:
        if code is not None and code in self.procedure_rules:
            return self.procedure_rules[code]
        return self.rules.get(category, self.default_rule)


@dataclass(frozen=True, slots=True)
class PlanBenefits:
    in_network: BenefitTerms
    out_of_network: BenefitTerms | None = None
    """None: no out-of-network benefits (HMO, EPO); such services are not covered."""
    accumulation: Accumulation = Accumulation.SEPARATE

    def terms(self, tier: NetworkTier) -> BenefitTerms | None:
        return self.in_network if tier is NetworkTier.IN_NETWORK else self.out_of_network

    def pool(self, tier: NetworkTier) -> NetworkTier:
        """The accumulator pool a tier's spending fills."""
        return tier if self.accumulation is Accumulation.SEPARATE else NetworkTier.IN_NETWORK


# --- accumulators ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierAccumulators:
    """What a family has met in one pool, in cents. Family figures include every member's
    contributions (so a member's deductible is satisfied by their own or the family's)."""

    individual_deductible: Mapping[str, int] = field(default_factory=dict)
    """Member id -> cents met."""
    family_deductible: int = 0
    individual_oop: Mapping[str, int] = field(default_factory=dict)
    family_oop: int = 0

    def deductible_met(self, member_id: str) -> int:
        return self.individual_deductible.get(member_id, 0)

    def oop_met(self, member_id: str) -> int:
        return self.individual_oop.get(member_id, 0)


@dataclass(frozen=True, slots=True)
class Accumulators:
    """A plan year's accumulators; `apply` returns an updated copy and never changes its input."""

    in_network: TierAccumulators = field(default_factory=TierAccumulators)
    out_of_network: TierAccumulators = field(default_factory=TierAccumulators)
    visits: Mapping[str, Mapping[ServiceCategory, int]] = field(default_factory=dict)
    """Member id -> category -> covered visits, both tiers together."""
    pooled_visits: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Member id -> visit pool (`CategoryRule.visit_pool`) -> covered visits."""

    def tier(self, tier: NetworkTier) -> TierAccumulators:
        return self.in_network if tier is NetworkTier.IN_NETWORK else self.out_of_network

    def visits_used(self, member_id: str, category: ServiceCategory) -> int:
        return self.visits.get(member_id, {}).get(category, 0)


class _Pool:
    """A mutable working copy of one tier's accumulators."""

    def __init__(self, start: TierAccumulators) -> None:
        self.deductible = dict(start.individual_deductible)
        self.family_deductible = start.family_deductible
        self.oop = dict(start.individual_oop)
        self.family_oop = start.family_oop

    def credit(self, member_id: str, deductible: int, oop: int) -> None:
        if deductible:
            self.deductible[member_id] = self.deductible.get(member_id, 0) + deductible
            self.family_deductible += deductible
        if oop:
            self.oop[member_id] = self.oop.get(member_id, 0) + oop
            self.family_oop += oop

    def freeze(self) -> TierAccumulators:
        return TierAccumulators(
            individual_deductible=dict(self.deductible),
            family_deductible=self.family_deductible,
            individual_oop=dict(self.oop),
            family_oop=self.family_oop,
        )


# --- services and results -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Service:
    """One billing line to share: amounts are totals for the line (all units)."""

    on: date
    code: BillingCode
    category: ServiceCategory
    member_id: str
    """Whose accumulators it fills (for a couples session: the identified patient)."""
    charge: int
    """Billed amount, cents."""
    allowed: int
    """The fee schedule's allowed amount, cents (out of network it may be below the charge)."""
    network: NetworkTier = NetworkTier.IN_NETWORK
    units: int = 1
    covered: bool = True
    add_on: bool = False
    """An add-on code (90833): part of its primary line's visit, so no copay and no visit."""

    def __post_init__(self) -> None:
        _non_negative(charge=self.charge, allowed=self.allowed)
        if self.units < 1:
            raise ValueError(f"units must be at least 1, got {self.units}")


@dataclass(frozen=True, slots=True)
class Part:
    kind: PartKind
    cents: int
    reason: str


@dataclass(frozen=True, slots=True)
class LineItem:
    service: Service
    allowed: int
    """Zero when the plan does not cover the line."""
    plan_pays: int
    participant_pays: int
    parts: tuple[Part, ...]
    """Sum exactly to `participant_pays`; $0 parts are notes."""

    def __post_init__(self) -> None:
        _non_negative(allowed=self.allowed, plan_pays=self.plan_pays, participant_pays=self.participant_pays)
        if sum(p.cents for p in self.parts) != self.participant_pays:
            raise ValueError("parts must sum to what the participant pays")
        if self.plan_pays + self.cost_share != self.allowed:
            raise ValueError("plan pays plus the participant's cost share must equal the allowed amount")

    def _sum(self, kinds: frozenset[PartKind]) -> int:
        return sum(p.cents for p in self.parts if p.kind in kinds)

    @property
    def cost_share(self) -> int:
        """The participant's share within the allowed amount (copay, deductible, coinsurance)."""
        return self._sum(COST_SHARE_KINDS)

    @property
    def balance_billed(self) -> int:
        return self._sum(frozenset({PartKind.BALANCE_BILLING}))

    @property
    def covered(self) -> bool:
        return not any(p.kind in DENIED_KINDS for p in self.parts)

    @property
    def adjustment(self) -> int:
        """The charge nobody pays: the in-network contractual write-off."""
        return self.service.charge - self.plan_pays - self.participant_pays


@dataclass(frozen=True, slots=True)
class Totals:
    charge: int = 0
    allowed: int = 0
    plan_pays: int = 0
    participant_pays: int = 0
    balance_billed: int = 0


def totals(lines: Iterable[LineItem]) -> Totals:
    charge = allowed = plan = participant = balance = 0
    for line in lines:
        charge += line.service.charge
        allowed += line.allowed
        plan += line.plan_pays
        participant += line.participant_pays
        balance += line.balance_billed
    return Totals(charge, allowed, plan, participant, balance)


@dataclass(frozen=True, slots=True)
class CostShareResult:
    lines: tuple[LineItem, ...]
    """In date order."""
    accumulators: Accumulators
    """After the last line."""

    @property
    def totals(self) -> Totals:
        return totals(self.lines)

    def weekly_totals(self) -> dict[str, Totals]:
        """Totals per ISO week of the service date (`"2027-W02"`), in date order."""
        weeks: dict[str, list[LineItem]] = defaultdict(list)
        for line in self.lines:
            year, week, _ = line.service.on.isocalendar()
            weeks[f"{year}-W{week:02d}"].append(line)
        return {week: totals(lines) for week, lines in weeks.items()}


# --- the engine -----------------------------------------------------------------------------


def _left(limit: int | None, met: int) -> int | None:
    return None if limit is None else max(0, limit - met)


def _binding(individual: int | None, family: int | None) -> tuple[int | None, str]:
    """The smaller of two remaining amounts (None: unlimited) and "family " when it is the family's."""
    if family is not None and (individual is None or family < individual):
        return family, "family "
    return individual, ""


def _denied(service: Service, kind: PartKind, reason: str) -> LineItem:
    return LineItem(
        service=service,
        allowed=0,
        plan_pays=0,
        participant_pays=service.charge,
        parts=(Part(kind, service.charge, reason),),
    )


@dataclass
class _Draft:
    kind: PartKind
    cents: int
    reason: str
    counts_toward_oop: bool = True
    note_when_paid: str = ""
    """Appended to the reason only when the out-of-pocket maximum leaves the part whole."""


def _copay(drafts: list[_Draft], copay: int, within: int, terms: BenefitTerms, when: str) -> int:
    """Draft the copay (capped at what is left of the allowed amount); returns it."""
    copay = min(copay, within)
    if copay:
        reason = f"{format_usd(copay)} copay{when}"
        drafts.append(_Draft(PartKind.COPAY, copay, reason, terms.copays_count_toward_oop))
    return copay


def _share(service: Service, terms: BenefitTerms, rule: CategoryRule, pool: _Pool) -> LineItem:
    member = service.member_id
    allowed = min(service.allowed, service.charge)
    drafts: list[_Draft] = []

    rest = allowed
    copay_charged = 0 if service.add_on else rule.copay
    if not rule.copay_after_deductible:
        rest -= _copay(drafts, copay_charged, rest, terms, "")

    if rule.deductible_applies and rest:
        left, label = _binding(
            _left(terms.deductible_individual, pool.deductible.get(member, 0)),
            _left(terms.deductible_family, pool.family_deductible),
        )
        deductible = min(rest, left if left is not None else 0)
        if deductible:
            reason = f"{format_usd(deductible)} toward the remaining {label}deductible"
            met = f" ({label}deductible now met)" if deductible == left else ""
            drafts.append(_Draft(PartKind.DEDUCTIBLE, deductible, reason, note_when_paid=met))
        rest -= deductible

    if rule.copay_after_deductible:
        rest -= _copay(drafts, copay_charged, rest, terms, " after the deductible")

    rate = rule.coinsurance if rule.coinsurance is not None else terms.coinsurance
    if rule.coinsurance_applies and rest and rate:
        coinsurance = percent_of(rest, rate)
        if coinsurance:
            reason = f"{format_percent(rate)} coinsurance on {format_usd(rest)}"
            drafts.append(_Draft(PartKind.COINSURANCE, coinsurance, reason))

    oop_left, oop_label = _binding(
        _left(terms.oop_individual, pool.oop.get(member, 0)), _left(terms.oop_family, pool.family_oop)
    )
    parts: list[Part] = []
    capped = False
    credited_deductible = credited_oop = 0
    for draft in drafts:
        cents = draft.cents
        if draft.counts_toward_oop:
            if oop_left is not None:
                cents = min(cents, oop_left)
                oop_left -= cents
            credited_oop += cents
        if draft.kind is PartKind.DEDUCTIBLE:
            credited_deductible += cents
        if cents == draft.cents:
            parts.append(Part(draft.kind, cents, draft.reason + draft.note_when_paid))
            continue
        capped = True
        if cents:
            limit = f"the {format_usd(cents)} left before the {oop_label}out-of-pocket maximum"
            parts.append(Part(draft.kind, cents, f"{draft.reason}, limited to {limit}"))
    if capped:
        parts.append(Part(PartKind.OUT_OF_POCKET_MAXIMUM, 0, f"{oop_label}out-of-pocket maximum reached"))
    pool.credit(member, credited_deductible, credited_oop)

    cost_share = sum(p.cents for p in parts)
    if service.network is NetworkTier.OUT_OF_NETWORK and service.charge > allowed:
        above = service.charge - allowed
        reason = f"{format_usd(above)} above the plan's allowed amount (balance billing)"
        parts.append(Part(PartKind.BALANCE_BILLING, above, reason))
    return LineItem(
        service=service,
        allowed=allowed,
        plan_pays=allowed - cost_share,
        participant_pays=sum(p.cents for p in parts),
        parts=tuple(parts),
    )


def apply(
    services: Iterable[Service], benefits: PlanBenefits, accumulators: Accumulators | None = None
) -> CostShareResult:
    """Share each service in date order (stable), carrying the accumulators along."""
    start = accumulators if accumulators is not None else Accumulators()
    pools = {tier: _Pool(start.tier(tier)) for tier in NetworkTier}
    visits: dict[str, dict[ServiceCategory, int]] = {m: dict(c) for m, c in start.visits.items()}
    pooled: dict[str, dict[str, int]] = {m: dict(c) for m, c in start.pooled_visits.items()}
    visit_denied: dict[tuple[date, str, ServiceCategory], bool] = {}
    pool_days: dict[tuple[str, str], set[date]] = {}
    """(member, pool) -> the days counted in a day-unit pool within this run."""
    lines: list[LineItem] = []
    for service in sorted(services, key=lambda s: s.on):
        terms = benefits.terms(service.network)
        if terms is None:
            lines.append(
                _denied(service, PartKind.NOT_COVERED, "out-of-network services are not covered by the plan")
            )
            continue
        rule = terms.rule(service.category, service.code.value)
        if not (service.covered and rule.covered):
            lines.append(_denied(service, PartKind.NOT_COVERED, "not covered by the plan"))
            continue
        member_visits = visits.setdefault(service.member_id, {})
        member_pools = pooled.setdefault(service.member_id, {})
        visit = (service.on, service.member_id, service.category)
        by_day = rule.visit_unit == "day" and rule.visit_pool is not None
        days = pool_days.setdefault((service.member_id, rule.visit_pool or ""), set()) if by_day else set()
        if rule.visit_limit is not None:
            if service.add_on:
                over = visit_denied.get(visit, False)
            elif by_day and service.on in days:
                over = False  # the day is counted already: its other sessions are within it
            else:
                used = (
                    member_pools.get(rule.visit_pool, 0)
                    if rule.visit_pool
                    else member_visits.get(service.category, 0)
                )
                over = used >= rule.visit_limit
                visit_denied[visit] = over
            if over:
                unit = "day" if by_day else "visit"
                lines.append(
                    _denied(service, PartKind.VISIT_LIMIT, f"{unit} limit of {rule.visit_limit} reached")
                )
                continue
        if not service.add_on:
            member_visits[service.category] = member_visits.get(service.category, 0) + 1
            if rule.visit_pool and not (by_day and service.on in days):
                member_pools[rule.visit_pool] = member_pools.get(rule.visit_pool, 0) + 1
                days.add(service.on)
        lines.append(_share(service, terms, rule, pools[benefits.pool(service.network)]))
    final = Accumulators(
        in_network=pools[NetworkTier.IN_NETWORK].freeze(),
        out_of_network=pools[NetworkTier.OUT_OF_NETWORK].freeze(),
        visits={m: dict(c) for m, c in visits.items() if c},
        pooled_visits={m: dict(c) for m, c in pooled.items() if c},
    )
    return CostShareResult(lines=tuple(lines), accumulators=final)


# --- coding and pricing ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DaySession:
    on: date
    category: ServiceCategory
    minutes: int
    member_id: str
    """The member billed (for a couples session: the identified patient)."""
    attended: bool = True
    """Attended, or expected to attend when projecting."""
    session_id: str | None = None
    """Sessions sharing an id bill once (a couples session seen from both partners' calendars)."""

    def __post_init__(self) -> None:
        _non_negative(minutes=self.minutes)
        if self.category is ServiceCategory.PER_DIEM_IOP:
            raise ValueError("a per-diem day is a billing line, not a session")


@dataclass(frozen=True, slots=True)
class BillingRule:
    model: BillingModel = BillingModel.PER_SERVICE
    per_diem_minimum_hours: Decimal = Decimal(3)
    """Attended program hours a day needs to count for the per diem."""
    below_minimum: BelowMinimum = BelowMinimum.PER_SERVICE
    carve_outs: frozenset[ServiceCategory] = frozenset(
        {ServiceCategory.MEDICATION_MANAGEMENT, ServiceCategory.MEDICAL_CONSULTATION}
    )
    """Billed per service beside the per diem; they do not count toward its hours."""


@dataclass(frozen=True, slots=True)
class BillingLine:
    """A coded, unpriced line."""

    on: date
    code: BillingCode
    category: ServiceCategory
    member_id: str
    units: int = 1
    add_on: bool = False


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """One payer's allowed amounts for one network tier. A code it lacks is not covered."""

    payer: str
    network: NetworkTier
    allowed: Mapping[BillingCode, int]
    """Cents per line, or per unit for unit-based codes (H0004)."""
    billing: BillingRule = field(default_factory=BillingRule)


@dataclass(frozen=True, slots=True)
class Chargemaster:
    """The program's own prices, cents per line (per unit for unit-based codes)."""

    prices: Mapping[BillingCode, int]
    """Gross charges billed to payers."""
    self_pay_prices: Mapping[BillingCode, int] = field(default_factory=dict)
    """Cash prices for participants without coverage; a code missing here uses its gross charge."""

    def charge(self, code: BillingCode) -> int:
        if code not in self.prices:
            raise ValueError(f"the chargemaster has no price for {code}")
        return self.prices[code]

    def self_pay_price(self, code: BillingCode) -> int:
        return self.self_pay_prices.get(code, self.charge(code))


def _units(minutes: int, unit: int) -> int:
    """Timed units: whole units plus one for a remainder of at least half a unit."""
    whole, rest = divmod(minutes, unit)
    return whole + (1 if rest * 2 >= unit else 0)


def code_session(session: DaySession) -> list[tuple[BillingCode, int, bool]]:
    """(code, units, add-on) lines for one session billed per service; empty when not billable."""
    minutes, category = session.minutes, session.category
    if category is ServiceCategory.INDIVIDUAL_THERAPY:
        if minutes >= 53:
            return [(BillingCode.PSYCHOTHERAPY_60, 1, False)]
        if minutes >= 38:
            return [(BillingCode.PSYCHOTHERAPY_45, 1, False)]
        return [(BillingCode.PSYCHOTHERAPY_30, 1, False)] if minutes >= 16 else []
    if category is ServiceCategory.COUPLES_THERAPY:
        return [(BillingCode.FAMILY_PSYCHOTHERAPY, 1, False)] if minutes >= 26 else []
    if category is ServiceCategory.GROUP_THERAPY:
        return [(BillingCode.GROUP_PSYCHOTHERAPY, 1, False)] if minutes else []
    if category is ServiceCategory.SUBSTANCE_USE_COUNSELING:
        code = BillingCode.BEHAVIORAL_HEALTH_COUNSELING
        units = _units(minutes, UNIT_MINUTES[code])
        return [(code, units, False)] if units else []
    if category is ServiceCategory.SUBSTANCE_USE_GROUP:
        return [(BillingCode.ALCOHOL_DRUG_GROUP, 1, False)] if minutes else []
    if category is ServiceCategory.MEDICATION_MANAGEMENT:
        return [
            (BillingCode.OFFICE_VISIT_ESTABLISHED, 1, False),
            (BillingCode.PSYCHOTHERAPY_ADD_ON_30, 1, True),
        ]
    if category is ServiceCategory.MEDICAL_CONSULTATION:
        return [(BillingCode.OFFICE_VISIT_ESTABLISHED, 1, False)]
    return []


def _per_service(sessions: Iterable[DaySession]) -> list[BillingLine]:
    return [
        BillingLine(s.on, code, s.category, s.member_id, units, add_on)
        for s in sessions
        for code, units, add_on in code_session(s)
    ]


def billing_lines(
    sessions: Iterable[DaySession], rule: BillingRule, program: Program = Program.MENTAL_HEALTH
) -> list[BillingLine]:
    """Code attended sessions under a billing rule: by date, then member, then input order."""
    seen: set[str] = set()
    days: dict[tuple[date, str], list[DaySession]] = {}
    for session in sorted(sessions, key=lambda s: s.on):
        if not session.attended or session.category in NOT_BILLABLE:
            continue
        if session.session_id is not None:
            if session.session_id in seen:
                continue
            seen.add(session.session_id)
        days.setdefault((session.on, session.member_id), []).append(session)
    if rule.model is BillingModel.PER_SERVICE:
        return _per_service(s for day in days.values() for s in day)

    per_diem_code = (
        BillingCode.ALCOHOL_DRUG_IOP_PER_DIEM
        if program is Program.SUBSTANCE_USE
        else BillingCode.PSYCHIATRIC_IOP_PER_DIEM
    )
    lines: list[BillingLine] = []
    for (on, member), day in days.items():
        carved = [s for s in day if s.category in rule.carve_outs]
        program_sessions = [s for s in day if s.category not in rule.carve_outs]
        minutes = sum(s.minutes for s in program_sessions)
        if program_sessions and Decimal(minutes) >= rule.per_diem_minimum_hours * 60:
            lines.append(BillingLine(on, per_diem_code, ServiceCategory.PER_DIEM_IOP, member))
            lines.extend(_per_service(carved))
        elif rule.below_minimum is BelowMinimum.PER_SERVICE:
            lines.extend(_per_service(day))
        else:
            lines.extend(_per_service(carved))
    return lines


def claim_lines(
    sessions: Iterable[DaySession],
    fee_schedule: FeeSchedule,
    chargemaster: Chargemaster,
    *,
    program: Program = Program.MENTAL_HEALTH,
) -> list[Service]:
    """Sessions to priced services for `apply`: charges from the chargemaster, allowed amounts
    from the fee schedule (a code it lacks is not covered)."""
    services: list[Service] = []
    for line in billing_lines(sessions, fee_schedule.billing, program):
        per_unit = fee_schedule.allowed.get(line.code)
        services.append(
            Service(
                on=line.on,
                code=line.code,
                category=line.category,
                member_id=line.member_id,
                charge=chargemaster.charge(line.code) * line.units,
                allowed=(per_unit or 0) * line.units,
                network=fee_schedule.network,
                units=line.units,
                covered=per_unit is not None,
                add_on=line.add_on,
            )
        )
    return services


def self_pay(
    sessions: Iterable[DaySession],
    chargemaster: Chargemaster,
    *,
    billing: BillingRule | None = None,
    program: Program = Program.MENTAL_HEALTH,
) -> CostShareResult:
    """Without coverage: every line at the self-pay price, no plan, no accumulators."""
    lines: list[LineItem] = []
    for line in billing_lines(sessions, billing or BillingRule(), program):
        price = chargemaster.self_pay_price(line.code)
        amount = price * line.units
        reason = f"self-pay rate for {line.code}"
        if line.units > 1:
            reason += f": {line.units} units at {format_usd(price)}"
        service = Service(
            on=line.on,
            code=line.code,
            category=line.category,
            member_id=line.member_id,
            charge=amount,
            allowed=0,
            units=line.units,
            covered=False,
            add_on=line.add_on,
        )
        lines.append(_denied(service, PartKind.SELF_PAY, reason))
    return CostShareResult(lines=tuple(lines), accumulators=Accumulators())
