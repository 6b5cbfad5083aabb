"""The program's billing reference data: payers' fee schedules and the chargemaster
(coordinators). Estimates price with them."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path

from functions.common import aws
from functions.common.api import AUTHENTICATED
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, InvalidInput, NotFound
from functions.common.http import etag, require_if_match
from functions.common.models import utc_now
from functions.common.observability import logger
from functions.coverage import prices
from functions.coverage.billing import (
    ChargemasterIn,
    ChargemasterOut,
    ChargemasterRecord,
    FeeScheduleIn,
    FeeScheduleOut,
    FeeScheduleRecord,
)
from functions.coverage.deps import Audit, Caller, Store, settings
from functions.coverage.models import CoupleBillingIn, CoupleBillingOut
from functions.coverage.routes.estimates import forget_reference
from functions.coverage.store import CoverageStore

router = Router()  # type: ignore[no-untyped-call]


def _prices_changed(store: CoverageStore) -> None:
    """The reference changed: this container forgets its cached copy, and every
    participant's copy is rewritten (through the bus; at once if the bus is unavailable, so
    that no estimate keeps the old prices)."""
    forget_reference()
    bus = settings().event_bus_name
    try:
        prices.announce_change(store, bus, aws.client("events") if bus else None)
    except Exception as exc:  # noqa: BLE001 - the change is saved; its copies follow either way
        logger.warning("prices change not announced; copying at once", extra={"error": type(exc).__name__})
        try:
            prices.rewrite_all(store)
        except Exception as again:  # noqa: BLE001 - saved; the copies catch up with the next change
            logger.error("participants' price copies not rewritten", extra={"error": type(again).__name__})


PayerId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,49}$")]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=256)]


def _next_version(current: FeeScheduleRecord | ChargemasterRecord | None, if_match: str | None) -> int:
    """Creating needs no If-Match; replacing needs the ETag of the version read."""
    if current is None:
        return 1
    require_if_match(if_match, current.version)
    return current.version + 1


def _save(
    caller: Principal,
    store: CoverageStore,
    audit: AuditWriter,
    action: str,
    resource: str,
    record: FeeScheduleRecord | ChargemasterRecord,
    current: FeeScheduleRecord | ChargemasterRecord | None,
) -> None:
    """Save a fee schedule or the chargemaster with its audit entry, then have every
    participant's copy of the prices follow."""
    entry = audit.entry(caller, action, resource, "success")
    store.save(
        record.to_attributes(),
        audit.transact_put(entry),
        expected_version=current.version if current else None,
    )
    _prices_changed(store)


def _reply(record: FeeScheduleRecord | ChargemasterRecord) -> Response[Any]:
    return Response(200, "application/json", record.out(), headers={"ETag": etag(record.version)})


@router.get(
    "/billing/fee-schedules/<payer_id>",
    summary="A payer's fee schedule and billing model (coordinators)",
    tags=["billing"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "The fee schedule", "content": {"application/json": {"model": FeeScheduleOut}}}
    },
)
def get_fee_schedule(
    payer_id: PayerId, caller: Caller, store: Store, audit: Audit
) -> Response[FeeScheduleOut]:
    with audit.track(caller, "billing.fee_schedule.read", f"billing/fee-schedule/{payer_id}"):
        caller.require(Role.COORDINATOR)
        record = store.get_fee_schedule(payer_id)
        if record is None:
            raise NotFound("no fee schedule for that payer")
    return _reply(record)


@router.put(
    "/billing/fee-schedules/<payer_id>",
    summary="Set a payer's fee schedule (coordinators); If-Match to replace one, none to create",
    tags=["billing"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "The fee schedule", "content": {"application/json": {"model": FeeScheduleOut}}}
    },
)
def put_fee_schedule(
    payer_id: PayerId,
    body: Annotated[FeeScheduleIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: IfMatch = None,
) -> Response[FeeScheduleOut]:
    resource = f"billing/fee-schedule/{payer_id}"
    with audit.track(caller, "billing.fee_schedule.update", resource, success_in_transaction=True):
        caller.require(Role.COORDINATOR)
        current = store.get_fee_schedule(payer_id)
        record = FeeScheduleRecord.build(
            payer_id, body, now=utc_now(), version=_next_version(current, if_match)
        )
        _save(caller, store, audit, "billing.fee_schedule.update", resource, record, current)
    return _reply(record)


@router.get(
    "/billing/chargemaster",
    summary="The program's prices per code and self-pay cash prices (coordinators)",
    tags=["billing"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "The chargemaster", "content": {"application/json": {"model": ChargemasterOut}}}
    },
)
def get_chargemaster(caller: Caller, store: Store, audit: Audit) -> Response[ChargemasterOut]:
    with audit.track(caller, "billing.chargemaster.read", "billing/chargemaster"):
        caller.require(Role.COORDINATOR)
        record = store.get_chargemaster()
        if record is None:
            raise NotFound("no chargemaster yet")
    return _reply(record)


@router.put(
    "/billing/chargemaster",
    summary="Set the program's prices (coordinators); If-Match to replace, none to create",
    tags=["billing"],
    security=AUTHENTICATED,
    responses={
        200: {"description": "The chargemaster", "content": {"application/json": {"model": ChargemasterOut}}}
    },
)
def put_chargemaster(
    body: Annotated[ChargemasterIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: IfMatch = None,
) -> Response[ChargemasterOut]:
    with audit.track(
        caller, "billing.chargemaster.update", "billing/chargemaster", success_in_transaction=True
    ):
        caller.require(Role.COORDINATOR)
        current = store.get_chargemaster()
        record = ChargemasterRecord.build(body, now=utc_now(), version=_next_version(current, if_match))
        _save(caller, store, audit, "billing.chargemaster.update", "billing/chargemaster", record, current)
    return _reply(record)


@router.put(
    "/couples/<couple_id>/billing",
    summary="Choose the identified patient whose plan the couple's joint sessions bill (coordinators)",
    tags=["billing"],
    security=AUTHENTICATED,
)
def set_couple_billing(
    couple_id: Annotated[str, Path(pattern=r"^[a-z]{1,4}_[0-9a-z]{8,40}$")],
    body: Annotated[CoupleBillingIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
) -> CoupleBillingOut:
    resource = f"couple/{couple_id}/billing"
    with audit.track(caller, "billing.couple.update", resource, success_in_transaction=True):
        caller.require(Role.COORDINATOR)
        errors = []
        if body.partner_ids[0] == body.partner_ids[1]:
            errors.append(FieldError("body.partner_ids", "two different partners"))
        if body.identified_patient_id not in body.partner_ids:
            errors.append(FieldError("body.identified_patient_id", "one of the partners"))
        if errors:
            raise InvalidInput("the billing choice is not valid", errors=errors)
        partners = store.couple_partners(couple_id)
        if partners is None:
            raise NotFound("no such couple")
        if sorted(partners) != sorted(body.partner_ids):
            raise InvalidInput(
                "those are not this couple's partners",
                errors=[FieldError("body.partner_ids", "not this couple's partners")],
            )
        now = utc_now()
        entry = audit.entry(caller, "billing.couple.update", resource, "success")
        store.set_couple_billing(
            couple_id, body.partner_ids, body.identified_patient_id, now, audit.transact_put(entry)
        )
    return CoupleBillingOut(couple_id=couple_id, updated_at=now, **body.model_dump())
