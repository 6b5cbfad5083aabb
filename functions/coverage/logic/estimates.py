"""Cost estimates: a participant's week (or one session, or a whole program) priced by the
cost-share engine from what coverage knows. Pure: no boto3.

Inputs are the participant's week as the schedule table's participant/week index holds it
(their session copies, the week's group occurrences, group attendance) and everything the
coverage table keeps for them (plans, the latest eligibility result per plan, projected
claims, couple billing choices), plus the program's billing reference data.

What the estimate assumes, and says in its notes:
- The plan is the first plan in force on the day (insurance before self-pay). Without one,
  or on a self-pay plan, the program's self-pay prices apply.
- Benefits come from the plan's latest eligibility result for the category the services
  fall under (mental health; substance-use counseling under substance use when the payer
  answered for it). Copays apply per visit to office-visit services (individual, couples,
  counseling, medication management, consultations) instead of deductible and coinsurance,
  the common PPO design; groups and per-diem days go through deductible and coinsurance.
- Accumulators start from the 271's "remaining" figures and add the participant's projected
  claims recorded since that 271 (attendance), so a fresh 271 replaces the projection.
- Booked sessions not yet attended are expected to be attended; missed ones are not billed.
- A couples session is billed once, under the identified patient's plan; the partner's
  estimate lists it at $0 without naming anything of the other plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from functions.common.errors import Conflict
from functions.coverage.billing import BillingReference, FeeScheduleRecord, reference_of
from functions.coverage.keys import PersonItem, person_item
from functions.coverage.logic.authorizations import AuthorizationRecord
from functions.coverage.logic.costshare import (
    NOT_BILLABLE,
    Accumulators,
    BenefitTerms,
    BillingCode,
    BillingModel,
    BillingRule,
    CategoryRule,
    CostShareResult,
    DaySession,
    FeeSchedule,
    LineItem,
    NetworkTier,
    PartKind,
    PlanBenefits,
    Program,
    ServiceCategory,
    TierAccumulators,
    apply,
    claim_lines,
    self_pay,
)
from functions.coverage.logic.eligibility import (
    AccumulatorOut,
    BenefitLineOut,
    BenefitsOut,
    CostShareOut,
    EligibilityRecord,
)
from functions.coverage.logic.limits import (
    VISIT_POOL,
    Counted,
    Expected,
    allowance,
    booked_expected,
    limit_notes,
    used_before,
)
from functions.coverage.logic.plans import in_force
from functions.coverage.logic.terms import (
    ConfirmedTermsRecord,
    TermSource,
    billing_source,
    confirmed_note,
    limited_share,
    term_sources,
    with_confirmed,
)
from functions.coverage.models import PlanRecord
from functions.coverage.vocabulary import NetworkStatus, PlanType

SESSION_CATEGORY: Mapping[str, ServiceCategory] = {
    "individual": ServiceCategory.INDIVIDUAL_THERAPY,
    "check_in": ServiceCategory.INDIVIDUAL_THERAPY,
    "couples": ServiceCategory.COUPLES_THERAPY,
    "substance_use_counseling": ServiceCategory.SUBSTANCE_USE_COUNSELING,
    "medication_management": ServiceCategory.MEDICATION_MANAGEMENT,
    "medical_consultation": ServiceCategory.MEDICAL_CONSULTATION,
}
GROUP_CATEGORY: Mapping[str, ServiceCategory] = {
    "psychoeducation": ServiceCategory.GROUP_THERAPY,
    "cbt_skills": ServiceCategory.GROUP_THERAPY,
    # The program's sober activities (mindfulness, art, peer-led meetings) are not billed.
    "mindfulness": ServiceCategory.SOBER_ACTIVITY,
    "art_therapy": ServiceCategory.SOBER_ACTIVITY,
    "peer_support": ServiceCategory.SOBER_ACTIVITY,
    "sober_activity": ServiceCategory.SOBER_ACTIVITY,
}
OFFICE_VISITS = frozenset(
    {
        ServiceCategory.INDIVIDUAL_THERAPY,
        ServiceCategory.COUPLES_THERAPY,
        ServiceCategory.SUBSTANCE_USE_COUNSELING,
        ServiceCategory.MEDICATION_MANAGEMENT,
        ServiceCategory.MEDICAL_CONSULTATION,
    }
)
MISSED = frozenset({"no_show", "late_cancel", "excused"})


@dataclass(frozen=True)
class WeekService:
    """One thing on the participant's week that may be billed."""

    source_id: str
    """A session id, or `<group id>@<occurrence start>`."""
    kind: str
    """The session or group type."""
    category: ServiceCategory
    start: datetime
    end: datetime
    status: str
    """`expected` (booked, not yet recorded), `attended` or `missed`."""
    billed_to_partner: bool = False
    """A couples session billed under the partner's (the identified patient's) plan."""

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def week_services(
    person_id: str, items: Iterable[Mapping[str, Any]], *, identified_patients: Mapping[str, str]
) -> list[WeekService]:
    """The week's sessions and group occurrences the participant attends, by start time.
    `identified_patients` maps a couple id to the partner whose plan its sessions bill."""
    items = list(items)
    group_attendance = {
        f"{i['group_id']}@{i['occurrence_start']}": str(i.get("attendance"))
        for i in items
        if i.get("entity") == "GROUP_ATTENDEE"
    }
    found: list[WeekService] = []
    for item in items:
        entity = item.get("entity")
        if entity == "SESSION_MEMBER":
            if item.get("role") != "attendee" or item.get("status") != "booked":
                continue  # cancelled and late-cancelled sessions are not billed
            category = SESSION_CATEGORY.get(str(item.get("type")))
            if category is None:
                continue
            attendance = item.get("attendance")
            couple_id = item.get("couple_id")
            payer_partner = identified_patients.get(str(couple_id)) if couple_id else None
            if item.get("type") == "couples" and payer_partner is None:
                attendees = sorted(str(a) for a in item.get("attendee_ids") or [person_id])
                payer_partner = attendees[0]
            found.append(
                WeekService(
                    source_id=str(item["session_id"]),
                    kind=str(item["type"]),
                    category=category,
                    start=datetime.fromisoformat(str(item["start"])),
                    end=datetime.fromisoformat(str(item["end"])),
                    status=_status(attendance),
                    billed_to_partner=item.get("type") == "couples" and payer_partner != person_id,
                )
            )
        elif entity == "GROUP_WEEK":
            for occurrence in item.get("occurrences") or []:
                category = GROUP_CATEGORY.get(str(occurrence.get("type")))
                if category is None:
                    continue
                source = f"{occurrence['group_id']}@{occurrence['start']}"
                found.append(
                    WeekService(
                        source_id=source,
                        kind=str(occurrence["type"]),
                        category=category,
                        start=datetime.fromisoformat(str(occurrence["start"])),
                        end=datetime.fromisoformat(str(occurrence["end"])),
                        status=_status(group_attendance.get(source)),
                    )
                )
    return sorted(found, key=lambda s: (s.start, s.source_id))


