"""People: profiles of participants, clinicians and coordinators."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from botocore.exceptions import ClientError

from functions.common.api import AUTHENTICATED
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.errors import Conflict, NotFound, TandemError
from functions.common.http import etag, require_if_match
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import utc_now
from functions.common.observability import logger
from functions.schedule.accounts import Accounts
from functions.schedule.deps import Audit, Caller, Part2, SignIns, Store, part2_policy, rules
from functions.schedule.logic import people, sensitivity
from functions.schedule.logic.teams import Relations
from functions.schedule.models import (
    Part2ConsentRecord,
    PeoplePage,
    PersonCreate,
    PersonOut,
    PersonPatch,
    PersonRecord,
)
from functions.schedule.store import ScheduleStore
from functions.schedule.vocabulary import PersonKind

router = Router()  # type: ignore[no-untyped-call]


def _person_response(
    person: PersonOut, version: int, status: int = 200, *, reader: Principal | None = None
) -> Response[PersonOut]:
    headers = {"ETag": etag(version)}
    if reader is not None:
        headers.update(sensitivity.notice_headers(_discloses(person, reader)))
    return Response(status_code=status, content_type="application/json", body=person, headers=headers)


def _discloses(person: PersonOut, reader: Principal) -> bool:
    """A plan saying someone else needs substance-use counseling is a Part 2 record."""
    plan = person.treatment_plan
    needs = plan is not None and plan.needs_substance_use_counseling is True
    return needs and person.person_id != reader.person_id


def _disclosed(shown: list[PersonOut], reader: Principal) -> dict[str, list[str]]:
    """Whose substance-use need a response shows `reader`: their disclosure lists (no item)."""
    return {person.person_id: [] for person in shown if _discloses(person, reader)}


def _sees_need(
    caller: Principal,
    record: PersonRecord,
    policy: sensitivity.Part2Policy,
    relations: Relations | None,
    consents: list[Part2ConsentRecord],
) -> bool:
    """Whether `caller` sees the participant's substance-use need; without `relations` (a read
    that loads no care team or consents) only the participant and the named coordinators do."""
    if record.kind is not PersonKind.PARTICIPANT or caller.person_id == record.person_id:
        return True
    if relations is None:
        return policy.coordinator_sees(caller)
    reader = sensitivity.audience(
        caller,
        record.person_id,
        relations=relations,
        consents=consents,
        policy=policy,
        today=utc_now().astimezone(ZoneInfo(record.time_zone)).date(),
    )
    return sensitivity.sees_substance_use_need(reader, relations)


@router.get(
    "/me",
    summary="The caller's own profile",
    tags=["people"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "The caller's profile", "content": {"application/json": {"model": PersonOut}}}
    },
)
@rules("person.read", "person/{caller.person_id}")
def get_me(caller: Caller, store: Store, audit: Audit) -> Response[PersonOut]:
    record = store.get_person(caller.person_id)
    if record is None:
        raise NotFound("no profile exists for this login yet; a coordinator creates it")
    return _person_response(people.to_output(record), record.version)


@router.get(
    "/people/<person_id>",
    summary="A person's profile (self, or any for coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The profile; a participant's substance-use need only to whom may see Part 2",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": PersonOut}},
        }
    },
)
@rules("person.read", "person/{person_id}")
def get_person(
    person_id: Annotated[str, Path(max_length=64)], caller: Caller, store: Store, audit: Audit, part2: Part2
) -> Response[PersonOut]:
    resource = f"person/{person_id}"
    relations: Relations | None = None
    consents: list[Part2ConsentRecord] = []
    if caller.role is Role.PARTICIPANT or caller.person_id == person_id:
        record = store.get_person(person_id)
    else:  # staff reading someone: the care team and consents come with it, one Query
        record, relations, _, consents = store.reader_context(person_id)
    if record is None or not people.visible(caller, record, relations):
        raise NotFound("no such person")
    shown = people.to_output(record, sees_part2=_sees_need(caller, record, part2, relations, consents))
    audit.disclose(caller, "person.read", resource, _disclosed([shown], caller))
    return _person_response(shown, record.version, reader=caller)


@router.get(
    "/people",
    summary="List people of one kind (coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "A page of people",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": PeoplePage}},
        }
    },
)
@rules("person.list", "people/{kind.value}", allow={Role.COORDINATOR})
def list_people(
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    kind: Annotated[PersonKind, Query()] = PersonKind.PARTICIPANT,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[PeoplePage]:
    resource = f"people/{kind.value}"
    records, next_cursor = store.list_people(kind, limit=limit, cursor=cursor)
    # A coordinator the program does not name sees no substance-use need here, consent or
    # not (one read per person would be needed): `GET /people/{id}` shows it under consent.
    sees = part2.coordinator_sees(caller)
    page = PeoplePage(items=[people.to_output(r, sees_part2=sees) for r in records], next_cursor=next_cursor)
    audit.disclose(caller, "person.list", resource, _disclosed(page.items, caller))
    return Response(
        status_code=200,
        content_type="application/json",
        body=page,
        headers=sensitivity.notice_headers(any(_discloses(p, caller) for p in page.items)),
    )


@router.post(
    "/people",
    summary="Create a person (coordinators); safe to retry with Idempotency-Key",
    tags=["people"],
    security=AUTHENTICATED,
    responses={201: {"description": "Created", "content": {"application/json": {"model": PersonOut}}}},
)
@rules(
    "person.create",
    "people",
    in_transaction=True,
    idempotent="schedule.create_person",
    allow={Role.COORDINATOR},
)
def create_person(
    body: Annotated[PersonCreate, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    accounts: SignIns,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Outcome:
    record = people.new_person(body, person_id=people.new_person_id(), now=utc_now())
    resource = f"person/{record.person_id}"
    # The account first, so the person is stored once, with it: if the write then fails
    # (the email is another person's), the account just created is deleted again
    created = False
    try:
        created = accounts.invite(record)
        record = record.model_copy(update={"invited_at": record.created_at})
    except (TandemError, ClientError) as exc:
        # Stored without an account: `account.status` says `none`, and
        # `POST /people/{id}/invitation` creates it later (no PHI in the log: the error's kind)
        logger.warning("sign-in account not created", extra={"error": type(exc).__name__})
    try:
        store.create_person(
            record, audit.transact_put(audit.entry(caller, "person.create", resource, "success"))
        )
    except Exception:
        if created:
            accounts.remove(record)
        raise
    return Outcome(
        201,
        people.to_output(record).model_dump(mode="json"),
        {"ETag": etag(record.version), "Location": f"/people/{record.person_id}"},
    )


@router.patch(
    "/people/<person_id>",
    summary="Change a person's profile; If-Match with the ETag you read is required",
    tags=["people"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "Updated",
            "headers": sensitivity.NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": PersonOut}},
        }
    },
)
@rules("person.update", "person/{person_id}", in_transaction=True)
def patch_person(
    person_id: Annotated[str, Path(max_length=64)],
    body: Annotated[PersonPatch, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    accounts: SignIns,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[PersonOut]:
    resource = f"person/{person_id}"
    people.ensure_readable(caller, person_id)
    current = store.get_person(person_id)
    if current is None:
        raise NotFound("no such person")
    require_if_match(if_match, current.version)
    updated = people.apply_patch(current, body, principal=caller, now=utc_now())
    moved = updated.email != current.email and accounts.change_email(current, updated.email)
    try:
        store.update_person(
            updated,
            expected_version=current.version,
            previous_email=current.email,
            audit_put=audit.transact_put(audit.entry(caller, "person.update", resource, "success")),
        )
    except Exception:
        if moved:  # the profile kept its email: so does the sign-in
            accounts.change_email(updated, current.email)
        raise
    # (no consents read here: a coordinator the program does not name sees the need under one
    # with `GET /people/{id}`)
    sees = _sees_need(caller, updated, part2, relations=None, consents=[])
    return _person_response(people.to_output(updated, sees_part2=sees), updated.version, reader=caller)


# --- sign-in accounts ------------------------------------------------------------------------


def _invite(
    record: PersonRecord, *, caller: Principal, store: ScheduleStore, audit: AuditWriter, accounts: Accounts
) -> PersonRecord:
    """Create the person's account (or re-send its invitation) and record when, audited."""
    accounts.invite(record, resend=True)
    return _record_account(
        record,
        people.with_account(record, now=utc_now(), invited=True),
        "person.invite",
        caller=caller,
        store=store,
        audit=audit,
    )


