"""Coverage API: routes only. Validation by Powertools, rules in logic/, DynamoDB in store."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.depends import Depends
from pydantic import Field

from functions.common import aws
from functions.common.api import AUTHENTICATED, audit_writer, create_resolver, lambda_entry
from functions.common.audit import AuditWriter
from functions.common.auth import Principal, current_principal
from functions.common.config import ApiSettings, load_settings
from functions.common.models import utc_now
from functions.coverage.logic import plans
from functions.coverage.models import PlanList
from functions.coverage.store import CoverageStore


class CoverageSettings(ApiSettings):
    coverage_table: str = Field(alias="COVERAGE_TABLE")


def coverage_store() -> CoverageStore:
    return CoverageStore(load_settings(CoverageSettings).coverage_table, aws.client("dynamodb"))


SETTINGS = CoverageSettings
app = create_resolver()

Caller = Annotated[Principal, Depends(current_principal)]
Store = Annotated[CoverageStore, Depends(coverage_store)]
Audit = Annotated[AuditWriter, Depends(audit_writer)]


@app.get(
    "/me/coverage",
    summary="The caller's own insurance plans (member ids shown by their last four characters)",
    tags=["coverage"],
    security=AUTHENTICATED,
)
def my_plans(caller: Caller, store: Store, audit: Audit) -> PlanList:
    with audit.track(caller, "coverage.plans.read", f"person/{caller.person_id}/coverage"):
        records = plans.ordered(store.plans_of(caller.person_id), utc_now().date())
    return PlanList(items=[plans.to_output(r) for r in records])


lambda_handler = lambda_entry(app, "coverage")
