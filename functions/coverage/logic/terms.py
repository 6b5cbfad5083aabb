"""A plan's confirmed terms: what a coordinator read in the plan's Summary of Benefits and
Coverage (SBC) and a 271 cannot carry (how a copay combines with the deductible and
coinsurance, per-diem or per-service IOP billing), per benefit category and network tier.
Confirmed terms override what the estimates infer from the 271, field by field: a field the
SBC leaves unset still comes from the 271. Shapes, checks, and their mapping onto the
cost-share engine's rules. Pure: no boto3, no clock (callers pass `now`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.common.errors import FieldError, InvalidInput
from functions.common.models import CalendarDate, DisplayName, SingleLine, StoredRecord, iso
from functions.coverage import keys
from functions.coverage.logic.costshare import (
    NOT_BILLABLE,
    BenefitTerms,
    BillingModel,
    CategoryRule,
    NetworkTier,
    PlanBenefits,
    ServiceCategory,
)
from functions.coverage.logic.eligibility import BenefitLineOut, CostShareOut, LimitOut
from functions.coverage.logic.limits import allowance
from functions.coverage.logic.money import format_percent, format_usd, to_cents, to_dollars
from functions.coverage.vocabulary import CostShareOrder
from functions.coverage.x12.codes import TimePeriod

ENTITY_CONFIRMED_TERMS = "CONFIRMED_TERMS"

Dollars = Annotated[Decimal, Field(ge=0, le=100000, decimal_places=2, description="US dollars, exact")]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=3, description="Percent: 20 is 20 %")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), SingleLine]
VisitPeriod = Literal["calendar_year", "plan_year", "week"]
PERIODS: dict[str, TimePeriod] = {
    "calendar_year": TimePeriod.CALENDAR_YEAR,
    "plan_year": TimePeriod.SERVICE_YEAR,
    "week": TimePeriod.WEEK,
}
CONFIRMABLE = tuple(c for c in ServiceCategory if c not in NOT_BILLABLE)
"""The categories a plan's terms can be confirmed for (the billed ones)."""

ORDER_RULES: dict[CostShareOrder, tuple[bool, bool, bool]] = {
    CostShareOrder.COPAY_BEFORE_DEDUCTIBLE: (False, False, False),
    CostShareOrder.DEDUCTIBLE_THEN_COPAY: (True, False, True),
    CostShareOrder.COPAY_THEN_COINSURANCE: (False, True, False),
    CostShareOrder.DEDUCTIBLE_THEN_COINSURANCE: (True, True, False),
}
"""Each order as the engine's `CategoryRule` flags: (deductible applies, coinsurance applies,
copay after the deductible)."""
ORDER_WORDS: dict[CostShareOrder, str] = {
    CostShareOrder.COPAY_BEFORE_DEDUCTIBLE: "the copay alone, before the deductible (left untouched)",
    CostShareOrder.DEDUCTIBLE_THEN_COPAY: "the deductible first, then the copay once it is met",
    CostShareOrder.COPAY_THEN_COINSURANCE: "the copay, then coinsurance on the rest",
    CostShareOrder.DEDUCTIBLE_THEN_COINSURANCE: "the deductible, then coinsurance (no copay)",
}
NEEDS_COPAY = frozenset(
    {
        CostShareOrder.COPAY_BEFORE_DEDUCTIBLE,
        CostShareOrder.DEDUCTIBLE_THEN_COPAY,
        CostShareOrder.COPAY_THEN_COINSURANCE,
    }
)


# --- shapes ---------------------------------------------------------------------------------