def _record_account(
    current: PersonRecord,
    updated: PersonRecord,
    action: str,
    *,
    caller: Principal,
    store: ScheduleStore,
    audit: AuditWriter,
) -> PersonRecord:
    resource = f"person/{current.person_id}"
    store.update_person(
        updated,
        expected_version=current.version,
        previous_email=current.email,
        audit_put=audit.transact_put(audit.entry(caller, action, resource, "success")),
    )
    return updated


def _account_response(record: PersonRecord, caller: Principal) -> Response[PersonOut]:
    """The person after an account change; the plan's substance-use need only to a coordinator
    the program names (the routes read no consents: `GET /people/{id}` shows it under one)."""
    sees = _sees_need(caller, record, part2_policy(), relations=None, consents=[])
    return _person_response(people.to_output(record, sees_part2=sees), record.version, reader=caller)


def _account_person(caller: Principal, store: ScheduleStore, person_id: str) -> PersonRecord:
    caller.require(Role.COORDINATOR)
    record = store.get_person(person_id)
    if record is None:
        raise NotFound("no such person")
    return record


_ACCOUNT_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The person, with their account",
        "content": {"application/json": {"model": PersonOut}},
    }
}


@router.post(
    "/people/<person_id>/invitation",
    summary="Create a person's sign-in account and email the invitation, or re-send it while they have not "
    "chosen a password (coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses=_ACCOUNT_RESPONSES,
)
@rules("person.invite", "person/{person_id}", in_transaction=True)
def send_invitation(
    person_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    accounts: SignIns,
) -> Response[PersonOut]:
    record = _account_person(caller, store, person_id)
    if record.deactivated_at is not None:
        raise Conflict("this person is deactivated: reactivate them first")
    record = _invite(record, caller=caller, store=store, audit=audit, accounts=accounts)
    return _account_response(record, caller)