def _status(attendance: object) -> str:
    if attendance == "attended":
        return "attended"
    if attendance in MISSED:
        return "missed"
    return "expected"


# --- coverage context ---------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """What coverage knows of one participant, read from their partition."""

    person_id: str
    plans: list[PlanRecord]
    eligibility: dict[str, EligibilityRecord]
    """Plan id -> its latest result."""
    claims: list[dict[str, Any]] = field(default_factory=list)
    identified_patients: dict[str, str] = field(default_factory=dict)
    authorizations: list[AuthorizationRecord] = field(default_factory=list)
    booked: list[dict[str, Any]] = field(default_factory=list)
    reference: BillingReference | None = None
    """The participant's copy of the program's prices (None until one is written)."""
    family_shares: list[dict[str, Any]] = field(default_factory=list)
    """What other members of the participant's insurance family have claimed toward its
    family deductible and out-of-pocket maximum (per plan of this participant)."""
    confirmed: dict[str, ConfirmedTermsRecord] = field(default_factory=dict)
    """Plan id -> the terms coordinators confirmed from its SBC."""
    part2_consents: list[dict[str, Any]] = field(default_factory=list)
    """Coverage's copies of the participant's Part 2 consents (`restricted.consent_copy`)."""

    @classmethod
    def from_items(cls, person_id: str, items: Iterable[Mapping[str, Any]]) -> Coverage:
        plans, eligibility, claims, choices = [], {}, [], {}
        authorizations, booked = [], []
        reference: BillingReference | None = None
        shares: list[dict[str, Any]] = []
        confirmed: dict[str, ConfirmedTermsRecord] = {}
        consents: list[dict[str, Any]] = []
        for item in items:
            kind = person_item(item)
            if kind is PersonItem.PLAN:
                plans.append(PlanRecord.from_attributes(dict(item)))
            elif kind is PersonItem.ELIGIBILITY_LATEST:
                record = EligibilityRecord.from_attributes(dict(item))
                eligibility[record.plan_id] = record
            elif kind is PersonItem.CLAIM:
                claims.append(dict(item))
            elif kind is PersonItem.COUPLE_BILLING:
                choices[str(item["couple_id"])] = str(item["identified_patient_id"])
            elif kind is PersonItem.AUTHORIZATION:
                authorizations.append(AuthorizationRecord.from_attributes(dict(item)))
            elif kind is PersonItem.BOOKED_USE:
                booked.append(dict(item))
            elif kind is PersonItem.PRICES:
                reference = reference_of(dict(item))
            elif kind is PersonItem.FAMILY_SHARE:
                shares.append(dict(item))
            elif kind is PersonItem.TERMS:
                terms = ConfirmedTermsRecord.from_attributes(dict(item))
                confirmed[terms.plan_id] = terms
            elif kind is PersonItem.PART2_CONSENT:
                consents.append(dict(item))
        return cls(
            person_id,
            plans,
            eligibility,
            claims,
            choices,
            authorizations,
            booked,
            reference,
            shares,
            confirmed,
            consents,
        )

    @property
    def payers(self) -> dict[str, str | None]:
        """Plan id -> its payer (what a claim under the plan draws on)."""
        return {plan.plan_id: plan.payer_id for plan in self.plans}

    def plan_on(self, day: date) -> PlanRecord | None:
        """The plan the day's services bill: insurance in force first, else self-pay."""
        ranked = sorted(
            (p for p in self.plans if in_force(p, day)),
            key=lambda p: (p.plan_type is PlanType.SELF_PAY, p.effective_from or date.min, p.plan_id),
        )
        return ranked[0] if ranked else None


