"""Eligibility rules: which plans can be checked, the 270 a plan becomes, what a 271 means for
the program, when a result is stale and what a participant may see. Pure: no boto3, no I/O,
no clock (callers pass `now`), no logging.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from functions.common.errors import FieldError
from functions.common.models import StoredRecord, iso
from functions.coverage import keys
from functions.coverage.models import InsuredPerson, PlanRecord
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship
from functions.coverage.x12.builder import Dependent, EligibilityRequest, Subscriber
from functions.coverage.x12.codes import (
    INSURANCE_TYPES,
    REJECT_REASONS,
    RELATIONSHIP_BY_CODE,
    FollowUp,
    Network,
    RejectionCategory,
    TimePeriod,
)
from functions.coverage.x12.models import CoverageStatus, EligibilityResult, Procedure, Rejection
from functions.coverage.x12.service_types import service_type_name
from functions.coverage.x12.summary import Accumulator, BenefitSummary, Limit, procedures_named, summarise

ENTITY_ELIGIBILITY_CHECK = "ELIGIBILITY_CHECK"
ENTITY_ELIGIBILITY_LATEST = "ELIGIBILITY_LATEST"
ENTITY_ELIGIBILITY_X12 = "ELIGIBILITY_X12"

INQUIRY_SERVICE_TYPES: tuple[str, ...] = ("30", "MH", "AI", "A6")
"""What every 270 asks: plan coverage, mental health, substance abuse and psychotherapy."""

BenefitCategory = Literal["mental_health", "substance_use"]
CATEGORY_SERVICE_TYPES: dict[BenefitCategory, tuple[str, ...]] = {
    # Most specific first: `summarise` takes the first service type the payer answered.
    # A8 (psychiatric - outpatient) is how some payers, carve-outs especially, state outpatient
    # and intensive outpatient behavioral health instead of MH.
    "mental_health": ("MH", "A6", "A8", "30"),
    "substance_use": ("AI", "30"),
}

Source = Literal["coordinator", "recheck"]


# --------------------------------------------------------------------------- configuration


class ProviderIdentity(BaseModel):
    """Who asks: the program as the clearinghouse and the payers know it."""

    model_config = ConfigDict(frozen=True)

    npi: str = Field(pattern=r"^\d{10}$")
    name: str = Field(min_length=1, max_length=60)
    sender_id: str = Field(min_length=1, max_length=15)
    receiver_id: str = Field(min_length=1, max_length=15)
    usage: Literal["P", "T"] = "T"


# --------------------------------------------------------------------------- requests


def missing_for_check(plan: PlanRecord) -> list[FieldError]:
    """Why `plan` cannot be sent to a payer (empty when it can); each error names a plan field."""
    if plan.plan_type is PlanType.SELF_PAY:
        return [FieldError("plan.plan_type", "a self-pay plan has no payer to ask")]
    errors = []
    if not plan.payer_id:
        errors.append(FieldError("plan.payer_id", "required for an eligibility check"))
    if not plan.member_id:
        errors.append(FieldError("plan.member_id", "required for an eligibility check"))
    if plan.patient is None:
        errors.append(FieldError("plan.patient", "name and birth date required for an eligibility check"))
    if plan.subscriber_relationship is not SubscriberRelationship.SELF and plan.subscriber is None:
        errors.append(FieldError("plan.subscriber", "required when the participant is a dependent"))
    return errors


def new_check_id() -> str:
    return "elg_" + uuid.uuid4().hex


def new_control_number() -> int:
    """A random interchange control number (ISA13), 1..999999999."""
    return secrets.randbelow(999_999_999) + 1


def _x12_name(value: str) -> str:
    return value.upper()


def _x12_text(value: str, limit: int) -> str:
    """Free text (a payer's display name) made safe for an X12 element: upper case, no delimiters."""
    cleaned = " ".join(re.sub(r"[^A-Za-z0-9 .,'&\-]", " ", value).split())
    return (cleaned or "PAYER").upper()[:limit]


def build_request(
    plan: PlanRecord,
    provider: ProviderIdentity,
    *,
    check_id: str,
    control_number: int,
    now: datetime,
    service_types: Sequence[str] = INQUIRY_SERVICE_TYPES,
) -> EligibilityRequest:
    """The 270 for `plan`, today. The participant is the subscriber (loop 2100C) when the plan is
    their own, else the dependent (2100D) of the plan's subscriber. Call `missing_for_check` first.

    The trace number is the check id's hex part, so the 271 ties back to the check.
    """
    if missing_for_check(plan):
        raise ValueError("the plan cannot be checked; see missing_for_check")
    # missing_for_check guarantees these:
    assert plan.patient is not None
    assert plan.payer_id
    assert plan.member_id
    dependent = plan.subscriber_relationship is not SubscriberRelationship.SELF
    insured: InsuredPerson = plan.subscriber if dependent and plan.subscriber else plan.patient
    return EligibilityRequest(
        control_number=control_number,
        created=now,
        sender_id=provider.sender_id,
        receiver_id=provider.receiver_id,
        usage=provider.usage,
        payer_name=_x12_text(plan.payer_name, 60),
        payer_id=plan.payer_id,
        provider_name=provider.name,
        provider_npi=provider.npi,
        subscriber=Subscriber(
            first_name=_x12_name(insured.first_name),
            last_name=_x12_name(insured.last_name),
            member_id=plan.member_id,
            birth_date=insured.birth_date,
            group_number=plan.group_number,
        ),
        dependent=Dependent(
            first_name=_x12_name(plan.patient.first_name),
            last_name=_x12_name(plan.patient.last_name),
            birth_date=plan.patient.birth_date,
            relationship=plan.subscriber_relationship,
        )
        if dependent
        else None,
        date_of_service=now.date(),
        service_types=tuple(service_types),
        trace_number=check_id.removeprefix("elg_"),
    )


TraceMatch = Literal["matched", "untraced", "mismatched"]
Traced = Literal["matched", "untraced"]


def trace_match(request: EligibilityRequest, result: EligibilityResult) -> TraceMatch:
    """How a real-time 271 ties to the 270 it came back for on the same connection: `matched`
    when a TRN*2 echoes our trace number, `untraced` when it echoes none (payers may omit it, and
    a rejection at 2000A/2100A/2100B has nowhere to put it), `mismatched` when its TRN*2 echoes
    only other numbers (an answer to another inquiry). The payer's own trace (TRN*1) says nothing."""
    echoed = {t.number for t in result.traces if t.trace_type == "2"}
    if not echoed:
        return "untraced"
    return "matched" if request.trace_number in echoed else "mismatched"


def answers(request: EligibilityRequest, result: EligibilityResult) -> bool:
    """Whether the 271 may be taken as the answer to this 270 (see `trace_match`)."""
    return trace_match(request, result) != "mismatched"


# --------------------------------------------------------------------------- results


class AccumulatorOut(BaseModel):
    """A deductible or out-of-pocket maximum in cents; None where the payer did not say."""

    model_config = ConfigDict(frozen=True)

    individual_total_cents: int | None = None
    individual_remaining_cents: int | None = None
    family_total_cents: int | None = None
    family_remaining_cents: int | None = None


class BenefitLineOut(BaseModel):
    """A 271 line a term was read from: its position in the transaction set (ST is 1) and the EB
    segment (codes and amounts only)."""

    model_config = ConfigDict(frozen=True)

    line: int
    segment: str


class LimitOut(BaseModel):
    """A quantity limit (or what remains of one) a 271 line carries, with its period."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["limit", "remaining", "used"]
    quantity: Decimal
    unit: str = Field(description="What is counted: visits, days, hours, ...")
    unit_code: str = Field(description="EB09 / HSD01 quantity qualifier, e.g. VS")
    period: TimePeriod | None = Field(
        default=None, description="calendar_year, service_year, remaining, admission, week, episode, ..."
    )
    period_count: Decimal | None = Field(default=None, description="HSD06: how many periods, e.g. 1 week")
    service_type: str | None = None
    procedure: str | None = Field(
        default=None, description="The procedure the line names (EB13), e.g. HC:90837"
    )
    network: Network | None = None
    source: BenefitLineOut | None = None


class CostShareOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    deductible: AccumulatorOut = AccumulatorOut()
    out_of_pocket: AccumulatorOut = AccumulatorOut()
    copay_cents: int | None = Field(default=None, description="Per visit")
    coinsurance_rate: Decimal | None = Field(default=None, description="Fraction: 0.2 is 20 %")
    visit_limit: int | None = Field(default=None, description="Visits per benefit period")
    visit_limit_period: TimePeriod | None = Field(default=None, description="The visit limit's period")
    visits_remaining: int | None = None
    limits: list[LimitOut] = Field(
        default_factory=list, description="Every quantity limit the payer gave here, with its period"
    )
    prior_auth_required: bool | None = None
    not_covered: bool = False
    messages: list[str] = Field(default_factory=list, description="The payer's notes on these benefits")
    sources: dict[str, list[BenefitLineOut]] = Field(
        default_factory=dict,
        description="Term (copay, coinsurance, deductible, out_of_pocket, visit_limit, ...) -> the 271 "
        "lines it was read from",
    )


class ProcedureBenefitsOut(BaseModel):
    """What the plan pays for one procedure a 271 line names (EB13), e.g. HC:90846."""

    model_config = ConfigDict(frozen=True)

    qualifier: str = Field(description="EB13-1, e.g. HC (HCPCS/CPT)")
    code: str
    modifiers: list[str] = Field(default_factory=list)
    in_network: CostShareOut
    out_of_network: CostShareOut | None = None


class BenefitsOut(BaseModel):
    """What the plan pays for one benefit category, in and out of the payer's network."""

    model_config = ConfigDict(frozen=True)

    category: BenefitCategory
    service_types: list[str] = Field(description="X12 service type codes, most specific first")
    in_network: CostShareOut
    out_of_network: CostShareOut | None = Field(
        default=None, description="Absent when the payer said nothing about out-of-network benefits"
    )
    procedures: list[ProcedureBenefitsOut] = Field(
        default_factory=list,
        description="Benefits that name procedures (EB13): they apply to those procedures only",
    )

    def for_procedure(self, code: str) -> ProcedureBenefitsOut | None:
        return next((p for p in self.procedures if p.code == code), None)


FOLLOW_UP_ACTIONS: dict[FollowUp, str] = {
    FollowUp.CORRECT_AND_RESUBMIT: "Correct the inquiry and check again",
    FollowUp.RESUBMISSION_NOT_ALLOWED: "Do not check again: the payer will not answer this inquiry",
    FollowUp.RESUBMIT_ORIGINAL: "Check again with the same details",
    FollowUp.RESUBMISSION_ALLOWED: "Check again later",
    FollowUp.DO_NOT_RESUBMIT_INQUIRY_INITIATED: "Do not check again: the payer is looking into it",
    FollowUp.WAIT_30_DAYS: "Wait 30 days, then check again",
    FollowUp.WAIT_10_DAYS: "Wait 10 days, then check again",
    FollowUp.DO_NOT_RESUBMIT_WILL_HAND_OVER: "Do not check again: the payer will send the answer",
}
"""AAA04 follow-up action codes, as what a coordinator does next."""


class RejectionOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="AAA03 reject reason code")
    category: RejectionCategory
    reason: str = Field(description="The code's meaning in the X12 code list")
    retryable: bool = Field(description="Whether the same inquiry may succeed later")
    follow_up: FollowUp | None = Field(default=None, description="AAA04 follow-up action code, as a name")
    follow_up_action: str | None = Field(default=None, description="What to do next, per AAA04")
    loop: str | None = Field(
        default=None, description="The 271 loop the AAA came from: 2000A, 2100A, 2100B, 2100C, 2100D, 2110C/D"
    )


class ServiceTypeOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str = Field(description="X12 service type code (EB03), e.g. MH")
    name: str | None = Field(default=None, description="The code's meaning, e.g. Mental Health")


class EligibilityRecord(StoredRecord):
    """One check's result, as stored (history item, and the plan's latest pointer)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    plan_id: str
    check_id: str
    payer_name: str
    checked_at: datetime
    status: CoverageStatus
    rejection: RejectionOut | None = None
    rejections: list[RejectionOut] = Field(
        default_factory=list, description="Every AAA of the 271, in order, with its loop and follow-up"
    )
    trace: Traced | None = Field(
        default=None, description="Whether the 271 echoed the 270's trace number (None: recorded before this)"
    )
    plan_begin: date | None = None
    plan_end: date | None = None
    plan_description: str | None = None
    insurance_type: str | None = Field(default=None, description="EB04 insurance type code, e.g. PR, HM, MC")
    patient_relationship_code: str | None = Field(
        default=None,
        description="INS02: the patient's relationship to the subscriber (18 self, 01 spouse ...)",
    )
    active_service_types: list[ServiceTypeOut] = Field(default_factory=list)
    benefits: list[BenefitsOut] = Field(default_factory=list)
    payer_messages: list[str] = Field(default_factory=list)
    requested_by: str
    source: Source = "coordinator"
    refresh_failed_at: datetime | None = None

    def attributes(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["checked_at"] = iso(self.checked_at)
        data["refresh_failed_at"] = iso(self.refresh_failed_at) if self.refresh_failed_at else None
        return data


class X12Exchange(BaseModel):
    """The raw 270/271 pair of one check (coordinators only)."""

    model_config = ConfigDict(frozen=True)

    participant_id: str
    plan_id: str
    check_id: str
    checked_at: datetime
    x12_270: str
    x12_271: str


def _cents(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _count(value: Decimal | None) -> int | None:
    return int(value) if value is not None else None


def _procedure_text(procedure: Procedure | None) -> str | None:
    return f"{procedure.qualifier}:{procedure.code}" if procedure else None


def _limit(limit: Limit) -> LimitOut:
    return LimitOut(
        kind=limit.kind,
        quantity=limit.quantity,
        unit=limit.unit,
        unit_code=limit.unit_code,
        period=limit.period,
        period_count=limit.period_count,
        service_type=limit.service_type,
        procedure=_procedure_text(limit.procedure),
        network=limit.network,
        source=BenefitLineOut(line=limit.source.line, segment=limit.source.segment) if limit.source else None,
    )


def _accumulator(acc: Accumulator) -> AccumulatorOut:
    return AccumulatorOut(
        individual_total_cents=_cents(acc.individual_total),
        individual_remaining_cents=_cents(acc.individual_remaining),
        family_total_cents=_cents(acc.family_total),
        family_remaining_cents=_cents(acc.family_remaining),
    )


def _cost_share(summary: BenefitSummary) -> CostShareOut:
    return CostShareOut(
        deductible=_accumulator(summary.deductible),
        out_of_pocket=_accumulator(summary.out_of_pocket),
        copay_cents=_cents(summary.copay),
        coinsurance_rate=summary.coinsurance,
        visit_limit=_count(summary.visit_limit),
        visit_limit_period=summary.visit_limit_period,
        visits_remaining=_count(summary.visits_remaining),
        limits=[_limit(q) for q in summary.limits],
        prior_auth_required=summary.prior_auth_required,
        not_covered=summary.not_covered,
        messages=list(summary.messages),
        sources={
            term: [BenefitLineOut(line=s.line, segment=s.segment) for s in lines]
            for term, lines in summary.sources.items()
        },
    )


def _says_anything(share: CostShareOut) -> bool:
    empty = CostShareOut()
    exclude = {"messages", "sources", "limits"}
    return share.model_dump(exclude=exclude) != empty.model_dump(exclude=exclude)


def _strictly_out_of_network(result: EligibilityResult) -> bool:
    return any(b.network is Network.OUT_OF_NETWORK for b in result.patient_benefits)


def benefits_of(result: EligibilityResult) -> list[BenefitsOut]:
    """The mental-health and substance-use benefits of an active 271, in and out of network.

    Out of network is reported only when the payer sent out-of-network (EB12 `N`) entries;
    otherwise `summarise` would only repeat the `W`/unstated ones.
    """
    if result.status is not CoverageStatus.ACTIVE:
        return []
    out = []
    with_oon = _strictly_out_of_network(result)

    def shares(
        service_types: Sequence[str], procedure: str | None
    ) -> tuple[CostShareOut, CostShareOut | None]:
        in_network = _cost_share(summarise(result, service_types, Network.IN_NETWORK, procedure))
        out_of_network = (
            _cost_share(summarise(result, service_types, Network.OUT_OF_NETWORK, procedure))
            if with_oon
            else None
        )
        return in_network, out_of_network

    for category, service_types in CATEGORY_SERVICE_TYPES.items():
        in_network, out_of_network = shares(service_types, None)
        procedures = []
        for named in procedures_named(result, service_types):
            named_in, named_out = shares(service_types, named.code)
            procedures.append(
                ProcedureBenefitsOut(
                    qualifier=named.qualifier,
                    code=named.code,
                    modifiers=list(named.modifiers),
                    in_network=named_in,
                    out_of_network=named_out,
                )
            )
        says = _says_anything(in_network) or (out_of_network is not None and _says_anything(out_of_network))
        if not says and not procedures:
            continue
        out.append(
            BenefitsOut(
                category=category,
                service_types=[s for s in service_types if s in _answered(result)] or list(service_types),
                in_network=in_network,
                out_of_network=out_of_network,
                procedures=procedures,
            )
        )
    return out


def _answered(result: EligibilityResult) -> set[str]:
    return {b.service_type for b in result.patient_benefits if b.service_type}


def _rejection(rejection: Rejection) -> RejectionOut:
    return RejectionOut(
        code=rejection.code,
        category=rejection.category,
        reason=REJECT_REASONS.get(rejection.code, rejection.message),
        retryable=rejection.retryable,
        follow_up=rejection.follow_up,
        follow_up_action=FOLLOW_UP_ACTIONS.get(rejection.follow_up) if rejection.follow_up else None,
        loop=rejection.loop,
    )


def record_from(
    result: EligibilityResult,
    plan: PlanRecord,
    *,
    check_id: str,
    checked_at: datetime,
    requested_by: str,
    source: Source = "coordinator",
    trace: Traced | None = None,
) -> EligibilityRecord:
    """What a parsed 271 says about `plan`, as the program stores and reports it."""
    messages = [m for b in result.patient_benefits for m in b.messages]
    blocking = result.blocking_rejections
    return EligibilityRecord(
        person_id=plan.person_id,
        plan_id=plan.plan_id,
        check_id=check_id,
        payer_name=plan.payer_name,
        checked_at=checked_at,
        status=result.status,
        rejection=_rejection(blocking[0]) if blocking else None,
        rejections=[_rejection(r) for r in result.rejections],
        trace=trace,
        plan_begin=result.plan_begin,
        plan_end=result.plan_end,
        plan_description=result.plan_description,
        insurance_type=result.insurance_type,
        patient_relationship_code=result.patient_relationship_code,
        active_service_types=[
            ServiceTypeOut(code=code, name=service_type_name(code)) for code in result.active_service_types
        ],
        benefits=benefits_of(result),
        payer_messages=list(dict.fromkeys(messages)),
        requested_by=requested_by,
        source=source,
    )


_REJECTION_MESSAGES: dict[RejectionCategory, str] = {
    RejectionCategory.MEMBER_NOT_FOUND: (
        "The payer could not find this member: check the member id, the names and the subscriber "
        "on the plan, then check again."
    ),
    RejectionCategory.INVALID_BIRTH_DATE: (
        "The payer's birth date for this member does not match: check the patient's and the "
        "subscriber's birth dates on the plan, then check again."
    ),
    RejectionCategory.PAYER_UNAVAILABLE: (
        "The payer could not answer right now; try again later (the nightly re-check retries it)."
    ),
    RejectionCategory.INVALID_PROVIDER: (
        "The payer did not accept the program's provider identification; the program's billing "
        "set-up needs attention."
    ),
}


def status_message(record: EligibilityRecord) -> str:
    """One clear sentence on what the check found."""
    if record.status is CoverageStatus.ACTIVE:
        since = f" from {record.plan_begin.isoformat()}" if record.plan_begin else ""
        until = f" to {record.plan_end.isoformat()}" if record.plan_end else ""
        return f"Coverage is active{since}{until}."
    if record.status is CoverageStatus.INACTIVE:
        ended = f" (ended {record.plan_end.isoformat()})" if record.plan_end else ""
        return f"The payer reports this coverage is not active{ended}."
    if record.rejection is None:
        return "The payer rejected the inquiry."
    known = _REJECTION_MESSAGES.get(record.rejection.category)
    return known or f"The payer rejected the inquiry: {record.rejection.reason}."


def replaces_latest(new: EligibilityRecord, latest: EligibilityRecord | None) -> bool:
    """Whether `new` becomes the plan's latest result.

    Never over a newer one. A payer that could not answer (AAA 42/80) tells nothing about the
    coverage: the last real answer stays the latest (marked by a failed refresh) unless there is none.
    """
    if latest is None:
        return True
    if latest.checked_at > new.checked_at:
        return False
    rejection = new.rejection
    return rejection is None or rejection.category is not RejectionCategory.PAYER_UNAVAILABLE


@dataclass(frozen=True)
class CheckWrite:
    """What one completed check writes: its result and raw pair, and what happens to the plan's
    latest pointer: replaced (`latest`: the gsi1 due attributes to write with it, {} for none),
    marked as a failed refresh (`refresh_failed`: its new gsi1 attributes), or left alone."""

    record: EligibilityRecord
    exchange: X12Exchange
    latest: dict[str, str] | None = None
    refresh_failed: dict[str, str] | None = None
    plan_status: PlanStatus | None = None
    """The plan's status as this (latest) result shows it, when that changes it: the payer
    confirmed coverage active, or said it is not."""


VERIFIED_STATUS = {"active": PlanStatus.ACTIVE, "inactive": PlanStatus.INACTIVE}
"""A 271's answer as the plan's status (a rejection leaves the plan's status as it was)."""


def conclude(
    result: EligibilityResult,
    plan: PlanRecord,
    previous: EligibilityRecord | None,
    *,
    check_id: str,
    checked_at: datetime,
    requested_by: str,
    x12_270: str,
    x12_271: str,
    stale_hours: int,
    source: Source = "coordinator",
    trace: Traced | None = None,
) -> CheckWrite:
    """The writes of a check whose 271 came back as `result` (`trace`: see `trace_match`)."""
    record = record_from(
        result,
        plan,
        check_id=check_id,
        checked_at=checked_at,
        requested_by=requested_by,
        source=source,
        trace=trace,
    )
    exchange = X12Exchange(
        participant_id=plan.person_id,
        plan_id=plan.plan_id,
        check_id=check_id,
        checked_at=checked_at,
        x12_270=x12_270,
        x12_271=x12_271,
    )
    if replaces_latest(record, previous):
        status = VERIFIED_STATUS.get(record.status)
        return CheckWrite(
            record,
            exchange,
            latest=due_keys(record, stale_hours),
            plan_status=status if status is not None and status is not plan.status else None,
        )
    if previous is not None and previous.checked_at <= checked_at:
        return CheckWrite(
            record,
            exchange,
            refresh_failed=keys.eligibility_due_index(plan.person_id, plan.plan_id, checked_at),
        )
    return CheckWrite(record, exchange)


# --------------------------------------------------------------------------- staleness


def stale_after(hours: int) -> timedelta:
    return timedelta(hours=hours)


def due_at(record: EligibilityRecord, stale_hours: int) -> datetime | None:
    """When the nightly re-check should run this plan's check again.

    A retryable rejection (the payer could not answer) is due at once, i.e. on the next run; a
    rejection a person must fix first (unknown member, birth date, provider set-up) never is.
    """
    rejection = record.rejection
    if rejection is not None:
        return record.checked_at if rejection.retryable else None
    return record.checked_at + stale_after(stale_hours)


def due_keys(record: EligibilityRecord, stale_hours: int) -> dict[str, str]:
    """The gsi1 attributes that put a latest result in its due-date bucket (none when never due)."""
    due = due_at(record, stale_hours)
    return {} if due is None else keys.eligibility_due_index(record.person_id, record.plan_id, due)


def recheck_days(now: datetime, lookback_days: int) -> list[date]:
    """The due-date buckets a nightly run reads: today and the `lookback_days` before it (oldest
    first), so a plan whose re-check failed is tried again on the following nights."""
    today = now.date()
    return [today - timedelta(days=n) for n in range(lookback_days, -1, -1)]


def staleness(record: EligibilityRecord, now: datetime, stale_hours: int) -> tuple[bool, str | None]:
    """(stale, why): older than the configured age, or a newer check could not reach the payer."""
    if record.refresh_failed_at and record.refresh_failed_at >= record.checked_at:
        return True, (
            f"A newer check at {iso(record.refresh_failed_at)} could not reach the payer; "
            "this is the last known result."
        )
    if now - record.checked_at > stale_after(stale_hours):
        return True, f"Checked more than {stale_hours} hours ago; check again before relying on it."
    return False, None


# --------------------------------------------------------------------------- output


class EligibilityOut(BaseModel):
    """An eligibility result as the API reports it."""

    check_id: str
    participant_id: str
    plan_id: str
    payer_name: str
    checked_at: datetime
    status: CoverageStatus
    message: str = Field(description="What the check found, in one sentence")
    rejection: RejectionOut | None = None
    rejections: list[RejectionOut] = Field(
        default_factory=list, description="Every AAA of the 271 with its loop and follow-up action"
    )
    trace: Traced | None = Field(
        default=None,
        description="matched: the 271 echoed the inquiry's trace number; untraced: it echoed none "
        "(accepted: it came back on the inquiry's own connection)",
    )
    plan_begin: date | None = None
    plan_end: date | None = None
    plan_description: str | None = None
    insurance_type: str | None = Field(default=None, description="EB04 insurance type code, e.g. PR, HM, MC")
    insurance_type_name: str | None = Field(default=None, description="What the EB04 code means")
    patient_relationship: SubscriberRelationship | None = Field(
        default=None, description="The patient's relationship to the subscriber, as the payer has it (INS02)"
    )
    patient_relationship_code: str | None = Field(default=None, description="INS02 as sent")
    active_service_types: list[ServiceTypeOut] = Field(
        default_factory=list, description="Every service type the payer reports active coverage for"
    )
    benefits: list[BenefitsOut] = Field(default_factory=list)
    payer_messages: list[str] = Field(default_factory=list)
    stale: bool
    stale_reason: str | None = None
    source: Source | None = Field(default=None, description="Who asked (coordinators only)")
    x12_href: str | None = Field(default=None, description="The raw 270/271 pair (coordinators only)")


class EligibilityList(BaseModel):
    items: list[EligibilityOut]


def relationship_named(code: str | None) -> SubscriberRelationship | None:
    if code is None:
        return None
    return RELATIONSHIP_BY_CODE.get(code, SubscriberRelationship.OTHER)


def may_read(caller_id: str, is_coordinator: bool, participant_id: str) -> bool:
    """Coordinators read anyone's results; a participant only their own (never a partner's)."""
    return is_coordinator or caller_id == participant_id


def x12_href(record: EligibilityRecord) -> str:
    return f"/participants/{record.person_id}/plans/{record.plan_id}/eligibility-checks/{record.check_id}/x12"


def to_output(
    record: EligibilityRecord, *, now: datetime, stale_hours: int, coordinator: bool
) -> EligibilityOut:
    stale, why = staleness(record, now, stale_hours)
    return EligibilityOut(
        check_id=record.check_id,
        participant_id=record.person_id,
        plan_id=record.plan_id,
        payer_name=record.payer_name,
        checked_at=record.checked_at,
        status=record.status,
        message=status_message(record),
        rejection=record.rejection,
        rejections=record.rejections,
        trace=record.trace,
        plan_begin=record.plan_begin,
        plan_end=record.plan_end,
        plan_description=record.plan_description,
        insurance_type=record.insurance_type,
        insurance_type_name=INSURANCE_TYPES.get(record.insurance_type) if record.insurance_type else None,
        patient_relationship=relationship_named(record.patient_relationship_code),
        patient_relationship_code=record.patient_relationship_code,
        active_service_types=record.active_service_types,
        benefits=record.benefits,
        payer_messages=record.payer_messages,
        stale=stale,
        stale_reason=why,
        source=record.source if coordinator else None,
        x12_href=x12_href(record) if coordinator else None,
    )


def ordered(records: Sequence[EligibilityRecord]) -> list[EligibilityRecord]:
    return sorted(records, key=lambda r: (r.payer_name.casefold(), r.plan_id))


def problem(record: EligibilityRecord, previous: EligibilityRecord | None) -> str | None:
    """What coordinators must be told about a check, or None: a rejection someone has to fix
    (not a payer that is merely unavailable), or coverage that has become inactive."""
    if record.status == "rejected" and record.rejection is not None and not record.rejection.retryable:
        return record.rejection.category.value
    if record.status == "inactive" and (previous is None or previous.status != "inactive"):
        return "coverage_inactive"
    return None
