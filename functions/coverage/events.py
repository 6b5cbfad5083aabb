"""Coverage's consumer of the schedule table's stream: attendance recorded on a session or a
group occurrence becomes a projected claim per attendee (once, whatever the redelivery),
which later estimates start from until a fresh 271 replaces it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import TimeZone, utc_now
from functions.common.observability import logger
from functions.common.streams import Change, ChangeHandler, process_changes
from functions.coverage import auth_alerts
from functions.coverage.alerts import AlertSink, alerts_from_env
from functions.coverage.billing import BillingReference
from functions.coverage.logic.claims import booked_use, occurrence_service, projected_claim, session_service
from functions.coverage.logic.estimates import Coverage, MissingPrice, WeekService
from functions.coverage.store import CoverageStore


class EventsSettings(Settings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")
    program_time_zone: TimeZone = Field(default="America/Chicago", alias="PROGRAM_TIME_ZONE")
    event_bus_name: str | None = Field(default=None, alias="EVENT_BUS_NAME")


SETTINGS = EventsSettings


def _store() -> tuple[CoverageStore, EventsSettings]:
    settings = load_settings(EventsSettings)
    return CoverageStore(settings.coverage_table, aws.client("dynamodb")), settings


def _record(
    store: CoverageStore,
    person_id: str,
    source_id: str,
    service_of: Callable[[Coverage], WeekService | None],
    zone: ZoneInfo,
) -> None:
    """Record (or, attendance corrected away, drop) one attendee's projected claim."""
    coverage = Coverage.from_items(person_id, store.person_items(person_id))
    service = service_of(coverage)
    if service is None:
        store.drop_claim(person_id, source_id)
    else:
        reference = BillingReference.from_items(store.billing_items())
        if reference.chargemaster is None:
            logger.warning("no chargemaster: projected claim skipped")
            return
        try:
            claim = projected_claim(person_id, service, coverage, reference, zone=zone, now=utc_now())
        except MissingPrice:
            # A gap in the program's prices must not hold up the stream: skipped, said in the log.
            logger.warning("projected claim skipped: a code has no price", extra={"source_id": source_id})
            return
        created = store.put_claim(claim) if claim else False
        logger.info("projected claim", extra={"source_id": source_id, "created": created})
    raise_alerts(store, person_id, zone)


def raise_alerts(store: CoverageStore, person_id: str, zone: ZoneInfo) -> int:
    return auth_alerts.raise_alerts(store, _alerts(), person_id, utc_now().astimezone(zone).date())


def _alerts() -> AlertSink:
    return alerts_from_env(load_settings(EventsSettings).event_bus_name, aws.client)


def _on_booking(store: CoverageStore, new: dict[str, Any], settings: EventsSettings) -> None:
    """A booked, moved or cancelled session: its projected use of authorizations."""
    for person_id in new.get("attendee_ids") or []:
        zone = ZoneInfo(str((new.get("time_zones") or {}).get(person_id) or settings.program_time_zone))
        coverage = Coverage.from_items(person_id, store.person_items(person_id))
        use = booked_use(new, person_id, coverage, zone)
        if use is None:
            store.drop_booked(person_id, str(new["session_id"]))
            continue
        store.put_booked(use)
        raise_alerts(store, person_id, zone)


def _on_session(change: Change) -> None:
    new = change.new
    if new is None:
        return
    store, settings = _store()
    if new.get("event") != "attendance_recorded":
        _on_booking(store, new, settings)
        return
    before = (change.old or {}).get("attendance") or {}
    for person_id in new.get("attendee_ids") or []:
        if (new.get("attendance") or {}).get(person_id) == before.get(person_id):
            continue
        zone = ZoneInfo(str((new.get("time_zones") or {}).get(person_id) or settings.program_time_zone))
        _record(store, person_id, str(new["session_id"]), partial(session_service, new, person_id), zone)


def _occurrence_service(image: dict[str, Any], person_id: str, _coverage: Coverage) -> WeekService | None:
    return occurrence_service(image, person_id)


def _on_group_attendance(change: Change) -> None:
    new = change.new
    if new is None:
        return
    store, settings = _store()
    before = (change.old or {}).get("attendance") or {}
    source = f"{new['group_id']}@{new['occurrence_start']}"
    for person_id, status in (new.get("attendance") or {}).items():
        if status == before.get(person_id):
            continue
        _record(
            store,
            person_id,
            source,
            partial(_occurrence_service, new, person_id),
            ZoneInfo(settings.program_time_zone),
        )


HANDLERS: dict[str, ChangeHandler] = {"SESSION": _on_session, "GROUP_ATTENDANCE": _on_group_attendance}


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_changes(event, context, HANDLERS)


lambda_handler = background_entry("coverage", _consume)
