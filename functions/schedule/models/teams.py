"""Care teams, couples and caseloads: what their requests carry and readers are shown."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.common.models import ResourceId
from functions.schedule.vocabulary import CareRole, JoinMode


class CareTeamIn(BaseModel):
    """A participant's own clinicians (the couples therapist is set on the couple)."""

    model_config = ConfigDict(extra="forbid")

    individual_therapist_id: ResourceId | None = None
    substance_use_counselor_id: ResourceId | None = None
    prescriber_id: ResourceId | None = None

    def assignments(self) -> dict[CareRole, str]:
        pairs = {
            CareRole.INDIVIDUAL_THERAPIST: self.individual_therapist_id,
            CareRole.SUBSTANCE_USE_COUNSELOR: self.substance_use_counselor_id,
            CareRole.PRESCRIBER: self.prescriber_id,
        }
        return {role: clinician for role, clinician in pairs.items() if clinician}


class CareTeamOut(BaseModel):
    participant_id: str
    individual_therapist_id: str | None = None
    couples_therapist_id: str | None = None
    substance_use_counselor_id: str | None = None
    prescriber_id: str | None = None
    couple_id: str | None = None
    partner_id: str | None = None


class CoupleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_ids: Annotated[list[ResourceId], Field(min_length=2, max_length=2)]
    couples_therapist_id: ResourceId
    join_mode: JoinMode = JoinMode.ONE_LOCATION

    @field_validator("partner_ids")
    @classmethod
    def _two_people(cls, value: list[str]) -> list[str]:
        if value[0] == value[1]:
            raise ValueError("a couple is two different participants")
        return value


class CoupleUpdate(BaseModel):
    """Change a couple's couples therapist or how they usually join (PATCH: only what is sent)."""

    model_config = ConfigDict(extra="forbid")

    couples_therapist_id: ResourceId | None = None
    join_mode: JoinMode | None = Field(
        default=None, description="Applies to every session joined from now on, booked or not."
    )

    @model_validator(mode="after")
    def _something(self) -> CoupleUpdate:
        if self.couples_therapist_id is None and self.join_mode is None:
            raise ValueError("send couples_therapist_id, join_mode or both")
        return self


class CoupleOut(BaseModel):
    couple_id: str
    partner_ids: list[str]
    couples_therapist_id: str
    join_mode: JoinMode
    created_at: datetime


class CaseloadEntry(BaseModel):
    participant_id: str
    display_name: str | None = Field(
        default=None, description="The participant's name (null if their profile is gone)."
    )
    roles: list[CareRole] = Field(
        description="The clinician's positions on this participant's team; the substance-use "
        "counselor's only to whom may see Part 2 items (the counselor, the coordinators the "
        "program names)."
    )


class CaseloadOut(BaseModel):
    clinician_id: str
    items: list[CaseloadEntry]
