"""Prior authorizations: coordinators record them; coordinators and the participant read how
much is used, projected and left, and which sessions no authorization covers. A coordinator who
may not see the participant's 42 CFR Part 2 services does not see substance-use authorizations
(H0004, H0005, H0015) or the flags of those services."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from functions.common import aws
from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import NotFound
from functions.common.http import etag, require_if_match
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import ResourceId, utc_now
from functions.common.observability import logger
from functions.common.part2 import NOTICE_HEADER_DOC, notice_headers
from functions.coverage import auth_alerts
from functions.coverage.alerts import alerts_from_env
from functions.coverage.deps import (
    Audit,
    Caller,
    Part2,
    Store,
    idempotently,
    part2_reader,
    require_participant,
    settings,
)
from functions.coverage.logic import authorizations, estimates, restricted
from functions.coverage.logic.authorizations import AuthorizationIn, AuthorizationRecord
from functions.coverage.models import AuthorizationFlagOut, AuthorizationList, AuthorizationOut
from functions.coverage.store import CoverageStore

router = Router()  # type: ignore[no-untyped-call]
ParticipantId = Annotated[ResourceId, Path()]
AuthorizationId = Annotated[ResourceId, Path()]


def _reflag(store: CoverageStore, participant_id: str) -> None:
    """New or changed units or dates change which booked sessions are flagged on the schedule
    (best effort: the authorization is saved; the next booking change tells it again)."""
    try:
        auth_alerts.review(
            store,
            alerts_from_env(settings().event_bus_name, aws.client),
            participant_id,
            utc_now().astimezone(ZoneInfo(settings().program_time_zone)).date(),
            alerts=False,  # the coordinator is entering it; alerts follow bookings and the nightly sweep
        )
    except Exception as exc:  # noqa: BLE001
        logger.warning("authorization review not done", extra={"error": type(exc).__name__})


def _out(standing: authorizations.Standing) -> AuthorizationOut:
    record = standing.record
    return AuthorizationOut(
        authorization_id=record.authorization_id,
        authorization_number=record.authorization_number,
        payer_id=record.payer_id,
        billing_codes=[c.value for c in record.billing_codes],
        unit_kind=record.unit_kind.value,
        authorized=record.authorized,
        start=record.start,
        end=record.end,
        consumed=standing.consumed,
        projected=standing.projected,
        remaining=standing.remaining,
        alerts=list(record.alerted),
        version=record.version,
    )


def _record(
    participant_id: str, authorization_id: str, body: AuthorizationIn, version: int
) -> AuthorizationRecord:
    authorizations.check(body)
    return AuthorizationRecord(
        person_id=participant_id,
        authorization_id=authorization_id,
        **body.model_dump(),
        updated_at=utc_now(),
        version=version,
    )


@router.get(
    "/participants/<participant_id>/authorizations",
    summary="A participant's prior authorizations: used, projected, left, and uncovered sessions",
    tags=["authorizations"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The authorizations; substance-use ones only to whom may see Part 2 services",
            "headers": NOTICE_HEADER_DOC,
            "content": {"application/json": {"model": AuthorizationList}},
        }
    },
)
def list_authorizations(
    participant_id: ParticipantId, caller: Caller, store: Store, audit: Audit, part2: Part2
) -> Response[AuthorizationList]:
    with audit.track(caller, "coverage.authorizations.read", f"person/{participant_id}/authorizations"):
        if caller.role is not Role.COORDINATOR and caller.person_id != participant_id:
            raise NotFound("no such participant")
        coverage = estimates.Coverage.from_items(participant_id, store.person_items(participant_id))
        today = utc_now().astimezone(ZoneInfo(settings().program_time_zone)).date()
        standings, flags = authorizations.apply_uses(
            coverage.authorizations,
            authorizations.uses_from(coverage.claims, coverage.booked, today=today, payers=coverage.payers),
        )
        reader = part2_reader(caller, participant_id, coverage, part2)
        part2_sources = restricted.part2_sources([*coverage.claims, *coverage.booked])
        part2_items = [
            s for s in standings if any(restricted.is_part2_code(c) for c in s.record.billing_codes)
        ]
        if not reader.full:
            standings = [s for s in standings if s not in part2_items]
            flags = [f for f in flags if f.source_id not in part2_sources]
        notice = reader.notice(bool(part2_items) or any(f.source_id in part2_sources for f in flags))
    body = AuthorizationList(
        participant_id=participant_id,
        items=[_out(s) for s in standings],
        flagged=[AuthorizationFlagOut(source_id=f.source_id, reason=f.reason) for f in flags],
        redisclosure_notice=notice,
    )
    return Response(200, "application/json", body, headers=notice_headers(notice is not None))


@router.post(
    "/participants/<participant_id>/authorizations",
    summary="Record a prior authorization (coordinators); Idempotency-Key honoured",
    tags=["authorizations"],
    security=AUTHENTICATED,
    responses={
        201: {"description": "Recorded", "content": {"application/json": {"model": AuthorizationOut}}}
    },
)
def create_authorization(
    participant_id: ParticipantId,
    body: Annotated[AuthorizationIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Response[dict[str, object]]:
    def produce() -> Outcome:
        record = _record(participant_id, authorizations.new_authorization_id(), body, 1)
        resource = f"person/{participant_id}/authorization/{record.authorization_id}"
        entry = audit.entry(caller, "coverage.authorization.create", resource, "success")
        store.save(record.to_attributes(), audit.transact_put(entry), expected_version=None)
        _reflag(store, participant_id)
        return Outcome(
            201,
            _out(authorizations.Standing(record)).model_dump(mode="json"),
            {"ETag": etag(record.version)},
        )

    with audit.track(
        caller,
        "coverage.authorization.create",
        f"person/{participant_id}/authorizations",
        success_in_transaction=True,
    ):
        caller.require(Role.COORDINATOR)
        require_participant(store, participant_id)
        return idempotently(
            caller,
            idempotency_key,
            "coverage.create_authorization",
            {"participant_id": participant_id, **body.model_dump(mode="json")},
            produce,
            router.lambda_context,
        )


@router.put(
    "/participants/<participant_id>/authorizations/<authorization_id>",
    summary="Replace a prior authorization (coordinators; e.g. more units or a new date range); If-Match",
    tags=["authorizations"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "Replaced", "content": {"application/json": {"model": AuthorizationOut}}}
    },
)
def replace_authorization(
    participant_id: ParticipantId,
    authorization_id: AuthorizationId,
    body: Annotated[AuthorizationIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[AuthorizationOut]:
    resource = f"person/{participant_id}/authorization/{authorization_id}"
    with audit.track(caller, "coverage.authorization.update", resource, success_in_transaction=True):
        caller.require(Role.COORDINATOR)
        current = store.get_authorization(participant_id, authorization_id)
        if current is None:
            raise NotFound("no such authorization")
        require_if_match(if_match, current.version)
        # A replaced authorization starts its alerts afresh (e.g. units were added).
        record = _record(participant_id, authorization_id, body, current.version + 1)
        entry = audit.entry(caller, "coverage.authorization.update", resource, "success")
        store.save(record.to_attributes(), audit.transact_put(entry), expected_version=current.version)
        _reflag(store, participant_id)
    return Response(
        200, "application/json", _out(authorizations.Standing(record)), headers={"ETag": etag(record.version)}
    )
