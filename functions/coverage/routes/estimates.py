"""Estimates: what a participant can expect to owe for a session, a week, or a whole program.
The participant themself and coordinators only (a partner never sees the other's costs); a
coordinator who may not see the participant's 42 CFR Part 2 services gets them as restricted
lines (`logic/restricted.py`)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.common.api import AUTHENTICATED
from functions.common.auth import Principal, Role
from functions.common.errors import BadRequest, FieldError, InvalidInput, NotFound
from functions.common.models import ISO_WEEK_PATTERN, ResourceId, utc_now
from functions.common.part2 import NOTICE_HEADER_DOC, Part2Policy, notice_headers
from functions.coverage import keys
from functions.coverage.billing import BillingReference
from functions.coverage.deps import Audit, Caller, Part2, Store, part2_reader, settings
from functions.coverage.logic import authorizations, estimates, restricted, summary
from functions.coverage.logic import gfe as gfe_logic
from functions.coverage.logic.money import to_dollars
from functions.coverage.logic.terms import TermSource
from functions.coverage.models import (
    CategorySummaryOut,
    CoverageSummaryOut,
    EstimateLineOut,
    EstimateOut,
    EstimatePartOut,
    EstimateSourceOut,
    EstimateTotals,
    GfeItemOut,
    GfeProviderOut,
    GoodFaithEstimateOut,
    PricedByOut,
    SourceDocumentOut,
    SourceLineOut,
    TermSourceOut,
    UndeterminedOut,
    WeekTotalsOut,
)
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import PlanType

router = Router()  # type: ignore[no-untyped-call]
ParticipantId = Annotated[ResourceId, Path()]
WeekQuery = Annotated[
    str | None,
    Query(pattern=ISO_WEEK_PATTERN, description="ISO week, e.g. 2026-W49; default: this week"),
]
REFERENCE_TTL_SECONDS = 300
_reference: tuple[float, BillingReference] | None = None


def billing_reference(store: CoverageStore) -> BillingReference:
    """Fee schedules and the chargemaster, for a participant without a copy of their own
    (`billing.prices_item`: written with their first plan or first session): read once per
    container and kept five minutes (the container that changed them forgets them at once)."""
    global _reference
    now = time.monotonic()
    if _reference is None or now - _reference[0] > REFERENCE_TTL_SECONDS:
        _reference = (now, BillingReference.from_items(store.billing_items()))
    return _reference[1]


def forget_reference() -> None:
    global _reference
    _reference = None


_ESTIMATE_RESPONSE: dict[int, OpenAPIResponse] = {
    200: {
        "description": "The estimate; Part 2 services the caller may not see are restricted lines",
        "headers": NOTICE_HEADER_DOC,
        "content": {"application/json": {"model": EstimateOut}},
    }
}


def _may_see(caller: Principal, participant_id: str) -> None:
    if caller.role is not Role.COORDINATOR and caller.person_id != participant_id:
        raise NotFound("no such participant")


@dataclass(frozen=True)
class _View:
    """What one reader sees of an estimate's lines."""

    reader: restricted.Reader
    policy: Part2Policy

    def hides(self, line: estimates.EstimateLine) -> bool:
        return not self.reader.full and restricted.is_part2_line(line, self.policy)

    def notice(self, lines: Iterable[estimates.EstimateLine]) -> str | None:
        return self.reader.notice(any(restricted.is_part2_line(line, self.policy) for line in lines))


def _restricted_line(line: estimates.EstimateLine) -> EstimateLineOut:
    """A Part 2 line for a reader who may not see it: time, status and amounts only."""
    item = line.item
    return EstimateLineOut(
        day=line.day,
        restricted=True,
        sources=[
            EstimateSourceOut(id=None, type=None, start=s.start, end=s.end, status=s.status)
            for s in line.sources
        ],
        **_amounts(line),
        parts=[
            EstimatePartOut(kind=p.kind.value, amount=_dollars(p.cents), reason=restricted.RESTRICTED)
            for p in (item.parts if item else ())
        ],
    )


