"""Care teams, couples and caseloads: who treats whom, and so who may see whom. No boto3."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, InvalidInput
from functions.schedule import keys
from functions.schedule.models import (
    CareTeamIn,
    CareTeamOut,
    CoupleCreate,
    CoupleRecord,
    CoupleUpdate,
    PersonRecord,
)
from functions.schedule.vocabulary import CareRole, ClinicianRole, PersonKind

CARE_ROLE_NEEDS: dict[CareRole, ClinicianRole] = {
    CareRole.INDIVIDUAL_THERAPIST: ClinicianRole.INDIVIDUAL_THERAPIST,
    CareRole.SUBSTANCE_USE_COUNSELOR: ClinicianRole.SUBSTANCE_USE_COUNSELOR,
    CareRole.PRESCRIBER: ClinicianRole.PRESCRIBER,
    CareRole.COUPLES_THERAPIST: ClinicianRole.COUPLES_THERAPIST,
}
_FIELD = {
    CareRole.INDIVIDUAL_THERAPIST: "individual_therapist_id",
    CareRole.SUBSTANCE_USE_COUNSELOR: "substance_use_counselor_id",
    CareRole.PRESCRIBER: "prescriber_id",
}


@dataclass(frozen=True)
class Relations:
    """A participant's clinicians by role, and their couple (from one Query of their items)."""

    participant_id: str
    care: dict[CareRole, str] = field(default_factory=dict)
    couple_id: str | None = None
    partner_id: str | None = None
    couples_therapist_id: str | None = None

    @property
    def clinicians(self) -> set[str]:
        found = set(self.care.values())
        if self.couples_therapist_id:
            found.add(self.couples_therapist_id)
        return found

    @classmethod
    def from_items(cls, participant_id: str, items: Iterable[dict[str, Any]]) -> Relations:
        """From the participant's CARE# and COUPLE items (however they were read)."""
        care: dict[CareRole, str] = {}
        couple: dict[str, Any] = {}
        for data in items:
            if not keys.in_person_partition(data, participant_id):
                continue
            kind = keys.kind_of(data)
            if kind is keys.ItemKind.COUPLE_MEMBERSHIP:
                couple = data
            elif kind is keys.ItemKind.CARE:
                care[CareRole(data["role"])] = data["clinician_id"]
        return cls(
            participant_id=participant_id,
            care=care,
            couple_id=couple.get("couple_id"),
            partner_id=couple.get("partner_id"),
            couples_therapist_id=couple.get("couples_therapist_id"),
        )

    @staticmethod
    def keys(participant_id: str) -> list[dict[str, str]]:
        """The item keys `from_items` reads, for a batch read."""
        roles = [r for r in CareRole if r is not CareRole.COUPLES_THERAPIST]
        return [keys.care_key(participant_id, r) for r in roles] + [
            keys.couple_membership_key(participant_id)
        ]

    def out(self) -> CareTeamOut:
        return CareTeamOut(
            participant_id=self.participant_id,
            individual_therapist_id=self.care.get(CareRole.INDIVIDUAL_THERAPIST),
            substance_use_counselor_id=self.care.get(CareRole.SUBSTANCE_USE_COUNSELOR),
            prescriber_id=self.care.get(CareRole.PRESCRIBER),
            couples_therapist_id=self.couples_therapist_id,
            couple_id=self.couple_id,
            partner_id=self.partner_id,
        )


def new_couple_id() -> str:
    return "cpl_" + uuid.uuid4().hex


def is_on_caseload(principal: Principal, relations: Relations) -> bool:
    return principal.role is Role.CLINICIAN and principal.person_id in relations.clinicians


def may_see_participant(principal: Principal, participant_id: str, relations: Relations | None) -> bool:
    """Self, coordinators, and clinicians whose caseload holds the participant. Never the partner."""
    if principal.role is Role.COORDINATOR or principal.person_id == participant_id:
        return True
    return relations is not None and is_on_caseload(principal, relations)


def _clinician_error(person: PersonRecord | None, role: ClinicianRole, state: str | None) -> str | None:
    if person is None or person.kind is not PersonKind.CLINICIAN:
        return "not a clinician"
    if role not in (person.roles or ()):
        return f"not a {role.value}"
    if state and state not in (person.licensed_states or ()):
        return f"not licensed in {state}, where the participant is located"
    return None


def check_care_team(request: CareTeamIn, participant: PersonRecord, people: dict[str, PersonRecord]) -> None:
    errors = []
    for care_role, clinician_id in request.assignments().items():
        problem = _clinician_error(people.get(clinician_id), CARE_ROLE_NEEDS[care_role], participant.state)
        if problem:
            errors.append(FieldError(f"body.{_FIELD[care_role]}", problem))
    plan = participant.treatment_plan
    needs_counselor = plan is not None and plan.needs_substance_use_counseling
    if needs_counselor and CareRole.SUBSTANCE_USE_COUNSELOR not in request.assignments():
        errors.append(FieldError("body.substance_use_counselor_id", "the treatment plan needs one"))
    if errors:
        raise InvalidInput("the care team is not valid", errors=errors)


def new_couple(
    request: CoupleCreate, *, couple_id: str, people: dict[str, PersonRecord], now: datetime
) -> CoupleRecord:
    errors = []
    for index, partner_id in enumerate(request.partner_ids):
        partner = people.get(partner_id)
        if partner is None or partner.kind is not PersonKind.PARTICIPANT:
            errors.append(FieldError(f"body.partner_ids.{index}", "not a participant"))
    therapist = people.get(request.couples_therapist_id)
    for partner_id in request.partner_ids:
        partner = people.get(partner_id)
        problem = _clinician_error(
            therapist, ClinicianRole.COUPLES_THERAPIST, partner.state if partner else None
        )
        if problem:
            errors.append(FieldError("body.couples_therapist_id", problem))
            break
    if errors:
        raise InvalidInput("the couple is not valid", errors=errors)
    first, second = request.partner_ids
    return CoupleRecord(
        couple_id=couple_id,
        partner_ids=(first, second),
        couples_therapist_id=request.couples_therapist_id,
        join_mode=request.join_mode,
        created_at=now,
    )


def changed_couple(
    couple: CoupleRecord, request: CoupleUpdate, *, people: dict[str, PersonRecord]
) -> CoupleRecord:
    """The couple with a new couples therapist (a couples therapist licensed where both
    partners are) and/or join mode. Sessions already booked keep the therapist they were
    booked with; move or rebook them to change it."""
    therapist_id = request.couples_therapist_id or couple.couples_therapist_id
    if request.couples_therapist_id:
        for partner_id in couple.partner_ids:
            partner = people.get(partner_id)
            problem = _clinician_error(
                people.get(therapist_id), ClinicianRole.COUPLES_THERAPIST, partner.state if partner else None
            )
            if problem:
                raise InvalidInput(
                    "the couple cannot change as asked",
                    errors=[FieldError("body.couples_therapist_id", problem)],
                )
    return couple.model_copy(
        update={
            "couples_therapist_id": therapist_id,
            "join_mode": request.join_mode or couple.join_mode,
            "version": couple.version + 1,
        }
    )