class SbcDocument(BaseModel):
    """The document the terms were read from: its name, and its version, date or a reference
    to where it is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: DisplayName = Field(description="e.g. Lone Star Mutual PPO 1500: Summary of Benefits and Coverage")
    version: ShortText | None = Field(default=None, description="The SBC's version or form number")
    issued_on: CalendarDate | None = Field(
        default=None, description="The SBC's date, or its coverage period's start"
    )
    reference: ShortText | None = Field(
        default=None, description="Where the document is kept: a document id or link"
    )

    def cite(self) -> str:
        """The document in words, e.g. `Acme PPO SBC, version 2027.1, 2027-01-01`."""
        bits = [self.name]
        if self.version:
            bits.append(f"version {self.version}")
        if self.issued_on:
            bits.append(self.issued_on.isoformat())
        text = ", ".join(bits)
        return f"{text} ({self.reference})" if self.reference else text


class VisitLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    visits: int = Field(ge=0, le=1000)
    period: VisitPeriod = Field(description="calendar_year, plan_year or week")


class CategoryTermsIn(BaseModel):
    """One category's terms in one network tier, as the SBC states them. A field left out is
    taken from the 271."""

    model_config = ConfigDict(extra="forbid")

    category: ServiceCategory = Field(
        description="A billed category: " + ", ".join(c.value for c in CONFIRMABLE)
    )
    network: NetworkTier = NetworkTier.IN_NETWORK
    order: CostShareOrder | None = Field(
        default=None,
        description="How the copay combines with the deductible and coinsurance: "
        "copay_before_deductible (the copay alone, deductible untouched), deductible_then_copay, "
        "copay_then_coinsurance (coinsurance on what the copay leaves), deductible_then_coinsurance "
        "(no copay). An order with a copay needs `copay`.",
    )
    copay: Dollars | None = Field(default=None, description="Per visit (per day for a per-diem day)")
    coinsurance_percent: Percent | None = None
    visit_limit: VisitLimitIn | None = Field(
        default=None,
        description="Counted with the plan's other mental-health visits, as the 271's limit is; "
        "a weekly limit is reported, not enforced",
    )


class ConfirmedTermsIn(BaseModel):
    """A plan's terms confirmed from its SBC (PUT replaces them whole)."""

    model_config = ConfigDict(extra="forbid")

    document: SbcDocument
    categories: list[CategoryTermsIn] = Field(default_factory=list, max_length=len(CONFIRMABLE) * 2)
    iop_billing: BillingModel | None = Field(
        default=None,
        description="Whether the plan pays a program (IOP) day per diem or each service; unset: as the "
        "program's fee schedule for the payer says",
    )


class CategoryTerms(BaseModel):
    """One category's confirmed terms, as stored (cents and rates)."""

    model_config = ConfigDict(frozen=True)

    category: ServiceCategory
    network: NetworkTier = NetworkTier.IN_NETWORK
    order: CostShareOrder | None = None
    copay_cents: int | None = None
    coinsurance_rate: Decimal | None = None
    visit_limit: int | None = None
    visit_limit_period: VisitPeriod | None = None

    @property
    def confirmed(self) -> frozenset[str]:
        """The terms (as estimates name them) these confirm."""
        given = {
            "order": self.order is not None,
            "copay": self.copay_cents is not None,
            "coinsurance": self.coinsurance_rate is not None,
            "visit_limit": self.visit_limit is not None,
        }
        return frozenset(term for term, is_given in given.items() if is_given)


class CategoryTermsOut(BaseModel):
    category: ServiceCategory
    network: NetworkTier
    order: CostShareOrder | None = None
    copay: Decimal | None = None
    coinsurance_percent: Decimal | None = None
    visit_limit: VisitLimitIn | None = None


class ConfirmedTermsOut(BaseModel):
    participant_id: str
    plan_id: str
    document: SbcDocument
    categories: list[CategoryTermsOut]
    iop_billing: BillingModel | None = None
    entered_by: str = Field(description="The coordinator who entered them")
    entered_at: datetime
    version: int


class ConfirmedTermsRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    person_id: str
    plan_id: str
    document: SbcDocument
    categories: list[CategoryTerms] = Field(default_factory=list)
    iop_billing: BillingModel | None = None
    entered_by: str
    entered_at: datetime
    version: int = 1

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.terms_key(self.person_id, self.plan_id),
            "entity": ENTITY_CONFIRMED_TERMS,
            **self.model_dump(mode="json"),
            "entered_at": iso(self.entered_at),
        }

    def entry(self, category: ServiceCategory, network: NetworkTier) -> CategoryTerms | None:
        return next((c for c in self.categories if c.category is category and c.network is network), None)


# --- checks and mapping ---------------------------------------------------------------------


