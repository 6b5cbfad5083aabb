"""Care teams, couples and clinicians' availability."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import NotFound
from functions.common.http import etag, require_if_match
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import utc_now
from functions.schedule import keys
from functions.schedule.deps import Audit, Caller, Part2, Store, rules
from functions.schedule.logic import sensitivity, teams
from functions.schedule.models import (
    AvailabilityIn,
    AvailabilityOut,
    AvailabilityRecord,
    CareTeamIn,
    CareTeamOut,
    CaseloadEntry,
    CaseloadOut,
    CoupleCreate,
    CoupleOut,
    CoupleRecord,
    CoupleUpdate,
    PersonRecord,
)
from functions.schedule.vocabulary import PersonKind

router = Router()  # type: ignore[no-untyped-call]
PersonId = Annotated[str, Path(max_length=64)]


def _json(body: object, version: int | None = None, status: int = 200) -> Response[object]:
    headers = {"ETag": etag(version)} if version is not None else {}
    return Response(status_code=status, content_type="application/json", body=body, headers=headers)


# --- availability ------------------------------------------------------------------------------


def _availability_out(
    clinician_id: str, time_zone: str, record: AvailabilityRecord | None
) -> AvailabilityOut:
    if record is None:
        return AvailabilityOut(clinician_id=clinician_id, time_zone=time_zone, weekly=[], time_off=[])
    return AvailabilityOut(
        clinician_id=clinician_id,
        time_zone=time_zone,
        weekly=record.weekly,
        time_off=record.time_off,
        updated_at=record.updated_at,
    )


@router.get(
    "/clinicians/<clinician_id>/availability",
    summary="A clinician's weekly availability (their own zone) and time off (staff)",
    tags=["clinicians"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "Availability", "content": {"application/json": {"model": AvailabilityOut}}}
    },
)
@rules("availability.read", "person/{clinician_id}/availability")
def get_availability(clinician_id: PersonId, caller: Caller, store: Store, audit: Audit) -> Response[object]:
    if caller.role is Role.PARTICIPANT:
        raise NotFound("no such clinician")
    found, items = store.people([clinician_id], extra=[AvailabilityRecord.key(clinician_id)])
    clinician = found.get(clinician_id)
    if clinician is None or clinician.kind is not PersonKind.CLINICIAN:
        raise NotFound("no such clinician")
    record = items.availability(clinician_id)
    return _json(
        _availability_out(clinician_id, clinician.time_zone, record), record.version if record else 0
    )


@router.put(
    "/clinicians/<clinician_id>/availability",
    summary="Replace a clinician's availability (the clinician or a coordinator); If-Match required",
    tags=["clinicians"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "Availability", "content": {"application/json": {"model": AvailabilityOut}}}
    },
)
@rules("availability.update", "person/{clinician_id}/availability", in_transaction=True)
def put_availability(
    clinician_id: PersonId,
    body: Annotated[AvailabilityIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[object]:
    resource = f"person/{clinician_id}/availability"
    if caller.role is not Role.COORDINATOR and caller.person_id != clinician_id:
        raise NotFound("no such clinician")
    found, items = store.people([clinician_id], extra=[AvailabilityRecord.key(clinician_id)])
    clinician = found.get(clinician_id)
    if clinician is None or clinician.kind is not PersonKind.CLINICIAN:
        raise NotFound("no such clinician")
    current = items.availability(clinician_id)
    version = current.version if current else 0
    require_if_match(if_match, version)
    record = AvailabilityRecord(
        clinician_id=clinician_id,
        weekly=body.weekly,
        time_off=body.time_off,
        updated_at=utc_now(),
        version=version + 1,
    )
    entry = audit.entry(caller, "availability.update", resource, "success")
    store.put_availability(record, expected_version=version, audit_put=audit.transact_put(entry))
    return _json(_availability_out(clinician_id, clinician.time_zone, record), record.version)


# --- care teams --------------------------------------------------------------------------------


@router.get(
    "/participants/<participant_id>/care-team",
    summary="A participant's care team and couple (self, their clinicians, coordinators)",
    tags=["care teams"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "Care team; the substance-use counselor only to whom may see Part 2 items",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": CareTeamOut}},
        }
    },
)
@rules("care_team.read", "person/{participant_id}/care-team")
def get_care_team(
    participant_id: PersonId, caller: Caller, store: Store, audit: Audit, part2: Part2
) -> Response[object]:
    """Who the substance-use counselor is says the participant is in substance-use treatment:
    it is Part 2, shown only to those who see the participant's Part 2 items in full."""
    resource = f"person/{participant_id}/care-team"
    person, relations, _, consents = store.reader_context(participant_id)
    if not teams.may_see_participant(caller, participant_id, relations):
        raise NotFound("no such participant")
    zone = ZoneInfo(person.time_zone if person else "UTC")
    reader = sensitivity.audience(
        caller,
        participant_id,
        relations=relations,
        consents=consents,
        policy=part2,
        today=utc_now().astimezone(zone).date(),
    )
    team = relations.out()
    counselor = team.substance_use_counselor_id
    if counselor and not reader.sees_in_full([counselor]):
        team = team.model_copy(update={"substance_use_counselor_id": None})
    discloses = team.substance_use_counselor_id is not None and caller.person_id != participant_id
    # Who the counselor is names no item, but says the participant is in treatment
    audit.disclose(caller, "care_team.read", resource, {participant_id: []} if discloses else {})
    return Response(
        status_code=200,
        content_type="application/json",
        body=team,
        headers=sensitivity.notice_headers(discloses),
    )