@router.post(
    "/people/<person_id>/deactivation",
    summary="Deactivate a person at discharge or departure: sign-in disabled, signed out everywhere, "
    "records kept (coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses=_ACCOUNT_RESPONSES,
)
def deactivate(
    person_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    accounts: SignIns,
) -> Response[PersonOut]:
    return _set_active(person_id, False, caller=caller, store=store, audit=audit, accounts=accounts)


@router.post(
    "/people/<person_id>/reactivation",
    summary="Reactivate a deactivated person: sign-in enabled again (coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses=_ACCOUNT_RESPONSES,
)
def reactivate(
    person_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    accounts: SignIns,
) -> Response[PersonOut]:
    return _set_active(person_id, True, caller=caller, store=store, audit=audit, accounts=accounts)


def _set_active(
    person_id: str,
    active: bool,
    *,
    caller: Principal,
    store: ScheduleStore,
    audit: AuditWriter,
    accounts: Accounts,
) -> Response[PersonOut]:
    action = "person.reactivate" if active else "person.deactivate"
    with audit.track(caller, action, f"person/{person_id}", success_in_transaction=True):
        record = _account_person(caller, store, person_id)
        if caller.person_id == person_id and not active:
            raise Conflict("a coordinator cannot deactivate themself")
        # Cognito first: repeating the route after a failure converges (both calls are idempotent)
        accounts.set_enabled(record, active)
        if (record.deactivated_at is None) == active:  # already so: nothing to write but the audit
            audit.record(caller, action, f"person/{person_id}", "success")
        else:
            record = _record_account(
                record,
                people.with_account(record, now=utc_now(), active=active),
                action,
                caller=caller,
                store=store,
                audit=audit,
            )
    return _account_response(record, caller)


@router.post(
    "/people/<person_id>/second-factor-reset",
    summary="A lost authenticator: forget the person's TOTP and sign them out everywhere; staff set a "
    "new one up at their next sign-in (coordinators)",
    tags=["people"],
    security=AUTHENTICATED,
    responses=_ACCOUNT_RESPONSES,
)
@rules("person.second_factor_reset", "person/{person_id}")
def reset_second_factor(
    person_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    accounts: SignIns,
) -> Response[PersonOut]:
    record = _account_person(caller, store, person_id)
    if not accounts.reset_second_factor(record):
        raise Conflict("this person has no sign-in account yet: send the invitation")
    return _account_response(record, caller)
