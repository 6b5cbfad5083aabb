"""Rules about insurance plans. No boto3."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from functions.common.errors import FieldError, InvalidInput
from functions.coverage.models import PlanDetail, PlanIn, PlanOut, PlanRecord
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship


def to_output(record: PlanRecord) -> PlanOut:
    member = record.member_id
    return PlanOut(
        plan_id=record.plan_id,
        payer_name=record.payer_name,
        plan_type=record.plan_type,
        member_id_last4=member[-4:] if member else None,
        subscriber_relationship=record.subscriber_relationship,
        effective_from=record.effective_from,
        effective_to=record.effective_to,
        status=record.status,
    )


def in_force(record: PlanRecord, on: date) -> bool:
    """Whether the plan covers `on` (inactive plans never do)."""
    if record.status is PlanStatus.INACTIVE:
        return False
    if record.effective_from and on < record.effective_from:
        return False
    return not (record.effective_to and on > record.effective_to)


def ordered(records: list[PlanRecord], on: date) -> list[PlanRecord]:
    """Plans in force first, then by payer name: the order a participant expects to read them."""
    return sorted(records, key=lambda r: (not in_force(r, on), r.payer_name.casefold(), r.plan_id))


def new_plan_id() -> str:
    return "pln_" + uuid.uuid4().hex


def check_plan(request: PlanIn) -> None:
    """What the schema cannot say alone: an insurance plan names its payer and member, a
    dependent names the subscriber, dates are in order. InvalidInput naming each field."""
    errors = []
    if request.plan_type is not PlanType.SELF_PAY:
        if not request.payer_id:
            errors.append(FieldError("body.payer_id", "required for an insurance plan"))
        if not request.member_id:
            errors.append(FieldError("body.member_id", "required for an insurance plan"))
    if request.subscriber_relationship is not SubscriberRelationship.SELF and request.subscriber is None:
        errors.append(FieldError("body.subscriber", "required when the participant is not the subscriber"))
    if request.effective_from and request.effective_to and request.effective_to < request.effective_from:
        errors.append(FieldError("body.effective_to", "before effective_from"))
    if errors:
        raise InvalidInput("the plan is not complete", errors=errors)


def record_from(
    request: PlanIn, *, person_id: str, plan_id: str, now: datetime, version: int = 1
) -> PlanRecord:
    return PlanRecord(
        person_id=person_id,
        plan_id=plan_id,
        **request.model_dump(),
        updated_at=now,
        version=version,
    )


def to_detail(record: PlanRecord) -> PlanDetail:
    return PlanDetail(
        **to_output(record).model_dump(),
        person_id=record.person_id,
        payer_id=record.payer_id,
        member_id=record.member_id,
        group_number=record.group_number,
        patient=record.patient,
        subscriber=record.subscriber,
        network_status=record.network_status,
        updated_at=record.updated_at,
    )