def _limited(rule: CategoryRule, share: CostShareOut) -> CategoryRule:
    """`rule` with the plan's visit (or day) allowance, when the 271 states one the engine counts."""
    limit = allowance(share)
    if limit is None:
        return rule
    return replace(rule, visit_limit=limit.allowed, visit_pool=VISIT_POOL, visit_unit=limit.unit)


def _office_rule(share: CostShareOut) -> CategoryRule:
    office = (
        CategoryRule(copay=share.copay_cents, deductible_applies=False, coinsurance_applies=False)
        if share.copay_cents
        else CategoryRule()
    )
    return _limited(office, share)


def _procedure_rule(named: CostShareOut, category: CostShareOut) -> CategoryRule | None:
    """The rule of a procedure a 271 line names, when it differs from its category's."""
    if named.not_covered:
        return CategoryRule(covered=False)
    if named.model_dump(exclude={"sources"}) == category.model_dump(exclude={"sources"}):
        return None
    rule = _office_rule(named)
    if named.coinsurance_rate is not None and named.coinsurance_rate != category.coinsurance_rate:
        rule = replace(rule, coinsurance=named.coinsurance_rate)
    return rule


def _terms(share: CostShareOut, procedures: Mapping[str, CostShareOut] | None = None) -> BenefitTerms:
    procedure_rules = {
        code: rule for code, named in (procedures or {}).items() if (rule := _procedure_rule(named, share))
    }
    if share.not_covered:
        return BenefitTerms(default_rule=CategoryRule(covered=False), procedure_rules=procedure_rules)
    default = _limited(CategoryRule(), share)
    return BenefitTerms(
        deductible_individual=share.deductible.individual_total_cents or 0,
        deductible_family=share.deductible.family_total_cents,
        coinsurance=share.coinsurance_rate if share.coinsurance_rate is not None else Decimal(0),
        oop_individual=share.out_of_pocket.individual_total_cents,
        oop_family=share.out_of_pocket.family_total_cents,
        default_rule=default,
        rules=dict.fromkeys(OFFICE_VISITS, _office_rule(share)),
        procedure_rules=procedure_rules,
    )


def _mental_health(record: EligibilityRecord) -> BenefitsOut | None:
    return next((b for b in record.benefits if b.category == "mental_health"), None)


def plan_benefits(record: EligibilityRecord) -> PlanBenefits | None:
    """The mental-health benefits of a 271 as the engine's terms (None when it gave none).
    A benefit that names a procedure (EB13) becomes that billing code's own rule."""
    benefits = _mental_health(record)
    if benefits is None:
        return None
    in_named = {p.code: p.in_network for p in benefits.procedures}
    out_named = {p.code: p.out_of_network for p in benefits.procedures if p.out_of_network is not None}
    return PlanBenefits(
        in_network=_terms(benefits.in_network, in_named),
        out_of_network=_terms(benefits.out_of_network, out_named) if benefits.out_of_network else None,
    )


