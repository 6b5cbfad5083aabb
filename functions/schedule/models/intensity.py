"""Intensity: a participant's week against their treatment plan, and the program's."""

from __future__ import annotations

from pydantic import BaseModel, Field

from functions.schedule.models.people import TreatmentPlan


class IntensityFigures(BaseModel):
    sessions: int
    hours: float


class IntensityOut(BaseModel):
    participant_id: str
    week: str
    plan: TreatmentPlan
    scheduled: IntensityFigures
    attended: IntensityFigures
    sessions_standing: str = Field(description="`under`, `within` or `over` the plan's sessions per week.")
    hours_standing: str = Field(description="`under`, `within` or `over` the plan's hours per week.")


class ProgramIntensityEntry(BaseModel):
    participant_id: str
    scheduled: IntensityFigures
    attended: IntensityFigures
    sessions_standing: str
    hours_standing: str


class ProgramIntensityOut(BaseModel):
    week: str
    under: list[ProgramIntensityEntry]
    over: list[ProgramIntensityEntry]
    within: int = Field(description="How many participants are within plan.")
