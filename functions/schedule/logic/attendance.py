"""Recording attendance. No boto3."""

from __future__ import annotations

from datetime import datetime

from functions.common.auth import Principal
from functions.common.errors import FieldError, Forbidden, InvalidInput
from functions.schedule.logic.booking import can_manage
from functions.schedule.models import AttendanceIn, SessionRecord
from functions.schedule.vocabulary import MISSED, AttendanceStatus, SessionEvent, SessionStatus


def recorded(
    session: SessionRecord, request: AttendanceIn, *, principal: Principal, now: datetime
) -> SessionRecord:
    """The session with these attendees' attendance set (re-recording corrects an entry)."""
    if not can_manage(principal, session):
        raise Forbidden("attendance is recorded by the session's clinician or a coordinator")
    errors = []
    if session.status is SessionStatus.CANCELLED:
        errors.append(FieldError("path.session_id", "the session was cancelled"))
    if session.start > now:
        errors.append(FieldError("path.session_id", "the session has not started yet"))
    for index, entry in enumerate(request.records):
        if entry.person_id not in session.attendee_ids:
            errors.append(FieldError(f"body.records.{index}.person_id", "not an attendee of this session"))
        elif (
            session.status is SessionStatus.LATE_CANCELLED
            and entry.status is not AttendanceStatus.LATE_CANCEL
        ):
            errors.append(FieldError(f"body.records.{index}.status", "the session was late-cancelled"))
    if errors:
        raise InvalidInput("attendance cannot be recorded as asked", errors=errors)
    attendance = {**session.attendance, **{e.person_id: e.status for e in request.records}}
    return session.model_copy(
        update={
            "attendance": attendance,
            "event": SessionEvent.ATTENDANCE_RECORDED,
            "updated_at": now,
            "version": session.version + 1,
        }
    )


def newly_missed(before: SessionRecord | None, after: SessionRecord) -> list[str]:
    """Attendees whose latest record is a miss that was not one before (makeups go to them)."""
    previous = before.attendance if before else {}
    return [
        person
        for person, status in after.attendance.items()
        if status in MISSED and previous.get(person) not in MISSED
    ]