PART_TERMS: Mapping[PartKind, str] = {
    PartKind.COPAY: "copay",
    PartKind.DEDUCTIBLE: "deductible",
    PartKind.COINSURANCE: "coinsurance",
    PartKind.OUT_OF_POCKET_MAXIMUM: "out_of_pocket",
    PartKind.NOT_COVERED: "not_covered",
    PartKind.VISIT_LIMIT: "visit_limit",
}


def _tier_share(record: EligibilityRecord, tier: NetworkTier) -> CostShareOut | None:
    benefits = _mental_health(record)
    if benefits is None:
        return None
    return benefits.in_network if tier is NetworkTier.IN_NETWORK else benefits.out_of_network


def _share_for(benefits: BenefitsOut, item: LineItem) -> CostShareOut | None:
    """The terms that price a line: the ones naming its procedure, else its category's, per tier."""
    named = benefits.for_procedure(item.service.code.value)
    if item.service.network is NetworkTier.IN_NETWORK:
        return named.in_network if named else benefits.in_network
    return (named.out_of_network if named else None) or benefits.out_of_network


def undetermined(
    record: EligibilityRecord, terms: PlanBenefits, item: LineItem
) -> tuple[tuple[str, str], ...]:
    """(term, why) for each part of a line's share the 271 left unknown: a term it did not give is
    unknown, never zero (the engine reads it as zero, so the line shows the rest of the share)."""
    benefits = _mental_health(record)
    if benefits is None:
        return ()
    tier = "in-network" if item.service.network is NetworkTier.IN_NETWORK else "out-of-network"
    share = _share_for(benefits, item)
    if share is None:
        return (("coverage", f"the payer gave no {tier} benefits for mental health"),)
    tier_terms = terms.terms(item.service.network)
    if tier_terms is None or not item.covered or not item.allowed:
        return ()
    rule = tier_terms.rule(item.service.category, item.service.code.value)
    found = []
    deductible = share.deductible
    if (
        rule.deductible_applies
        and deductible.individual_total_cents is None
        and deductible.family_total_cents is None
    ):
        found.append(("deductible", f"the payer gave no {tier} deductible for mental health"))
    if rule.coinsurance_applies and rule.coinsurance is None and share.coinsurance_rate is None:
        found.append(("coinsurance", f"the payer gave no {tier} coinsurance for mental health"))
    return tuple(found)


def priced_by(record: EligibilityRecord, item: LineItem) -> tuple[tuple[str, BenefitLineOut], ...]:
    """Which 271 lines priced a line: for each part of the participant's share, the line its term
    was read from (the lines naming the line's procedure, when some do)."""
    benefits = _mental_health(record)
    if benefits is None:
        return ()
    share = _share_for(benefits, item)
    if share is None:
        return ()
    terms = [PART_TERMS[p.kind] for p in item.parts if p.kind in PART_TERMS]
    if not terms and item.allowed:
        terms = ["deductible", "coinsurance"]  # shared to $0: the terms that made it so
    found: dict[tuple[str, int], BenefitLineOut] = {}
    for term in terms:
        for line in share.sources.get(term, []):
            found.setdefault((term, line.line), line)
    return tuple((term, line) for (term, _), line in found.items())


def _met(accumulator: AccumulatorOut) -> tuple[int, int]:
    """(individual met, family met) from a 271's totals and remaining amounts."""
    individual = family = 0
    if accumulator.individual_total_cents is not None and accumulator.individual_remaining_cents is not None:
        individual = max(accumulator.individual_total_cents - accumulator.individual_remaining_cents, 0)
    if accumulator.family_total_cents is not None and accumulator.family_remaining_cents is not None:
        family = max(accumulator.family_total_cents - accumulator.family_remaining_cents, 0)
    return individual, max(family, individual)


