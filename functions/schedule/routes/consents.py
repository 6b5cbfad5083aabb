"""Part 2 consents: a participant's recorded, revocable permission for named staff or care-team
positions to see their Part 2 schedule items in full (see `logic/sensitivity.py`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common.api import AUTHENTICATED
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.errors import NotFound
from functions.common.http import PROBLEM_JSON, Problem
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import utc_now
from functions.schedule.deps import Audit, Caller, Store, rules
from functions.schedule.logic import consents
from functions.schedule.models import (
    PaperPart2ConsentIn,
    Part2ConsentIn,
    Part2ConsentList,
    Part2ConsentOut,
    Part2ConsentRecord,
    PersonRecord,
)
from functions.schedule.store import ScheduleStore
from functions.schedule.vocabulary import PersonKind

router = Router()  # type: ignore[no-untyped-call]
ParticipantId = Annotated[str, Path(max_length=64)]
ConsentId = Annotated[str, Path(max_length=64)]
IdempotencyKey = Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)]
_CREATED: dict[int, OpenAPIResponse] = {
    201: {"description": "Recorded", "content": {"application/json": {"model": Part2ConsentOut}}},
    422: {"description": "Names each field at fault", "content": {PROBLEM_JSON: {"model": Problem}}},
}
_REVOKED: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Revoked (a revoked consent is answered as it is)",
        "content": {"application/json": {"model": Part2ConsentOut}},
    }
}


def _today(person: PersonRecord) -> date:
    return utc_now().astimezone(ZoneInfo(person.time_zone)).date()


def _participant(store: ScheduleStore, participant_id: str) -> PersonRecord:
    person = store.get_person(participant_id)
    if person is None or person.kind is not PersonKind.PARTICIPANT:
        raise NotFound("no such participant")
    return person


def _add(
    store: ScheduleStore,
    audit: AuditWriter,
    caller: Principal,
    participant_id: str,
    recipient_ids: list[str],
    sign: Callable[[dict[str, PersonRecord], date], Part2ConsentRecord],
    location: str,
) -> Outcome:
    """Record a consent `sign` makes from the people it names (one BatchGetItem) with its audit
    entry (one transaction); 201 with its `Location` under `location`."""
    people, _ = store.people([participant_id, *recipient_ids])
    participant = people.get(participant_id)
    if participant is None or participant.kind is not PersonKind.PARTICIPANT:
        raise NotFound("no such participant")
    today = _today(participant)
    record = sign(people, today)
    resource = f"person/{participant_id}/part2-consent/{record.consent_id}"
    store.add_consent(
        record, audit.transact_put(audit.entry(caller, "part2_consent.create", resource, "success"))
    )
    return Outcome(
        201,
        consents.out(record, today).model_dump(mode="json"),
        {"Location": f"{location}/{record.consent_id}"},
    )


def _list(store: ScheduleStore, person: PersonRecord) -> Part2ConsentList:
    today = _today(person)
    found = sorted(store.consents(person.person_id), key=lambda c: c.attested_at, reverse=True)
    return Part2ConsentList(items=[consents.out(c, today) for c in found])


def _revoke(
    store: ScheduleStore, audit: AuditWriter, caller: Principal, person: PersonRecord, consent_id: str
) -> Part2ConsentOut:
    current = next((c for c in store.consents(person.person_id) if c.consent_id == consent_id), None)
    if current is None:
        raise NotFound("no such consent")
    updated = consents.revoked(current, principal=caller, now=utc_now())
    resource = f"person/{person.person_id}/part2-consent/{consent_id}"
    entry = audit.entry(caller, "part2_consent.revoke", resource, "success")
    if updated is current:
        audit.record_entry(entry)  # revoked already: nothing changes, the request is still on file
    else:
        store.revoke_consent(current, updated, audit.transact_put(entry))
    return consents.out(updated, _today(person))


# --- the participant's own ---------------------------------------------------------------------


@router.post(
    "/me/part2-consents",
    summary="Consent to named staff or care-team positions seeing your Part 2 items (participants)",
    description="Takes effect at once; revoke it any time. Safe to retry with Idempotency-Key.",
    tags=["consents"],
    security=AUTHENTICATED,
    responses=_CREATED,
)
@rules(
    "part2_consent.create",
    "person/{caller.person_id}/part2-consents",
    in_transaction=True,
    idempotent="schedule.give_consent",
    allow={Role.PARTICIPANT},
)
def give_consent(
    body: Annotated[Part2ConsentIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    idempotency_key: IdempotencyKey = None,
) -> Outcome:
    return _add(
        store,
        audit,
        caller,
        caller.person_id,
        body.recipient_ids,
        lambda people, today: consents.signed_in_app(
            body, principal=caller, people=people, now=utc_now(), today=today
        ),
        "/me/part2-consents",
    )


@router.get(
    "/me/part2-consents",
    summary="Your Part 2 consents, newest first, with their status (participants)",
    tags=["consents"],
    security=AUTHENTICATED,
)
@rules("part2_consent.list", "person/{caller.person_id}/part2-consents", allow={Role.PARTICIPANT})
def my_consents(caller: Caller, store: Store, audit: Audit) -> Part2ConsentList:
    return _list(store, _participant(store, caller.person_id))


@router.post(
    "/me/part2-consents/<consent_id>/revoke",
    summary="Revoke one of your Part 2 consents; it stops at once (participants)",
    tags=["consents"],
    security=AUTHENTICATED,
    responses=_REVOKED,
)
@rules(
    "part2_consent.revoke",
    "person/{caller.person_id}/part2-consent/{consent_id}",
    in_transaction=True,
    allow={Role.PARTICIPANT},
)
def revoke_my_consent(consent_id: ConsentId, caller: Caller, store: Store, audit: Audit) -> Part2ConsentOut:
    return _revoke(store, audit, caller, _participant(store, caller.person_id), consent_id)


# --- coordinators: consents given on paper ----------------------------------------------------


@router.post(
    "/participants/<participant_id>/part2-consents",
    summary="Record a Part 2 consent the participant signed on paper (coordinators)",
    description="Names the signed document (`document_reference`) and its date. Safe to retry with "
    "Idempotency-Key.",
    tags=["consents"],
    security=AUTHENTICATED,
    responses=_CREATED,
)
@rules(
    "part2_consent.create",
    "person/{participant_id}/part2-consents",
    in_transaction=True,
    idempotent="schedule.record_paper_consent",
    allow={Role.COORDINATOR},
)
def record_paper_consent(
    participant_id: ParticipantId,
    body: Annotated[PaperPart2ConsentIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    idempotency_key: IdempotencyKey = None,
) -> Outcome:
    return _add(
        store,
        audit,
        caller,
        participant_id,
        body.recipient_ids,
        lambda people, today: consents.signed_on_paper(
            body,
            participant_id=participant_id,
            principal=caller,
            people=people,
            now=utc_now(),
            today=today,
        ),
        f"/participants/{participant_id}/part2-consents",
    )


@router.get(
    "/participants/<participant_id>/part2-consents",
    summary="A participant's Part 2 consents, newest first (coordinators)",
    tags=["consents"],
    security=AUTHENTICATED,
)
@rules("part2_consent.list", "person/{participant_id}/part2-consents", allow={Role.COORDINATOR})
def participant_consents(
    participant_id: ParticipantId, caller: Caller, store: Store, audit: Audit
) -> Part2ConsentList:
    return _list(store, _participant(store, participant_id))


@router.post(
    "/participants/<participant_id>/part2-consents/<consent_id>/revoke",
    summary="Record a participant's revocation of a Part 2 consent (coordinators)",
    description="For a revocation given on paper or by phone; it stops at once.",
    tags=["consents"],
    security=AUTHENTICATED,
    responses=_REVOKED,
)
@rules(
    "part2_consent.revoke",
    "person/{participant_id}/part2-consent/{consent_id}",
    in_transaction=True,
    allow={Role.COORDINATOR},
)
def revoke_participant_consent(
    participant_id: ParticipantId, consent_id: ConsentId, caller: Caller, store: Store, audit: Audit
) -> Part2ConsentOut:
    return _revoke(store, audit, caller, _participant(store, participant_id), consent_id)
