"""Sessions: booking, rescheduling, cancelling, privacy, attendance and joining the room."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from functions.common.models import MultiLine, ResourceId, SchedulingInstant
from functions.schedule.vocabulary import AttendanceStatus, SessionStatus, SessionType


class SessionCreate(BaseModel):
    """Book one session. `start` is RFC 3339 with an offset, on a quarter-hour."""

    model_config = ConfigDict(extra="forbid")

    type: SessionType
    start: SchedulingInstant
    duration_minutes: int | None = Field(
        default=None,
        ge=10,
        le=180,
        multiple_of=5,
        description="Defaults to the usual length of the session type.",
    )
    clinician_id: ResourceId
    attendee_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)]
    couple_id: ResourceId | None = Field(default=None, description="Required for couples sessions.")
    private: bool = Field(
        default=False,
        description="Individual work the participant keeps private (not couples sessions): "
        "see `PUT /sessions/{session_id}/privacy`.",
    )

    @field_validator("attendee_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("attendees must be different people")
        return value


class SessionPrivacy(BaseModel):
    """Mark a participant's individual session private, or no longer private."""

    model_config = ConfigDict(extra="forbid")

    private: bool = Field(
        description="True: only the participant, the session's clinicians and coordinators see it "
        "in full; the rest of the care team (the couples therapist) sees busy time, and no "
        "joint view shows it."
    )


class SessionReschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: SchedulingInstant
    duration_minutes: int | None = Field(default=None, ge=10, le=180, multiple_of=5)


class SessionCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[MultiLine, Field(max_length=200)] | None = Field(
        default=None, description="Free text kept with the session; never sent in notifications."
    )


class SessionOut(BaseModel):
    session_id: str
    type: SessionType
    status: SessionStatus
    start: datetime
    end: datetime
    clinician_ids: list[str]
    attendee_ids: list[str]
    couple_id: str | None = None
    late_cancel: bool = False
    attendance: dict[str, AttendanceStatus] = Field(
        default_factory=dict, description="Per attendee; a participant sees only their own entry."
    )
    private: bool = Field(
        default=False, description="The participant keeps this individual session out of joint views."
    )


class AttendanceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: ResourceId
    status: AttendanceStatus


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: Annotated[list[AttendanceEntry], Field(min_length=1, max_length=2)]

    @field_validator("records")
    @classmethod
    def _one_each(cls, value: list[AttendanceEntry]) -> list[AttendanceEntry]:
        if len({r.person_id for r in value}) != len(value):
            raise ValueError("one record per attendee")
        return value


class JoinOut(BaseModel):
    """What the caller's video client needs to join the session's room (theirs alone)."""

    session_id: str
    provider: str
    meeting_id: str
    attendee_id: str
    join_token: str
    media_placement: dict[str, str]
    shared: bool = Field(description="True when both partners join as one attendee (one location).")
    opens_at: datetime
    closes_at: datetime
