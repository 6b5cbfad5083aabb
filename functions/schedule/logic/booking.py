"""Booking rules: who a session needs, when it may happen, what it reserves. No boto3.

Every person a session needs holds a reservation item per quarter-hour slot the session
(plus, for clinicians, the buffer after it) touches. The booking transaction puts them all
with `attribute_not_exists`, so two overlapping bookings of one person can never both
succeed, whatever the concurrency: the second transaction is cancelled as a whole.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, Forbidden, InvalidInput, NotFound
from functions.common.models import ISO_WEEK_PATTERN
from functions.schedule.logic.availability import unavailable_reason
from functions.schedule.models import (
    AvailabilityRecord,
    CoupleRecord,
    PersonRecord,
    SessionCreate,
    SessionRecord,
)
from functions.schedule.vocabulary import (
    DEFAULT_DURATION,
    REQUIRED_ROLE,
    JoinMode,
    PersonKind,
    SessionEvent,
    SessionStatus,
    SessionType,
)

SLOT = timedelta(minutes=15)
_WEEK = re.compile(ISO_WEEK_PATTERN)
# How long reservation items outlive their session (they only guard overlaps).
RESERVATION_TTL = timedelta(days=35)


@dataclass(frozen=True)
class Policy:
    buffer: timedelta
    """Gap a clinician keeps after each session (reserved with the session)."""
    cancel_cutoff: timedelta
    """A participant's cancel closer than this to the start is a late cancel."""


@dataclass(frozen=True)
class Reservation:
    person_id: str
    slot: datetime
    session_id: str
    start: datetime
    end: datetime


def new_session_id() -> str:
    return "ses_" + uuid.uuid4().hex


def week_of(moment: datetime, time_zone: str) -> str:
    """The ISO week (`2026-W49`) of `moment` in `time_zone`."""
    year, week, _ = moment.astimezone(ZoneInfo(time_zone)).isocalendar()
    return f"{year}-W{week:02d}"


def checked_week(week: str | None) -> str | None:
    """A `week` query parameter that names a real ISO week (422 naming it otherwise, as the
    schema's pattern does for weeks that do not even look like one)."""
    if week is None:
        return None
    try:
        if not _WEEK.match(week):
            raise ValueError(week)
        year, number = week.split("-W")
        date.fromisocalendar(int(year), int(number), 1)
    except ValueError as exc:
        raise InvalidInput(
            "week is an ISO week such as 2026-W49", errors=[FieldError("query.week", "not an ISO week")]
        ) from exc
    return week


def slots(start: datetime, end: datetime) -> list[datetime]:
    """The quarter-hour slots [start, end) touches (start is on the grid)."""
    found = []
    slot = start
    while slot < end:
        found.append(slot)
        slot += SLOT
    return found


def reservations(session: SessionRecord) -> list[Reservation]:
    items = []
    for person in session.people:
        until = session.end + (
            timedelta(minutes=session.buffer_minutes) if person in session.clinician_ids else timedelta()
        )
        items += [
            Reservation(person, slot, session.session_id, session.start, session.end)
            for slot in slots(session.start, until)
        ]
    return items


def _check_time(start: datetime, now: datetime, field: str) -> None:
    errors = []
    if start.second or start.microsecond or start.minute % 15:
        errors.append(FieldError(f"body.{field}", "must be on a quarter-hour (:00, :15, :30, :45)"))
    if start <= now:
        errors.append(FieldError(f"body.{field}", "must be in the future"))
    if errors:
        raise InvalidInput("the session time is not bookable", errors=errors)


def check_can_book(principal: Principal, request: SessionCreate, caseload: set[str]) -> None:
    """Coordinators book anything; a clinician books sessions they lead for their caseload."""
    if principal.role is Role.COORDINATOR:
        return
    if principal.role is Role.CLINICIAN and request.clinician_id == principal.person_id:
        outside = [a for a in request.attendee_ids if a not in caseload]
        if not outside:
            return
        raise NotFound("no such participant on your caseload")
    raise Forbidden("only coordinators and the session's own clinician book sessions")