def starting_accumulators(
    member: str,
    record: EligibilityRecord,
    claims: Iterable[Mapping[str, Any]],
    *,
    pricing: frozenset[str] = frozenset(),
    family: Iterable[Mapping[str, Any]] = (),
) -> Accumulators:
    """The 271's figures plus the projected claims recorded since it (for this plan), except
    the claims of the services being priced now (`pricing`): those count once, as priced.
    Other family members' claims since it (`family`, their shares) fill the family figures."""
    benefits = _mental_health(record)
    shares = {
        NetworkTier.IN_NETWORK: benefits.in_network if benefits else None,
        NetworkTier.OUT_OF_NETWORK: benefits.out_of_network if benefits else None,
    }
    tiers: dict[NetworkTier, list[int]] = {}
    for tier, share in shares.items():
        deductible, family_deductible = _met(share.deductible) if share else (0, 0)
        oop, family_oop = _met(share.out_of_pocket) if share else (0, 0)
        tiers[tier] = [deductible, family_deductible, oop, family_oop]
    for claim in claims:
        if claim.get("plan_id") != record.plan_id or claim.get("basis", "insured") != "insured":
            continue
        if claim.get("source_id") in pricing or pricing.intersection(claim.get("covers") or ()):
            continue  # a per-diem day's claim covers the sessions it was made from
        if datetime.fromisoformat(str(claim["recorded_at"])) <= record.checked_at:
            continue  # the 271 already counts it
        figures = tiers[NetworkTier(str(claim.get("network", NetworkTier.IN_NETWORK.value)))]
        deductible, oop = int(claim.get("deductible_cents", 0)), int(claim.get("oop_cents", 0))
        figures[0] += deductible
        figures[1] += deductible
        figures[2] += oop
        figures[3] += oop
    for given in family:
        if given.get("plan_id") != record.plan_id:
            continue
        if datetime.fromisoformat(str(given["recorded_at"])) <= record.checked_at:
            continue  # the 271 already counts it
        figures = tiers[NetworkTier(str(given.get("network") or NetworkTier.IN_NETWORK.value))]
        figures[1] += int(given.get("deductible_cents", 0))
        figures[3] += int(given.get("oop_cents", 0))
    return Accumulators(
        in_network=_tier(member, tiers[NetworkTier.IN_NETWORK]),
        out_of_network=_tier(member, tiers[NetworkTier.OUT_OF_NETWORK]),
    )


def _tier(member: str, figures: list[int]) -> TierAccumulators:
    deductible, family_deductible, oop, family_oop = figures
    return TierAccumulators(
        individual_deductible={member: deductible},
        family_deductible=family_deductible,
        individual_oop={member: oop},
        family_oop=family_oop,
    )


# --- the estimate -------------------------------------------------------------------------


class MissingPrice(Conflict):
    """The program's prices do not cover a service (no chargemaster, or a code without a
    price): a configuration gap for coordinators (409 through the shared error mapping)."""

    def __init__(self, gap: str) -> None:
        super().__init__(f"the program's prices do not cover this yet ({gap}); a coordinator must add them")


@dataclass(frozen=True)
class EstimateLine:
    sources: tuple[WeekService, ...]
    """What the line bills: one session or occurrence, or a per-diem day's program sessions."""
    day: date
    item: LineItem | None
    """None for a line billed elsewhere (a couples session under the partner's plan)."""
    note: str | None = None
    priced_by: tuple[tuple[str, BenefitLineOut], ...] = ()
    """(term, 271 line) pairs: the eligibility lines whose terms priced this line."""
    undetermined: tuple[tuple[str, str], ...] = ()
    """(term, why): parts of the share the 271 left unknown (not counted in the line's amount)."""
    term_sources: tuple[TermSource, ...] = ()
    """Each part of the share (order, copay, deductible, coinsurance, visit limit, billing,
    out-of-pocket maximum) and where it came from: the 271, confirmed terms or an assumption."""


@dataclass(frozen=True)
class Estimate:
    basis: str
    """`insured`, `self_pay`, `unverified` (no usable eligibility result) or `inactive`."""
    plan_id: str | None
    network: NetworkTier | None
    lines: tuple[EstimateLine, ...]
    notes: tuple[str, ...]
    accumulators: Accumulators | None = None
    per_diem: bool = False
    """Billed per diem: a day's program sessions are one line, claimed as one day."""

    @property
    def participant_pays(self) -> int:
        return sum(line.item.participant_pays for line in self.lines if line.item)

    @property
    def plan_pays(self) -> int:
        return sum(line.item.plan_pays for line in self.lines if line.item)

    @property
    def charge(self) -> int:
        return sum(line.item.service.charge for line in self.lines if line.item)


def _day_session(service: WeekService, member: str, zone: ZoneInfo) -> DaySession:
    return DaySession(
        on=service.start.astimezone(zone).date(),
        category=service.category,
        minutes=service.minutes,
        member_id=member,
        attended=service.status != "missed",
        session_id=service.source_id,
    )


def _units(
    services: list[WeekService], per_diem: bool, zone: ZoneInfo
) -> list[tuple[date, tuple[WeekService, ...]]]:
    """The groups of services priced together: each service alone, or a day's (per diem)."""
    if not per_diem:
        return [(s.start.astimezone(zone).date(), (s,)) for s in services]
    days: dict[date, list[WeekService]] = {}
    for service in services:
        days.setdefault(service.start.astimezone(zone).date(), []).append(service)
    return [(day, tuple(group)) for day, group in sorted(days.items())]