def check_terms(request: ConfirmedTermsIn) -> None:
    """What the schema cannot say alone; InvalidInput naming each offending field."""
    errors = []
    seen: set[tuple[ServiceCategory, NetworkTier]] = set()
    for n, entry in enumerate(request.categories):
        at = f"body.categories.{n}"
        if entry.category in NOT_BILLABLE:
            errors.append(FieldError(f"{at}.category", "never billed: it has no terms to confirm"))
        if (entry.category, entry.network) in seen:
            errors.append(FieldError(f"{at}.category", "given twice for this network"))
        seen.add((entry.category, entry.network))
        if entry.order in NEEDS_COPAY and entry.copay is None:
            errors.append(FieldError(f"{at}.copay", f"required: the order {entry.order} takes a copay"))
        if entry.order is CostShareOrder.DEDUCTIBLE_THEN_COINSURANCE and entry.copay is not None:
            errors.append(FieldError(f"{at}.copay", "the order deductible_then_coinsurance takes no copay"))
        if entry.order is CostShareOrder.COPAY_BEFORE_DEDUCTIBLE and entry.coinsurance_percent is not None:
            errors.append(
                FieldError(
                    f"{at}.coinsurance_percent", "the order copay_before_deductible takes no coinsurance"
                )
            )
        if not entry.model_fields_set - {"category", "network"}:
            errors.append(
                FieldError(at, "names no term: give an order, a copay, a coinsurance or a visit limit")
            )
    if errors:
        raise InvalidInput("the confirmed terms are not consistent", errors=errors)


def record_from(
    request: ConfirmedTermsIn, *, person_id: str, plan_id: str, entered_by: str, now: datetime, version: int
) -> ConfirmedTermsRecord:
    return ConfirmedTermsRecord(
        person_id=person_id,
        plan_id=plan_id,
        document=request.document,
        categories=[
            CategoryTerms(
                category=c.category,
                network=c.network,
                order=c.order,
                copay_cents=to_cents(c.copay) if c.copay is not None else None,
                coinsurance_rate=c.coinsurance_percent / 100 if c.coinsurance_percent is not None else None,
                visit_limit=c.visit_limit.visits if c.visit_limit else None,
                visit_limit_period=c.visit_limit.period if c.visit_limit else None,
            )
            for c in request.categories
        ],
        iop_billing=request.iop_billing,
        entered_by=entered_by,
        entered_at=now,
        version=version,
    )


def to_output(record: ConfirmedTermsRecord) -> ConfirmedTermsOut:
    return ConfirmedTermsOut(
        participant_id=record.person_id,
        plan_id=record.plan_id,
        document=record.document,
        categories=[
            CategoryTermsOut(
                category=c.category,
                network=c.network,
                order=c.order,
                copay=to_dollars(c.copay_cents) if c.copay_cents is not None else None,
                coinsurance_percent=(c.coinsurance_rate * 100).normalize()
                if c.coinsurance_rate is not None
                else None,
                visit_limit=VisitLimitIn(visits=c.visit_limit, period=c.visit_limit_period)
                if c.visit_limit is not None and c.visit_limit_period
                else None,
            )
            for c in record.categories
        ],
        iop_billing=record.iop_billing,
        entered_by=record.entered_by,
        entered_at=record.entered_at,
        version=record.version,
    )


def _yearly(entry: CategoryTerms) -> bool:
    return entry.visit_limit is not None and entry.visit_limit_period != "week"


def _in_order(rule: CategoryRule, order: CostShareOrder, copay: int) -> CategoryRule:
    deductible, coinsurance, copay_after = ORDER_RULES[order]
    return replace(
        rule,
        copay=copay,
        deductible_applies=deductible,
        coinsurance_applies=coinsurance,
        copay_after_deductible=copay_after,
    )


def _order_of(rule: CategoryRule) -> CostShareOrder | None:
    flags = (rule.deductible_applies, rule.coinsurance_applies, rule.copay_after_deductible)
    return next(
        (
            order
            for order, expected in ORDER_RULES.items()
            if expected == flags and (rule.copay > 0) == (order in NEEDS_COPAY)
        ),
        None,
    )


def confirmed_rule(rule: CategoryRule, entry: CategoryTerms, *, visit_pool: str) -> CategoryRule:
    """`rule` (inferred from the 271) with what the SBC confirmed put over it. A copay confirmed
    without an order is taken before the deductible, as a 271's copay is."""
    if entry.order is not None:
        rule = _in_order(rule, entry.order, entry.copay_cents or 0)
    elif entry.copay_cents is not None:
        rule = _in_order(rule, CostShareOrder.COPAY_BEFORE_DEDUCTIBLE, entry.copay_cents)
    if entry.coinsurance_rate is not None:
        rule = replace(rule, coinsurance=entry.coinsurance_rate)
    if _yearly(entry):
        # An SBC's limit counts visits, even where the 271 stated days per admission.
        rule = replace(rule, visit_limit=entry.visit_limit, visit_pool=visit_pool, visit_unit="visit")
    return rule


