"""Coverage's shapes: output and stored models, mapped explicitly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.common.models import BirthDate, CalendarDate, DisplayName, ResourceId, StoredRecord, iso
from functions.coverage import keys
from functions.coverage.vocabulary import (
    ENTITY_PLAN,
    NetworkStatus,
    PlanStatus,
    PlanType,
    SubscriberRelationship,
)

# X12 identifiers: letters, digits and a few separators (never the interchange's delimiters).
X12Id = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .\-]{0,49}$", strip_whitespace=True)
]
X12Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z' .\-]{0,59}$", strip_whitespace=True)]


class InsuredPerson(BaseModel):
    """A person as the payer knows them (name and birth date, for the 270)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    first_name: X12Name
    last_name: X12Name
    birth_date: BirthDate


class PlanIn(BaseModel):
    """A participant's plan, as a coordinator records it (PUT replaces it whole)."""

    model_config = ConfigDict(extra="forbid")

    payer_name: DisplayName
    payer_id: X12Id | None = Field(default=None, description="The payer's id at the clearinghouse.")
    plan_type: PlanType
    member_id: X12Id | None = None
    group_number: X12Id | None = None
    subscriber_relationship: SubscriberRelationship = SubscriberRelationship.SELF
    patient: InsuredPerson | None = Field(
        default=None, description="The participant as the payer knows them (needed for eligibility)."
    )
    subscriber: InsuredPerson | None = Field(
        default=None, description="The plan's subscriber when it is not the participant (e.g. the partner)."
    )
    network_status: NetworkStatus = NetworkStatus.UNKNOWN
    effective_from: CalendarDate | None = None
    effective_to: CalendarDate | None = None
    status: PlanStatus = PlanStatus.PENDING_VERIFICATION


class PlanOut(BaseModel):
    plan_id: str
    payer_name: str
    plan_type: PlanType
    member_id_last4: str | None = Field(
        default=None, description="Only the last four characters of the member id are ever returned."
    )
    subscriber_relationship: SubscriberRelationship
    effective_from: date | None = None
    effective_to: date | None = None
    status: PlanStatus


class PlanList(BaseModel):
    items: list[PlanOut]


class PlanDetail(PlanOut):
    """A coordinator's view: everything recorded, the member id in full."""

    person_id: str
    payer_id: str | None = None
    member_id: str | None = None
    group_number: str | None = None
    patient: InsuredPerson | None = None
    subscriber: InsuredPerson | None = None
    network_status: NetworkStatus
    updated_at: datetime | None = None


class PlanDetailList(BaseModel):
    items: list[PlanDetail]


class PlanRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    person_id: str
    plan_id: str
    payer_name: str
    payer_id: str | None = None
    plan_type: PlanType
    member_id: str | None = None
    group_number: str | None = None
    subscriber_relationship: SubscriberRelationship
    patient: InsuredPerson | None = None
    subscriber: InsuredPerson | None = None
    network_status: NetworkStatus = NetworkStatus.UNKNOWN
    effective_from: date | None = None
    effective_to: date | None = None
    status: PlanStatus = PlanStatus.PENDING_VERIFICATION
    updated_at: datetime | None = None
    version: int = 1

    def family(self) -> str | None:
        """The insurance family the plan belongs to: the payer, the group and the subscriber
        (the patient themself on their own plan). Partners on one family plan share its
        family deductible and out-of-pocket maximum. Hashed: a gsi1 bucket, not a name.
        None for self-pay, or where the payer or subscriber is not known."""
        holder = (
            self.patient if self.subscriber_relationship is SubscriberRelationship.SELF else self.subscriber
        )
        if self.plan_type is PlanType.SELF_PAY or not self.payer_id or holder is None:
            return None
        identity = "|".join(
            (
                self.payer_id,
                self.group_number or "",
                holder.last_name.casefold(),
                holder.first_name.casefold(),
                holder.birth_date.isoformat(),
            )
        )
        return keys.family_bucket(identity)

    def to_attributes(self) -> dict[str, Any]:
        family = self.family()
        return {
            **keys.plan_key(self.person_id, self.plan_id),
            "entity": ENTITY_PLAN,
            **self.model_dump(mode="json"),
            "updated_at": iso(self.updated_at) if self.updated_at else None,
            **(keys.family_index(family, self.person_id, self.plan_id) if family else {}),
        }


