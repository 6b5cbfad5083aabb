"""Scheduling's shapes: input (requests), output (responses) and stored (items), mapped
explicitly so a stored attribute never leaks into a response by accident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from functions.common.models import DisplayName, Email, PhoneE164, TimeZone, UsState, iso
from functions.schedule.vocabulary import ENTITY_PERSON, AgeGroup, PersonKind

# --- input ----------------------------------------------------------------------------------


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

    @model_validator(mode="after")
    def _participant_fields(self) -> PersonCreate:
        if self.kind is PersonKind.PARTICIPANT:
            missing = [name for name in ("state", "age_group") if getattr(self, name) is None]
            if missing:
                raise ValueError("participants need " + " and ".join(missing))
        elif self.age_group is not None:
            raise ValueError("age_group applies to participants only")
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

    @field_validator("display_name", "email", "time_zone", "state", "age_group", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only `phone` may be cleared; the others can be changed but never removed.
        if value is None:
            raise ValueError("may be changed but not cleared")
        return value

    def changed_fields(self) -> set[str]:
        return set(self.model_dump(exclude_unset=True))


# --- output ---------------------------------------------------------------------------------


class PersonOut(BaseModel):
    person_id: str
    kind: PersonKind
    display_name: str
    email: str
    phone: str | None = None
    time_zone: str
    state: str | None = None
    age_group: AgeGroup | None = None
    created_at: datetime
    updated_at: datetime


class PeoplePage(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")


class Health(BaseModel):
    status: str


# --- stored ---------------------------------------------------------------------------------


class PersonRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    kind: PersonKind
    display_name: str
    email: str
    phone: str | None = None
    time_zone: str
    state: str | None = None
    age_group: AgeGroup | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @staticmethod
    def key(person_id: str) -> dict[str, str]:
        return {"pk": f"PERSON#{person_id}", "sk": "PROFILE"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id),
            "entity": ENTITY_PERSON,
            "gsi1pk": f"KIND#{self.kind.value}",
            "gsi1sk": f"{self.display_name.casefold()}#{self.person_id}",
            "person_id": self.person_id,
            "kind": self.kind.value,
            "display_name": self.display_name,
            "email": self.email,
            "phone": self.phone,
            "time_zone": self.time_zone,
            "state": self.state,
            "age_group": self.age_group.value if self.age_group else None,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "version": self.version,
        }

    @classmethod
    def from_attributes(cls, data: dict[str, Any]) -> PersonRecord:
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})