def with_confirmed(benefits: PlanBenefits, record: ConfirmedTermsRecord, *, visit_pool: str) -> PlanBenefits:
    """The engine's terms with the confirmed ones over them, per category and tier. A tier the
    271 gave no benefits for stays without them (confirmed terms do not make a plan cover)."""

    def tier(terms: BenefitTerms | None, network: NetworkTier) -> BenefitTerms | None:
        if terms is None:
            return None
        rules = dict(terms.rules)
        for entry in record.categories:
            if entry.network is network:
                base = terms.rules.get(entry.category, terms.default_rule)
                rules[entry.category] = confirmed_rule(base, entry, visit_pool=visit_pool)
        return replace(terms, rules=rules)

    in_network = tier(benefits.in_network, NetworkTier.IN_NETWORK)
    assert in_network is not None
    return replace(
        benefits,
        in_network=in_network,
        out_of_network=tier(benefits.out_of_network, NetworkTier.OUT_OF_NETWORK),
    )


def limited_share(
    share: CostShareOut, record: ConfirmedTermsRecord | None, network: NetworkTier
) -> CostShareOut:
    """The 271's answer for a tier with the visit limit the SBC confirmed (the smallest, when
    several categories confirm one): what remains is the confirmed limit less what the 271
    counted. A weekly limit joins the 271's limits (reported, not enforced)."""
    entries = [
        e for e in (record.categories if record else []) if e.network is network and e.visit_limit is not None
    ]
    yearly = sorted((e for e in entries if _yearly(e)), key=lambda e: e.visit_limit or 0)
    update: dict[str, Any] = {}
    if yearly:
        limit = yearly[0]
        assert limit.visit_limit is not None
        assert limit.visit_limit_period is not None
        if share.visit_limit is not None and share.visits_remaining is not None:
            remaining = limit.visit_limit - max(share.visit_limit - share.visits_remaining, 0)
        elif share.visits_remaining is not None:  # the 271 said what remains, not of what
            remaining = min(limit.visit_limit, share.visits_remaining)
        else:
            remaining = limit.visit_limit
        update |= {
            "visit_limit": limit.visit_limit,
            "visit_limit_period": PERIODS[limit.visit_limit_period],
            "visits_remaining": max(remaining, 0),
        }
    weekly = [
        LimitOut(
            kind="limit",
            quantity=Decimal(e.visit_limit or 0),
            unit="visits",
            unit_code="VS",
            period=TimePeriod.WEEK,
        )
        for e in entries
        if not _yearly(e)
    ]
    if weekly:
        update["limits"] = [*share.limits, *weekly]
    return share.model_copy(update=update) if update else share


# --- where each part of an estimate's share came from ----------------------------------------

FROM_271 = "271"
FROM_CONFIRMED = "confirmed_terms"
FROM_ASSUMPTION = "assumption"


@dataclass(frozen=True)
class TermSource:
    """Where one part of a line's share came from."""

    part: str
    """order, copay, deductible, coinsurance, visit_limit, billing or out_of_pocket_maximum."""
    source: str
    """`271`, `confirmed_terms` or `assumption`."""
    detail: str
    """What the term is, in words (the assumption, when it is one)."""
    lines: tuple[BenefitLineOut, ...] = ()
    """The 271 lines it was read from."""
    document: SbcDocument | None = None


def _order_words(rule: CategoryRule) -> str:
    order = _order_of(rule)
    if order is not None:
        return ORDER_WORDS[order]
    parts = [
        name
        for name, applies in (
            ("the copay", rule.copay > 0),
            ("the deductible", rule.deductible_applies),
            ("coinsurance", rule.coinsurance_applies),
        )
        if applies
    ]
    return ", then ".join(parts) or "nothing to share"


