"""A plan's confirmed terms: what coordinators read in its Summary of Benefits and Coverage
and a 271 cannot say (coordinators only; they override the 271 in every estimate)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import FieldError, InvalidInput, NotFound, PreconditionFailed
from functions.common.http import etag, require_if_match
from functions.common.models import ResourceId, utc_now
from functions.coverage.deps import Audit, Caller, Store, rules
from functions.coverage.logic import terms
from functions.coverage.logic.terms import ConfirmedTermsIn, ConfirmedTermsOut
from functions.coverage.vocabulary import PlanType

router = Router()  # type: ignore[no-untyped-call]
ParticipantId = Annotated[ResourceId, Path()]
PlanId = Annotated[ResourceId, Path()]
PATH = "/participants/<participant_id>/plans/<plan_id>/confirmed-terms"
_TERMS: dict[int, OpenAPIResponse] = {
    200: {"description": "The confirmed terms", "content": {"application/json": {"model": ConfirmedTermsOut}}}
}


def _response(record: terms.ConfirmedTermsRecord, status: int = 200) -> Response[ConfirmedTermsOut]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=terms.to_output(record),
        headers={"ETag": etag(record.version)},
    )


@router.get(
    PATH,
    summary="A plan's terms confirmed from its Summary of Benefits and Coverage (coordinators)",
    tags=["coverage"],
    security=AUTHENTICATED,
    responses=_TERMS,
)
@rules("coverage.terms.read", "person/{participant_id}/plan/{plan_id}/terms", allow={Role.COORDINATOR})
def get_confirmed_terms(
    participant_id: ParticipantId, plan_id: PlanId, caller: Caller, store: Store, audit: Audit
) -> Response[ConfirmedTermsOut]:
    record = store.confirmed_terms(participant_id, plan_id)
    if record is None:
        raise NotFound("no confirmed terms for this plan")
    return _response(record)


@router.put(
    PATH,
    summary="Record (or replace) a plan's terms confirmed from its SBC (coordinators); If-Match "
    "required to replace",
    tags=["coverage"],
    security=AUTHENTICATED,
    responses={
        **_TERMS,
        201: {"description": "Recorded", "content": {"application/json": {"model": ConfirmedTermsOut}}},
    },
)
@rules(
    "coverage.terms.update",
    "person/{participant_id}/plan/{plan_id}/terms",
    in_transaction=True,
    allow={Role.COORDINATOR},
)
def put_confirmed_terms(
    participant_id: ParticipantId,
    plan_id: PlanId,
    body: Annotated[ConfirmedTermsIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[ConfirmedTermsOut]:
    resource = f"person/{participant_id}/plan/{plan_id}/terms"
    plan, current = store.plan_and_terms(participant_id, plan_id)
    if plan is None:
        raise NotFound("no such plan")
    if plan.plan_type is PlanType.SELF_PAY:
        raise InvalidInput(
            "a self-pay plan has no terms to confirm",
            errors=[FieldError("path.plan_id", "a self-pay plan")],
        )
    if current is not None:
        require_if_match(if_match, current.version)
    elif if_match and if_match.strip() != "*":
        raise PreconditionFailed(
            "the plan has no confirmed terms yet: send none of If-Match to record them",
            errors=[FieldError("header.If-Match", "nothing to match")],
        )
    terms.check_terms(body)
    record = terms.record_from(
        body,
        person_id=participant_id,
        plan_id=plan_id,
        entered_by=caller.person_id,
        now=utc_now(),
        version=current.version + 1 if current else 1,
    )
    entry = audit.entry(caller, "coverage.terms.update", resource, "success")
    store.save(
        record.to_attributes(),
        audit.transact_put(entry),
        expected_version=current.version if current else None,
    )
    return _response(record, 200 if current else 201)
