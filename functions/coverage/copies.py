"""Coverage's copy of schedule's published data: a subscriber to schedule's events that keeps,
in coverage's own table, what coverage's API reads of the schedule (`logic/copies.py`): who a
person is, a couple's partners, and each participant's week for estimates. Each item carries
the revision it came from and is written only over an older one, so a redelivered or older
event never undoes a later change."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import TimeZone
from functions.common.observability import logger
from functions.common.published import EventHandler, process_events
from functions.contracts import schedule as contract
from functions.coverage.logic import copies
from functions.coverage.store import CoverageStore


class CopiesSettings(Settings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")
    program_time_zone: TimeZone = Field(default="America/Chicago", alias="PROGRAM_TIME_ZONE")


SETTINGS = CopiesSettings


def apply(store: CoverageStore, planned: copies.Copies) -> int:
    """Write the copies (and remove what a move took out of a week); how many were written."""
    written = sum(store.put_copy(item, planned.revision) for item in planned.puts)
    for key in planned.removals:
        store.remove_copy(key, planned.revision)
    return written


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


def _copy(event: Any) -> None:
    settings = load_settings(CopiesSettings)
    store = CoverageStore(settings.coverage_table, aws.client("dynamodb"))
    planned = copies_of(event, store, settings.program_time_zone)
    written = apply(store, planned)
    logger.info("schedule change copied", extra={"type": event.type, "written": written})


HANDLERS: dict[str, EventHandler] = dict.fromkeys(
    (
        "person.changed",
        "couple.changed",
        *contract.SESSION_TYPES,
        "group_week.planned",
        "group_attendance.recorded",
    ),
    _copy,
)
"""The event types the copy subscribes to (its catalog entry's `subscribes`) and their handlers."""


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_events(event, context, contract.parse, HANDLERS)


lambda_handler = background_entry("coverage", _consume)
