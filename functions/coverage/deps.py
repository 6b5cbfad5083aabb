"""What the coverage routes are handed per request (Powertools `Depends` providers)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from pydantic import Field

from functions.common import aws
from functions.common.api import audit_writer
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, current_principal
from functions.common.config import ApiSettings, load_settings
from functions.common.errors import FieldError, NotFound
from functions.common.idempotency import bound_to
from functions.common.models import TimeZone, utc_now
from functions.common.part2 import Part2Policy, Part2Settings
from functions.common.route_rules import declared
from functions.coverage.clearinghouse import PayerLink, payer_link
from functions.coverage.eligibility_store import EligibilityStore
from functions.coverage.logic import restricted
from functions.coverage.logic.estimates import Coverage
from functions.coverage.store import CoverageStore


class CoverageSettings(ApiSettings, Part2Settings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")
    program_time_zone: TimeZone = Field(default="America/Chicago", alias="PROGRAM_TIME_ZONE")
    provider_name: str = Field(default="TANDEM BEHAVIORAL HEALTH", max_length=60, alias="PROVIDER_NAME")
    provider_npi: str = Field(default="1234567893", pattern=r"^\d{10}$", alias="PROVIDER_NPI")
    provider_tin: str = Field(default="12-3456789", pattern=r"^\d{2}-\d{7}$", alias="PROVIDER_TIN")
    provider_address: str = Field(
        default="100 Congress Ave, Suite 400, Austin, TX 78701", max_length=200, alias="PROVIDER_ADDRESS"
    )
    provider_phone: str = Field(default="+1 512 555 0100", max_length=40, alias="PROVIDER_PHONE")
    event_bus_name: str | None = Field(default=None, alias="EVENT_BUS_NAME")
    eligibility_stale_hours: int = Field(default=72, ge=1, le=24 * 90, alias="ELIGIBILITY_STALE_HOURS")


def require_participant(store: CoverageStore, participant_id: str) -> None:
    """404 unless the id names a participant (not a clinician or coordinator, nor nobody):
    coverage records nothing for anyone else."""
    if store.person_kind(participant_id) != "participant":
        raise NotFound("no such participant", errors=[FieldError("path.participant_id", "not a participant")])


def settings() -> CoverageSettings:
    return load_settings(CoverageSettings)


def part2_policy() -> Part2Policy:
    """The program's Part 2 settings, the same the schedule function is given."""
    return settings().part2_policy()


def part2_reader(
    caller: Principal, participant_id: str, coverage: Coverage, policy: Part2Policy
) -> restricted.Reader:
    """How much of the participant's Part 2 services `caller` sees (consents read with their
    coverage partition: a revocation the stream delivered counts at once)."""
    return restricted.reader(
        caller,
        participant_id,
        policy=policy,
        consents=coverage.part2_consents,
        today=utc_now().astimezone(restricted.CONSENT_DAY_ZONE).date(),
    )


def coverage_store() -> CoverageStore:
    config = settings()
    return CoverageStore(config.coverage_table, aws.client("dynamodb"))


def eligibility_store() -> EligibilityStore:
    return EligibilityStore(settings().coverage_table, aws.client("dynamodb"))


def payers() -> PayerLink:
    """The container's clearinghouse (behind its circuit breaker) and the provider identity."""
    return payer_link()


Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[CoverageStore, Depends(coverage_store)]
Eligibility = Annotated[EligibilityStore, Depends(eligibility_store)]
Payers = Annotated[PayerLink, Depends(payers)]
Audit = Annotated[AuditWriter, Depends(audit_writer)]
Part2 = Annotated[Part2Policy, Depends(part2_policy)]


idempotently = bound_to(lambda: settings().idempotency_table)
"""`run_idempotent` with this function's idempotency table and client filled in."""
rules = declared(idempotently)
"""Each coverage route's declared audit, roles, If-Match and idempotency (`functions.common.route_rules`)."""
