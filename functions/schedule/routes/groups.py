"""Recurring groups: offerings, enrolment with seats and a waitlist, rosters."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import FieldError, InvalidInput, NotFound
from functions.common.http import etag
from functions.common.models import SchedulingInstant, iso, utc_now
from functions.schedule.deps import Audit, Caller, Part2, Store, rules
from functions.schedule.logic import groups, sensitivity
from functions.schedule.logic.teams import Relations, may_see_participant
from functions.schedule.models import (
    EnrolIn,
    EnrolOut,
    GroupAttendanceIn,
    GroupAttendanceOut,
    GroupCreate,
    GroupList,
    GroupOut,
    GroupRecord,
    RosterEntry,
    RosterOut,
)
from functions.schedule.store import GroupStore
from functions.schedule.vocabulary import EnrolmentStatus

router = Router()  # type: ignore[no-untyped-call]
GroupId = Annotated[str, Path(max_length=64)]
UPCOMING = 3


def group_out(group: GroupRecord) -> GroupOut:
    now = utc_now()
    upcoming = [start for start, _ in groups.occurrences(group, now, now + groups.HORIZON)][:UPCOMING]
    return GroupOut(
        group_id=group.group_id,
        type=group.type,
        title=group.title,
        facilitator_id=group.facilitator_id,
        rrule=group.rrule,
        first_start=group.first_start,
        time_zone=group.time_zone,
        duration_minutes=group.duration_minutes,
        capacity=group.capacity,
        seats_left=max(group.capacity - group.seats_taken, 0),
        waitlisted=group.waitlisted,
        evening=group.evening,
        weekend=group.weekend,
        recording=group.recording,
        next_occurrences=upcoming,
    )


def _group(store: GroupStore, group_id: str) -> GroupRecord:
    group = store.get(group_id)
    if group is None:
        raise NotFound("no such group")
    return group


@router.post(
    "/groups",
    summary="Create a recurring group (coordinators)",
    tags=["groups"],
    security=AUTHENTICATED,
    responses={201: {"description": "Created", "content": {"application/json": {"model": GroupOut}}}},
)
@rules("group.create", "groups", in_transaction=True, allow={Role.COORDINATOR})
def create_group(
    body: Annotated[GroupCreate, Body()], caller: Caller, store: Store, audit: Audit
) -> Response[GroupOut]:
    group = groups.new_group(
        body,
        group_id=groups.new_group_id(),
        facilitator=store.get_person(body.facilitator_id),
        now=utc_now(),
    )
    entry = audit.entry(caller, "group.create", f"group/{group.group_id}", "success")
    GroupStore(store).create(group, audit.transact_put(entry))
    return Response(
        status_code=201,
        content_type="application/json",
        body=group_out(group),
        headers={"Location": f"/groups/{group.group_id}", "ETag": etag(group.version)},
    )


@router.get(
    "/groups",
    summary="The program's group offerings with seats left",
    tags=["groups"],
    security=AUTHENTICATED,
)
def list_groups(caller: Caller, store: Store) -> GroupList:
    # Offerings hold no participant data: not audited.
    del caller
    return GroupList(items=[group_out(g) for g in GroupStore(store).all()])


@router.get(
    "/groups/<group_id>",
    summary="One group offering and its next occurrences",
    tags=["groups"],
    security=AUTHENTICATED,
)
def get_group(group_id: GroupId, caller: Caller, store: Store) -> GroupOut:
    del caller
    return group_out(_group(GroupStore(store), group_id))


@router.get(
    "/groups/<group_id>/roster",
    summary="Who is enrolled and who waits, in order (the facilitator and coordinators)",
    tags=["groups"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The roster; a Part 2 group's only to its facilitator and the coordinators "
            "the program names, with the redisclosure notice",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": RosterOut}},
        }
    },
)
@rules("group.roster.read", "group/{group_id}/roster")
def roster(
    group_id: GroupId, caller: Caller, store: Store, audit: Audit, part2: Part2
) -> Response[RosterOut]:
    resource = f"group/{group_id}/roster"
    # Two reads: the series with its roster (one Query), then the names of whom it holds
    group, members, waiting = GroupStore(store).series_and_roster(group_id)
    if group is None:
        raise NotFound("no such group")
    part2_group = part2.is_part2(group.type.value)
    delivers = caller.person_id == group.facilitator_id
    if not delivers and not (
        part2.coordinator_sees(caller) if part2_group else caller.role is Role.COORDINATOR
    ):
        # Who attends a Part 2 group says they are in substance-use treatment: a coordinator
        # the program does not name learns nothing of it (each member's consent would name
        # them one by one; the roster is all or nothing)
        raise NotFound("no such group roster")
    enrolled = [m for m in members if m["status"] == EnrolmentStatus.ENROLLED.value]
    # The names of whom the caller may already read the roster of: the facilitator runs
    # the group with them, coordinators read every profile.
    names = store.display_names(
        [*(m["participant_id"] for m in enrolled), *(p for w in waiting for p in w["participant_ids"])]
    )
    body = RosterOut(
        group_id=group_id,
        capacity=group.capacity,
        enrolled=[
            RosterEntry(
                participant_id=m["participant_id"],
                display_name=names.get(m["participant_id"]),
                status=EnrolmentStatus.ENROLLED,
                since=m["since"],
            )
            for m in enrolled
        ],
        waitlist=[
            RosterEntry(
                participant_id=person,
                display_name=names.get(person),
                status=EnrolmentStatus.WAITLISTED,
                since=w["since"],
                waitlist_position=position,
            )
            for position, w in enumerate(waiting, start=1)
            for person in w["participant_ids"]
        ],
    )
    if part2_group:  # who attends a Part 2 group: each member's disclosure list names it
        named = [*body.enrolled, *body.waitlist]
        audit.disclose(caller, "group.roster.read", resource, {e.participant_id: [group_id] for e in named})
    return Response(
        status_code=200,
        content_type="application/json",
        body=body,
        headers=sensitivity.notice_headers(part2_group and bool(members or waiting)),
    )


@router.post(
    "/groups/<group_id>/enrolments",
    summary="Enrol in a series (partners together): a seat, or a place on the waitlist",
    tags=["groups"],
    security=AUTHENTICATED,
    responses={
        201: {"description": "Enrolled or waitlisted", "content": {"application/json": {"model": EnrolOut}}}
    },
)
@rules("group.enrol", "group/{group_id}", in_transaction=True)
def enrol(
    group_id: GroupId, body: Annotated[EnrolIn, Body()], caller: Caller, store: Store, audit: Audit
) -> Response[EnrolOut]:
    groups_store = GroupStore(store)
    group = _group(groups_store, group_id)
    extra = [key for p in body.participant_ids for key in Relations.keys(p)]
    people, items = store.people([group.facilitator_id, *body.participant_ids], extra=extra)
    relations = {p: Relations.from_items(p, items.values()) for p in body.participant_ids}
    caseload = {p for p in body.participant_ids if may_see_participant(caller, p, relations[p])}
    groups.check_can_enrol(caller, body.participant_ids, caseload)
    groups.check_members(group, people.get(group.facilitator_id), people, body.participant_ids)
    couple_id = None
    if len(body.participant_ids) == 2:
        first, second = body.participant_ids
        if relations[first].partner_id != second:
            raise InvalidInput(
                "two participants enrol together only as partners",
                errors=[FieldError("body.participant_ids", "not a couple")],
            )
        couple_id = relations[first].couple_id
    entries = [
        audit.transact_put(audit.entry(caller, "group.enrol", f"person/{p}/group/{group_id}", "success"))
        for p in body.participant_ids
    ]
    status, position = groups_store.enrol(
        group,
        body.participant_ids,
        couple_id=couple_id,
        now=utc_now(),
        audit_puts=entries,
    )
    out = EnrolOut(
        group_id=group_id, participant_ids=body.participant_ids, status=status, waitlist_position=position
    )
    return Response(status_code=201, content_type="application/json", body=out)


@router.delete(
    "/groups/<group_id>/enrolments/<participant_id>",
    summary="Leave a series (or its waitlist) from now on; the freed seat goes to the waitlist",
    tags=["groups"],
    security=AUTHENTICATED,
    responses={204: {"description": "Withdrawn"}},
)
@rules("group.withdraw", "person/{participant_id}/group/{group_id}", in_transaction=True)
def withdraw(
    group_id: GroupId,
    participant_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
) -> Response[str]:
    resource = f"person/{participant_id}/group/{group_id}"
    if caller.role is not Role.COORDINATOR and caller.person_id != participant_id:
        raise NotFound("no such enrolment")
    groups_store = GroupStore(store)
    group = _group(groups_store, group_id)
    entry = audit.entry(caller, "group.withdraw", resource, "success")
    groups_store.withdraw(group, participant_id, now=utc_now(), audit_put=audit.transact_put(entry))
    return Response(status_code=204, content_type=None, body="")


@router.post(
    "/groups/<group_id>/occurrences/<occurrence_start>/attendance",
    summary="Record who attended one occurrence (its facilitator or a coordinator); misses get makeups",
    tags=["groups"],
    security=AUTHENTICATED,
)
@rules(
    "group.attendance",
    lambda arguments: f"group/{arguments['group_id']}/occurrence/{iso(arguments['occurrence_start'])}",
    in_transaction=True,
)
def record_group_attendance(
    group_id: GroupId,
    occurrence_start: Annotated[
        SchedulingInstant, Path(description="The occurrence's start, RFC 3339 with offset")
    ],
    body: Annotated[GroupAttendanceIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
) -> GroupAttendanceOut:
    resource = f"group/{group_id}/occurrence/{iso(occurrence_start)}"
    groups_store = GroupStore(store)
    group, previous = groups_store.series_and_attendance(group_id, occurrence_start)
    if group is None or (caller.role is not Role.COORDINATOR and caller.person_id != group.facilitator_id):
        raise NotFound("no such group")
    begins, _ = groups.occurrence_at(group, occurrence_start)
    if begins > utc_now():
        raise InvalidInput(
            "the occurrence has not started yet",
            errors=[FieldError("path.occurrence_start", "in the future")],
        )
    members, _ = groups_store.roster(group_id)
    present = groups.members_at(members, begins)
    errors = [
        FieldError(f"body.records.{i}.person_id", "not enrolled at that occurrence")
        for i, r in enumerate(body.records)
        if r.person_id not in present
    ]
    if errors:
        raise InvalidInput("attendance cannot be recorded as asked", errors=errors)
    attendance = {
        **(previous or {}).get("attendance", {}),
        **{r.person_id: r.status.value for r in body.records},
    }
    entry = audit.entry(caller, "group.attendance", resource, "success")
    groups_store.record_attendance(
        group, begins, attendance, previous=previous, audit_put=audit.transact_put(entry)
    )
    return GroupAttendanceOut(group_id=group_id, occurrence_start=begins, attendance=attendance)
