"""Coverage's subscriber to schedule's published events (`functions/contracts/schedule.py`):
attendance recorded on a session or a group occurrence becomes a projected claim per attendee
(once, whatever the redelivery), which later estimates start from until a fresh 271 replaces
it; a booked, moved or cancelled session its projected use of authorizations; a Part 2
consent recorded or revoked becomes coverage's copy of it (who may see the participant's
Part 2 lines). Coverage reads the events alone, never schedule's items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import TimeZone, iso, utc_now
from functions.common.observability import logger
from functions.common.published import EventHandler, process_events
from functions.contracts import schedule as contract
from functions.coverage import auth_alerts, copies, prices
from functions.coverage.alerts import AlertSink, alerts_from_env
from functions.coverage.billing import BillingReference
from functions.coverage.keys import day_source, key_of
from functions.coverage.logic.claims import (
    booked_use,
    day_claim,
    family_shares,
    occurrence_service,
    projected_claim,
    session_service,
)
from functions.coverage.logic.costshare import ServiceCategory
from functions.coverage.logic.estimates import Coverage, MissingPrice, WeekService, per_diem_rule
from functions.coverage.logic.restricted import consent_copy
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
    day: date,
) -> None:
    """Record (or, attendance corrected away, drop) one attendee's projected claim: the
    service's own, or under a per-diem plan the claim of its day."""
    coverage = Coverage.from_items(person_id, store.person_items(person_id))
    service = service_of(coverage)
    reference = coverage.reference or prices.copy_for(store, person_id)
    if per_diem_rule(coverage, reference, day) is not None:
        if any(c.get("source_id") == source_id for c in coverage.claims):
            # claimed on its own before the plan billed per diem: the day's claim replaces it
            store.drop_claim(person_id, source_id)
            _share(store, coverage, person_id, source_id, None, day)
        _record_day(store, person_id, source_id, service, coverage, reference, zone, day)
        return
    if any(source_id in (c.get("covers") or ()) for c in coverage.claims):
        # in a per-diem day's claim from before the plan billed per service: out of it
        _record_day(store, person_id, source_id, None, coverage, reference, zone, day)
    if service is None:
        store.drop_claim(person_id, source_id)
        _share(store, coverage, person_id, source_id, None, day)
        return
    claim = next((c for c in coverage.claims if c.get("source_id") == source_id), None)
    if claim is None:  # (redelivered: the claim recorded first stands, and is shared again)
        try:
            claim = projected_claim(person_id, service, coverage, reference, zone=zone, now=utc_now())
        except MissingPrice:
            # A gap in the program's prices must not hold up the stream: skipped, said in the log.
            logger.warning("projected claim skipped: a code has no price", extra={"source_id": source_id})
            return
        if claim and not store.put_claim(claim):  # recorded meanwhile by a concurrent delivery
            claim = store.get_item(key_of(claim)) or claim
        logger.info("projected claim", extra={"source_id": source_id, "billed": claim is not None})
    _share(store, coverage, person_id, source_id, claim, day)


def _record_day(
    store: CoverageStore,
    person_id: str,
    source_id: str,
    service: WeekService | None,
    coverage: Coverage,
    reference: BillingReference,
    zone: ZoneInfo,
    day: date,
) -> None:
    """A per-diem day: the service joins (or leaves) the day's ledger, and the day's claim
    is priced again from everything attended that day. The claim is written only if no
    other attendance that day landed meanwhile (that one writes the newer claim), so
    redelivery and concurrent records both leave the one right claim."""
    filed = None
    if service is not None:
        filed = {
            "kind": service.kind,
            "category": service.category.value,
            "start": iso(service.start),
            "end": iso(service.end),
        }
    ledger, rev, changed = store.attended_on(person_id, day.isoformat(), source_id, filed)
    existing = next((c for c in coverage.claims if c.get("source_id") == day_source(day)), None)
    if not changed and (
        (existing is not None and int(existing.get("ledger_rev", -1)) == rev)
        or (existing is None and not ledger)
    ):
        # Redelivered: the day's claim already stands for this ledger. Priced again it would
        # take a new recorded_at and count once more on top of a 271 that already has it.
        logger.info("per-diem day unchanged", extra={"day": day.isoformat()})
        return
    services = [
        WeekService(
            source_id=sid,
            kind=str(entry["kind"]),
            category=ServiceCategory(str(entry["category"])),
            start=datetime.fromisoformat(str(entry["start"])),
            end=datetime.fromisoformat(str(entry["end"])),
            status="attended",
        )
        for sid, entry in sorted(ledger.items(), key=lambda kv: (str(kv[1]["start"]), kv[0]))
    ]
    try:
        claim = (
            day_claim(person_id, day, services, coverage, reference, zone=zone, now=utc_now())
            if services
            else None
        )
    except MissingPrice:
        logger.warning("per-diem day claim skipped: a code has no price", extra={"day": day.isoformat()})
        return
    if claim is not None:
        claim["ledger_rev"] = rev
    written = store.put_day_claim(person_id, day.isoformat(), claim, rev=rev, source_id=day_source(day))
    if written:
        _share(store, coverage, person_id, day_source(day), claim, day)
    logger.info(
        "per-diem day claim", extra={"day": day.isoformat(), "services": len(services), "written": written}
    )