def plan_session(
    request: SessionCreate,
    *,
    session_id: str,
    principal: Principal,
    people: dict[str, PersonRecord],
    couple: CoupleRecord | None,
    availability: AvailabilityRecord | None,
    policy: Policy,
    now: datetime,
) -> SessionRecord:
    """The session a valid request books; InvalidInput naming every broken rule otherwise."""
    duration = (
        timedelta(minutes=request.duration_minutes)
        if request.duration_minutes
        else DEFAULT_DURATION[request.type]
    )
    _check_time(request.start, now, "start")
    clinician = people.get(request.clinician_id)
    if clinician is None or clinician.kind is not PersonKind.CLINICIAN:
        raise InvalidInput("no such clinician", errors=[FieldError("body.clinician_id", "not a clinician")])
    attendees = []
    for index, attendee_id in enumerate(request.attendee_ids):
        attendee = people.get(attendee_id)
        if attendee is None or attendee.kind is not PersonKind.PARTICIPANT:
            raise InvalidInput(
                "no such participant", errors=[FieldError(f"body.attendee_ids.{index}", "not a participant")]
            )
        attendees.append(attendee)
    errors: list[FieldError] = []
    needed = REQUIRED_ROLE[request.type]
    if not needed & set(clinician.roles or ()):
        wanted = " or ".join(sorted(r.value for r in needed))
        errors.append(FieldError("body.clinician_id", f"a {request.type.value} session needs a {wanted}"))
    if request.type is SessionType.COUPLES:
        errors += _couples_errors(request, couple)
    elif len(request.attendee_ids) != 1:
        errors.append(FieldError("body.attendee_ids", f"a {request.type.value} session has one attendee"))
    elif request.couple_id:
        errors.append(FieldError("body.couple_id", "only couples sessions name a couple"))
    if request.private and not may_be_private(request.type):
        errors.append(FieldError("body.private", NOT_PRIVATE))
    licensed = set(clinician.licensed_states or ())
    for index, attendee in enumerate(attendees):
        if attendee.state not in licensed:
            errors.append(
                FieldError(
                    f"body.attendee_ids.{index}",
                    f"the clinician is not licensed in {attendee.state}, where this participant is located",
                )
            )
    start = request.start.astimezone(UTC)  # stored and answered in UTC, whatever offset came in
    end = start + duration
    reason = unavailable_reason(availability, clinician.time_zone, start, end)
    if reason:
        errors.append(FieldError("body.start", reason))
    if errors:
        raise InvalidInput("the session cannot be booked as asked", errors=errors)
    return SessionRecord(
        session_id=session_id,
        type=request.type,
        start=start,
        end=end,
        clinician_ids=(clinician.person_id,),
        attendee_ids=tuple(request.attendee_ids),
        couple_id=request.couple_id,
        private=request.private,
        join_mode=couple.join_mode if couple and request.type is SessionType.COUPLES else None,
        time_zones={p.person_id: p.time_zone for p in (clinician, *attendees)},
        buffer_minutes=int(policy.buffer.total_seconds() // 60),
        created_by=principal.person_id,
        updated_at=now,
    )


def _couples_errors(request: SessionCreate, couple: CoupleRecord | None) -> list[FieldError]:
    if not request.couple_id:
        return [FieldError("body.couple_id", "a couples session names its couple")]
    if couple is None:
        return [FieldError("body.couple_id", "no such couple")]
    errors = []
    if set(request.attendee_ids) != set(couple.partner_ids):
        errors.append(FieldError("body.attendee_ids", "a couples session has both partners of the couple"))
    if request.clinician_id != couple.couples_therapist_id:
        errors.append(
            FieldError("body.clinician_id", "a couples session is led by the couple's couples therapist")
        )
    return errors


def rescheduled(
    session: SessionRecord,
    *,
    start: datetime,
    duration_minutes: int | None,
    clinician: PersonRecord,
    availability: AvailabilityRecord | None,
    now: datetime,
) -> SessionRecord:
    if session.status is not SessionStatus.BOOKED:
        raise InvalidInput(
            "only a booked session can be rescheduled", errors=[FieldError("path.session_id", "not booked")]
        )
    duration = timedelta(minutes=duration_minutes) if duration_minutes else session.end - session.start
    _check_time(start, now, "start")
    start = start.astimezone(UTC)
    end = start + duration
    reason = unavailable_reason(availability, clinician.time_zone, start, end)
    if reason:
        raise InvalidInput("the session cannot move there", errors=[FieldError("body.start", reason)])
    return session.model_copy(
        update={
            "start": start,
            "end": end,
            "event": SessionEvent.RESCHEDULED,
            "updated_at": now,
            "version": session.version + 1,
        }
    )


def cancelled(
    session: SessionRecord, *, principal: Principal, reason: str | None, policy: Policy, now: datetime
) -> SessionRecord:
    """A participant cancelling inside the cutoff is recorded as a late cancel; staff cancels never are."""
    if session.status is not SessionStatus.BOOKED:
        raise InvalidInput(
            "the session is not booked", errors=[FieldError("path.session_id", "already cancelled")]
        )
    if session.start <= now:
        raise InvalidInput(
            "a session that has started cannot be cancelled; record attendance instead",
            errors=[FieldError("path.session_id", "already started")],
        )
    late = principal.role is Role.PARTICIPANT and session.start - now < policy.cancel_cutoff
    return session.model_copy(
        update={
            "status": SessionStatus.LATE_CANCELLED if late else SessionStatus.CANCELLED,
            "event": SessionEvent.CANCELLED,
            "cancel_reason": reason,
            "updated_at": now,
            "version": session.version + 1,
        }
    )


@dataclass(frozen=True)
class JoinIdentity:
    external_user_id: str
    shared: bool
    opens_at: datetime
    closes_at: datetime


def join_identity(
    principal: Principal, session: SessionRecord, *, now: datetime, opens_before: timedelta
) -> JoinIdentity:
    """Who the caller joins the room as. Partners who join from one location share the
    couple's attendee; from two locations, and in every other session, each person is
    their own attendee. The room opens `opens_before` the start and closes at the end."""
    if principal.person_id not in session.people:
        raise Forbidden("only the session's own people join its room")
    if session.status is not SessionStatus.BOOKED:
        raise InvalidInput("the session is not booked", errors=[FieldError("path.session_id", "not booked")])
    opens_at, closes_at = session.start - opens_before, session.end
    if not opens_at <= now < closes_at:
        raise InvalidInput(
            f"the room is open from {opens_at.isoformat()} to {closes_at.isoformat()}",
            errors=[FieldError("path.session_id", "room not open now")],
        )
    shared = (
        session.join_mode is JoinMode.ONE_LOCATION
        and session.couple_id is not None
        and principal.person_id in session.attendee_ids
    )
    external = session.couple_id if shared and session.couple_id else principal.person_id
    return JoinIdentity(external_user_id=external, shared=shared, opens_at=opens_at, closes_at=closes_at)


def can_view(principal: Principal, session: SessionRecord) -> bool:
    """Its people and coordinators; anyone else is told it does not exist."""
    return principal.role is Role.COORDINATOR or principal.person_id in session.people


def can_manage(principal: Principal, session: SessionRecord) -> bool:
    """Coordinators and the session's clinicians move and cancel it."""
    return principal.role is Role.COORDINATOR or principal.person_id in session.clinician_ids


def can_cancel(principal: Principal, session: SessionRecord) -> bool:
    """Besides those who manage it, a participant may cancel a session they attend."""
    return can_manage(principal, session) or principal.person_id in session.attendee_ids


NOT_PRIVATE = "only individual work is private: a couples session is the joint work itself"


def may_be_private(kind: SessionType) -> bool:
    """Sessions with one participant attendee (every type but couples; groups are never sessions)."""
    return kind is not SessionType.COUPLES


def privacy_changed(
    session: SessionRecord, *, principal: Principal, private: bool, now: datetime
) -> SessionRecord:
    """The participant marks their own individual session private (or not); the session's
    clinician may do it for them, at their request. The session's event stays what it was: a
    change of privacy tells nobody anything (no notice, no reminder)."""
    if principal.person_id not in (*session.attendee_ids, *session.clinician_ids):
        raise Forbidden("only the participant, or the session's clinician at their request, marks it private")
    if not may_be_private(session.type):
        raise InvalidInput(NOT_PRIVATE, errors=[FieldError("body.private", NOT_PRIVATE)])
    return session.model_copy(update={"private": private, "updated_at": now, "version": session.version + 1})
