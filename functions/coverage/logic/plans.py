"""Rules about insurance plans. No boto3."""

from __future__ import annotations

from datetime import date

from functions.coverage.models import PlanOut, PlanRecord
from functions.coverage.vocabulary import PlanStatus


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
