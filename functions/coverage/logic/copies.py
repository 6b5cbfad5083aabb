"""Coverage's copy of what schedule publishes, item by item: who a person is (kind, zone), who a
couple's partners are, and each participant's week (the sessions they attend, their group
occurrences and their attendance at them), so estimates read one Query of coverage's own table
and never schedule's. Pure: the items and keys to write; `copies.py` writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from functions.contracts.schedule import (
    CoupleData,
    GroupAttendanceData,
    GroupWeekData,
    PersonData,
    SessionData,
)
from functions.coverage import keys
from functions.coverage.vocabulary import (
    ENTITY_COUPLE_COPY,
    ENTITY_PERSON_COPY,
    ENTITY_WEEK_GROUP_ATTENDANCE,
    ENTITY_WEEK_GROUPS,
    ENTITY_WEEK_SESSION,
)

MOVED = "moved"
"""The status of a session's copy in a week it has left."""


@dataclass(frozen=True)
class Copies:
    """Items to write, each kept only if no later revision is there, all at `revision`."""

    revision: int
    puts: list[dict[str, Any]] = field(default_factory=list)


def person_copy(person: PersonData) -> Copies:
    item = {
        **keys.person_copy_key(person.person_id),
        "entity": ENTITY_PERSON_COPY,
        "person_id": person.person_id,
        "kind": person.kind,
        "time_zone": person.time_zone,
        "revision": person.revision,
    }
    return Copies(person.revision, [item])


def couple_copy(couple: CoupleData) -> Copies:
    item = {
        **keys.couple_copy_key(couple.couple_id),
        "entity": ENTITY_COUPLE_COPY,
        "couple_id": couple.couple_id,
        "partner_ids": list(couple.partner_ids),
        "revision": couple.revision,
    }
    return Copies(couple.revision, [item])


def session_copies(session: SessionData) -> Copies:
    """The session in each attendee's week (clinicians are not billed); in a week it has left
    (rescheduled into another), a `moved` marker at the same revision, so an older event handed
    again cannot bring it back there (estimates count booked sessions only)."""
    shown = session.model_dump(mode="json")
    puts: list[dict[str, Any]] = []
    for person_id in session.attendee_ids:
        week = session.weeks.get(person_id)
        if week is None:
            continue
        puts.append(
            {
                **keys.week_session_key(person_id, week, session.session_id),
                "entity": ENTITY_WEEK_SESSION,
                "person_id": person_id,
                "role": "attendee",
                "session_id": session.session_id,
                "type": session.type,
                "status": session.status,
                "start": shown["start"],
                "end": shown["end"],
                "time_zone": session.time_zones.get(person_id, "UTC"),
                "attendance": session.attendance.get(person_id),
                "couple_id": session.couple_id,
                "attendee_ids": list(session.attendee_ids),
                "revision": session.revision,
            }
        )
        before = session.previous.weeks.get(person_id) if session.previous else None
        if before is not None and before != week:
            puts.append(
                {
                    **keys.week_session_key(person_id, before, session.session_id),
                    "entity": ENTITY_WEEK_SESSION,
                    "person_id": person_id,
                    "session_id": session.session_id,
                    "status": MOVED,
                    "revision": session.revision,
                }
            )
    return Copies(session.revision, puts)


def group_week_copy(plan: GroupWeekData) -> Copies:
    shown = plan.model_dump(mode="json")
    item = {
        **keys.week_groups_key(plan.person_id, plan.week),
        "entity": ENTITY_WEEK_GROUPS,
        "person_id": plan.person_id,
        "week": plan.week,
        "occurrences": shown["occurrences"],
        "revision": 0,
    }
    return Copies(0, [item])


def group_attendance_copies(occurrence: GroupAttendanceData, zones: dict[str, str], fallback: str) -> Copies:
    """Each participant's attendance at the occurrence, in their week (their zone, as schedule
    files the occurrence in their week; `fallback` for someone coverage has no zone of)."""
    start = occurrence.model_dump(mode="json")["occurrence_start"]
    source = f"{occurrence.group_id}@{start}"
    puts = [
        {
            **keys.week_group_attendance_key(
                person_id, week_of(occurrence.occurrence_start, zones.get(person_id, fallback)), source
            ),
            "entity": ENTITY_WEEK_GROUP_ATTENDANCE,
            "person_id": person_id,
            "group_id": occurrence.group_id,
            "occurrence_start": start,
            "attendance": status,
            "revision": occurrence.revision,
        }
        for person_id, status in occurrence.attendance.items()
    ]
    return Copies(occurrence.revision, puts)


def week_of(moment: datetime, zone: str) -> str:
    """The ISO week (`2026-W49`) of `moment` in `zone`, as schedule files a person's week."""
    year, week, _ = moment.astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year}-W{week:02d}"
