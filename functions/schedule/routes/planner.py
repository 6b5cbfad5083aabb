"""The coordinated week plan for a couple: propose, then book the proposal as a whole."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.common.api import AUTHENTICATED
from functions.common.auth import Principal, Role
from functions.common.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from functions.common.models import utc_now
from functions.schedule import keys
from functions.schedule.deps import Audit, BookingPolicy, Caller, Part2, Store, rules
from functions.schedule.logic import booking, groups, intensity, planner, sensitivity
from functions.schedule.logic.groups import week_entries
from functions.schedule.logic.makeups import week_bounds
from functions.schedule.logic.people import default_plan, plan_out
from functions.schedule.logic.teams import Relations
from functions.schedule.models import (
    AvailabilityRecord,
    CoupleRecord,
    GroupRecord,
    PartnerWeek,
    PlannedGroup,
    PlannedSession,
    ScheduleEntry,
    SessionCreate,
    SessionRecord,
    UnmetRequirement,
    WeekPlanBook,
    WeekPlanBooked,
    WeekPlanOut,
    WeekPlanRequest,
)
from functions.schedule.store import Batch, GroupStore, ScheduleStore
from functions.schedule.vocabulary import AgeGroup, CareRole, SessionStatus, SessionType

router = Router()  # type: ignore[no-untyped-call]
CoupleId = Annotated[str, Path(max_length=64)]
Offering = tuple[GroupRecord, list[tuple[datetime, datetime]]]


def _couple_for(store: ScheduleStore, caller: Principal, couple_id: str) -> CoupleRecord:
    """Coordinators and the couple's couples therapist plan a couple's week. Partners do not:
    a plan shows each partner's individual sessions, which the other may never see."""
    couple = store.get_couple(couple_id)
    if couple is None or not (
        caller.role is Role.COORDINATOR or caller.person_id == couple.couples_therapist_id
    ):
        raise NotFound("no such couple")
    return couple


def _planning_inputs(
    store: ScheduleStore,
    couple: CoupleRecord,
    request: WeekPlanRequest,
    *,
    now: datetime,
    buffer: timedelta,
    caller: Principal,
    part2: sensitivity.Part2Policy,
) -> tuple[
    list[planner.Partner],
    dict[str, planner.Clinician],
    list[Offering],
    planner.Week,
    dict[str, sensitivity.Audience],
    dict[str, bool],
]:
    """What the planner needs, and per partner what the caller sees of their Part 2 care: the
    reader and whether they see the plan's substance-use need."""
    partners: list[planner.Partner] = []
    contexts = {}
    readers: dict[str, sensitivity.Audience] = {}
    sees_need: dict[str, bool] = {}
    for partner_id in couple.partner_ids:
        person, relations, enrolments, consents = store.reader_context(partner_id)
        if person is None:
            raise NotFound("a partner's record is missing")
        contexts[partner_id] = (person, relations, enrolments)
        readers[partner_id] = sensitivity.audience(
            caller,
            partner_id,
            relations=relations,
            consents=consents,
            policy=part2,
            today=now.astimezone(ZoneInfo(person.time_zone)).date(),
        )
        sees_need[partner_id] = sensitivity.sees_substance_use_need(readers[partner_id], relations)
    zone = contexts[couple.partner_ids[0]][0].time_zone
    start, end = week_bounds(request.week, zone)
    busy: dict[str, set[datetime]] = {}
    for partner_id, (person, relations, enrolments) in contexts.items():
        week_items = store.week(partner_id, request.week)
        group_entries = [
            e for en in enrolments for e in week_entries(en, partner_id, start, end, ZoneInfo(zone))
        ]
        totals = intensity.figures(week_items, group_entries)
        has = {
            SessionType(i["type"])
            for i in week_items
            if i.get("role") == "attendee" and i.get("status") == SessionStatus.BOOKED.value
        }
        partners.append(
            planner.Partner(
                person_id=partner_id,
                time_zone=person.time_zone,
                plan=person.treatment_plan or default_plan(person.age_group or AgeGroup.ADULT),
                sessions=totals.scheduled_sessions,
                hours=totals.scheduled_hours,
                has=has,
                individual_therapist=relations.care.get(CareRole.INDIVIDUAL_THERAPIST),
                counselor=relations.care.get(CareRole.SUBSTANCE_USE_COUNSELOR),
                group_ids={
                    str(en["group_id"]) for en in enrolments if en.get("status") in ("enrolled", "waitlisted")
                },
            )
        )
        busy[partner_id] = store.busy_slots(partner_id, start, end)
        for entry in group_entries:
            busy[partner_id].update(booking.slots(entry.start, entry.end))
    clinician_ids = {couple.couples_therapist_id}
    clinician_ids |= {p.individual_therapist for p in partners if p.individual_therapist}
    clinician_ids |= {p.counselor for p in partners if p.counselor}
    offerings = GroupStore(store).all()
    facilitators = {g.facilitator_id for g in offerings}
    people, items = store.people(
        sorted(clinician_ids | facilitators), extra=[AvailabilityRecord.key(c) for c in sorted(clinician_ids)]
    )
    clinicians: dict[str, planner.Clinician] = {}
    for clinician_id in clinician_ids:
        if clinician_id not in people:
            continue
        clinicians[clinician_id] = planner.Clinician(
            clinician_id, people[clinician_id].time_zone, items.availability(clinician_id)
        )
        busy[clinician_id] = store.busy_slots(clinician_id, start, end)
    states = {contexts[p][0].state for p in couple.partner_ids}
    offered = [
        (g, list(groups.occurrences(g, max(start, now), end)))
        for g in offerings
        if states <= set(people[g.facilitator_id].licensed_states or ())
        if g.facilitator_id in people
    ]
    week = planner.week_of_bounds(
        request.week, zone, now, busy, buffer, planner.Preferences(request.evenings, request.weekends)
    )
    return partners, clinicians, offered, week, readers, sees_need


