"""A person's week as a reader sees it: its entries, in full or as busy time."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from functions.schedule.vocabulary import GroupType, Sensitivity, SessionStatus, SessionType

Visibility = Literal["full", "busy"]


class ScheduleEntry(BaseModel):
    """One session or group occurrence in a person's week, in that person's own time zone.

    A `busy` entry is a Part 2 item, or a private individual session, the caller may not see
    in full (see `logic/sensitivity.py`): its time only, every other field empty."""

    session_id: str | None = Field(
        description="A session id, or `<group_id>@<start>` for a group occurrence; null when busy."
    )
    type: SessionType | GroupType | None = Field(description="Null when busy.")
    group_id: str | None = None
    status: SessionStatus
    start: datetime
    end: datetime
    role: str | None = Field(description="`attendee` or `clinician`; null when busy.")
    clinician_ids: list[str]
    attendee_ids: list[str]
    authorization_flags: list[str] = Field(
        default_factory=list,
        description="For a participant's own session: outside every prior authorization's dates, "
        "or beyond its units (from coverage).",
    )
    visibility: Visibility = Field(
        default="full",
        description="`busy`: a Part 2 item or a private session shown as time only to this caller.",
    )
    sensitivity: Sensitivity | None = Field(
        default=None, description="`part2` or `standard` for a full entry; null when busy."
    )
    private: bool | None = Field(
        default=None,
        description="A full session entry: whether the participant keeps it private; null when "
        "busy and for group occurrences.",
    )


class WeekSchedule(BaseModel):
    person_id: str
    week: str
    time_zone: str
    items: list[ScheduleEntry]
    redisclosure_notice: str | None = Field(
        default=None,
        description="The 42 CFR 2.32 notice, present when the week shows Part 2 items in full to "
        "someone other than the participant (also in the `Tandem-Redisclosure-Notice` header).",
    )
