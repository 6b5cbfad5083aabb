"""Coverage's copy of schedule's published data: what coverage's subscriber (`events.py`) keeps,
in coverage's own table, of what coverage's API reads of the schedule (`logic/copies.py`): who
a person is, a couple's partners, and each participant's week for estimates. Each item carries
the revision it came from and is written only over an older one, so a redelivered or older
event never undoes a later change."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.models import TimeZone
from functions.common.observability import logger
from functions.contracts import schedule as contract
from functions.coverage.logic import copies
from functions.coverage.store import CoverageStore


class CopiesSettings(Settings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")
    program_time_zone: TimeZone = Field(default="America/Chicago", alias="PROGRAM_TIME_ZONE")


def apply(store: CoverageStore, planned: copies.Copies) -> int:
    """Write the copies; how many were written (not older than what was there)."""
    return sum(store.put_copy(item, planned.revision) for item in planned.puts)


def copies_of(event: Any, store: CoverageStore, fallback_zone: str) -> copies.Copies:
    """What one of schedule's events changes in coverage's copy."""
    data = event.data
    if isinstance(data, contract.PersonData):
        return copies.person_copy(data)
    if isinstance(data, contract.CoupleData):
        return copies.couple_copy(data)
    if isinstance(data, contract.SessionData):
        return copies.session_copies(data)
    if isinstance(data, contract.GroupWeekData):
        return copies.group_week_copy(data)
    if isinstance(data, contract.GroupAttendanceData):
        zones = {p: zone for p in data.attendance if (zone := store.person_zone(p))}
        return copies.group_attendance_copies(data, zones, fallback_zone)
    raise TypeError(f"coverage keeps no copy of {event.type}")


COPIED: frozenset[str] = frozenset(
    (
        "person.changed",
        "couple.changed",
        *contract.SESSION_TYPES,
        "group_week.planned",
        "group_attendance.recorded",
    )
)
"""The event types coverage keeps a copy of."""


def copy(event: Any) -> None:
    """Coverage's copy of what one event changes."""
    settings = load_settings(CopiesSettings)
    store = CoverageStore(settings.coverage_table, aws.client("dynamodb"))
    written = apply(store, copies_of(event, store, settings.program_time_zone))
    logger.info("schedule change copied", extra={"type": event.type, "written": written})