# --- estimates ------------------------------------------------------------------------------

Dollars = Annotated[str, Field(pattern=r"^-?\d+\.\d{2}$", description="US dollars, exact (a string)")]


class EstimatePartOut(BaseModel):
    kind: str
    amount: Dollars
    reason: str


class EstimateSourceOut(BaseModel):
    id: str | None = Field(
        description="A session id, or `<group id>@<occurrence start>`; null on a restricted line"
    )
    type: str | None = Field(description="The session or group type; null on a restricted line")
    start: datetime
    end: datetime
    status: str = Field(description="expected, attended or missed")


class PricedByOut(BaseModel):
    """A 271 line whose term priced (part of) an estimate line."""

    term: str = Field(description="copay, deductible, coinsurance, out_of_pocket, not_covered or visit_limit")
    line: int = Field(description="The EB segment's position in the 271 transaction set (ST is 1)")
    segment: str = Field(description="The EB segment as the payer sent it")


class UndeterminedOut(BaseModel):
    """A part of the participant's share the 271 left unknown (never taken as zero)."""

    term: str = Field(description="coverage, deductible or coinsurance")
    reason: str


class SourceLineOut(BaseModel):
    """A 271 line a term was read from."""

    line: int = Field(description="The EB segment's position in the 271 transaction set (ST is 1)")
    segment: str = Field(description="The EB segment as the payer sent it")


class SourceDocumentOut(BaseModel):
    """The plan document (its Summary of Benefits and Coverage) confirmed terms were read from."""

    name: str
    version: str | None = None
    issued_on: date | None = None
    reference: str | None = Field(default=None, description="Where the document is kept")


class TermSourceOut(BaseModel):
    """Where one part of a line's share came from."""

    part: Literal[
        "order", "copay", "deductible", "coinsurance", "visit_limit", "billing", "out_of_pocket_maximum"
    ] = Field(description="order is how the copay combines with the deductible and coinsurance")
    source: Literal["271", "confirmed_terms", "assumption"]
    detail: str = Field(description="The term in words; for an assumption, the assumption")
    lines: list[SourceLineOut] = Field(default_factory=list, description="The 271 lines it was read from")
    document: SourceDocumentOut | None = Field(default=None, description="For confirmed terms: the document")


class EstimateLineOut(BaseModel):
    day: date
    restricted: bool = Field(
        default=False,
        description="A 42 CFR Part 2 service this caller may not see: its time, status and amounts "
        "only (no id, type, code, units, reasons or 271 lines)",
    )
    sources: list[EstimateSourceOut]
    code: str | None = None
    units: int | None = None
    charge: Dollars
    allowed: Dollars
    plan_pays: Dollars
    you_pay: Dollars
    parts: list[EstimatePartOut]
    note: str | None = None
    authorization_flags: list[str] = Field(
        default_factory=list, description="Outside every prior authorization's dates, or beyond its units"
    )
    priced_by: list[PricedByOut] = Field(
        default_factory=list, description="The eligibility (271) lines whose terms priced this line"
    )
    undetermined: list[UndeterminedOut] = Field(
        default_factory=list,
        description="Parts of the participant's share that could not be determined, and why: "
        "`you_pay` leaves them out",
    )
    term_sources: list[TermSourceOut] = Field(
        default_factory=list,
        description="Each part of the share and where it came from: the 271 (with its lines), the plan's "
        "confirmed terms (with their document) or an assumption (stated)",
    )