def _projected(
    proposal: planner.Proposal,
    partners: list[planner.Partner],
    readers: dict[str, sensitivity.Audience],
    sees_need: dict[str, bool],
    policy: sensitivity.Part2Policy,
) -> tuple[list[PlannedSession], list[ScheduleEntry], list[UnmetRequirement], list[PartnerWeek], bool]:
    """What the caller sees of a proposal: each proposed session goes through
    `sensitivity.project` as its attendees' item, so one the caller may not see in full (a
    partner's substance-use counseling, to the couples therapist) is busy time only; an unmet
    Part 2 requirement is left out for them too, and a partner's plan shows its substance-use
    need as null. The flag: Part 2 shown in full (the notice)."""
    shown: list[PlannedSession] = []
    busy: list[ScheduleEntry] = []
    discloses = False
    for s in sorted(proposal.sessions, key=lambda s: s.start):
        entry = ScheduleEntry(
            session_id=None,
            type=s.type,
            status=SessionStatus.BOOKED,
            start=s.start,
            end=s.end,
            role="attendee",
            clinician_ids=[s.clinician_id],
            attendee_ids=list(s.attendee_ids),
        )
        views = [sensitivity.project([entry], readers[a], policy) for a in s.attendee_ids]
        hidden = [item for view in views for item in view.items if item.visibility == "busy"]
        if hidden:
            busy.append(hidden[0])
            continue
        discloses = discloses or any(view.discloses_part2 for view in views)
        shown.append(
            PlannedSession(
                type=s.type,
                clinician_id=s.clinician_id,
                attendee_ids=list(s.attendee_ids),
                start=s.start,
                end=s.end,
                couple_id=s.couple_id,
            )
        )
    unmet: list[UnmetRequirement] = []
    for u in proposal.unmet:
        if u.participant_id and policy.is_part2(u.requirement):
            if not sees_need.get(u.participant_id, False):
                continue
            discloses = True
        unmet.append(
            UnmetRequirement(requirement=u.requirement, participant_id=u.participant_id, detail=u.detail)
        )
    weeks = []
    for p in partners:
        plan = plan_out(p.plan, sees_part2=sees_need[p.person_id])
        discloses = discloses or plan.needs_substance_use_counseling is True
        weeks.append(
            PartnerWeek(participant_id=p.person_id, sessions=p.sessions, hours=round(p.hours, 2), plan=plan)
        )
    return shown, busy, unmet, weeks, discloses