@router.put(
    "/participants/<participant_id>/care-team",
    summary="Set a participant's individual therapist, substance-use counselor and prescriber (coordinators)",
    tags=["care teams"],
    security=AUTHENTICATED,
)
@rules("care_team.update", "person/{participant_id}/care-team", in_transaction=True, allow={Role.COORDINATOR})
def put_care_team(
    participant_id: PersonId, body: Annotated[CareTeamIn, Body()], caller: Caller, store: Store, audit: Audit
) -> CareTeamOut:
    resource = f"person/{participant_id}/care-team"
    wanted = body.assignments()
    found, items = store.people(
        [participant_id, *wanted.values()], extra=[keys.couple_membership_key(participant_id)]
    )
    participant = found.get(participant_id)
    if participant is None or participant.kind is not PersonKind.PARTICIPANT:
        raise NotFound("no such participant")
    teams.check_care_team(body, participant, found)
    entry = audit.entry(caller, "care_team.update", resource, "success")
    store.set_care_team(participant_id, wanted, audit.transact_put(entry))
    couple = items.couple_membership(participant_id)
    return teams.Relations(
        participant_id=participant_id,
        care=wanted,
        couple_id=couple.get("couple_id"),
        partner_id=couple.get("partner_id"),
        couples_therapist_id=couple.get("couples_therapist_id"),
    ).out()


# --- couples -----------------------------------------------------------------------------------


def _couple_out(couple: CoupleRecord) -> CoupleOut:
    return CoupleOut(
        couple_id=couple.couple_id,
        partner_ids=list(couple.partner_ids),
        couples_therapist_id=couple.couples_therapist_id,
        join_mode=couple.join_mode,
        created_at=couple.created_at,
    )