def _amounts(line: estimates.EstimateLine) -> dict[str, str]:
    """A line's charge, allowed amount and shares (zero for one billed elsewhere)."""
    item = line.item
    return {
        "charge": _dollars(item.service.charge if item else 0),
        "allowed": _dollars(item.allowed if item else 0),
        "plan_pays": _dollars(item.plan_pays if item else 0),
        "you_pay": _dollars(item.participant_pays if item else 0),
    }


def _shown(body: EstimateOut) -> Response[EstimateOut]:
    return Response(
        200, "application/json", body, headers=notice_headers(body.redisclosure_notice is not None)
    )


def _monday(week: str) -> date:
    year, number = week.split("-W")
    try:
        return date.fromisocalendar(int(year), int(number), 1)
    except ValueError as exc:
        raise BadRequest("not an ISO week", errors=[FieldError("query.week", "no such week")]) from exc


def _this_week(zone: ZoneInfo) -> str:
    year, number, _ = utc_now().astimezone(zone).isocalendar()
    return f"{year}-W{number:02d}"


def _dollars(cents: int) -> str:
    return str(to_dollars(cents))


def _flags(coverage: estimates.Coverage, result: estimates.Estimate, today: date) -> dict[str, list[str]]:
    """Prior-authorization flags of the estimate's lines (by their first source). Per diem,
    a day's lines draw as the day (`DAY#<date>`, as its claim and booked use do)."""
    if not coverage.authorizations:
        return {}

    def drawn_as(line: estimates.EstimateLine) -> str:
        return keys.day_source(line.day) if result.per_diem else line.sources[0].source_id

    lines = [
        (
            drawn_as(line),
            line.day,
            line.item.service.code,
            line.item.service.units,
            all(s.status == "attended" for s in line.sources),
        )
        for line in result.lines
        if line.item
    ]
    found = authorizations.estimate_flags(
        coverage.authorizations, coverage.claims, coverage.booked, lines, today=today, payers=coverage.payers
    )
    return {
        line.sources[0].source_id: found[drawn_as(line)] for line in result.lines if drawn_as(line) in found
    }


def _out(
    participant_id: str,
    scope: str,
    week: str,
    result: estimates.Estimate,
    lines: tuple[estimates.EstimateLine, ...],
    *,
    view: _View,
    weeks: int = 1,
    by_week: list[WeekTotalsOut] | None = None,
    flags: dict[str, list[str]] | None = None,
) -> EstimateOut:
    rendered = []
    for line in lines:
        if view.hides(line):
            rendered.append(_restricted_line(line))
            continue
        item = line.item
        rendered.append(
            EstimateLineOut(
                day=line.day,
                sources=[
                    EstimateSourceOut(id=s.source_id, type=s.kind, start=s.start, end=s.end, status=s.status)
                    for s in line.sources
                ],
                code=item.service.code.value if item else None,
                units=item.service.units if item else None,
                **_amounts(line),
                parts=[
                    EstimatePartOut(kind=p.kind.value, amount=_dollars(p.cents), reason=p.reason)
                    for p in (item.parts if item else ())
                ],
                note=line.note,
                authorization_flags=(flags or {}).get(line.sources[0].source_id, []),
                priced_by=[
                    PricedByOut(term=term, line=source.line, segment=source.segment)
                    for term, source in line.priced_by
                ],
                undetermined=[UndeterminedOut(term=term, reason=why) for term, why in line.undetermined],
                term_sources=[_term_source(source) for source in line.term_sources],
            )
        )
    return EstimateOut(
        participant_id=participant_id,
        scope=scope,
        week=week,
        weeks=weeks,
        basis=result.basis,
        plan_id=result.plan_id,
        network=result.network.value if result.network else None,
        lines=rendered,
        totals=_totals(lines),
        by_week=by_week or [],
        notes=list(result.notes),
        redisclosure_notice=view.notice(lines),
    )


