"""Coordinated week plans: the week asked for, the proposal and the booking of it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from functions.common.models import (
    ISO_WEEK_PATTERN,
    SCHEDULING_AHEAD,
    SCHEDULING_PAST,
    ResourceId,
    SchedulingInstant,
    utc_now,
)
from functions.schedule.models.people import TreatmentPlanOut
from functions.schedule.models.week import ScheduleEntry
from functions.schedule.vocabulary import SessionType


def _real_week(value: str) -> str:
    year, number = value.split("-W")
    try:
        date.fromisocalendar(int(year), int(number), 1)
    except ValueError as exc:
        raise ValueError("no such ISO week") from exc
    return value


IsoWeek = Annotated[str, StringConstraints(pattern=ISO_WEEK_PATTERN), AfterValidator(_real_week)]


def _schedulable_week(value: str) -> str:
    """A week all of whose days (in any zone) are inside the scheduling window."""
    year, number = value.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    now = utc_now()
    if not (now - SCHEDULING_PAST).date() < monday <= (now + SCHEDULING_AHEAD).date() - timedelta(days=8):
        raise ValueError("must be between a year ago and two years from now")
    return value


SchedulingWeek = Annotated[IsoWeek, AfterValidator(_schedulable_week)]
"""A week sessions may be planned in (see `SchedulingInstant`)."""


class WeekPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: SchedulingWeek
    evenings: bool = Field(default=True, description="Sessions may start at 17:00 or later (couple's zone).")
    weekends: bool = Field(default=True, description="Sessions may fall on Saturday or Sunday.")


class PlannedSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: SessionType
    clinician_id: ResourceId
    attendee_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)]
    start: SchedulingInstant
    end: SchedulingInstant
    couple_id: ResourceId | None = None

    @model_validator(mode="after")
    def _bookable_shape(self) -> PlannedSession:
        minutes = (self.end - self.start).total_seconds() / 60
        if not 10 <= minutes <= 180 or minutes % 5:
            raise ValueError("a session lasts 10 to 180 minutes, in steps of 5")
        if len(set(self.attendee_ids)) != len(self.attendee_ids):
            raise ValueError("attendees must be different people")
        return self


class PlannedGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: ResourceId
    participant_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)]
    occurrences: list[SchedulingInstant] = Field(
        default_factory=list, max_length=14, description="This week's, for reading."
    )

    @field_validator("participant_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("participants must be different people")
        return value


class UnmetRequirement(BaseModel):
    requirement: str
    participant_id: str | None = None
    detail: str


class PartnerWeek(BaseModel):
    participant_id: str
    sessions: int
    hours: float
    plan: TreatmentPlanOut


class WeekPlanOut(BaseModel):
    couple_id: str
    week: str
    sessions: list[PlannedSession]
    groups: list[PlannedGroup]
    unmet: list[UnmetRequirement]
    partners: list[PartnerWeek] = Field(description="Each partner's week with the proposal taken up.")
    complete: bool = Field(description="True when the proposal meets every requirement.")
    busy: list[ScheduleEntry] = Field(
        default_factory=list,
        description="Proposed sessions the caller may not see in full (a partner's Part 2 care): "
        "their time only. Whoever may see them (a coordinator) books them.",
    )


class WeekPlanBook(BaseModel):
    """A proposal (as returned, or trimmed) to book as a whole: all of it or none of it."""

    model_config = ConfigDict(extra="forbid")

    week: SchedulingWeek
    sessions: Annotated[list[PlannedSession], Field(max_length=6)]
    groups: Annotated[list[PlannedGroup], Field(max_length=4)] = Field(default_factory=list)

    @field_validator("groups")
    @classmethod
    def _each_group_once(cls, value: list[PlannedGroup]) -> list[PlannedGroup]:
        if len({g.group_id for g in value}) != len(value):
            raise ValueError("each group once")
        return value


class WeekPlanBooked(BaseModel):
    couple_id: str
    week: str
    session_ids: list[str]
    group_ids: list[str]
