"""Treatment intensity: one participant's week against their plan, and the program's
participants under or over plan for a week."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import NotFound
from functions.common.models import utc_now
from functions.schedule.deps import Audit, Caller, Store, WeekQuery, rules, settings
from functions.schedule.logic import intensity
from functions.schedule.logic.booking import checked_week, week_of
from functions.schedule.logic.groups import week_entries
from functions.schedule.logic.makeups import week_bounds
from functions.schedule.logic.people import default_plan
from functions.schedule.logic.teams import may_see_participant
from functions.schedule.models import (
    IntensityFigures,
    IntensityOut,
    ProgramIntensityEntry,
    ProgramIntensityOut,
)
from functions.schedule.vocabulary import AgeGroup, PersonKind

router = Router()  # type: ignore[no-untyped-call]


@router.get(
    "/participants/<participant_id>/intensity",
    summary="A participant's week against their treatment plan (self, their clinicians, coordinators)",
    tags=["intensity"],
    security=AUTHENTICATED,
)
@rules("intensity.read", "person/{participant_id}/intensity")
def participant_intensity(
    participant_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    week: WeekQuery = None,
) -> IntensityOut:
    checked_week(week)
    person, relations, enrolments = store.person_context(participant_id)
    if person is None or person.kind is not PersonKind.PARTICIPANT:
        raise NotFound("no such participant")
    if not may_see_participant(caller, participant_id, relations):
        raise NotFound("no such participant")
    week = week or week_of(utc_now(), person.time_zone)
    start, end = week_bounds(week, person.time_zone)
    groups = [
        e
        for enrolment in enrolments
        for e in week_entries(enrolment, participant_id, start, end, ZoneInfo(person.time_zone))
    ]
    totals = intensity.figures(store.week(participant_id, week), groups)
    plan = person.treatment_plan or default_plan(person.age_group or AgeGroup.ADULT)
    sessions_standing, hours_standing = intensity.assess(plan, totals)
    return IntensityOut(
        participant_id=participant_id,
        week=week,
        plan=plan,
        scheduled=IntensityFigures(sessions=totals.scheduled_sessions, hours=totals.scheduled_hours),
        attended=IntensityFigures(sessions=totals.attended_sessions, hours=totals.attended_hours),
        sessions_standing=sessions_standing,
        hours_standing=hours_standing,
    )


@router.get(
    "/intensity",
    summary="Participants under or over plan for a week (coordinators)",
    tags=["intensity"],
    security=AUTHENTICATED,
)
@rules("intensity.program.read", "intensity", allow={Role.COORDINATOR})
def program_intensity(
    caller: Caller, store: Store, audit: Audit, week: WeekQuery = None
) -> ProgramIntensityOut:
    checked_week(week)
    week = week or week_of(utc_now(), settings().program_time_zone)
    participants = store.all_participants()
    figures = {item["participant_id"]: item for item in store.intensity_week(week)}
    under: list[ProgramIntensityEntry] = []
    over: list[ProgramIntensityEntry] = []
    within = 0
    for person in participants:
        raw = figures.get(person.person_id, {})
        totals = intensity.Figures.model_validate(
            {k: v for k, v in raw.items() if k in intensity.Figures.model_fields}
        )
        plan = person.treatment_plan or default_plan(person.age_group or AgeGroup.ADULT)
        sessions_standing, hours_standing = intensity.assess(plan, totals)
        entry = ProgramIntensityEntry(
            participant_id=person.person_id,
            scheduled=IntensityFigures(sessions=totals.scheduled_sessions, hours=totals.scheduled_hours),
            attended=IntensityFigures(sessions=totals.attended_sessions, hours=totals.attended_hours),
            sessions_standing=sessions_standing,
            hours_standing=hours_standing,
        )
        if "under" in (sessions_standing, hours_standing):
            under.append(entry)
        elif "over" in (sessions_standing, hours_standing):
            over.append(entry)
        else:
            within += 1
    return ProgramIntensityOut(week=week, under=under, over=over, within=within)
