"""Clinician availability: weekly windows in their own zone and time off."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from functions.common.models import LocalTime, SchedulingInstant

Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday (ISO order, from 0).")]


class WeeklyWindow(BaseModel):
    """A recurring window of availability in the clinician's own time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: Weekday
    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start (windows do not cross midnight; split them)")
        return self


class TimeOff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: SchedulingInstant
    end: SchedulingInstant

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly: list[WeeklyWindow] = Field(max_length=70)
    time_off: list[TimeOff] = Field(default_factory=list, max_length=200)


class AvailabilityOut(AvailabilityIn):
    clinician_id: str
    time_zone: str
    updated_at: datetime | None = None
