"""What a 271 says, as read: dates, parties, members, benefit lines, rejections and the result.

Frozen pydantic models (`X12Model` is the base of every X12 shape, the 270's request too).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from functions.coverage.vocabulary import PlanType, SubscriberRelationship
from functions.coverage.x12.codes import (
    ACTIVE_INFO,
    ENTITY_ROLES,
    PLAN_TYPES,
    RELATIONSHIP_BY_CODE,
    BenefitInfo,
    CoverageLevel,
    FollowUp,
    Network,
    RejectionCategory,
    TimePeriod,
)
from functions.coverage.x12.service_types import service_type_name


class X12Model(BaseModel):
    """Base of every X12 shape: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CoverageStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    REJECTED = "rejected"


class Subject(StrEnum):
    """Whose loop a benefit or rejection sits in."""

    SUBSCRIBER = "subscriber"
    DEPENDENT = "dependent"


class X12Date(X12Model):
    """A DTP date: D8 gives start == end, RD8 a range."""

    qualifier: str
    start: date
    end: date


class Procedure(X12Model):
    """EB13 composite, e.g. HC:90837 (qualifier HC = HCPCS/CPT)."""

    qualifier: str
    code: str
    modifiers: tuple[str, ...] = ()


class Entity(X12Model):
    """A party named by NM1 (payer, provider, or a benefit-related entity in LS/LE 2120)."""

    entity_code: str
    name: str | None = None
    first_name: str | None = None
    id_qualifier: str | None = None
    identifier: str | None = None
    phone: str | None = None

    @property
    def role(self) -> str | None:
        return ENTITY_ROLES.get(self.entity_code)


class Delivery(X12Model):
    """HSD health care services delivery, e.g. HSD*VS*30***22 = 30 visits per service year."""

    quantity_qualifier: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    sample_selection_modulus: Decimal | None = None
    period: TimePeriod | None = None
    period_count: Decimal | None = None
    frequency_code: str | None = None
    pattern_code: str | None = None


class IndustryCode(X12Model):
    """III, e.g. qualifier ZZ (place of service) with code 11 (office) or 02 (telehealth)."""

    qualifier: str
    code: str


class Reference(X12Model):
    """REF, e.g. 6P group number, G1 prior authorization number, 9F referral number."""

    qualifier: str
    value: str
    description: str | None = None


class Trace(X12Model):
    """TRN: type 2 echoes the 270's trace (the caller's), type 1 is the payer's own."""

    trace_type: str
    number: str
    originator: str | None = None


class Member(X12Model):
    """The subscriber (2100C) or dependent (2100D) as the payer knows them."""

    first_name: str | None = None
    last_name: str | None = None
    member_id: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    group_number: str | None = None
    group_name: str | None = None
    plan_number: str | None = None
    relationship_code: str | None = None
    dates: tuple[X12Date, ...] = ()

    @property
    def relationship(self) -> SubscriberRelationship | None:
        if self.relationship_code is None:
            return None
        return RELATIONSHIP_BY_CODE.get(self.relationship_code, SubscriberRelationship.OTHER)


class Rejection(X12Model):
    """An AAA request validation: code, reason, what to do next and where it was found."""

    code: str
    message: str
    category: RejectionCategory
    follow_up: FollowUp | None = None
    valid_request: bool | None = None
    loop: str
    subject: Subject | None = None

    @property
    def retryable(self) -> bool:
        """Whether sending the same request again later may succeed."""
        return self.category is RejectionCategory.PAYER_UNAVAILABLE or self.follow_up in (
            FollowUp.RESUBMISSION_ALLOWED,
            FollowUp.RESUBMIT_ORIGINAL,
            FollowUp.WAIT_10_DAYS,
            FollowUp.WAIT_30_DAYS,
        )


class BenefitLine(X12Model):
    """A 271 line a figure was read from: its position (ST is 1) and the EB segment itself.
    EB segments carry codes and amounts only (never names or ids), so they may be shown."""

    line: int
    segment: str