@router.post(
    "/couples",
    summary="Form a couple: two participants and their couples therapist (coordinators)",
    tags=["couples"],
    security=AUTHENTICATED,
    responses={201: {"description": "Created", "content": {"application/json": {"model": CoupleOut}}}},
)
@rules(
    "couple.create",
    "couples",
    in_transaction=True,
    idempotent="schedule.create_couple",
    allow={Role.COORDINATOR},
)
def create_couple(
    body: Annotated[CoupleCreate, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Outcome:
    found, _ = store.people([*body.partner_ids, body.couples_therapist_id])
    couple = teams.new_couple(body, couple_id=teams.new_couple_id(), people=found, now=utc_now())
    entry = audit.entry(caller, "couple.create", f"couple/{couple.couple_id}", "success")
    store.create_couple(couple, audit.transact_put(entry))
    return Outcome(
        201,
        _couple_out(couple).model_dump(mode="json"),
        {"ETag": etag(couple.version), "Location": f"/couples/{couple.couple_id}"},
    )


@router.get(
    "/couples/<couple_id>",
    summary="A couple (its partners, their couples therapist, coordinators)",
    tags=["couples"],
    security=AUTHENTICATED,
    responses={200: {"description": "The couple", "content": {"application/json": {"model": CoupleOut}}}},
)
@rules("couple.read", "couple/{couple_id}")
def get_couple(
    couple_id: Annotated[str, Path(max_length=64)], caller: Caller, store: Store, audit: Audit
) -> Response[object]:
    couple = store.get_couple(couple_id)
    members = {*couple.partner_ids, couple.couples_therapist_id} if couple else set()
    if couple is None or (caller.role is not Role.COORDINATOR and caller.person_id not in members):
        raise NotFound("no such couple")
    return _json(_couple_out(couple), couple.version)


@router.patch(
    "/couples/<couple_id>",
    summary="Change a couple's couples therapist or join mode (coordinators); If-Match required",
    tags=["couples"],
    security=AUTHENTICATED,
    responses={200: {"description": "The couple", "content": {"application/json": {"model": CoupleOut}}}},
)
@rules("couple.update", "couple/{couple_id}", in_transaction=True, allow={Role.COORDINATOR})
def update_couple(
    couple_id: Annotated[str, Path(max_length=64)],
    body: Annotated[CoupleUpdate, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[object]:
    resource = f"couple/{couple_id}"
    couple = store.get_couple(couple_id)
    if couple is None:
        raise NotFound("no such couple")
    require_if_match(if_match, couple.version)
    # A new therapist's roles and licences are checked against both partners' states
    # (one more read, only then).
    people: dict[str, PersonRecord] = {}
    if body.couples_therapist_id:
        people, _ = store.people([*couple.partner_ids, body.couples_therapist_id])
    changed = teams.changed_couple(couple, body, people=people)
    entry = audit.entry(caller, "couple.update", resource, "success")
    store.update_couple(couple, changed, audit.transact_put(entry))
    return _json(_couple_out(changed), changed.version)


@router.get(
    "/clinicians/<clinician_id>/caseload",
    summary="The participants a clinician treats: names and positions (the clinician, coordinators)",
    tags=["clinicians"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The caseload; substance-use counseling positions only to whom may see Part 2",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": CaseloadOut}},
        }
    },
)
@rules("caseload.read", "person/{clinician_id}/caseload")
def caseload(
    clinician_id: PersonId, caller: Caller, store: Store, audit: Audit, part2: Part2
) -> Response[object]:
    """Two reads: the caseload index, then the participants' names (one batch). Names are what
    the caseload's readers may see already (the clinician treats these people; coordinators
    read every profile); the Part 2 rule is on positions (`sensitivity.caseload_shown`)."""
    resource = f"person/{clinician_id}/caseload"
    if caller.role is not Role.COORDINATOR and caller.person_id != clinician_id:
        raise NotFound("no such caseload")
    found = sensitivity.caseload_shown(
        store.caseload(clinician_id), reader=caller, clinician_id=clinician_id, policy=part2
    )
    names = store.display_names(sorted(found))
    body = CaseloadOut(
        clinician_id=clinician_id,
        items=[
            CaseloadEntry(
                participant_id=p,
                display_name=names.get(p),
                roles=sorted(set(r)),
            )
            for p, r in sorted(found.items())
        ],
    )
    disclosed = sensitivity.caseload_discloses(found)
    audit.disclose(caller, "caseload.read", resource, disclosed)
    return Response(
        status_code=200,
        content_type="application/json",
        body=body,
        headers=sensitivity.notice_headers(bool(disclosed)),
    )