def _term_source(source: TermSource) -> TermSourceOut:
    document = source.document
    return TermSourceOut.model_validate(
        {
            "part": source.part,
            "source": source.source,
            "detail": source.detail,
            "lines": [SourceLineOut(line=line.line, segment=line.segment) for line in source.lines],
            "document": SourceDocumentOut(
                name=document.name,
                version=document.version,
                issued_on=document.issued_on,
                reference=document.reference,
            )
            if document
            else None,
        }
    )


def _totals(lines: tuple[estimates.EstimateLine, ...]) -> EstimateTotals:
    items = [line.item for line in lines if line.item]
    return EstimateTotals(
        charge=_dollars(sum(i.service.charge for i in items)),
        plan_pays=_dollars(sum(i.plan_pays for i in items)),
        you_pay=_dollars(sum(i.participant_pays for i in items)),
    )


def _template(services: list[estimates.WeekService]) -> None:
    """A program is the booked week (the couple's week plan, made from the treatment plans)
    repeated: a week with nothing booked has nothing to repeat."""
    if not services:
        raise InvalidInput(
            "the week has nothing booked to repeat; name a week with sessions",
            errors=[FieldError("query.week", "nothing booked that week")],
        )


def _earlier(
    store: CoverageStore, participant_id: str, coverage: estimates.Coverage, week: str
) -> list[estimates.WeekService]:
    """The participant's services of the weeks between their plan's 271 and `week`, when the
    271 states a visit limit (what those weeks will use of it): one Query a week, at most
    `estimates.EARLIER_WEEKS`; none without a limit."""
    monday = _monday(week)
    since = estimates.limit_counted_since(coverage, monday)
    if since is None:
        return []
    return [
        service
        for earlier in estimates.earlier_weeks(since, monday)
        for service in estimates.week_services(
            participant_id,
            store.schedule_week(participant_id, earlier),
            identified_patients=coverage.identified_patients,
        )
    ]


def _week_estimate(
    store: CoverageStore, participant_id: str, week: str | None
) -> tuple[str, ZoneInfo, list[estimates.WeekService], estimates.Coverage, BillingReference]:
    """Two reads: the participant's coverage partition and their week in the schedule index."""
    coverage = estimates.Coverage.from_items(participant_id, store.person_items(participant_id))
    program_zone = ZoneInfo(settings().program_time_zone)
    week = week or _this_week(program_zone)
    _monday(week)
    items = store.schedule_week(participant_id, week)
    zones = [str(i["time_zone"]) for i in items if i.get("entity") == "SESSION_MEMBER" and i.get("time_zone")]
    zone = ZoneInfo(zones[0]) if zones else program_zone
    services = estimates.week_services(
        participant_id, items, identified_patients=coverage.identified_patients
    )
    return week, zone, services, coverage, coverage.reference or billing_reference(store)


@router.get(
    "/participants/<participant_id>/estimates/week",
    summary="What the participant can expect to owe for an ISO week, itemised (self, coordinators)",
    tags=["estimates"],
    security=AUTHENTICATED,
    responses=_ESTIMATE_RESPONSE,
)
def week_estimate(
    participant_id: ParticipantId,
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    week: WeekQuery = None,
) -> Response[EstimateOut]:
    with audit.track(caller, "coverage.estimate.read", f"person/{participant_id}/estimate"):
        _may_see(caller, participant_id)
        week, zone, services, coverage, reference = _week_estimate(store, participant_id, week)
        view = _View(part2_reader(caller, participant_id, coverage, part2), part2)
        result = estimates.estimate(
            participant_id,
            services,
            coverage,
            reference,
            zone=zone,
            on=_monday(week),
            earlier=_earlier(store, participant_id, coverage, week),
        )
        flags = _flags(coverage, result, utc_now().astimezone(zone).date())
    return _shown(_out(participant_id, "week", week, result, result.lines, view=view, flags=flags))


