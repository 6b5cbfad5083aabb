"""Makeup offers: the options a missed session opens and their acceptance."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from functions.schedule.vocabulary import MakeupKind, SessionType


class MakeupOption(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MakeupKind
    clinician_id: str | None = None
    session_type: SessionType | None = None
    attendee_ids: list[str] = Field(default_factory=list)
    couple_id: str | None = None
    group_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class MakeupOfferOut(BaseModel):
    missed_session_id: str
    missed_type: str
    week: str
    status: str
    options: list[MakeupOption]
    accepted_session_id: str | None = None
    created_at: datetime


class MakeupOfferList(BaseModel):
    items: list[MakeupOfferOut]


class MakeupAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    option: int = Field(ge=0, le=20, description="Index of the chosen option in `options`.")