@router.post(
    "/couples/<couple_id>/week-plan",
    summary="Propose a week for a couple that meets both partners' plans (coordinators, couples therapist)",
    tags=["couples"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The proposal; sessions the caller may not see in full are busy blocks",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": WeekPlanOut}},
        }
    },
)
@rules("couple.week_plan", "couple/{couple_id}/week-plan")
def propose_week(
    couple_id: CoupleId,
    body: Annotated[WeekPlanRequest, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    policy: BookingPolicy,
    part2: Part2,
) -> Response[WeekPlanOut]:
    couple = _couple_for(store, caller, couple_id)
    partners, clinicians, offered, week, readers, sees_need = _planning_inputs(
        store, couple, body, now=utc_now(), buffer=policy.buffer, caller=caller, part2=part2
    )
    proposal = planner.plan_week(
        couple_id=couple_id,
        partners=partners,
        couples_therapist=clinicians.get(couple.couples_therapist_id),
        clinicians=clinicians,
        groups=offered,
        week=week,
    )
    sessions, busy, unmet, weeks, discloses = _projected(proposal, partners, readers, sees_need, part2)
    out = WeekPlanOut(
        couple_id=couple_id,
        week=body.week,
        sessions=sessions,
        groups=[
            PlannedGroup(
                group_id=g.group_id,
                participant_ids=list(g.participant_ids),
                occurrences=[s for s, _ in g.occurrences],
            )
            for g in proposal.groups
        ],
        unmet=unmet,
        partners=weeks,
        complete=not proposal.unmet,
        busy=busy,
    )
    return Response(
        status_code=200,
        content_type="application/json",
        body=out,
        headers=sensitivity.notice_headers(discloses),
    )


def _avoid_groups(
    sessions: list[SessionRecord],
    items: Batch,
    seated: list[tuple[GroupRecord, list[str]]],
) -> None:
    """409 when a planned session overlaps a group its people attend or lead, or one the
    same plan seats them in."""
    commitments = {person_id: dict(item) for person_id, item in items.commitments().items()}
    for group, participant_ids in seated:
        for person_id in participant_ids:
            commitments.setdefault(person_id, {})[keys.commitment_attribute(group.group_id)] = (
                group.commitment()
            )
    for index, session in enumerate(sessions):
        clash = groups.commitment_clash(
            {p: commitments[p] for p in session.people if p in commitments}, session.start, session.end
        )
        if clash:
            raise clash.conflict(f"body.sessions.{index}.start")


@router.post(
    "/couples/<couple_id>/week-plan/book",
    summary="Book a proposed week as a whole: every session and group seat, or nothing (409 names the clash)",
    tags=["couples"],
    security=AUTHENTICATED,
    responses={201: {"description": "Booked", "content": {"application/json": {"model": WeekPlanBooked}}}},
)
@rules("couple.week_plan.book", "couple/{couple_id}/week-plan", in_transaction=True)
def book_week(
    couple_id: CoupleId,
    body: Annotated[WeekPlanBook, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    policy: BookingPolicy,
) -> Response[WeekPlanBooked]:
    resource = f"couple/{couple_id}/week-plan"
    couple = _couple_for(store, caller, couple_id)
    members = set(couple.partner_ids)
    errors = [
        FieldError(f"body.sessions.{i}.attendee_ids", "only the couple's partners")
        for i, s in enumerate(body.sessions)
        if not set(s.attendee_ids) <= members
    ] + [
        FieldError(f"body.groups.{i}.participant_ids", "only the couple's partners")
        for i, g in enumerate(body.groups)
        if not set(g.participant_ids) <= members
    ]
    if errors:
        raise InvalidInput("the plan names people outside the couple", errors=errors)
    clinician_ids = sorted({s.clinician_id for s in body.sessions})
    people, items = store.people(
        [*couple.partner_ids, *clinician_ids],
        extra=[AvailabilityRecord.key(c) for c in clinician_ids]
        + [key for p in couple.partner_ids for key in Relations.keys(p)]
        + [keys.commitments_key(p) for p in [*couple.partner_ids, *clinician_ids]],
    )
    if caller.role is Role.CLINICIAN:
        # The couples therapist books their own sessions and those of each partner's own care team.
        care = {p: set(Relations.from_items(p, items.values()).care.values()) for p in couple.partner_ids}
        refused = [
            FieldError(f"body.sessions.{i}.clinician_id", "not you, nor the attendee's own clinician")
            for i, s in enumerate(body.sessions)
            if s.clinician_id != caller.person_id
            and not all(s.clinician_id in care[a] for a in s.attendee_ids)
        ]
        if refused:
            raise Forbidden("a clinician books only sessions of the partners' own care teams", errors=refused)
    now = utc_now()
    sessions = []
    for index, planned in enumerate(body.sessions):
        request = SessionCreate(
            type=planned.type,
            start=planned.start,
            duration_minutes=int((planned.end - planned.start).total_seconds() // 60),
            clinician_id=planned.clinician_id,
            attendee_ids=planned.attendee_ids,
            couple_id=planned.couple_id,
        )
        try:
            sessions.append(
                booking.plan_session(
                    request,
                    session_id=booking.new_session_id(),
                    principal=caller,
                    people=people,
                    couple=couple if planned.couple_id == couple.couple_id else None,
                    availability=items.availability(planned.clinician_id),
                    policy=policy,
                    now=now,
                )
            )
        except InvalidInput as exc:
            raise InvalidInput(
                exc.detail,
                errors=[
                    FieldError(e.field.replace("body.", f"body.sessions.{index}.", 1), e.message)
                    for e in exc.errors
                ],
            ) from exc
    held = [(r.person_id, r.slot) for s in sessions for r in booking.reservations(s)]
    if len(held) != len(set(held)):
        raise Conflict(
            "the plan's own sessions overlap for someone", errors=[FieldError("body.sessions", "overlap")]
        )
    group_store = GroupStore(store)
    writes = [w for s in sessions for w in store.session_writes(s)]
    seated: list[tuple[GroupRecord, list[str]]] = []
    for index, planned_group in enumerate(body.groups):
        group = group_store.get(planned_group.group_id)
        if group is None:
            raise InvalidInput(
                "no such group", errors=[FieldError(f"body.groups.{index}.group_id", "no such group")]
            )
        facilitator, _ = store.people([group.facilitator_id])
        groups.check_members(
            group, facilitator.get(group.facilitator_id), people, planned_group.participant_ids
        )
        together = couple.couple_id if len(planned_group.participant_ids) == 2 else None
        writes += group_store.seat_writes(
            group, planned_group.participant_ids, couple_id=together, now=now, commit=False
        )
        seated.append((group, planned_group.participant_ids))
    # Each person's group commitments once, however many groups they are seated in: a
    # transaction may write an item only once.
    joined: dict[str, list[GroupRecord]] = {}
    for group, participant_ids in seated:
        for participant in participant_ids:
            joined.setdefault(participant, []).append(group)
    writes += [store.commit(participant, *their_groups) for participant, their_groups in joined.items()]
    _avoid_groups(sessions, items, seated)
    entry = audit.entry(caller, "couple.week_plan.book", resource, "success")
    store.book_all(writes, audit.transact_put(entry))
    booked = WeekPlanBooked(
        couple_id=couple_id,
        week=body.week,
        session_ids=[s.session_id for s in sessions],
        group_ids=[g.group_id for g in body.groups],
    )
    return Response(status_code=201, content_type="application/json", body=booked)