class EstimateTotals(BaseModel):
    charge: Dollars
    plan_pays: Dollars
    you_pay: Dollars


class WeekTotalsOut(EstimateTotals):
    week: str


class EstimateOut(BaseModel):
    participant_id: str
    scope: str = Field(description="session, week or program")
    week: str = Field(description="The ISO week estimated (a program's first week)")
    weeks: int = 1
    basis: str = Field(description="insured, self_pay, unverified (eligibility not confirmed) or inactive")
    plan_id: str | None = None
    network: str | None = None
    lines: list[EstimateLineOut]
    totals: EstimateTotals
    by_week: list[WeekTotalsOut] = Field(default_factory=list)
    notes: list[str]
    redisclosure_notice: str | None = Field(
        default=None,
        description="The 42 CFR 2.32 notice, present when the lines show Part 2 services in full to "
        "someone other than the participant",
    )


class CategorySummaryOut(BaseModel):
    category: str
    label: str
    status: str = Field(description="covered, not_covered or unknown")
    your_share: str
    prior_authorization_required: bool | None = None
    confirmed_terms: bool = Field(
        default=False, description="The share follows the plan's confirmed terms (its SBC), not the 271 alone"
    )


class CoverageSummaryOut(BaseModel):
    participant_id: str
    basis: str = Field(description="insured, self_pay, unverified or inactive")
    plan_id: str | None = None
    categories: list[CategorySummaryOut]


class GfeItemOut(BaseModel):
    code: str | None = Field(description="null for the restricted services (42 CFR Part 2)")
    description: str
    quantity: int
    unit_price: Dollars | None = Field(description="null for the restricted services")
    expected_charge: Dollars
    dates: list[date]


class GfeProviderOut(BaseModel):
    name: str
    npi: str
    tin: str
    address: str
    phone: str
    location: str = "telehealth"


class GoodFaithEstimateOut(BaseModel):
    """A Good Faith Estimate (No Surprises Act) for a self-pay or uninsured participant."""

    participant_id: str
    patient_name: str | None = None
    patient_birth_date: date | None = None
    issued_on: date
    first_day: date
    last_day: date
    weeks: int
    provider: GfeProviderOut
    items: list[GfeItemOut]
    total_expected_charges: Dollars
    disclaimers: list[str]
    redisclosure_notice: str | None = Field(
        default=None,
        description="The 42 CFR 2.32 notice, present when the items show Part 2 services to "
        "someone other than the participant",
    )


class AuthorizationFlagOut(BaseModel):
    source_id: str
    reason: str


class AuthorizationOut(BaseModel):
    authorization_id: str
    authorization_number: str
    payer_id: str
    billing_codes: list[str]
    unit_kind: str
    authorized: int
    start: date
    end: date
    consumed: int = Field(description="Used by attended services")
    projected: int = Field(description="Expected use of booked sessions not yet attended")
    remaining: int = Field(description="Authorized less consumed and projected")
    alerts: list[str] = Field(description="Alerts raised to coordinators: low, expiring")
    version: int


class AuthorizationList(BaseModel):
    participant_id: str
    items: list[AuthorizationOut]
    flagged: list[AuthorizationFlagOut] = Field(
        description="Booked or attended services no authorization covers (dates or units)"
    )
    redisclosure_notice: str | None = Field(
        default=None,
        description="The 42 CFR 2.32 notice, present when the list shows substance-use authorizations "
        "to someone other than the participant (others do not see them)",
    )


class CoupleBillingIn(BaseModel):
    """Whose plan the couple's joint sessions bill (once): the identified patient."""

    model_config = ConfigDict(extra="forbid")

    partner_ids: Annotated[list[ResourceId], Field(min_length=2, max_length=2)]
    identified_patient_id: ResourceId


class CoupleBillingOut(CoupleBillingIn):
    couple_id: str
    updated_at: datetime
