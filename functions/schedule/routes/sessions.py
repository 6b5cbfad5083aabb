"""Sessions: booking that never collides, rescheduling, cancelling, and people's weeks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common.api import AUTHENTICATED
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.errors import Conflict, Forbidden, NotFound
from functions.common.http import etag, require_if_match
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import utc_now
from functions.common.route_rules import STAFF
from functions.schedule import keys
from functions.schedule.deps import (
    Audit,
    BookingPolicy,
    Caller,
    Part2,
    Rooms,
    Store,
    WeekQuery,
    rules,
    settings,
)
from functions.schedule.logic import attendance, booking, disclosures, sensitivity
from functions.schedule.logic.groups import commitment_clash, week_entries
from functions.schedule.logic.makeups import makeup_request, week_bounds
from functions.schedule.logic.teams import Relations, may_see_participant
from functions.schedule.models import (
    AttendanceIn,
    AvailabilityRecord,
    CoupleRecord,
    JoinOut,
    MakeupAccept,
    MakeupOfferList,
    ScheduleEntry,
    SessionCancel,
    SessionCreate,
    SessionOut,
    SessionPrivacy,
    SessionRecord,
    SessionReschedule,
    WeekSchedule,
)
from functions.schedule.rooms import RoomGone
from functions.schedule.store import Batch, ScheduleStore
from functions.schedule.vocabulary import ENTITY_SESSION_MEMBER, PersonKind, SessionStatus, SessionType

router = Router()  # type: ignore[no-untyped-call]
SessionId = Annotated[str, Path(max_length=64)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=256)]
_SESSION_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The session",
        "headers": sensitivity.NOTICE_HEADER_DOC,
        "content": {"application/json": {"model": SessionOut}},
    }
}
_WEEK_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The week; Part 2 items the caller may not see in full are busy blocks",
        "headers": sensitivity.NOTICE_HEADER_DOC,
        "content": {"application/json": {"model": WeekSchedule}},
    }
}


def session_out(session: SessionRecord, viewer: Principal) -> SessionOut:
    """A participant sees only their own attendance entry; staff see all of them."""
    staff = viewer.role is not Role.PARTICIPANT
    return SessionOut(
        session_id=session.session_id,
        type=session.type,
        status=session.status,
        start=session.start,
        end=session.end,
        clinician_ids=list(session.clinician_ids),
        attendee_ids=list(session.attendee_ids),
        couple_id=session.couple_id,
        late_cancel=session.status is SessionStatus.LATE_CANCELLED,
        attendance={p: a for p, a in session.attendance.items() if staff or p == viewer.person_id},
        private=session.private,
    )


def _session_headers(
    session: SessionRecord, viewer: Principal, policy: sensitivity.Part2Policy
) -> dict[str, str]:
    return {
        "ETag": etag(session.version),
        **sensitivity.notice_headers(sensitivity.session_discloses(session, viewer, policy)),
    }


def _session_response(
    session: SessionRecord, viewer: Principal, policy: sensitivity.Part2Policy, status: int = 200
) -> Response[SessionOut]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=session_out(session, viewer),
        headers=_session_headers(session, viewer, policy),
    )


def _visible_session(
    store: ScheduleStore, caller: Principal, session_id: str, policy: sensitivity.Part2Policy
) -> SessionRecord:
    """Its people and coordinators see a session; a Part 2 one only coordinators the program
    names, or whom every attendee consented to (read now: a revocation counts at once)."""
    session = store.get_session(session_id)
    if session is None or not booking.can_view(caller, session):
        raise NotFound("no such session")
    if sensitivity.needs_consents(session, caller, policy):
        now = utc_now()
        consents = {a: store.consents(a) for a in session.attendee_ids}
        today = {
            a: now.astimezone(ZoneInfo(session.time_zones.get(a, "UTC"))).date() for a in session.attendee_ids
        }
        if not sensitivity.sees_session(session, caller, policy, consents, today):
            raise NotFound("no such session")
    return session


def _avoid_groups(store: ScheduleStore, session: SessionRecord, items: Batch) -> list[dict[str, Any]]:
    """409 when one of the session's people attends or leads a group occurrence it overlaps;
    otherwise the transaction guards that the commitments read are still the current ones."""
    read = items.commitments()
    commitments = {p: read[p] for p in session.people if p in read}
    clash = commitment_clash(commitments, session.start, session.end)
    if clash:
        raise clash.conflict("body.start")
    return [store.commitments_unchanged(p, commitments.get(p)) for p in session.people]


@router.post(
    "/sessions",
    summary="Book a session: every person it needs is reserved atomically (409 names the clash)",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses={201: {"description": "Booked", "content": {"application/json": {"model": SessionOut}}}},
)
@rules(
    "session.book",
    "sessions",
    allow=STAFF,
    refused="sessions are booked by coordinators and clinicians",
    in_transaction=True,
    idempotent="schedule.book_session",
)
def book_session(
    body: Annotated[SessionCreate, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    policy: BookingPolicy,
    part2: Part2,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Outcome:
    # One batch read: the people, the clinician's availability, the couple, each
    # attendee's care positions (the caseload check for a clinician booking) and
    # everyone's group commitments (the group hours the session must avoid).
    everyone = [body.clinician_id, *dict.fromkeys(body.attendee_ids)]
    extra = [AvailabilityRecord.key(body.clinician_id), *(keys.commitments_key(p) for p in everyone)]
    if body.couple_id:
        extra.append(CoupleRecord.key(body.couple_id))
    for attendee in body.attendee_ids:
        extra += Relations.keys(attendee)
    people, items = store.people([body.clinician_id, *body.attendee_ids], extra=extra)
    caseload = {
        attendee
        for attendee in body.attendee_ids
        if may_see_participant(caller, attendee, Relations.from_items(attendee, items.values()))
    }
    booking.check_can_book(caller, body, caseload)
    session = booking.plan_session(
        body,
        session_id=booking.new_session_id(),
        principal=caller,
        people=people,
        couple=items.couple(body.couple_id),
        availability=items.availability(body.clinician_id),
        policy=policy,
        now=utc_now(),
    )
    guards = _avoid_groups(store, session, items)
    entry = audit.entry(caller, "session.book", f"session/{session.session_id}", "success")
    store.book(session, audit.transact_put(entry), also=guards)
    return Outcome(
        201,
        session_out(session, caller).model_dump(mode="json"),
        {**_session_headers(session, caller, part2), "Location": f"/sessions/{session.session_id}"},
    )


@router.get(
    "/sessions/<session_id>",
    summary="A session (its people and coordinators)",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses=_SESSION_RESPONSE,
)
@rules("session.read", "session/{session_id}")
def get_session(
    session_id: SessionId, caller: Caller, store: Store, audit: Audit, part2: Part2
) -> Response[SessionOut]:
    resource = f"session/{session_id}"
    session = _visible_session(store, caller, session_id, part2)
    audit.disclose(caller, "session.read", resource, disclosures.of_session(session, caller, part2))
    return _session_response(session, caller, part2)


@router.post(
    "/sessions/<session_id>/reschedule",
    summary="Move a session (its clinician or a coordinator); If-Match required; all-or-nothing",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses=_SESSION_RESPONSE,
)
@rules("session.reschedule", "session/{session_id}", in_transaction=True, if_match=True)
def reschedule_session(
    session_id: SessionId,
    body: Annotated[SessionReschedule, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    if_match: IfMatch = None,
) -> Response[SessionOut]:
    resource = f"session/{session_id}"
    session = _visible_session(store, caller, session_id, part2)
    if not booking.can_manage(caller, session):
        raise Forbidden("only the session's clinician or a coordinator moves it")
    require_if_match(if_match, session.version)
    clinician_id = session.clinician_ids[0]
    people, items = store.people(
        [clinician_id],
        extra=[AvailabilityRecord.key(clinician_id), *(keys.commitments_key(p) for p in session.people)],
    )
    moved = booking.rescheduled(
        session,
        start=body.start,
        duration_minutes=body.duration_minutes,
        clinician=people[clinician_id],
        availability=items.availability(clinician_id),
        now=utc_now(),
    )
    guards = _avoid_groups(store, moved, items)
    entry = audit.entry(caller, "session.reschedule", resource, "success")
    store.reschedule(session, moved, audit.transact_put(entry), also=guards)
    return _session_response(moved, caller, part2)


@router.post(
    "/sessions/<session_id>/cancel",
    summary="Cancel a session; a participant's cancel inside the cutoff is a late cancel; If-Match required",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses=_SESSION_RESPONSE,
)
@rules("session.cancel", "session/{session_id}", in_transaction=True, if_match=True)
def cancel_session(
    session_id: SessionId,
    body: Annotated[SessionCancel, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    policy: BookingPolicy,
    part2: Part2,
    if_match: IfMatch = None,
) -> Response[SessionOut]:
    resource = f"session/{session_id}"
    session = _visible_session(store, caller, session_id, part2)
    if not booking.can_cancel(caller, session):
        raise Forbidden("you may not cancel this session")
    require_if_match(if_match, session.version)
    cancelled = booking.cancelled(session, principal=caller, reason=body.reason, policy=policy, now=utc_now())
    entry = audit.entry(caller, "session.cancel", resource, "success")
    store.cancel(session, cancelled, audit.transact_put(entry))
    return _session_response(cancelled, caller, part2)


@router.put(
    "/sessions/<session_id>/privacy",
    summary="Mark an individual session private, or not (the participant; its clinician at their request); "
    "If-Match required",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses=_SESSION_RESPONSE,
)
@rules(
    lambda arguments: "session.private" if arguments["body"].private else "session.not_private",
    "session/{session_id}",
    in_transaction=True,
    if_match=True,
)
def set_session_privacy(
    session_id: SessionId,
    body: Annotated[SessionPrivacy, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    if_match: IfMatch = None,
) -> Response[SessionOut]:
    """A private session stays out of every joint view: the couples therapist and the rest of
    the care team see busy time (`sensitivity.project`). Audited as `session.private` or
    `session.not_private`."""
    resource = f"session/{session_id}"
    action = "session.private" if body.private else "session.not_private"
    session = _visible_session(store, caller, session_id, part2)
    changed = booking.privacy_changed(session, principal=caller, private=body.private, now=utc_now())
    require_if_match(if_match, session.version)
    entry = audit.entry(caller, action, resource, "success")
    store.set_privacy(session, changed, audit.transact_put(entry))
    return _session_response(changed, caller, part2)


# --- weeks -------------------------------------------------------------------------------------


def _week_schedule(
    person_id: str,
    week: str | None,
    caller: Principal,
    store: ScheduleStore,
    policy: sensitivity.Part2Policy,
    audit: AuditWriter,
) -> Response[WeekSchedule]:
    """Two reads whoever asks: the person's own items (profile for the zone, care positions
    for the caseload check, group enrolments, Part 2 consents) and their week in the
    participant/week index. What the caller sees of Part 2 items is `sensitivity.project`'s;
    whose Part 2 items it shows someone else goes on their disclosure lists."""
    resource = f"person/{person_id}/schedule"
    week = booking.checked_week(week)
    person, relations, enrolments, consents = store.reader_context(person_id)
    trusted = caller.role is Role.COORDINATOR or caller.person_id == person_id
    if person is None or not (trusted or _clinician_may_see(caller, person.kind, person_id, relations)):
        raise NotFound("no such person")
    zone = ZoneInfo(person.time_zone)
    now = utc_now()
    week = week or booking.week_of(now, person.time_zone)
    entries = [
        ScheduleEntry(
            session_id=item["session_id"],
            type=SessionType(item["type"]),
            status=SessionStatus(item["status"]),
            start=datetime.fromisoformat(item["start"]).astimezone(zone),
            end=datetime.fromisoformat(item["end"]).astimezone(zone),
            role=item["role"],
            clinician_ids=item["clinician_ids"],
            attendee_ids=item["attendee_ids"],
            authorization_flags=list(item.get("authorization_flags") or []),
            private=bool(item.get("private")),
        )
        for item in store.week(person_id, week)
        if item.get("entity") == ENTITY_SESSION_MEMBER
    ]
    week_start, week_end = week_bounds(week, person.time_zone)
    for enrolment in enrolments:
        entries += week_entries(enrolment, person_id, week_start, week_end, zone)
    entries.sort(key=lambda e: e.start)
    reader = sensitivity.audience(
        caller,
        person_id,
        relations=relations,
        consents=consents,
        policy=policy,
        today=now.astimezone(zone).date(),
    )
    shown = sensitivity.project(entries, reader, policy)
    body = WeekSchedule(
        person_id=person_id,
        week=week,
        time_zone=person.time_zone,
        items=shown.items,
        redisclosure_notice=shown.notice,
    )
    audit.disclose(caller, "schedule.read", resource, disclosures.of_entries(shown.items, caller.person_id))
    return Response(
        status_code=200,
        content_type="application/json",
        body=body,
        headers=sensitivity.notice_headers(shown.discloses_part2),
    )


def _clinician_may_see(caller: Principal, kind: PersonKind, person_id: str, relations: Relations) -> bool:
    if caller.role is not Role.CLINICIAN or kind is not PersonKind.PARTICIPANT:
        return False
    return may_see_participant(caller, person_id, relations)


@router.get(
    "/people/<person_id>/schedule",
    summary="A person's sessions for an ISO week in their own time zone",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses=_WEEK_RESPONSE,
)
@rules("schedule.read", "person/{person_id}/schedule")
def person_schedule(
    person_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    week: WeekQuery = None,
) -> Response[WeekSchedule]:
    return _week_schedule(person_id, week, caller, store, part2, audit)


@router.get(
    "/me/schedule",
    summary="The caller's sessions for an ISO week in their own time zone",
    tags=["sessions"],
    security=AUTHENTICATED,
    responses=_WEEK_RESPONSE,
)
@rules("schedule.read", "person/{caller.person_id}/schedule")
def my_schedule(
    caller: Caller, store: Store, audit: Audit, part2: Part2, week: WeekQuery = None
) -> Response[WeekSchedule]:
    return _week_schedule(caller.person_id, week, caller, store, part2, audit)


@router.get(
    "/sessions/<session_id>/join",
    summary="Join the session's video room: the caller's own join (partners in one place share one)",
    tags=["sessions"],
    security=AUTHENTICATED,
)
@rules("session.join", "session/{session_id}")
def join_session(session_id: SessionId, caller: Caller, store: Store, audit: Audit, rooms: Rooms) -> JoinOut:
    session, room_id = store.session_and_room(session_id)
    if session is None or not booking.can_view(caller, session):
        raise NotFound("no such session")
    if session.couple_id:
        # How the partners join follows the couple's current setting, not the one at booking.
        couple = store.get_couple(session.couple_id)
        if couple:
            session = session.model_copy(update={"join_mode": couple.join_mode})
    identity = booking.join_identity(
        caller, session, now=utc_now(), opens_before=timedelta(minutes=settings().room_opens_minutes)
    )
    if room_id is None:
        room_id = store.claim_room(session_id, rooms.create_room(session_id), replacing=None)
    try:
        join = rooms.join(room_id, identity.external_user_id)
    except RoomGone:
        room_id = store.claim_room(session_id, rooms.create_room(session_id), replacing=room_id)
        join = rooms.join(room_id, identity.external_user_id)
    return JoinOut(
        session_id=session_id,
        provider=rooms.provider,
        meeting_id=join.meeting_id,
        attendee_id=join.attendee_id,
        join_token=join.join_token,
        media_placement=join.media_placement,
        shared=identity.shared,
        opens_at=identity.opens_at,
        closes_at=identity.closes_at,
    )


# --- attendance and makeups ------------------------------------------------------------------


@router.post(
    "/sessions/<session_id>/attendance",
    summary="Record attendance per attendee (the session's clinician or a coordinator); If-Match required",
    tags=["attendance"],
    security=AUTHENTICATED,
    responses=_SESSION_RESPONSE,
)
@rules("session.attendance", "session/{session_id}", in_transaction=True, if_match=True)
def record_attendance(
    session_id: SessionId,
    body: Annotated[AttendanceIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    if_match: IfMatch = None,
) -> Response[SessionOut]:
    resource = f"session/{session_id}"
    session = _visible_session(store, caller, session_id, part2)
    require_if_match(if_match, session.version)
    updated = attendance.recorded(session, body, principal=caller, now=utc_now())
    entry = audit.entry(caller, "session.attendance", resource, "success")
    store.record_attendance(session, updated, audit.transact_put(entry))
    return _session_response(updated, caller, part2)


@router.get(
    "/me/makeups",
    summary="The caller's makeup offers for missed sessions, newest first",
    tags=["attendance"],
    security=AUTHENTICATED,
)
@rules("makeup.read", "person/{caller.person_id}/makeups")
def my_makeups(caller: Caller, store: Store, audit: Audit) -> MakeupOfferList:
    offers = store.makeup_offers(caller.person_id)
    return MakeupOfferList(items=[offer.out() for offer in offers])


@router.post(
    "/me/makeups/<missed_session_id>/accept",
    summary="Take up one offered makeup time: it is booked, or nothing is (409 if it was taken)",
    tags=["attendance"],
    security=AUTHENTICATED,
    responses={201: {"description": "Booked", "content": {"application/json": {"model": SessionOut}}}},
)
@rules("makeup.accept", "session/{missed_session_id}", in_transaction=True)
def accept_makeup(
    missed_session_id: SessionId,
    body: Annotated[MakeupAccept, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    policy: BookingPolicy,
    part2: Part2,
) -> Response[SessionOut]:
    offer = next(
        (o for o in store.makeup_offers(caller.person_id) if o.missed_session_id == missed_session_id),
        None,
    )
    if offer is None:
        raise NotFound("no such makeup offer")
    request = makeup_request(offer, body.option)
    extra = [
        AvailabilityRecord.key(request.clinician_id),
        *(keys.commitments_key(p) for p in [request.clinician_id, *request.attendee_ids]),
    ]
    if request.couple_id:
        extra.append(CoupleRecord.key(request.couple_id))
    people, items = store.people([request.clinician_id, *request.attendee_ids], extra=extra)
    session = booking.plan_session(
        request,
        session_id=booking.new_session_id(),
        principal=caller,
        people=people,
        couple=items.couple(request.couple_id),
        availability=items.availability(request.clinician_id),
        policy=policy,
        now=utc_now(),
    )
    accepted = offer.model_copy(
        update={
            "status": "accepted",
            "accepted_session_id": session.session_id,
            "version": offer.version + 1,
        }
    )
    entry = audit.entry(caller, "makeup.accept", f"session/{session.session_id}", "success")
    try:
        guards = _avoid_groups(store, session, items)
        store.book(
            session, audit.transact_put(entry), also=[store.accepted_offer_put(offer, accepted), *guards]
        )
    except Conflict as exc:
        clash = exc.extensions.get("conflict") or {}
        if clash.get("person_id") not in (None, caller.person_id):
            # Someone else's booking (a partner's own session, say): never say whose or when.
            raise Conflict("that time is no longer free; choose another offered time") from None
        raise
    return _session_response(session, caller, part2, status=201)