def term_sources(
    *,
    rule: CategoryRule,
    share: CostShareOut,
    entry: CategoryTerms | None,
    document: SbcDocument | None,
    billing: TermSource,
    tier: str,
) -> tuple[TermSource, ...]:
    """Each part of one line's share and where it came from: the confirmed terms (`entry`, from
    `document`), the 271 (`share`, with its lines), or an assumption stated in words. Parts the
    line's rule does not use (a copay on a coinsurance line) are left out."""
    confirmed = entry.confirmed if entry else frozenset()

    def from_271(part: str, term: str, detail: str, missing: str) -> TermSource:
        if share.sources.get(term) or detail:
            return TermSource(part, FROM_271, detail, tuple(share.sources.get(term, ())))
        return TermSource(part, FROM_ASSUMPTION, missing)

    def confirmed_source(part: str, detail: str) -> TermSource:
        return TermSource(part, FROM_CONFIRMED, detail, document=document)

    found: list[TermSource] = []
    if "order" in confirmed:
        found.append(confirmed_source("order", ORDER_WORDS[entry.order] if entry and entry.order else ""))
    else:
        found.append(
            TermSource(
                "order",
                FROM_ASSUMPTION,
                f"{_order_words(rule)}: a 271 cannot say how a copay combines with the deductible "
                "(confirm the plan's terms from its SBC)",
            )
        )
    if rule.copay:
        found.append(
            confirmed_source("copay", f"{format_usd(rule.copay)} copay")
            if "copay" in confirmed
            else from_271("copay", "copay", f"{format_usd(rule.copay)} copay", "")
        )
    if rule.deductible_applies:
        deductible = share.deductible
        given = [
            f"{format_usd(amount)} {who}"
            for amount, who in (
                (deductible.individual_total_cents, "individual"),
                (deductible.family_total_cents, "family"),
            )
            if amount is not None
        ]
        found.append(
            from_271(
                "deductible",
                "deductible",
                " / ".join(given),
                f"unknown: the payer gave no {tier} deductible (left out of the amount)",
            )
        )
    if rule.coinsurance_applies:
        rate = rule.coinsurance if rule.coinsurance is not None else share.coinsurance_rate
        if "coinsurance" in confirmed:
            found.append(confirmed_source("coinsurance", f"{format_percent(rate or Decimal(0))} coinsurance"))
        else:
            found.append(
                from_271(
                    "coinsurance",
                    "coinsurance",
                    f"{format_percent(rate)} coinsurance" if rate is not None else "",
                    f"unknown: the payer gave no {tier} coinsurance (left out of the amount)",
                )
            )
    if "visit_limit" in confirmed and entry and entry.visit_limit is not None:
        period = (entry.visit_limit_period or "").replace("_", " ")
        found.append(confirmed_source("visit_limit", f"{entry.visit_limit} visits per {period}"))
    else:
        stated = allowance(share)  # as the payer stated it: "30 days per admission"
        found.append(
            from_271(
                "visit_limit",
                "visit_limit",
                stated.stated if stated else "",
                "none: the payer gave no visit limit",
            )
        )
    found.append(billing)
    oop = share.out_of_pocket
    caps = [
        f"{format_usd(amount)} {who}"
        for amount, who in ((oop.individual_total_cents, "individual"), (oop.family_total_cents, "family"))
        if amount is not None
    ]
    found.append(
        from_271(
            "out_of_pocket_maximum",
            "out_of_pocket",
            " / ".join(caps),
            f"none: the payer gave no {tier} out-of-pocket maximum (shares not capped)",
        )
    )
    return tuple(found)


def billing_source(
    model: BillingModel, record: ConfirmedTermsRecord | None, *, fee_schedule_model: BillingModel | None
) -> TermSource:
    """Where the billing basis (per diem or per service) came from."""
    words = "a program day per diem" if model is BillingModel.PER_DIEM else "each service on its own"
    if record is not None and record.iop_billing is not None:
        if record.iop_billing is model:
            return TermSource("billing", FROM_CONFIRMED, f"billed {words}", document=record.document)
        return TermSource(
            "billing",
            FROM_ASSUMPTION,
            f"billed {words}: the plan pays per diem (confirmed terms) but the program's fee schedule "
            "has no per-diem rate for the payer",
        )
    if fee_schedule_model is None:
        return TermSource("billing", FROM_ASSUMPTION, f"billed {words}: no fee schedule for the payer")
    return TermSource(
        "billing", FROM_ASSUMPTION, f"billed {words}, as the program's fee schedule for the payer says"
    )


def confirmed_note(record: ConfirmedTermsRecord) -> str:
    """The estimate's note that confirmed terms priced it."""
    return (
        f"terms confirmed from {record.document.cite()} (entered {record.entered_at.date().isoformat()}) "
        "override the 271 where they say something"
    )
