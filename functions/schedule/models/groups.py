"""Groups: the series, enrolment, rosters and attendance at an occurrence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.common.models import ResourceId, SchedulingInstant, SingleLine, TimeZone
from functions.schedule.models.sessions import AttendanceEntry, AttendanceIn
from functions.schedule.vocabulary import AttendanceStatus, EnrolmentStatus, GroupType


class GroupCreate(BaseModel):
    """A recurring group. `first_start` is the first occurrence's local time (with offset);
    the RRULE (RFC 5545, FREQ=DAILY or WEEKLY) repeats it on that zone's wall clock."""

    model_config = ConfigDict(extra="forbid")

    type: GroupType
    title: Annotated[
        SingleLine, Field(min_length=1, max_length=80, description="Neutral, no clinical detail.")
    ]
    facilitator_id: ResourceId
    rrule: Annotated[
        SingleLine, Field(min_length=8, max_length=300, examples=["FREQ=WEEKLY;BYDAY=TU,TH;COUNT=16"])
    ]
    first_start: SchedulingInstant
    time_zone: TimeZone
    duration_minutes: int = Field(ge=15, le=240, multiple_of=5)
    capacity: int = Field(ge=1, le=50)
    recording: bool = Field(
        default=False, description="Sessions are recorded for participants who miss them."
    )


class GroupOut(BaseModel):
    group_id: str
    type: GroupType
    title: str
    facilitator_id: str
    rrule: str
    first_start: datetime
    time_zone: str
    duration_minutes: int
    capacity: int
    seats_left: int
    waitlisted: int
    evening: bool
    weekend: bool
    recording: bool
    next_occurrences: list[datetime] = Field(default_factory=list)


class GroupList(BaseModel):
    items: list[GroupOut]


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)] = Field(
        description="One participant, or both partners of a couple (seated together or waitlisted together)."
    )

    @field_validator("participant_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("participants must be different people")
        return value


class EnrolOut(BaseModel):
    group_id: str
    participant_ids: list[str]
    status: EnrolmentStatus
    waitlist_position: int | None = None


class RosterEntry(BaseModel):
    participant_id: str
    display_name: str | None = Field(
        default=None,
        description="The participant's name, for whom runs the group (null if their profile is gone).",
    )
    status: EnrolmentStatus
    since: datetime
    waitlist_position: int | None = None


class RosterOut(BaseModel):
    group_id: str
    capacity: int
    enrolled: list[RosterEntry]
    waitlist: list[RosterEntry]


class GroupAttendanceIn(AttendanceIn):
    """As for a session, for everyone enrolled at one group occurrence."""

    records: Annotated[list[AttendanceEntry], Field(min_length=1, max_length=50)]


class GroupAttendanceOut(BaseModel):
    group_id: str
    occurrence_start: datetime
    attendance: dict[str, AttendanceStatus]
