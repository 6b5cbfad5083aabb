"""Rules about people: who may see or change whom, and how records evolve. No boto3."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, Forbidden, InvalidInput, NotFound
from functions.schedule.logic.teams import Relations, may_see_participant
from functions.schedule.models import (
    AccountOut,
    PersonCreate,
    PersonOut,
    PersonPatch,
    PersonRecord,
    TreatmentPlan,
    TreatmentPlanOut,
)
from functions.schedule.vocabulary import ASAM_HOURS_PER_WEEK, PROGRAM_SESSIONS_PER_WEEK, AgeGroup, PersonKind

# What people may change about themselves; the rest (kind, state of residence, which
# drives telehealth licensure, age group, and the login email) is the coordinators'.
SELF_EDITABLE = frozenset({"display_name", "phone", "time_zone"})


def new_person_id() -> str:
    return "per_" + uuid.uuid4().hex


def default_plan(age_group: AgeGroup) -> TreatmentPlan:
    """The program's default intensity: 3-5 sessions and the ASAM 2.1 hours of the age group."""
    low, high = ASAM_HOURS_PER_WEEK[age_group]
    return TreatmentPlan(
        sessions_per_week_min=PROGRAM_SESSIONS_PER_WEEK[0],
        sessions_per_week_max=PROGRAM_SESSIONS_PER_WEEK[1],
        hours_per_week_min=low,
        hours_per_week_max=high,
    )


def check_plan(plan: TreatmentPlan, age_group: AgeGroup) -> None:
    """A plan's hours stay within ASAM level 2.1 for the participant's age group."""
    low, high = ASAM_HOURS_PER_WEEK[age_group]
    errors = []
    if plan.hours_per_week_min < low:
        errors.append(
            FieldError("body.treatment_plan.hours_per_week_min", f"at least {low} for {age_group.value}s")
        )
    if plan.hours_per_week_max > high:
        errors.append(
            FieldError("body.treatment_plan.hours_per_week_max", f"at most {high} (ASAM level 2.1)")
        )
    if errors:
        raise InvalidInput("the treatment plan is outside the program's intensity", errors=errors)


def new_person(data: PersonCreate, *, person_id: str, now: datetime) -> PersonRecord:
    plan = data.treatment_plan
    if data.kind is PersonKind.PARTICIPANT and data.age_group is not None:
        plan = plan or default_plan(data.age_group)
        check_plan(plan, data.age_group)
    return PersonRecord(
        person_id=person_id,
        kind=data.kind,
        display_name=data.display_name,
        email=data.email,
        phone=data.phone,
        time_zone=data.time_zone,
        state=data.state,
        age_group=data.age_group,
        treatment_plan=plan,
        roles=data.roles,
        licensed_states=data.licensed_states,
        created_at=now,
        updated_at=now,
        version=1,
    )


def visible(principal: Principal, record: PersonRecord, relations: Relations | None) -> bool:
    """Self and coordinators; clinicians see staff and the participants on their caseload.
    A participant never sees another participant, their partner included."""
    if principal.role is Role.COORDINATOR or principal.person_id == record.person_id:
        return True
    if principal.role is Role.CLINICIAN:
        if record.kind is not PersonKind.PARTICIPANT:
            return True
        return relations is not None and may_see_participant(principal, record.person_id, relations)
    return False


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
    kind_fields = {
        PersonKind.PARTICIPANT: {"age_group", "treatment_plan"},
        PersonKind.CLINICIAN: {"roles", "licensed_states"},
        PersonKind.COORDINATOR: set(),
    }
    foreign = sorted(
        (changed & {"age_group", "treatment_plan", "roles", "licensed_states"}) - kind_fields[record.kind]
    )
    if foreign:
        raise InvalidInput(
            f"these fields do not apply to a {record.kind.value}",
            errors=[FieldError(f"body.{name}", "not applicable") for name in foreign],
        )
    updates = {name: getattr(patch, name) for name in changed}
    plan = updates.get("treatment_plan")
    if plan is not None and "needs_substance_use_counseling" not in plan.model_fields_set:
        # A plan sent without the substance-use need keeps the one stored: a reader to whom it
        # shows null (Part 2) can change the intensity without clearing it unseen.
        kept = record.treatment_plan.needs_substance_use_counseling if record.treatment_plan else False
        updates["treatment_plan"] = plan.model_copy(update={"needs_substance_use_counseling": kept})
    updated = record.model_copy(update={**updates, "updated_at": now, "version": record.version + 1})
    age_group = updated.age_group
    if updated.kind is PersonKind.PARTICIPANT and age_group is not None:
        plan = updated.treatment_plan or default_plan(age_group)
        check_plan(plan, age_group)
        updated = updated.model_copy(update={"treatment_plan": plan})
    return updated


def plan_out(plan: TreatmentPlan, *, sees_part2: bool) -> TreatmentPlanOut:
    """A plan as a reader sees it: its substance-use need null unless they may see Part 2."""
    need = plan.needs_substance_use_counseling if sees_part2 else None
    return TreatmentPlanOut(**{**plan.model_dump(), "needs_substance_use_counseling": need})


def to_output(record: PersonRecord, *, sees_part2: bool = True) -> PersonOut:
    """`sees_part2`: whether the reader may see the participant's Part 2 records
    (`sensitivity.sees_substance_use_need`); if not, the plan's substance-use need is null."""
    plan = record.treatment_plan
    shown = plan_out(plan, sees_part2=sees_part2) if plan is not None else None
    return PersonOut(
        person_id=record.person_id,
        kind=record.kind,
        display_name=record.display_name,
        email=record.email,
        phone=record.phone,
        time_zone=record.time_zone,
        state=record.state,
        age_group=record.age_group,
        treatment_plan=shown,
        roles=record.roles,
        licensed_states=record.licensed_states,
        account=account_of(record),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def account_of(record: PersonRecord) -> AccountOut:
    status: Literal["none", "invited", "deactivated"] = "none"
    if record.deactivated_at is not None:
        status = "deactivated"
    elif record.invited_at is not None:
        status = "invited"
    return AccountOut(status=status, invited_at=record.invited_at, deactivated_at=record.deactivated_at)


def with_account(
    record: PersonRecord, *, now: datetime, invited: bool = False, active: bool | None = None
) -> PersonRecord:
    """The record after its account changed: `invited` (created or the invitation re-sent),
    `active` False (deactivated) or True (reactivated); the version moves on."""
    update: dict[str, object] = {"updated_at": now, "version": record.version + 1}
    if invited:
        update["invited_at"] = now
    if active is not None:
        update["deactivated_at"] = None if active else now
    return record.model_copy(update=update)
