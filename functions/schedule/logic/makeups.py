"""Makeup options for a missed session. No boto3.

For individual and couples work: up to three slots the same ISO week (in the participant's
zone) with the same clinician, inside their availability, clear of everyone's bookings and
the clinician's buffer. Always: a one-on-one check-in with the participant's individual
therapist (or the session's clinician), with its own slots the same week. Group
recordings join with the groups capability.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.common.errors import Conflict, FieldError, InvalidInput
from functions.schedule.logic.availability import unavailable_reason
from functions.schedule.logic.booking import SLOT
from functions.schedule.models import (
    AvailabilityRecord,
    MakeupOfferRecord,
    MakeupOption,
    SessionCreate,
    SessionRecord,
)
from functions.schedule.vocabulary import DEFAULT_DURATION, MakeupKind, SessionType

MAX_SLOTS = 3
LEAD_TIME = timedelta(hours=2)
"""A makeup is not offered sooner than this from now (someone has to see the offer)."""
MAKEUP_TYPES = frozenset({SessionType.INDIVIDUAL, SessionType.COUPLES, SessionType.SUBSTANCE_USE_COUNSELING})


def week_bounds(week: str, time_zone: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of an ISO week, in `time_zone`, as aware datetimes."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    zone = ZoneInfo(time_zone)
    return datetime.combine(monday, time(), tzinfo=zone), datetime.combine(
        monday + timedelta(days=7), time(), tzinfo=zone
    )


def free_slots(
    *,
    week: str,
    week_zone: str,
    clinician_zone: str,
    availability: AvailabilityRecord | None,
    busy: dict[str, set[datetime]],
    clinician_id: str,
    duration: timedelta,
    buffer: timedelta,
    now: datetime,
    limit: int = MAX_SLOTS,
) -> list[tuple[datetime, datetime]]:
    """Bookable [start, end) pairs, at most one per day, earliest first."""
    if availability is None:
        return []
    week_start, week_end = week_bounds(week, week_zone)
    earliest = max(week_start, now + LEAD_TIME)
    found: list[tuple[datetime, datetime]] = []
    days_taken: set[date] = set()
    candidate = _ceil_to_slot(earliest)
    while candidate + duration <= week_end and len(found) < limit:
        end = candidate + duration
        local_day = candidate.astimezone(ZoneInfo(week_zone)).date()
        if (
            local_day not in days_taken
            and unavailable_reason(availability, clinician_zone, candidate, end) is None
            and _clear(busy, clinician_id, candidate, end, buffer)
        ):
            found.append((candidate, end))
            days_taken.add(local_day)
        candidate += SLOT
    return found


def _ceil_to_slot(moment: datetime) -> datetime:
    utc = moment.astimezone(ZoneInfo("UTC")).replace(second=0, microsecond=0)
    remainder = utc.minute % 15
    if remainder or moment.second or moment.microsecond:
        utc += timedelta(minutes=15 - remainder)
    return utc


def _clear(
    busy: dict[str, set[datetime]], clinician_id: str, start: datetime, end: datetime, buffer: timedelta
) -> bool:
    for person, slots in busy.items():
        until = end + buffer if person == clinician_id else end
        slot = start
        while slot < until:
            if slot in slots:
                return False
            slot += SLOT
    return True


def offer(
    *,
    person_id: str,
    missed: SessionRecord,
    week: str,
    makeup_slots: Iterable[tuple[datetime, datetime]],
    check_in_clinician: str,
    check_in_slots: Iterable[tuple[datetime, datetime]],
    now: datetime,
) -> MakeupOfferRecord:
    options = [
        MakeupOption(
            kind=MakeupKind.MAKEUP_SESSION,
            clinician_id=missed.clinician_ids[0],
            session_type=missed.type,
            attendee_ids=list(missed.attendee_ids),
            couple_id=missed.couple_id,
            start=start,
            end=end,
        )
        for start, end in makeup_slots
    ]
    options += check_in_options(person_id, check_in_clinician, check_in_slots)
    return MakeupOfferRecord(
        person_id=person_id,
        missed_session_id=missed.session_id,
        missed_type=missed.type.value,
        week=week,
        options=options,
        created_at=now,
        private=missed.private,
    )


def check_in_options(
    person_id: str, clinician_id: str, found: Iterable[tuple[datetime, datetime]]
) -> list[MakeupOption]:
    """The check-in offered for every miss: at the times found, or (none free that week)
    untimed, for the team to arrange."""
    timed = [
        MakeupOption(
            kind=MakeupKind.CHECK_IN,
            clinician_id=clinician_id,
            session_type=SessionType.CHECK_IN,
            attendee_ids=[person_id],
            start=start,
            end=end,
        )
        for start, end in found
    ]
    return timed or [
        MakeupOption(
            kind=MakeupKind.CHECK_IN,
            clinician_id=clinician_id,
            session_type=SessionType.CHECK_IN,
            attendee_ids=[person_id],
        )
    ]


def check_in_duration() -> timedelta:
    return DEFAULT_DURATION[SessionType.CHECK_IN]


def makeup_request(offer: MakeupOfferRecord, index: int) -> SessionCreate:
    """The booking the participant's pick stands for, if it is a time that was offered."""
    if offer.status != "open":
        raise Conflict("this makeup offer was already taken up")
    if index >= len(offer.options) or offer.options[index].start is None:
        raise InvalidInput(
            "choose one of the offered times",
            errors=[
                FieldError("body.option", "not an offered time (an untimed check-in is arranged by the team)")
            ],
        )
    chosen = offer.options[index]
    if chosen.kind in (MakeupKind.GROUP_OCCURRENCE, MakeupKind.RECORDING):
        raise InvalidInput(
            "a group makeup is taken up by joining that group (its enrolments) or watching the recording",
            errors=[FieldError("body.option", f"a {chosen.kind.value} option is not a booking")],
        )
    if chosen.start is None or chosen.clinician_id is None or chosen.session_type is None:
        raise InvalidInput(
            "choose one of the offered times", errors=[FieldError("body.option", "not bookable")]
        )
    return SessionCreate(
        type=chosen.session_type,
        start=chosen.start,
        duration_minutes=int((chosen.end - chosen.start).total_seconds() // 60) if chosen.end else None,
        clinician_id=chosen.clinician_id,
        attendee_ids=chosen.attendee_ids,
        couple_id=chosen.couple_id,
        private=offer.private,  # only ever set for individual work, so never for a couples session
    )