def estimate(
    person_id: str,
    services: list[WeekService],
    coverage: Coverage,
    reference: BillingReference,
    *,
    zone: ZoneInfo,
    on: date,
    accumulators: Accumulators | None = None,
    earlier: Sequence[WeekService] = (),
) -> Estimate:
    """Price `services` (by start) for the participant, with the plan in force on `on`.
    `earlier`: their services of the weeks between the plan's 271 and these (what counts
    against the 271's visit limits besides claims and booked sessions: group occurrences)."""
    notes: list[str] = []
    elsewhere = [
        EstimateLine(
            (s,), s.start.astimezone(zone).date(), None, "billed once, under the other partner's plan"
        )
        for s in services
        if s.billed_to_partner
    ]
    billable = [s for s in services if not s.billed_to_partner and s.status != "missed"]
    master = reference.chargemaster.chargemaster() if reference.chargemaster else None
    plan = coverage.plan_on(on)
    if master is None:
        raise MissingPrice("the program has no chargemaster")
    if plan is None or plan.plan_type is PlanType.SELF_PAY:
        try:
            lines = [
                EstimateLine(sources, day, item)
                for day, sources in _units(billable, False, zone)
                for item in self_pay([_day_session(s, person_id, zone) for s in sources], master).lines
            ]
        except ValueError as exc:  # a code the chargemaster has no price for
            raise MissingPrice(str(exc)) from None
        notes.append("no insurance in force: the program's self-pay prices apply")
        return Estimate(
            "self_pay", plan.plan_id if plan else None, None, _ordered(lines + elsewhere), tuple(notes)
        )
    fees = reference.fee_schedules.get(plan.payer_id or "")
    record = coverage.eligibility.get(plan.plan_id)
    network = network_of(plan)
    if plan.network_status is NetworkStatus.UNKNOWN:
        notes.append("the program's network status with this payer is unknown: estimated as in network")
    benefits = plan_benefits(record) if record and record.status == "active" else None
    confirmed = coverage.confirmed.get(plan.plan_id)
    if benefits is not None and confirmed is not None:
        benefits = with_confirmed(benefits, confirmed, visit_pool=VISIT_POOL)
    if fees is None:
        notes.append("no fee schedule for this payer: services are shown at the full charge")
    if record is None:
        basis = "unverified"
        notes.append(
            f"{NOT_VERIFIED_YET}: eligibility has not been checked; shown at the full charge until it is"
        )
    elif record.status != "active":
        basis = "inactive" if record.status == "inactive" else "unverified"
        notes.append(
            "the payer did not confirm active coverage: shown at the full charge"
            if basis == "inactive"
            else f"{NOT_VERIFIED_YET}: the payer has not confirmed active coverage; shown at the full charge"
        )
    elif benefits is None:
        basis = "unverified"
        notes.append("the payer gave no mental-health benefits: shown at the full charge")
    else:
        basis = "insured"
    model = billing_model(fees, confirmed, network)
    per_diem = model is BillingModel.PER_DIEM
    units = _units(billable, per_diem, zone)
    priced: list[tuple[date, tuple[WeekService, ...], list[Any]]] = []
    for day, sources in units:
        sessions = [_day_session(s, person_id, zone) for s in sources]
        schedule = (
            fees.schedule(network)
            if fees
            else FeeSchedule(payer=plan.payer_id or "", network=network, allowed={})
        )
        schedule = replace(schedule, billing=replace(schedule.billing, model=model))
        try:
            claims = claim_lines(
                sessions, schedule, master, program=fees.program if fees else Program.MENTAL_HEALTH
            )
        except ValueError as exc:  # a code the chargemaster has no price for
            raise MissingPrice(str(exc)) from None
        priced.append((day, sources, claims))
    share = _tier_share(record, network) if basis == "insured" and record is not None else None
    if share is not None:
        share = limited_share(share, confirmed, network)
    if basis == "insured" and benefits is not None and record is not None:
        pricing = frozenset(s.source_id for s in billable)
        start = accumulators
        if start is None:
            start = starting_accumulators(
                person_id, record, coverage.claims, pricing=pricing, family=coverage.family_shares
            )
            limit = allowance(share) if share is not None else None
            if limit is not None and units:
                used = used_before(
                    limit,
                    plan_id=record.plan_id,
                    checked_at=record.checked_at,
                    claims=coverage.claims,
                    expected=[*booked_expected(coverage.booked), *_expected(earlier, zone, per_diem)],
                    before=units[0][0],
                    pricing=pricing,
                )
                start = replace(start, pooled_visits={person_id: {VISIT_POOL: used}})
        result = apply([svc for _, _, claims in priced for svc in claims], benefits, start)
    else:
        denied = [replace(svc, covered=False) for _, _, claims in priced for svc in claims]
        result = apply(denied, PlanBenefits(in_network=BenefitTerms(), out_of_network=BenefitTerms()))
    items = iter(result.lines)
    lines = []
    for day, sources, claims in priced:
        for _ in claims:
            item = next(items)
            if basis == "insured" and benefits is not None and record is not None:
                found = line_sources(record, benefits, confirmed, item, model, fees)
                confirmed_terms = {s.part for s in found if s.source == "confirmed_terms"}
                lines.append(
                    EstimateLine(
                        sources,
                        day,
                        item,
                        priced_by=tuple(
                            (term, line)
                            for term, line in priced_by(record, item)
                            if term not in confirmed_terms
                        ),
                        undetermined=undetermined(record, benefits, item),
                        term_sources=found,
                    )
                )
            else:
                lines.append(EstimateLine(sources, day, _unverified(item) if basis == "unverified" else item))
    if share is not None:
        notes.extend(
            limit_notes(
                share,
                allowance(share),
                (
                    Counted(
                        line.day,
                        any(p.kind is PartKind.VISIT_LIMIT for p in line.item.parts),
                        line.item.covered and not line.item.service.add_on,
                    )
                    for line in lines
                    if line.item is not None
                ),
            )
        )
        oop = share.out_of_pocket
        if not share.not_covered and oop.individual_total_cents is None and oop.family_total_cents is None:
            tier = "in-network" if network is NetworkTier.IN_NETWORK else "out-of-network"
            notes.append(
                f"the payer gave no {tier} out-of-pocket maximum: the shares shown are not capped by one"
            )
    if confirmed is not None and basis == "insured":
        notes.append(confirmed_note(confirmed))
    unknown = dict.fromkeys(why for line in lines for _, why in line.undetermined)
    if unknown:
        notes.append(
            "the participant's share could not be fully determined ("
            + "; ".join(unknown)
            + "): the amounts shown leave those parts out; ask the payer or confirm the plan's terms"
        )
    return Estimate(
        basis,
        plan.plan_id,
        network,
        _ordered(lines + elsewhere),
        tuple(notes),
        result.accumulators if basis == "insured" else None,
        per_diem,
    )


