"""Schedule's own consumer of its table's stream: when attendance records a miss, offer
makeups (the offer items are stream records in turn, for notify to tell the person); when
a participant's sessions or group enrolments change, refresh their weekly intensity
figures for the program-wide report."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.config import Settings, load_settings
from functions.common.entry import background_entry
from functions.common.models import iso, utc_now
from functions.common.observability import logger
from functions.common.streams import Change, ChangeHandler, process_changes
from functions.schedule.logic import intensity, makeups
from functions.schedule.logic.attendance import newly_missed
from functions.schedule.logic.booking import week_of
from functions.schedule.logic.groups import next_open_occurrence, week_entries
from functions.schedule.logic.teams import Relations
from functions.schedule.models import AvailabilityRecord, MakeupOfferRecord, MakeupOption, SessionRecord
from functions.schedule.store import GroupStore, ScheduleStore
from functions.schedule.vocabulary import (
    MISSED,
    CareRole,
    MakeupKind,
    PersonKind,
    SessionEvent,
)


class EventsSettings(Settings):
    schedule_table: str = Field(alias="SCHEDULE_TABLE")
    buffer_minutes: int = Field(default=10, ge=0, le=60, alias="SESSION_BUFFER_MINUTES")


SETTINGS = EventsSettings


def offer_makeups(store: ScheduleStore, session: SessionRecord, person_id: str, *, buffer: timedelta) -> bool:
    """Work out and store one participant's makeup offer for a missed session."""
    now = utc_now()
    zone = session.time_zones.get(person_id, "UTC")
    week = week_of(session.start, zone)
    week_start, week_end = makeups.week_bounds(week, zone)
    relations_keys = Relations.keys(person_id)
    clinician_id = session.clinician_ids[0]
    people, items = store.people(
        [clinician_id], extra=[AvailabilityRecord.key(clinician_id), *relations_keys]
    )
    relations = Relations.from_items(person_id, items.values())
    check_in_clinician = relations.care.get(CareRole.INDIVIDUAL_THERAPIST, clinician_id)
    if check_in_clinician not in people:
        more, more_items = store.people(
            [check_in_clinician], extra=[AvailabilityRecord.key(check_in_clinician)]
        )
        people.update(more)
        items.update(more_items)

    def availability(who: str) -> AvailabilityRecord | None:
        return items.availability(who)

    busy = {
        p: store.busy_slots(p, week_start, week_end)
        for p in {*session.attendee_ids, clinician_id, check_in_clinician}
    }
    makeup_slots: list[Any] = []
    if session.type in makeups.MAKEUP_TYPES and clinician_id in people:
        makeup_slots = makeups.free_slots(
            week=week,
            week_zone=zone,
            clinician_zone=people[clinician_id].time_zone,
            availability=availability(clinician_id),
            busy={p: busy[p] for p in (*session.attendee_ids, clinician_id)},
            clinician_id=clinician_id,
            duration=session.end - session.start,
            buffer=buffer,
            now=now,
        )
    check_in_slots: list[Any] = []
    if check_in_clinician in people:
        check_in_slots = makeups.free_slots(
            week=week,
            week_zone=zone,
            clinician_zone=people[check_in_clinician].time_zone,
            availability=availability(check_in_clinician),
            busy={p: busy[p] for p in (person_id, check_in_clinician)},
            clinician_id=check_in_clinician,
            duration=makeups.check_in_duration(),
            buffer=buffer,
            now=now,
            limit=2,
        )
    offer = makeups.offer(
        person_id=person_id,
        missed=session,
        week=week,
        makeup_slots=makeup_slots,
        check_in_clinician=check_in_clinician,
        check_in_slots=check_in_slots,
        now=now,
    )
    return store.put_makeup_offer(offer)


def refresh_intensity(store: ScheduleStore, person_id: str, moments: list[datetime]) -> int:
    """Recompute a participant's figures for the ISO weeks (their zone) holding `moments`."""
    person, _, enrolments = store.person_context(person_id)
    if person is None or person.kind is not PersonKind.PARTICIPANT:
        return 0
    zone = ZoneInfo(person.time_zone)
    weeks = sorted({week_of(moment, person.time_zone) for moment in moments})
    for week in weeks:
        start, end = makeups.week_bounds(week, person.time_zone)
        groups = [e for enrolment in enrolments for e in week_entries(enrolment, person_id, start, end, zone)]
        totals = intensity.figures(store.week(person_id, week), groups)
        store.put_intensity(week, person_id, totals.model_dump())
        store.put_group_week(
            person_id,
            week,
            [
                {
                    "group_id": e.group_id,
                    "type": e.type.value if e.type else None,
                    "start": iso(e.start),
                    "end": iso(e.end),
                }
                for e in groups
            ],
        )
    return len(weeks)


