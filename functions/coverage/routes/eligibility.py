"""Eligibility: coordinators check a plan with its payer (X12 270/271 through the clearinghouse);
participants read their own latest results; coordinators read the raw 270/271 pairs.

A participant never learns of another person's results (404). When the clearinghouse cannot
answer, the check answers 503 with Retry-After, writes no result, and the plan's last known
result stays readable, reported stale.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common import aws
from functions.common.api import AUTHENTICATED
from functions.common.auth import Principal, Role
from functions.common.errors import InvalidInput, NotFound
from functions.common.http import PROBLEM_JSON, Problem, problem_body, problem_response
from functions.common.idempotency import IDEMPOTENCY_HEADER, Outcome
from functions.common.models import ResourceId, utc_now
from functions.common.observability import logger
from functions.coverage.alerts import alerts_from_env
from functions.coverage.clearinghouse import ClearinghouseRejected, ClearinghouseUnavailable
from functions.coverage.deps import Audit, Caller, Eligibility, Payers, idempotently, settings
from functions.coverage.logic import eligibility
from functions.coverage.logic.eligibility import EligibilityList, EligibilityOut, X12Exchange

router = Router()  # type: ignore[no-untyped-call]
ParticipantId = Annotated[ResourceId, Path()]
PlanId = Annotated[ResourceId, Path()]
CheckId = Annotated[ResourceId, Path()]

_UNAVAILABLE: OpenAPIResponse = {
    "description": "The clearinghouse or payer cannot be reached; retry after the given seconds. "
    "The last known result stays readable (reported stale).",
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    "content": {PROBLEM_JSON: {"model": Problem}},
}


def _hidden_unless_coordinator(caller: Principal, participant_id: str) -> None:
    """Coordinators only: the participant themself is told so (403); anyone else learns nothing (404)."""
    if caller.is_coordinator:
        return
    if caller.person_id == participant_id:
        caller.require(Role.COORDINATOR)
    raise NotFound("no such plan")


def _unavailable(exc: ClearinghouseUnavailable, detail: str) -> Response[Any]:
    """The 503 problem with its Retry-After header (returned, not raised: the shared error
    mapping does not set headers)."""
    event = router.current_event
    return problem_response(
        problem_body(
            status=exc.status,
            title=exc.title,
            type_=exc.type,
            detail=detail,
            instance=event.path,
            request_id=(event.raw_event.get("requestContext") or {}).get("requestId"),
            retry_after=exc.retry_after,
        ),
        headers={"Retry-After": str(exc.retry_after)},
    )


@router.post(
    "/participants/<participant_id>/plans/<plan_id>/eligibility-checks",
    summary="Check a plan's eligibility and benefits with the payer (coordinators); Idempotency-Key honoured",
    description=(
        "Sends an X12 005010X279A1 270 for service types 30, MH, AI and A6 and answers with what the "
        "271 says. Payer rejections (member not found, invalid birth date, payer unavailable, ...) are "
        "results with status `rejected`, not errors. A self-pay plan, or one without payer id, member "
        "id or patient details, is refused (422, naming the plan fields)."
    ),
    tags=["coverage"],
    security=AUTHENTICATED,
    responses={
        201: {"description": "Checked", "content": {"application/json": {"model": EligibilityOut}}},
        502: {
            "description": "The clearinghouse refused the inquiry for a reason on the program's side "
            "(its credentials or ids): no result is written; retrying will not help until it is fixed",
            "content": {PROBLEM_JSON: {"model": Problem}},
        },
        503: _UNAVAILABLE,
    },
)
def check_eligibility(
    participant_id: ParticipantId,
    plan_id: PlanId,
    caller: Caller,
    store: Eligibility,
    payers: Payers,
    audit: Audit,
    idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=255)] = None,
) -> Response[Any]:
    resource = f"person/{participant_id}/plan/{plan_id}/eligibility"
    stale_hours = settings().eligibility_stale_hours
    had_result = False

    def produce() -> Outcome:
        nonlocal had_result
        plan, previous = store.plan_and_latest(participant_id, plan_id)
        if plan is None:
            raise NotFound("no such plan")
        missing = eligibility.missing_for_check(plan)
        if missing:
            raise InvalidInput(
                "this plan cannot be checked with a payer: " + ", ".join(e.field for e in missing),
                errors=missing,
            )
        had_result = previous is not None
        now = utc_now()
        check_id = eligibility.new_check_id()
        request = eligibility.build_request(
            plan,
            payers.provider,
            check_id=check_id,
            control_number=eligibility.new_control_number(),
            now=now,
        )
        try:
            answer = payers.ask(request)
        except (ClearinghouseUnavailable, ClearinghouseRejected):
            if previous is not None:
                store.mark_refresh_failed(participant_id, plan_id, now)
            raise
        write = eligibility.conclude(
            answer.result,
            plan,
            previous,
            check_id=check_id,
            checked_at=now,
            requested_by=caller.person_id,
            x12_270=answer.x12_270,
            x12_271=answer.x12_271,
            stale_hours=stale_hours,
            trace=answer.trace,
        )
        entry = audit.entry(caller, "coverage.eligibility.check", resource, "success")
        store.save_check(write, audit_put=audit.transact_put(entry))
        issue = eligibility.problem(write.record, previous)
        if issue:
            try:
                alerts_from_env(settings().event_bus_name, aws.client).eligibility(
                    participant_id=participant_id, plan_id=plan_id, problem=issue
                )
            except Exception as exc:  # noqa: BLE001 - the result is stored; the alert is best effort
                logger.warning("eligibility alert not sent", extra={"error": type(exc).__name__})
        out = eligibility.to_output(write.record, now=now, stale_hours=stale_hours, coordinator=True)
        return Outcome(201, out.model_dump(mode="json"))

    try:
        with audit.track(caller, "coverage.eligibility.check", resource, success_in_transaction=True):
            _hidden_unless_coordinator(caller, participant_id)
            return idempotently(
                caller,
                idempotency_key,
                "coverage.check_eligibility",
                {"participant_id": participant_id, "plan_id": plan_id},
                produce,
                router.lambda_context,
            )
    except ClearinghouseUnavailable as exc:
        return _unavailable(exc, _with_last_known(exc.detail, participant_id, had_result))
    except ClearinghouseRejected as exc:
        raise ClearinghouseRejected(_with_last_known(exc.detail, participant_id, had_result)) from None


def _with_last_known(detail: str, participant_id: str, had_result: bool) -> str:
    if had_result:
        detail += f"; the last known result stays readable at /participants/{participant_id}/eligibility"
    return detail


@router.get(
    "/participants/<participant_id>/eligibility",
    summary="The latest eligibility result of each of a participant's plans (coordinators; the "
    "participant themself)",
    description="Results older than the configured age, or whose refresh could not reach the payer, "
    "are `stale: true` with the reason.",
    tags=["coverage"],
    security=AUTHENTICATED,
)
def participant_eligibility(
    participant_id: ParticipantId, caller: Caller, store: Eligibility, audit: Audit
) -> EligibilityList:
    with audit.track(caller, "coverage.eligibility.read", f"person/{participant_id}/eligibility"):
        if not eligibility.may_read(caller.person_id, caller.is_coordinator, participant_id):
            raise NotFound("no such participant")
        records = eligibility.ordered(store.latest_of(participant_id))
    now, stale_hours = utc_now(), settings().eligibility_stale_hours
    return EligibilityList(
        items=[
            eligibility.to_output(r, now=now, stale_hours=stale_hours, coordinator=caller.is_coordinator)
            for r in records
        ]
    )


@router.get(
    "/participants/<participant_id>/plans/<plan_id>/eligibility-checks/<check_id>/x12",
    summary="The raw X12 270/271 pair of one eligibility check (coordinators)",
    tags=["coverage"],
    security=AUTHENTICATED,
)
def eligibility_x12(
    participant_id: ParticipantId,
    plan_id: PlanId,
    check_id: CheckId,
    caller: Caller,
    store: Eligibility,
    audit: Audit,
) -> X12Exchange:
    resource = f"person/{participant_id}/plan/{plan_id}/eligibility/{check_id}/x12"
    with audit.track(caller, "coverage.eligibility.x12.read", resource):
        if not caller.is_coordinator:
            raise NotFound("no such eligibility check")
        exchange = store.exchange(participant_id, plan_id, check_id)
        if exchange is None:
            raise NotFound("no such eligibility check")
    return exchange