def _share(
    store: CoverageStore,
    coverage: Coverage,
    person_id: str,
    source_id: str,
    claim: dict[str, Any] | None,
    day: date,
) -> None:
    """A claim moves its family's deductible and out-of-pocket figures too: filed with the
    other members of the plan's insurance family (a partner on the same family plan), whose
    estimates count it until their next 271."""
    plan_id = claim.get("plan_id") if claim else None
    plan = next((p for p in coverage.plans if p.plan_id == plan_id), None) or coverage.plan_on(day)
    family = plan.family() if plan else None
    if family is None:
        return
    shares, drop = family_shares(person_id, source_id, claim, store.family_members(family))
    store.share_with_family(shares, drop)


def review(store: CoverageStore, person_id: str, zone: ZoneInfo, *, session_id: str | None = None) -> int:
    """Coordinators' authorization alerts and the schedule's flags, after a change."""
    today = utc_now().astimezone(zone).date()
    return auth_alerts.review(store, _alerts(), person_id, today, session_id=session_id)


def _alerts() -> AlertSink:
    return alerts_from_env(load_settings(EventsSettings).event_bus_name, aws.client)


def _project(store: CoverageStore, session: dict[str, Any], person_id: str, zone: ZoneInfo) -> None:
    """The session's projected use for one attendee (authorizations, visit limits): written
    while it is booked and not yet attended, dropped otherwise."""
    coverage = Coverage.from_items(person_id, store.person_items(person_id))
    # their estimates will price with their own copy of the prices: made with the first booking
    reference = coverage.reference or prices.copy_for(store, person_id)
    day = datetime.fromisoformat(str(session["start"])).astimezone(zone).date()
    use = booked_use(session, person_id, coverage, zone, per_diem_rule(coverage, reference, day))
    if use is None:
        store.drop_booked(person_id, str(session["session_id"]))
    else:
        store.put_booked(use)


def _zone(data: contract.SessionData, person_id: str, settings: EventsSettings) -> ZoneInfo:
    return ZoneInfo(data.time_zones.get(person_id) or settings.program_time_zone)


def on_session(event: contract.SessionEvent) -> None:
    """A booked, moved or cancelled session: its projected use of authorizations. Attendance
    recorded: a claim for each attendee whose attendance changed."""
    store, settings = _store()
    data = event.data
    session = data.model_dump(mode="json", exclude={"previous", "weeks"})
    if event.type != "attendance.recorded":
        for person_id in data.attendee_ids:
            zone = _zone(data, person_id, settings)
            _project(store, session, person_id, zone)
            review(store, person_id, zone, session_id=data.session_id)
        return
    before = data.previous.attendance if data.previous else {}
    for person_id in data.attendee_ids:
        zone = _zone(data, person_id, settings)
        if data.attendance.get(person_id) != before.get(person_id):
            day = data.start.astimezone(zone).date()
            _record(
                store, person_id, data.session_id, partial(session_service, session, person_id), zone, day
            )
            # No longer a projection: attended, it is the claim just recorded; missed, it bills
            # nothing and draws on no authorization or visit limit.
            _project(store, session, person_id, zone)
        # Recording attendance rewrites every attendee's copy of the session on the schedule:
        # a flag it carried is told again (for each attendee, changed or not).
        review(store, person_id, zone, session_id=data.session_id)


def _occurrence_service(
    occurrence: dict[str, Any], person_id: str, _coverage: Coverage
) -> WeekService | None:
    return occurrence_service(occurrence, person_id)


def on_group_attendance(event: contract.GroupAttendanceRecorded) -> None:
    store, settings = _store()
    data = event.data
    occurrence = data.model_dump(mode="json", exclude={"previous_attendance"})
    source = f"{data.group_id}@{occurrence['occurrence_start']}"
    zone = ZoneInfo(settings.program_time_zone)
    for person_id, status in data.attendance.items():
        if status == data.previous_attendance.get(person_id):
            continue
        day = data.occurrence_start.astimezone(zone).date()
        _record(store, person_id, source, partial(_occurrence_service, occurrence, person_id), zone, day)
        review(store, person_id, zone)


def on_consent(event: contract.ConsentChanged) -> None:
    """A Part 2 consent recorded or revoked on the schedule: coverage's copy follows it (who it
    names, until when, whether revoked), so estimates decide with it at once."""
    copy = consent_copy(event.data)
    store, _ = _store()
    written = store.put_consent_copy(copy)
    logger.info("part 2 consent copied", extra={"revoked": copy["revoked"], "written": written})


def _copied_then(handler: EventHandler | None) -> EventHandler:
    """Coverage's copy of the change first (what its API reads), then `handler`'s work."""

    def both(event: Any) -> None:
        copies.copy(event)
        if handler is not None:
            handler(event)

    return both


HANDLERS: dict[str, EventHandler] = {
    **{kind: _copied_then(None) for kind in copies.COPIED},
    **{kind: _copied_then(on_session) for kind in contract.SESSION_TYPES},
    "group_attendance.recorded": _copied_then(on_group_attendance),
    "consent.changed": on_consent,
}
"""The event types coverage subscribes to (its catalog entry's `subscribes`) and their handlers."""


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_events(event, context, contract.parse, HANDLERS)


lambda_handler = background_entry("coverage", _consume)
