"""The coverage summary by the program's benefit categories: for each, covered / not covered
/ unknown, and the participant's expected share in words. Pure: no boto3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from functions.coverage.billing import BillingReference
from functions.coverage.logic.costshare import BillingCode, NetworkTier, ServiceCategory
from functions.coverage.logic.eligibility import CostShareOut, EligibilityRecord
from functions.coverage.logic.estimates import Coverage, network_of
from functions.coverage.logic.money import format_percent, format_usd
from functions.coverage.logic.terms import CategoryTerms, ConfirmedTermsRecord
from functions.coverage.vocabulary import CostShareOrder, PlanType

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("individual_therapy", "Individual therapy sessions"),
    ("couples_therapy", "Couples therapy sessions"),
    ("group_therapy", "Group therapy sessions"),
    ("digital_platform", "Digital platform access"),
    ("medication_management", "Medication management"),
    ("sober_activities", "Sober activities"),
    ("medical_consultations", "Medical consultations"),
)
OFFICE_VISIT = frozenset(
    {"individual_therapy", "couples_therapy", "medication_management", "medical_consultations"}
)
ENGINE_CATEGORY = {
    "individual_therapy": ServiceCategory.INDIVIDUAL_THERAPY,
    "couples_therapy": ServiceCategory.COUPLES_THERAPY,
    "group_therapy": ServiceCategory.GROUP_THERAPY,
    "medication_management": ServiceCategory.MEDICATION_MANAGEMENT,
    "medical_consultations": ServiceCategory.MEDICAL_CONSULTATION,
}
"""The cost-share engine's category for each one summarised (the one terms are confirmed for)."""
INCLUDED = frozenset({"digital_platform", "sober_activities"})
"""Part of the program, never billed to the participant or a plan."""
SELF_PAY_CODE = {
    "individual_therapy": BillingCode.PSYCHOTHERAPY_60,
    "couples_therapy": BillingCode.FAMILY_PSYCHOTHERAPY,
    "group_therapy": BillingCode.GROUP_PSYCHOTHERAPY,
    "medication_management": BillingCode.OFFICE_VISIT_ESTABLISHED,
    "medical_consultations": BillingCode.OFFICE_VISIT_ESTABLISHED,
}


@dataclass(frozen=True)
class CategorySummary:
    category: str
    label: str
    status: str
    """covered, not_covered or unknown."""
    your_share: str
    prior_authorization_required: bool | None = None
    confirmed_terms: bool = False
    """The share is (partly) from the plan's confirmed terms rather than the 271 alone."""


def _share(category: str, share: CostShareOut, entry: CategoryTerms | None = None) -> str:
    remaining = share.deductible.individual_remaining_cents
    after = (
        f" after the deductible ({format_usd(remaining)} of it left)"
        if remaining
        else " (the deductible is met)"
        if remaining == 0
        else " after the deductible"
    )
    coinsurance = (
        f"an undetermined share{after} (the payer gave no coinsurance)"
        if share.coinsurance_rate is None
        else f"{format_percent(share.coinsurance_rate)} coinsurance{after}"
        if share.coinsurance_rate
        else f"nothing{after}"
    )
    if entry is not None:
        return _confirmed_share(category, share, entry, after)
    if category in OFFICE_VISIT and share.copay_cents:
        return f"{format_usd(share.copay_cents)} copay per visit"
    return coinsurance


def _confirmed_share(category: str, share: CostShareOut, entry: CategoryTerms, after: str) -> str:
    """The share in words where the plan's terms are confirmed (fields it leaves out from the
    271, and a copay without its order taken before the deductible, as estimates do)."""
    rate = entry.coinsurance_rate if entry.coinsurance_rate is not None else share.coinsurance_rate
    coinsurance = f"{format_percent(rate)} coinsurance" if rate is not None else "an undetermined coinsurance"
    copay = entry.copay_cents if entry.copay_cents is not None else share.copay_cents
    order = entry.order
    if order is None:
        order = (
            CostShareOrder.COPAY_BEFORE_DEDUCTIBLE
            if entry.copay_cents is not None or (category in OFFICE_VISIT and share.copay_cents)
            else CostShareOrder.DEDUCTIBLE_THEN_COINSURANCE
        )
    if order is CostShareOrder.COPAY_BEFORE_DEDUCTIBLE:
        return f"{format_usd(copay or 0)} copay per visit"
    if order is CostShareOrder.DEDUCTIBLE_THEN_COPAY:
        remaining = share.deductible.individual_remaining_cents
        per_visit = f"{format_usd(copay or 0)} copay per visit"
        if remaining == 0:
            return f"{per_visit} (the deductible is met)"
        left = f" ({format_usd(remaining)} of it left)" if remaining else ""
        return f"the deductible first{left}, then {per_visit}"
    if order is CostShareOrder.COPAY_THEN_COINSURANCE:
        return f"{format_usd(copay or 0)} copay, then {coinsurance} on the rest"
    return f"{coinsurance}{after}"


def summarise(
    coverage: Coverage, reference: BillingReference, *, on: date
) -> tuple[str, str | None, list[CategorySummary]]:
    """(basis, plan id, one summary per category) for the plan in force on `on`."""
    plan = coverage.plan_on(on)
    if plan is None or plan.plan_type is PlanType.SELF_PAY:
        master = reference.chargemaster
        prices = master.chargemaster() if master else None
        items = []
        for category, label in CATEGORIES:
            if category in INCLUDED:
                items.append(CategorySummary(category, label, "covered", "$0.00: included in the program"))
                continue
            code = SELF_PAY_CODE[category]
            price = "unknown"
            if prices and code in prices.prices:
                price = f"{format_usd(prices.self_pay_price(code))} self-pay price ({code})"
            items.append(CategorySummary(category, label, "not_covered", price))
        return "self_pay", plan.plan_id if plan else None, items
    record: EligibilityRecord | None = coverage.eligibility.get(plan.plan_id)
    benefits = (
        next((b for b in record.benefits if b.category == "mental_health"), None)
        if record and record.status == "active"
        else None
    )
    share = None
    network = network_of(plan)
    if benefits is not None:
        share = benefits.out_of_network if network is NetworkTier.OUT_OF_NETWORK else benefits.in_network
    confirmed: ConfirmedTermsRecord | None = coverage.confirmed.get(plan.plan_id)
    items = []
    for category, label in CATEGORIES:
        if category in INCLUDED:
            items.append(CategorySummary(category, label, "covered", "$0.00: included in the program"))
        elif record is not None and record.status == "inactive":
            items.append(CategorySummary(category, label, "not_covered", "the plan is not active"))
        elif share is None:
            items.append(
                CategorySummary(
                    category,
                    label,
                    "unknown",
                    "not verified yet: not known until the payer confirms coverage",
                )
            )
        elif share.not_covered:
            items.append(
                CategorySummary(
                    category, label, "not_covered", "not covered: the full charge", share.prior_auth_required
                )
            )
        else:
            entry = confirmed.entry(ENGINE_CATEGORY[category], network) if confirmed else None
            items.append(
                CategorySummary(
                    category,
                    label,
                    "covered",
                    _share(category, share, entry),
                    share.prior_auth_required,
                    confirmed_terms=entry is not None,
                )
            )
    basis = (
        "insured"
        if share is not None
        else ("inactive" if record and record.status == "inactive" else "unverified")
    )
    return basis, plan.plan_id, items
