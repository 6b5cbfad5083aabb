"""People: what a request to create or change a person carries, what a reader is shown
(accounts, treatment plans) and the page of people."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.common.models import DisplayName, Email, PhoneE164, TimeZone, UsState
from functions.schedule.vocabulary import AgeGroup, ClinicianRole, PersonKind


class TreatmentPlan(BaseModel):
    """A participant's weekly intensity: sessions and hours (ASAM level 2.1 bounds apply)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sessions_per_week_min: int = Field(ge=1, le=14)
    sessions_per_week_max: int = Field(ge=1, le=14)
    hours_per_week_min: float = Field(ge=0, le=40)
    hours_per_week_max: float = Field(ge=0, le=40)
    needs_substance_use_counseling: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> TreatmentPlan:
        if self.sessions_per_week_min > self.sessions_per_week_max:
            raise ValueError("sessions_per_week_min is above sessions_per_week_max")
        if self.hours_per_week_min > self.hours_per_week_max:
            raise ValueError("hours_per_week_min is above hours_per_week_max")
        return self


class TreatmentPlanOut(TreatmentPlan):
    """A treatment plan as a reader sees it: that the participant needs substance-use counseling
    is Part 2 (42 CFR Part 2), so it is null to readers who do not see their Part 2 items."""

    needs_substance_use_counseling: bool | None = Field(  # type: ignore[assignment]
        default=False,
        description="Null when the reader may not see the participant's Part 2 records "
        "(see `functions/schedule/logic/sensitivity.py`).",
    )


ClinicianRoles = Annotated[list[ClinicianRole], Field(min_length=1, max_length=len(ClinicianRole))]
LicensedStates = Annotated[list[UsState], Field(min_length=1, max_length=60)]


class PersonCreate(BaseModel):
    """A person joining the program: participant, clinician or coordinator."""

    model_config = ConfigDict(extra="forbid")

    kind: PersonKind
    display_name: DisplayName
    email: Email
    phone: PhoneE164 | None = None
    time_zone: TimeZone
    state: UsState | None = Field(
        default=None, description="Participants: the state they are located in (telehealth licensure)."
    )
    age_group: AgeGroup | None = Field(default=None, description="Participants only.")
    treatment_plan: TreatmentPlan | None = Field(
        default=None, description="Participants only; the program default for the age group when left out."
    )
    roles: ClinicianRoles | None = Field(default=None, description="Clinicians only (at least one).")
    licensed_states: LicensedStates | None = Field(
        default=None, description="Clinicians only: the states they may treat participants located in."
    )

    @model_validator(mode="after")
    def _fields_of_kind(self) -> PersonCreate:
        participant_only = ("state", "age_group", "treatment_plan")
        clinician_only = ("roles", "licensed_states")
        if self.kind is PersonKind.PARTICIPANT:
            missing = [name for name in ("state", "age_group") if getattr(self, name) is None]
            if missing:
                raise ValueError("participants need " + " and ".join(missing))
        if self.kind is PersonKind.CLINICIAN:
            missing = [name for name in clinician_only if getattr(self, name) is None]
            if missing:
                raise ValueError("clinicians need " + " and ".join(missing))
        allowed = {
            PersonKind.PARTICIPANT: participant_only,
            PersonKind.CLINICIAN: clinician_only,
            PersonKind.COORDINATOR: (),
        }[self.kind]
        stray = [n for n in (*participant_only, *clinician_only) if n not in allowed and getattr(self, n)]
        # `state` is also the home state of staff, so only the clinical fields are refused.
        stray = [n for n in stray if n != "state"]
        if stray:
            raise ValueError(f"{', '.join(stray)} do not apply to a {self.kind.value}")
        return self


class PersonPatch(BaseModel):
    """A partial update; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    email: Email | None = None
    phone: PhoneE164 | None = None
    time_zone: TimeZone | None = None
    state: UsState | None = None
    age_group: AgeGroup | None = None
    treatment_plan: TreatmentPlan | None = None
    roles: ClinicianRoles | None = None
    licensed_states: LicensedStates | None = None

    @field_validator(
        "display_name",
        "email",
        "time_zone",
        "state",
        "age_group",
        "treatment_plan",
        "roles",
        "licensed_states",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only `phone` may be cleared; the others can be changed but never removed.
        if value is None:
            raise ValueError("may be changed but not cleared")
        return value

    def changed_fields(self) -> set[str]:
        return set(self.model_dump(exclude_unset=True))


# --- people: output -------------------------------------------------------------------------


class AccountOut(BaseModel):
    """A person's sign-in account."""

    status: Literal["none", "invited", "deactivated"] = Field(
        description="`none`: no account yet (send the invitation); `invited`: the account exists "
        "and its invitation went out at `invited_at` (whether or not they have signed in since); "
        "`deactivated`: sign-in disabled at `deactivated_at`, records kept."
    )
    invited_at: datetime | None = None
    deactivated_at: datetime | None = None


class PersonOut(BaseModel):
    person_id: str
    kind: PersonKind
    display_name: str
    email: str
    phone: str | None = None
    time_zone: str
    state: str | None = None
    age_group: AgeGroup | None = None
    treatment_plan: TreatmentPlanOut | None = None
    roles: list[ClinicianRole] | None = None
    licensed_states: list[str] | None = None
    account: AccountOut
    created_at: datetime
    updated_at: datetime


class PeoplePage(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")
