"""Plans: a participant reads their own (member ids masked); coordinators record and read
every plan in full."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common.api import AUTHENTICATED
from functions.common.auth import Role
from functions.common.errors import NotFound
from functions.common.http import etag, require_if_match
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import ResourceId, utc_now
from functions.common.observability import logger
from functions.coverage import prices
from functions.coverage.deps import Audit, Caller, Store, require_participant, rules
from functions.coverage.logic import plans
from functions.coverage.models import PlanDetail, PlanDetailList, PlanIn, PlanList
from functions.coverage.store import CoverageStore

router = Router()  # type: ignore[no-untyped-call]
ParticipantId = Annotated[ResourceId, Path()]
PlanId = Annotated[ResourceId, Path()]
_DETAIL: dict[int, OpenAPIResponse] = {
    200: {"description": "The plan", "content": {"application/json": {"model": PlanDetail}}}
}


def _copy_prices(store: CoverageStore, participant_id: str) -> None:
    """The participant's estimates price with their own copy of the prices. Best effort: the
    plan is saved (a failure here must not fail the request, whose retry would record the
    plan twice); without a copy their estimates read the program's prices on the side, and
    their first booking makes one."""
    try:
        prices.copy_for(store, participant_id)
    except Exception as exc:  # noqa: BLE001
        logger.warning("price copy not written", extra={"error": type(exc).__name__})


def _detail_response(detail: PlanDetail, version: int, status: int = 200) -> Response[PlanDetail]:
    return Response(
        status_code=status, content_type="application/json", body=detail, headers={"ETag": etag(version)}
    )


@router.get(
    "/me/coverage",
    summary="The caller's own insurance plans (member ids shown by their last four characters)",
    tags=["coverage"],
    security=AUTHENTICATED,
)
@rules("coverage.plans.read", "person/{caller.person_id}/coverage")
def my_plans(caller: Caller, store: Store, audit: Audit) -> PlanList:
    records = plans.ordered(store.plans_of(caller.person_id), utc_now().date())
    return PlanList(items=[plans.to_output(r) for r in records])


@router.get(
    "/participants/<participant_id>/plans",
    summary="A participant's plans in full (coordinators)",
    tags=["coverage"],
    security=AUTHENTICATED,
)
@rules("coverage.plans.read", "person/{participant_id}/coverage", allow={Role.COORDINATOR})
def participant_plans(
    participant_id: ParticipantId, caller: Caller, store: Store, audit: Audit
) -> PlanDetailList:
    records = plans.ordered(store.plans_of(participant_id), utc_now().date())
    return PlanDetailList(items=[plans.to_detail(r) for r in records])


@router.post(
    "/participants/<participant_id>/plans",
    summary="Record a participant's plan (coordinators); Idempotency-Key honoured",
    tags=["coverage"],
    security=AUTHENTICATED,
    responses={201: {"description": "Recorded", "content": {"application/json": {"model": PlanDetail}}}},
)
@rules(
    "coverage.plan.create",
    "person/{participant_id}/coverage",
    in_transaction=True,
    idempotent="coverage.create_plan",
    allow={Role.COORDINATOR},
)
def create_plan(
    participant_id: ParticipantId,
    body: Annotated[PlanIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Outcome:
    require_participant(store, participant_id)
    plans.check_plan(body)
    record = plans.record_from(body, person_id=participant_id, plan_id=plans.new_plan_id(), now=utc_now())
    resource = f"person/{participant_id}/plan/{record.plan_id}"
    entry = audit.entry(caller, "coverage.plan.create", resource, "success")
    store.save(record.to_attributes(), audit.transact_put(entry), expected_version=None)
    _copy_prices(store, participant_id)
    return Outcome(
        201,
        plans.to_detail(record).model_dump(mode="json"),
        {
            "ETag": etag(record.version),
            "Location": f"/participants/{participant_id}/plans/{record.plan_id}",
        },
    )


@router.get(
    "/participants/<participant_id>/plans/<plan_id>",
    summary="One plan in full (coordinators)",
    tags=["coverage"],
    security=AUTHENTICATED,
    responses=_DETAIL,
)
@rules("coverage.plan.read", "person/{participant_id}/plan/{plan_id}", allow={Role.COORDINATOR})
def get_plan(
    participant_id: ParticipantId, plan_id: PlanId, caller: Caller, store: Store, audit: Audit
) -> Response[PlanDetail]:
    record = store.get_plan(participant_id, plan_id)
    if record is None:
        raise NotFound("no such plan")
    return _detail_response(plans.to_detail(record), record.version)


@router.put(
    "/participants/<participant_id>/plans/<plan_id>",
    summary="Replace a plan (coordinators); If-Match required",
    tags=["coverage"],
    security=AUTHENTICATED,
    responses=_DETAIL,
)
@rules(
    "coverage.plan.update",
    "person/{participant_id}/plan/{plan_id}",
    in_transaction=True,
    allow={Role.COORDINATOR},
)
def replace_plan(
    participant_id: ParticipantId,
    plan_id: PlanId,
    body: Annotated[PlanIn, Body()],
    caller: Caller,
    store: Store,
    audit: Audit,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=256)] = None,
) -> Response[PlanDetail]:
    resource = f"person/{participant_id}/plan/{plan_id}"
    current = store.get_plan(participant_id, plan_id)
    if current is None:
        raise NotFound("no such plan")
    require_if_match(if_match, current.version)
    plans.check_plan(body)
    record = plans.record_from(
        body, person_id=participant_id, plan_id=plan_id, now=utc_now(), version=current.version + 1
    )
    entry = audit.entry(caller, "coverage.plan.update", resource, "success")
    store.save(record.to_attributes(), audit.transact_put(entry), expected_version=current.version)
    _copy_prices(store, participant_id)
    return _detail_response(plans.to_detail(record), record.version)