@router.get(
    "/participants/<participant_id>/sessions/<session_id>/estimate",
    summary="What one session (or, on a per-diem plan, its day) will cost, after the week's earlier ones",
    tags=["estimates"],
    security=AUTHENTICATED,
    responses=_ESTIMATE_RESPONSE,
)
def session_estimate(
    participant_id: ParticipantId,
    session_id: Annotated[str, Path(max_length=64)],
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    week: Annotated[str, Query(pattern=ISO_WEEK_PATTERN, description="The session's ISO week")],
) -> Response[EstimateOut]:
    with audit.track(caller, "coverage.estimate.read", f"person/{participant_id}/estimate/{session_id}"):
        _may_see(caller, participant_id)
        week, zone, services, coverage, reference = _week_estimate(store, participant_id, week)
        view = _View(part2_reader(caller, participant_id, coverage, part2), part2)
        asked = [s for s in services if s.source_id == session_id]
        # A Part 2 session is not there for a reader who may not see it (as on the schedule).
        if not asked or (not view.reader.full and part2.is_part2(asked[0].kind)):
            raise NotFound("no such session in that week")
        result = estimates.estimate(
            participant_id,
            services,
            coverage,
            reference,
            zone=zone,
            on=_monday(week),
            earlier=_earlier(store, participant_id, coverage, week),
        )
        lines = tuple(line for line in result.lines if any(s.source_id == session_id for s in line.sources))
        flags = _flags(coverage, result, utc_now().astimezone(zone).date())
    return _shown(_out(participant_id, "session", week, result, lines, view=view, flags=flags))


@router.get(
    "/participants/<participant_id>/estimates/program",
    summary="A whole program: the week's schedule repeated for N weeks, accumulators carried along",
    tags=["estimates"],
    security=AUTHENTICATED,
    responses=_ESTIMATE_RESPONSE,
)
def program_estimate(
    participant_id: ParticipantId,
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    weeks: Annotated[int, Query(ge=1, le=26, description="How many weeks the program runs")] = 8,
    week: WeekQuery = None,
) -> Response[EstimateOut]:
    with audit.track(caller, "coverage.estimate.read", f"person/{participant_id}/estimate/program"):
        _may_see(caller, participant_id)
        week, zone, services, coverage, reference = _week_estimate(store, participant_id, week)
        view = _View(part2_reader(caller, participant_id, coverage, part2), part2)
        _template(services)
        repeated = estimates.shifted(services, weeks)
        result = estimates.estimate(
            participant_id,
            repeated,
            coverage,
            reference,
            zone=zone,
            on=_monday(week),
            earlier=_earlier(store, participant_id, coverage, week),
        )
        monday = datetime.combine(_monday(week), clock(), tzinfo=zone)
        by_week = []
        for n in range(weeks):
            start, end = monday + timedelta(weeks=n), monday + timedelta(weeks=n + 1)
            lines = tuple(line for line in result.lines if start <= line.sources[0].start < end)
            year, number, _ = start.date().isocalendar()
            by_week.append(WeekTotalsOut(week=f"{year}-W{number:02d}", **_totals(lines).model_dump()))
    return _shown(
        _out(participant_id, "program", week, result, result.lines, view=view, weeks=weeks, by_week=by_week)
    )


@router.get(
    "/participants/<participant_id>/coverage-summary",
    summary="Covered, not covered or unknown per benefit category, with the expected share",
    tags=["estimates"],
    security=AUTHENTICATED,
)
def coverage_summary(
    participant_id: ParticipantId, caller: Caller, store: Store, audit: Audit
) -> CoverageSummaryOut:
    with audit.track(caller, "coverage.summary.read", f"person/{participant_id}/coverage-summary"):
        _may_see(caller, participant_id)
        coverage = estimates.Coverage.from_items(participant_id, store.person_items(participant_id))
        basis, plan_id, items = summary.summarise(
            coverage,
            coverage.reference or billing_reference(store),
            on=utc_now().astimezone(ZoneInfo(settings().program_time_zone)).date(),
        )
    return CoverageSummaryOut(
        participant_id=participant_id,
        basis=basis,
        plan_id=plan_id,
        categories=[CategorySummaryOut(**vars(item)) for item in items],
    )