def _store() -> tuple[ScheduleStore, EventsSettings]:
    settings = load_settings(EventsSettings)
    return ScheduleStore(settings.schedule_table, aws.client("dynamodb")), settings


def _on_session(change: Change) -> None:
    if change.new is None:
        return
    store, settings = _store()
    after = SessionRecord.from_attributes(change.new)
    before = SessionRecord.from_attributes(change.old) if change.old else None
    moments = [after.start, *([before.start] if before else [])]
    for person_id in after.attendee_ids:
        refresh_intensity(store, person_id, moments)
    if after.event is SessionEvent.ATTENDANCE_RECORDED:
        for person_id in newly_missed(before, after):
            created = offer_makeups(
                store, after, person_id, buffer=timedelta(minutes=settings.buffer_minutes)
            )
            logger.info("makeup offer", extra={"session_id": after.session_id, "created": created})


def _on_enrolment(change: Change) -> None:
    """A participant joined or left a series: their figures change from now on."""
    image = change.new or change.old or {}
    person_id = image.get("participant_id")
    if not person_id:
        return
    store, _ = _store()
    now = utc_now()
    refresh_intensity(store, str(person_id), [now + timedelta(weeks=n) for n in range(INTENSITY_WEEKS_AHEAD)])


def offer_group_makeups(
    store: ScheduleStore, occurrence: dict[str, Any], person_id: str, *, buffer: timedelta
) -> bool:
    """A missed group occurrence: its recording (when the group records), the next
    occurrence of a group of the same type with a free seat, and a one-on-one check-in."""
    now = utc_now()
    groups_store = GroupStore(store)
    group = groups_store.get(str(occurrence["group_id"]))
    if group is None:
        return False
    start = datetime.fromisoformat(str(occurrence["occurrence_start"]))
    person, relations, _ = store.person_context(person_id)
    zone = person.time_zone if person else group.time_zone
    options: list[MakeupOption] = []
    if group.recording:
        options.append(MakeupOption(kind=MakeupKind.RECORDING, group_id=group.group_id, start=start))
    found = next_open_occurrence(
        groups_store.all(), group.type, now + makeups.LEAD_TIME, exclude=(group.group_id, start)
    )
    if found is not None:
        other, begins, ends = found
        options.append(
            MakeupOption(
                kind=MakeupKind.GROUP_OCCURRENCE,
                group_id=other.group_id,
                clinician_id=other.facilitator_id,
                start=begins,
                end=ends,
            )
        )
    check_in = relations.care.get(CareRole.INDIVIDUAL_THERAPIST, group.facilitator_id)
    week = week_of(start, zone)
    week_start, week_end = makeups.week_bounds(week, zone)
    people, items = store.people([check_in], extra=[AvailabilityRecord.key(check_in)])
    slots_found = []
    if check_in in people:
        slots_found = makeups.free_slots(
            week=week,
            week_zone=zone,
            clinician_zone=people[check_in].time_zone,
            availability=items.availability(check_in),
            busy={p: store.busy_slots(p, week_start, week_end) for p in (person_id, check_in)},
            clinician_id=check_in,
            duration=makeups.check_in_duration(),
            buffer=buffer,
            now=now,
            limit=2,
        )
    options += makeups.check_in_options(person_id, check_in, slots_found)
    offer = MakeupOfferRecord(
        person_id=person_id,
        missed_session_id=f"{group.group_id}@{iso(start)}",
        missed_type=group.type.value,
        week=week,
        options=options,
        created_at=now,
    )
    return store.put_makeup_offer(offer)


def _on_group_attendance(change: Change) -> None:
    if change.new is None:
        return
    store, settings = _store()
    before = (change.old or {}).get("attendance") or {}
    after = change.new.get("attendance") or {}
    missed = {status.value for status in MISSED}
    begins = datetime.fromisoformat(str(change.new["occurrence_start"]))
    for person_id, status in after.items():
        person, _, _ = store.person_context(person_id)
        if person is not None and before.get(person_id) != status:
            week = week_of(begins, person.time_zone)
            store.put_group_attendance_mark(str(change.new["group_id"]), begins, person_id, week, status)
            refresh_intensity(store, person_id, [begins])
        if status in missed and before.get(person_id) not in missed:
            offer_group_makeups(
                store, change.new, person_id, buffer=timedelta(minutes=settings.buffer_minutes)
            )


INTENSITY_WEEKS_AHEAD = 12
HANDLERS: dict[str, ChangeHandler] = {
    "SESSION": _on_session,
    "GROUP_ENROLMENT": _on_enrolment,
    "GROUP_ATTENDANCE": _on_group_attendance,
}


def _consume(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_changes(event, context, HANDLERS)


lambda_handler = background_entry("schedule", _consume)