class Benefit(X12Model):
    """One EB segment for one service type (EB03 repetitions become separate benefits),
    with what follows it in its 2110 loop (DTP, MSG, HSD, III, REF, LS/LE 2120 entities)."""

    subject: Subject
    info: BenefitInfo | None
    info_code: str
    level: CoverageLevel | None = None
    level_code: str | None = None
    service_type: str | None = None
    insurance_type: str | None = None
    plan_description: str | None = None
    period: TimePeriod | None = None
    period_code: str | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    quantity_qualifier: str | None = None
    quantity: Decimal | None = None
    authorization_required: bool | None = None
    network: Network | None = None
    procedure: Procedure | None = None
    messages: tuple[str, ...] = ()
    dates: tuple[X12Date, ...] = ()
    entities: tuple[Entity, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    industry_codes: tuple[IndustryCode, ...] = ()
    references: tuple[Reference, ...] = ()
    line: int | None = Field(
        default=None, description="The EB segment's position in the transaction set (ST is 1)"
    )
    segment: str | None = Field(default=None, description="The EB segment as the payer sent it")

    @property
    def service_type_name(self) -> str | None:
        return service_type_name(self.service_type)

    @property
    def source(self) -> BenefitLine | None:
        """Which 271 line this benefit came from (None for benefits built by hand)."""
        if self.line is None or self.segment is None:
            return None
        return BenefitLine(line=self.line, segment=self.segment)


def network_rank(stated: Network | None, wanted: Network) -> int | None:
    """0 exact, 1 `W` (applies to both), 2 not stated; None when it does not match."""
    if stated is wanted:
        return 0
    if wanted in (Network.IN_NETWORK, Network.OUT_OF_NETWORK):
        if stated is Network.NOT_APPLICABLE:
            return 1
        if stated is None:
            return 2
    return None


class EligibilityResult(X12Model):
    """What a 271 says about one patient. `benefits` hold both loops; see `patient_benefits`."""

    status: CoverageStatus
    reference: str | None = None
    traces: tuple[Trace, ...] = ()
    payer: Entity | None = None
    provider: Entity | None = None
    subscriber: Member | None = None
    dependent: Member | None = None
    plan_begin: date | None = None
    plan_end: date | None = None
    eligibility: X12Date | None = None
    insurance_type: str | None = None
    plan_description: str | None = None
    group_number: str | None = None
    rejections: tuple[Rejection, ...] = ()
    benefits: tuple[Benefit, ...] = ()

    @property
    def trace_number(self) -> str | None:
        """The caller's trace echoed back (TRN*2), else the first trace."""
        for trace in self.traces:
            if trace.trace_type == "2":
                return trace.number
        return self.traces[0].number if self.traces else None

    @property
    def patient_subject(self) -> Subject:
        """The dependent when the 271 has benefits (or at least a member) in 2000D, else the subscriber."""
        if any(b.subject is Subject.DEPENDENT for b in self.benefits):
            return Subject.DEPENDENT
        if self.dependent is not None and not any(b.subject is Subject.SUBSCRIBER for b in self.benefits):
            return Subject.DEPENDENT
        return Subject.SUBSCRIBER

    @property
    def patient(self) -> Member | None:
        return self.dependent if self.patient_subject is Subject.DEPENDENT else self.subscriber

    @property
    def patient_benefits(self) -> tuple[Benefit, ...]:
        subject = self.patient_subject
        return tuple(b for b in self.benefits if b.subject is subject)

    @property
    def plan_type(self) -> PlanType | None:
        return PLAN_TYPES.get(self.insurance_type) if self.insurance_type else None

    @property
    def patient_relationship_code(self) -> str | None:
        """INS02 of the patient: 18 (self) when the patient is the subscriber and the payer sent no INS."""
        patient = self.patient
        if patient is not None and patient.relationship_code:
            return patient.relationship_code
        return "18" if self.patient_subject is Subject.SUBSCRIBER and self.subscriber is not None else None

    @property
    def active_service_types(self) -> tuple[str, ...]:
        """Every service type the patient's active-coverage lines (EB01 1-5) name, in order, once."""
        return tuple(
            dict.fromkeys(
                b.service_type for b in self.patient_benefits if b.info in ACTIVE_INFO and b.service_type
            )
        )

    @property
    def blocking_rejections(self) -> tuple[Rejection, ...]:
        """The AAAs that reject the inquiry (2000A..2100D). An AAA in a 2110 benefit loop
        refuses that one benefit inquiry (a service type the payer does not answer) and leaves
        the coverage it reports standing."""
        return tuple(r for r in self.rejections if not r.loop.startswith("2110"))

    @property
    def rejection_category(self) -> RejectionCategory | None:
        blocking = self.blocking_rejections
        return blocking[0].category if blocking else None

    def find(
        self,
        *,
        info: BenefitInfo | None = None,
        service_type: str | None = None,
        level: CoverageLevel | None = None,
        network: Network | None = None,
        period: TimePeriod | Iterable[TimePeriod] | None = None,
        strict_network: bool = False,
    ) -> tuple[Benefit, ...]:
        """The patient's benefits matching every given filter, in document order.

        In or out of network also matches `W` (not applicable) and unstated entries unless
        `strict_network`.
        """
        periods = {period} if isinstance(period, TimePeriod) else None if period is None else set(period)
        found = []
        for b in self.patient_benefits:
            if info is not None and b.info is not info:
                continue
            if service_type is not None and b.service_type != service_type:
                continue
            if level is not None and b.level is not level:
                continue
            if periods is not None and b.period not in periods:
                continue
            if network is not None:
                rank = network_rank(b.network, network)
                if rank is None or (strict_network and rank > 0):
                    continue
            found.append(b)
        return tuple(found)
