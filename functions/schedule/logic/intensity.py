"""Treatment intensity: a participant's week against their plan. No boto3.

Scheduled counts booked sessions and group occurrences; late cancels and cancellations
do not count. Attended counts sessions and group occurrences whose attendance says
`attended` (a group occurrence's attendance is filed in each participant's week).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from functions.schedule.models import ScheduleEntry, TreatmentPlan
from functions.schedule.vocabulary import ENTITY_GROUP_ATTENDEE, AttendanceStatus, SessionStatus


class Figures(BaseModel):
    scheduled_sessions: int = 0
    scheduled_hours: float = 0.0
    attended_sessions: int = 0
    attended_hours: float = 0.0


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 2)


def figures(week_items: Iterable[dict[str, Any]], group_entries: Iterable[ScheduleEntry]) -> Figures:
    totals = Figures()
    week_items = list(week_items)
    group_attendance = {
        f"{item['group_id']}@{item['occurrence_start']}": item.get("attendance")
        for item in week_items
        if item.get("entity") == ENTITY_GROUP_ATTENDEE
    }
    for item in week_items:
        if item.get("role") != "attendee" or item.get("status") != SessionStatus.BOOKED.value:
            continue
        hours = _hours(datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"]))
        totals.scheduled_sessions += 1
        totals.scheduled_hours += hours
        if item.get("attendance") == AttendanceStatus.ATTENDED.value:
            totals.attended_sessions += 1
            totals.attended_hours += hours
    for entry in group_entries:
        hours = _hours(entry.start, entry.end)
        totals.scheduled_sessions += 1
        totals.scheduled_hours += hours
        if group_attendance.get(entry.session_id or "") == AttendanceStatus.ATTENDED.value:
            totals.attended_sessions += 1
            totals.attended_hours += hours
    totals.scheduled_hours = round(totals.scheduled_hours, 2)
    totals.attended_hours = round(totals.attended_hours, 2)
    return totals


def standing(value: float, low: float, high: float) -> str:
    return "under" if value < low else "over" if value > high else "within"


def assess(plan: TreatmentPlan, totals: Figures) -> tuple[str, str]:
    """(sessions, hours) standing of the scheduled week against the plan."""
    return (
        standing(totals.scheduled_sessions, plan.sessions_per_week_min, plan.sessions_per_week_max),
        standing(totals.scheduled_hours, plan.hours_per_week_min, plan.hours_per_week_max),
    )
