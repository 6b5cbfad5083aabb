"""The nightly eligibility re-check: every plan whose latest result has gone stale is checked
with its payer again.

Due results are found through the coverage table's gsi1 (`gsi1pk = ELIG_DUE#<day>`, written
with each latest result), reading today's bucket and the `ELIGIBILITY_RECHECK_LOOKBACK_DAYS`
before it, never by Scan. One plan failing does not stop the run; an open circuit (the
clearinghouse is down) does: the rest stay due for the next run. A failed refresh marks the
latest result (read as stale) and puts it in today's bucket, so the next night tries again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.common import aws
from functions.common.audit import AuditEntry, AuditWriter, Outcome
from functions.common.config import load_settings
from functions.common.entry import background_entry
from functions.common.models import TimeZone, utc_now
from functions.common.observability import logger, metrics
from functions.coverage import auth_alerts
from functions.coverage.alerts import AlertSink, alerts_from_env
from functions.coverage.clearinghouse import (
    ClearinghouseRejected,
    ClearinghouseSettings,
    ClearinghouseUnavailable,
    PayerLink,
    payer_link,
)
from functions.coverage.eligibility_store import DueCheck, EligibilityStore
from functions.coverage.logic import eligibility
from functions.coverage.store import CoverageStore

RECHECK_ACTOR = "system/eligibility-recheck"
ACTION = "coverage.eligibility.check"


class RecheckSettings(ClearinghouseSettings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")
    audit_table: str = Field(alias="AUDIT_TABLE")
    eligibility_stale_hours: int = Field(default=72, ge=1, le=24 * 90, alias="ELIGIBILITY_STALE_HOURS")
    lookback_days: int = Field(default=14, ge=0, le=90, alias="ELIGIBILITY_RECHECK_LOOKBACK_DAYS")
    max_checks: int = Field(default=500, ge=1, le=5000, alias="ELIGIBILITY_RECHECK_MAX")
    program_time_zone: TimeZone = Field(default="America/Chicago", alias="PROGRAM_TIME_ZONE")
    event_bus_name: str | None = Field(default=None, alias="EVENT_BUS_NAME")


SETTINGS = RecheckSettings


@dataclass
class RecheckReport:
    due: int = 0
    checked: int = 0
    failed: int = 0
    skipped: int = 0
    stopped_early: bool = False


class SystemAudit:
    """Audit entries of the re-check itself (actor `system/eligibility-recheck`)."""

    def __init__(self, writer: AuditWriter, request_id: str) -> None:
        self.writer = writer
        self.request_id = request_id

    def entry(self, resource: str, outcome: Outcome) -> AuditEntry:
        return AuditEntry(
            entry_id=uuid.uuid4().hex,
            actor_id=RECHECK_ACTOR,
            actor_role="system",
            action=ACTION,
            resource=resource,
            at=datetime.now(UTC),
            request_id=self.request_id,
            outcome=outcome,
        )


def _resource(person_id: str, plan_id: str) -> str:
    return f"person/{person_id}/plan/{plan_id}/eligibility"


def recheck(
    store: EligibilityStore,
    link: PayerLink,
    audit: SystemAudit,
    *,
    now: datetime,
    stale_hours: int,
    lookback_days: int,
    limit: int,
    has_time: Callable[[], bool] = lambda: True,
    alerts: AlertSink | None = None,
) -> RecheckReport:
    """Check again every plan whose latest result is due by `now` (at most `limit`)."""
    report = RecheckReport()
    seen: set[tuple[str, str]] = set()
    for day in eligibility.recheck_days(now, lookback_days):
        for due in store.due(day, now, limit=limit):
            if (due.person_id, due.plan_id) in seen:
                continue
            seen.add((due.person_id, due.plan_id))
            report.due += 1
            if report.checked + report.failed >= limit or not has_time():
                report.stopped_early = True
                return report
            try:
                outcome = _recheck_one(
                    store, link, audit, due, now=now, stale_hours=stale_hours, alerts=alerts
                )
            except ClearinghouseRejected:
                # Refused: the program's set-up (credentials, ids) or this plan's 270 (a 999).
                # Logged and audited; the plan stays due, the others go on.
                report.failed += 1
                continue
            except ClearinghouseUnavailable as exc:
                report.failed += 1
                if exc.circuit_open:
                    logger.warning("eligibility re-check stopped: the clearinghouse circuit is open")
                    report.stopped_early = True
                    return report
                continue
            except Exception as exc:  # noqa: BLE001 - one plan's failure must not stop the run
                logger.error(
                    "eligibility re-check of one plan failed", extra={"error_type": type(exc).__name__}
                )
                audit.writer.record_entry(audit.entry(_resource(due.person_id, due.plan_id), "error"))
                report.failed += 1
                continue
            if outcome:
                report.checked += 1
            else:
                report.skipped += 1
    return report


def _recheck_one(
    store: EligibilityStore,
    link: PayerLink,
    audit: SystemAudit,
    due: DueCheck,
    *,
    now: datetime,
    stale_hours: int,
    alerts: AlertSink | None = None,
) -> bool:
    """Check one plan again; False when it is no longer due or can no longer be checked."""
    person_id, plan_id = due.person_id, due.plan_id
    plan, latest = store.plan_and_latest(person_id, plan_id)
    if plan is None or eligibility.missing_for_check(plan):
        store.drop_due(person_id, plan_id)
        return False
    if latest is None:
        return False
    failed_refresh = latest.refresh_failed_at is not None and latest.refresh_failed_at >= latest.checked_at
    due_at = eligibility.due_at(latest, stale_hours)
    if not failed_refresh and (due_at is None or due_at > now):
        return False  # checked again since it was found
    check_id = eligibility.new_check_id()
    request = eligibility.build_request(
        plan, link.provider, check_id=check_id, control_number=eligibility.new_control_number(), now=now
    )
    try:
        answer = link.ask(request)
    except (ClearinghouseUnavailable, ClearinghouseRejected):
        store.mark_refresh_failed(person_id, plan_id, now)
        audit.writer.record_entry(audit.entry(_resource(person_id, plan_id), "error"))
        raise
    write = eligibility.conclude(
        answer.result,
        plan,
        latest,
        check_id=check_id,
        checked_at=now,
        requested_by=RECHECK_ACTOR,
        x12_270=answer.x12_270,
        x12_271=answer.x12_271,
        stale_hours=stale_hours,
        source="recheck",
        trace=answer.trace,
    )
    entry = audit.entry(_resource(person_id, plan_id), "success")
    store.save_check(write, audit_put=audit.writer.transact_put(entry))
    issue = eligibility.problem(write.record, latest)
    if issue and alerts is not None:
        alerts.eligibility(participant_id=person_id, plan_id=plan_id, problem=issue)
    return True


def _work(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config = load_settings(RecheckSettings)
    dynamodb = aws.client("dynamodb")
    store = EligibilityStore(config.coverage_table, dynamodb)
    request_id = str(getattr(context, "aws_request_id", "") or "recheck")
    audit = SystemAudit(AuditWriter(config.audit_table, dynamodb, request_id), request_id)
    margin_ms = int(config.timeout_seconds * 1000) + 5_000
    report = recheck(
        store,
        payer_link(),
        audit,
        now=utc_now(),
        stale_hours=config.eligibility_stale_hours,
        lookback_days=config.lookback_days,
        limit=config.max_checks,
        has_time=lambda: context.get_remaining_time_in_millis() > margin_ms,
        alerts=alerts_from_env(config.event_bus_name, aws.client),
    )
    alerts = auth_alerts.expiry_sweep(
        CoverageStore(config.coverage_table, dynamodb),
        alerts_from_env(config.event_bus_name, aws.client),
        utc_now().astimezone(ZoneInfo(config.program_time_zone)).date(),
    )
    metrics.add_metric(name="AuthorizationAlerts", unit="Count", value=alerts)
    metrics.add_metric(name="EligibilityRechecked", unit="Count", value=report.checked)
    metrics.add_metric(name="EligibilityRecheckFailures", unit="Count", value=report.failed)
    logger.info("eligibility re-check done", extra=asdict(report))
    return asdict(report)


lambda_handler = background_entry("coverage", _work)
