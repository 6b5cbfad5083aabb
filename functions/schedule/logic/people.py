"""Rules about people: who may see or change whom, and how records evolve. No boto3."""

from __future__ import annotations

import uuid
from datetime import datetime

from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, Forbidden, NotFound
from functions.schedule.models import PersonCreate, PersonOut, PersonPatch, PersonRecord

# What people may change about themselves; the rest (kind, state of residence, which
# drives telehealth licensure, age group, and the login email) is the coordinators'.
SELF_EDITABLE = frozenset({"display_name", "phone", "time_zone"})


def new_person_id() -> str:
    return "per_" + uuid.uuid4().hex


def new_person(data: PersonCreate, *, person_id: str, now: datetime) -> PersonRecord:
    return PersonRecord(
        person_id=person_id,
        kind=data.kind,
        display_name=data.display_name,
        email=data.email,
        phone=data.phone,
        time_zone=data.time_zone,
        state=data.state,
        age_group=data.age_group,
        created_at=now,
        updated_at=now,
        version=1,
    )


def can_read(principal: Principal, person_id: str) -> bool:
    """Self and coordinators. Clinicians' caseload access arrives with care teams."""
    return principal.role is Role.COORDINATOR or principal.person_id == person_id


def ensure_readable(principal: Principal, person_id: str) -> None:
    # 404, not 403: a caller may not learn that someone else's record exists.
    if not can_read(principal, person_id):
        raise NotFound("no such person")


def apply_patch(
    record: PersonRecord, patch: PersonPatch, *, principal: Principal, now: datetime
) -> PersonRecord:
    changed = patch.changed_fields()
    if principal.role is not Role.COORDINATOR:
        refused = sorted(changed - SELF_EDITABLE)
        if refused:
            raise Forbidden(
                "only a coordinator may change these fields",
                errors=[FieldError(f"body.{name}", "coordinator only") for name in refused],
            )
    updates = {name: getattr(patch, name) for name in changed}
    return record.model_copy(update={**updates, "updated_at": now, "version": record.version + 1})


def to_output(record: PersonRecord) -> PersonOut:
    return PersonOut(
        person_id=record.person_id,
        kind=record.kind,
        display_name=record.display_name,
        email=record.email,
        phone=record.phone,
        time_zone=record.time_zone,
        state=record.state,
        age_group=record.age_group,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