NOT_VERIFIED_YET = "not verified yet"
"""What a plan with no confirmed eligibility reads as (issue 10): never "not covered by the plan"."""


def _unverified(item: LineItem) -> LineItem:
    """A line of a plan not verified yet: at the full charge, and saying why (not "not covered")."""
    reason = f"{NOT_VERIFIED_YET}: the full charge until the payer confirms coverage"
    return replace(item, parts=tuple(replace(part, reason=reason) for part in item.parts))


EARLIER_WEEKS = 6
"""At most this many weeks before an estimate are read for what they will use of a visit limit:
a 271 older than that is stale long before (re-checked nightly), so its earlier weeks are
counted from the following one."""


def limit_counted_since(coverage: Coverage, on: date) -> date | None:
    """When the plan in force on `on` has a 271 stating a visit (or day) limit the engine
    counts: the day that 271 was checked (the services of the weeks between it and `on` count
    against the limit); else None, and no earlier week needs reading."""
    plan = coverage.plan_on(on)
    if plan is None or plan.plan_type is PlanType.SELF_PAY:
        return None
    record = coverage.eligibility.get(plan.plan_id)
    if record is None or record.status != "active":
        return None
    network = network_of(plan)  # the tier `estimate` prices with
    share = _tier_share(record, network)
    if (
        share is None
        or allowance(limited_share(share, coverage.confirmed.get(plan.plan_id), network)) is None
    ):
        return None
    return record.checked_at.date()


def earlier_weeks(since: date, on: date) -> list[str]:
    """The ISO weeks from the one holding `since` up to the one before `on`'s, the latest
    `EARLIER_WEEKS` of them."""
    monday = on - timedelta(days=on.weekday())
    first = max(since - timedelta(days=since.weekday()), monday - timedelta(weeks=EARLIER_WEEKS))
    weeks = []
    while first < monday:
        year, number, _ = first.isocalendar()
        weeks.append(f"{year}-W{number:02d}")
        first += timedelta(weeks=1)
    return weeks


