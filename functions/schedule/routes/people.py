"""People: profiles of participants, clinicians and coordinators."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import NotFound
from functions.common.http import etag, require_if_match
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import utc_now
from functions.schedule.deps import Audit, Caller, Store, idempotently
from functions.schedule.logic import people
from functions.schedule.models import PeoplePage, PersonCreate, PersonOut, PersonPatch
from functions.schedule.vocabulary import PersonKind

router = Router()  # type: ignore[no-untyped-call]


def _person_response(person: PersonOut, version: int, status: int = 200) -> Response[PersonOut]:
    return Response(
        status_code=status, content_type="application/json", body=person, headers={"ETag": etag(version)}
    )


@router.get(
    "/me",
    summary="The caller's own profile",
    tags=["people"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "The caller's profile", "content": {"application/json": {"model": PersonOut}}}
    },
)
def get_me(caller: Caller, store: Store, audit: Audit) -> Response[PersonOut]:
    with audit.track(caller, "person.read", f"person/{caller.person_id}"):
        record = store.get_person(caller.person_id)
        if record is None:
            raise NotFound("no profile exists for this login yet; a coordinator creates it")
    return _person_response(people.to_output(record), record.version)


@router.get(
    "/people/<person_id>",
    summary="A person's profile (self, or any for coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses={200: {"description": "The profile", "content": {"application/json": {"model": PersonOut}}}},
)
def get_person(
    person_id: Annotated[str, Path(max_length=64)], caller: Caller, store: Store, audit: Audit
) -> Response[PersonOut]:
    with audit.track(caller, "person.read", f"person/{person_id}"):
        record = store.get_person(person_id)
        relations = None
        if people.needs_caseload_check(caller, record):
            relations = store.relations(person_id)
        if record is None or not people.visible(caller, record, relations):
            raise NotFound("no such person")
    return _person_response(people.to_output(record), record.version)


@router.get(
    "/people",
    summary="List people of one kind (coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
)
def list_people(
    caller: Caller,
    store: Store,
    audit: Audit,
    kind: Annotated[PersonKind, Query()] = PersonKind.PARTICIPANT,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> PeoplePage:
    with audit.track(caller, "person.list", f"people/{kind.value}"):
        caller.require(Role.COORDINATOR)
        records, next_cursor = store.list_people(kind, limit=limit, cursor=cursor)
    return PeoplePage(items=[people.to_output(r) for r in records], next_cursor=next_cursor)


@router.post(
    "/people",
    summary="Create a person (coordinators); safe to retry with Idempotency-Key",
    tags=["people"],
    security=AUTHENTICATED,
    responses={201: {"description": "Created", "content": {"application/json": {"model": PersonOut}}}},
)
def create_person(
    body: Annotated[PersonCreate, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Response[dict[str, object]]:
    def produce() -> Outcome:
        record = people.new_person(body, person_id=people.new_person_id(), now=utc_now())
        resource = f"person/{record.person_id}"
        store.create_person(
            record, audit.transact_put(audit.entry(caller, "person.create", resource, "success"))
        )
        return Outcome(
            201,
            people.to_output(record).model_dump(mode="json"),
            {"ETag": etag(record.version), "Location": f"/people/{record.person_id}"},
        )

    with audit.track(caller, "person.create", "people", success_in_transaction=True):
        caller.require(Role.COORDINATOR)
        return idempotently(
            caller,
            idempotency_key,
            "schedule.create_person",
            body.model_dump(mode="json"),
            produce,
            router.lambda_context,
        )


@router.patch(
    "/people/<person_id>",
    summary="Change a person's profile; If-Match with the ETag you read is required",
    tags=["people"],
    security=AUTHENTICATED,
    responses={200: {"description": "Updated", "content": {"application/json": {"model": PersonOut}}}},
)
def patch_person(
    person_id: Annotated[str, Path(max_length=64)],
    body: Annotated[PersonPatch, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[PersonOut]:
    resource = f"person/{person_id}"
    with audit.track(caller, "person.update", resource, success_in_transaction=True):
        people.ensure_readable(caller, person_id)
        current = store.get_person(person_id)
        if current is None:
            raise NotFound("no such person")
        require_if_match(if_match, current.version)
        updated = people.apply_patch(current, body, principal=caller, now=utc_now())
        store.update_person(
            updated,
            expected_version=current.version,
            previous_email=current.email,
            audit_put=audit.transact_put(audit.entry(caller, "person.update", resource, "success")),
        )
    return _person_response(people.to_output(updated), updated.version)