@router.get(
    "/participants/<participant_id>/good-faith-estimate",
    summary="The Good Faith Estimate of a self-pay or uninsured participant's program (JSON, or printable "
    "HTML with Accept: text/html)",
    tags=["estimates"],
    security=AUTHENTICATED,
    responses={
        200: {
            "description": "The Good Faith Estimate; Part 2 services the caller may not see are one "
            "restricted item",
            "headers": NOTICE_HEADER_DOC,
            "content": {
                "application/json": {"model": GoodFaithEstimateOut},
                "text/html": {"schema": {"type": "string"}},
            },
        }
    },
)
def good_faith_estimate(
    participant_id: ParticipantId,
    caller: Caller,
    store: Store,
    audit: Audit,
    part2: Part2,
    weeks: Annotated[int, Query(ge=1, le=26, description="How many weeks the program runs")] = 8,
    week: WeekQuery = None,
) -> Response[Any]:
    with audit.track(caller, "coverage.gfe.read", f"person/{participant_id}/good-faith-estimate"):
        _may_see(caller, participant_id)
        week, zone, services, coverage, reference = _week_estimate(store, participant_id, week)
        view = _View(part2_reader(caller, participant_id, coverage, part2), part2)
        _template(services)
        today = utc_now().astimezone(zone).date()
        plan = coverage.plan_on(today)
        if plan is not None and plan.plan_type is not PlanType.SELF_PAY:
            raise InvalidInput(
                "the participant has insurance in force: see the estimates instead",
                errors=[FieldError("path.participant_id", "insured, not self-pay")],
            )
        if reference.chargemaster is None:
            raise NotFound("the program has no prices yet")
        uninsured = estimates.Coverage(participant_id, [], {})
        program = estimates.estimate(
            participant_id, estimates.shifted(services, weeks), uninsured, reference, zone=zone, on=today
        )
        config = settings()
        gfe = gfe_logic.good_faith_estimate(
            program,
            reference.chargemaster.chargemaster(),
            provider=gfe_logic.Provider(
                config.provider_name,
                config.provider_npi,
                config.provider_tin,
                config.provider_address,
                config.provider_phone,
            ),
            patient_name=f"{plan.patient.first_name} {plan.patient.last_name}"
            if plan and plan.patient
            else None,
            patient_birth_date=plan.patient.birth_date if plan and plan.patient else None,
            issued_on=today,
            weeks=weeks,
            restricted=view.hides,
            notice=view.notice(program.lines),
        )
    headers = notice_headers(gfe.notice is not None)
    accept = (router.current_event.headers or {}).get("accept") or (router.current_event.headers or {}).get(
        "Accept", ""
    )
    if "text/html" in accept:
        return Response(200, "text/html; charset=utf-8", gfe_logic.render_html(gfe), headers=headers)
    body = GoodFaithEstimateOut(
        participant_id=participant_id,
        patient_name=gfe.patient_name,
        patient_birth_date=gfe.patient_birth_date,
        issued_on=gfe.issued_on,
        first_day=gfe.first_day,
        last_day=gfe.last_day,
        weeks=gfe.weeks,
        provider=GfeProviderOut(**vars(gfe.provider)),
        items=[
            GfeItemOut(
                code=i.code.value if i.code else None,
                description=i.description,
                quantity=i.quantity,
                unit_price=_dollars(i.unit_price) if i.unit_price is not None else None,
                expected_charge=_dollars(i.total),
                dates=list(i.dates),
            )
            for i in gfe.items
        ],
        total_expected_charges=_dollars(gfe.total),
        disclaimers=list(gfe.disclaimers),
        redisclosure_notice=gfe.notice,
    )
    return Response(200, "application/json", body, headers=headers)