def _expected(earlier: Iterable[WeekService], zone: ZoneInfo, per_diem: bool) -> list[Expected]:
    """Services of earlier weeks still expected (booked or enrolled, not yet recorded) that
    would bill this participant: visits the 271 has not counted yet."""
    return [
        Expected(s.source_id, s.start.astimezone(zone).date(), per_diem=per_diem)
        for s in earlier
        if s.status == "expected" and not s.billed_to_partner and s.category not in NOT_BILLABLE
    ]


def per_diem_rule(
    coverage: Coverage, reference: BillingReference, day: date
) -> tuple[BillingRule, Program] | None:
    """How the plan billed on `day` codes a per-diem day (None when that day bills per
    service: self-pay, no plan, no fee schedule, or a per-service payer)."""
    plan = coverage.plan_on(day)
    if plan is None or plan.plan_type is PlanType.SELF_PAY:
        return None
    fees = reference.fee_schedules.get(plan.payer_id or "")
    if (
        fees is None
        or billing_model(fees, coverage.confirmed.get(plan.plan_id), network_of(plan))
        is not BillingModel.PER_DIEM
    ):
        return None
    return replace(fees.rule(), model=BillingModel.PER_DIEM), fees.program


def network_of(plan: PlanRecord) -> NetworkTier:
    """The tier the plan's services are priced in (an unknown network status: in network)."""
    if plan.network_status is NetworkStatus.OUT_OF_NETWORK:
        return NetworkTier.OUT_OF_NETWORK
    return NetworkTier.IN_NETWORK


PER_DIEM_CODES = {
    Program.MENTAL_HEALTH: BillingCode.PSYCHIATRIC_IOP_PER_DIEM,
    Program.SUBSTANCE_USE: BillingCode.ALCOHOL_DRUG_IOP_PER_DIEM,
}


def billing_model(
    fees: FeeScheduleRecord | None, confirmed: ConfirmedTermsRecord | None, network: NetworkTier
) -> BillingModel:
    """How a program day bills: as the plan's confirmed terms say (per diem only where the fee
    schedule has a per-diem rate for the tier), else as the program's fee schedule says."""
    if fees is None:
        return BillingModel.PER_SERVICE
    if confirmed is None or confirmed.iop_billing is None:
        return fees.billing_model
    if confirmed.iop_billing is BillingModel.PER_DIEM and PER_DIEM_CODES[fees.program] not in (
        fees.schedule(network).allowed
    ):
        return BillingModel.PER_SERVICE
    return confirmed.iop_billing


def line_sources(
    record: EligibilityRecord,
    benefits: PlanBenefits,
    confirmed: ConfirmedTermsRecord | None,
    item: LineItem,
    model: BillingModel,
    fees: FeeScheduleRecord | None,
) -> tuple[TermSource, ...]:
    """Where each part of a priced line's share came from. A line a 271 line names by its
    procedure keeps that line's terms (confirmed terms are per category)."""
    mental_health = _mental_health(record)
    terms = benefits.terms(item.service.network)
    share = _share_for(mental_health, item) if mental_health else None
    denied = any(p.kind in (PartKind.NOT_COVERED, PartKind.SELF_PAY) for p in item.parts)
    if share is None or terms is None or denied:
        return ()
    service = item.service
    named = service.code.value in terms.procedure_rules  # priced by its own 271 line
    entry = confirmed.entry(service.category, service.network) if confirmed and not named else None
    return term_sources(
        rule=terms.rule(service.category, service.code.value),
        share=share if named else limited_share(share, confirmed, service.network),
        entry=entry,
        document=confirmed.document if confirmed else None,
        billing=billing_source(model, confirmed, fee_schedule_model=fees.billing_model if fees else None),
        tier="in-network" if service.network is NetworkTier.IN_NETWORK else "out-of-network",
    )


def _ordered(lines: list[EstimateLine]) -> tuple[EstimateLine, ...]:
    return tuple(sorted(lines, key=lambda line: (line.sources[0].start, line.sources[0].source_id)))


def result_of(lines: Iterable[EstimateLine]) -> CostShareResult:
    """The engine's result for some lines (their totals)."""
    return CostShareResult(lines=tuple(line.item for line in lines if line.item), accumulators=Accumulators())


def shifted(services: list[WeekService], weeks: int) -> list[WeekService]:
    """The week's services repeated `weeks` times, a week apart, all expected."""
    return [
        replace(
            s,
            source_id=f"{s.source_id}+{n}w" if n else s.source_id,
            start=s.start + timedelta(weeks=n),
            end=s.end + timedelta(weeks=n),
            status="expected",
        )
        for n in range(weeks)
        for s in services
    ]
