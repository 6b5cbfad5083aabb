"""Schedule API: the resolver and its routers. Routes live in routes/, rules in logic/,
DynamoDB in store.py. The platform's probes live here too: liveness and readiness."""

from __future__ import annotations

import os

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from functions.catalog import dependencies
from functions.common import readiness
from functions.common.api import AUTHENTICATED, create_resolver, lambda_entry
from functions.common.auth import Role
from functions.common.errors import DependencyUnavailable
from functions.common.http import PROBLEM_JSON, Problem
from functions.common.models import utc_now
from functions.schedule.deps import Caller, ScheduleSettings
from functions.schedule.models import Health
from functions.schedule.routes import (
    calendar,
    consents,
    disclosures,
    groups,
    intensity,
    people,
    planner,
    sessions,
    teams,
)

SETTINGS = ScheduleSettings
app = create_resolver()
app.include_router(people.router)
app.include_router(teams.router)
app.include_router(sessions.router)
app.include_router(groups.router)
app.include_router(intensity.router)
app.include_router(calendar.router)
app.include_router(planner.router)
app.include_router(consents.router)
app.include_router(disclosures.router)


@app.get("/health", summary="Liveness check (no authentication)", tags=["platform"])
def health() -> Health:
    """The function runs. No dependency is called: that is `/health/ready`."""
    return Health(status="ok")


_READINESS: dict[int, OpenAPIResponse] = {
    200: {
        "description": "Every dependency answered",
        "content": {"application/json": {"model": readiness.Readiness}},
    },
    403: {"description": "Coordinators only", "content": {PROBLEM_JSON: {"model": Problem}}},
    503: {
        "description": "At least one dependency is down; `dependencies` says which and why",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        "content": {PROBLEM_JSON: {"model": readiness.NotReady}},
    },
}


@app.get(
    "/health/ready",
    summary="Readiness: does every AWS dependency of the program answer? (coordinators)",
    description=(
        "Probes every table, queue, SES, SNS and the event bus the program's functions use, "
        f"at once, with metadata-only calls; answers within {readiness.BUDGET_SECONDS:g} s."
    ),
    tags=["platform"],
    security=AUTHENTICATED,
    responses=_READINESS,
)
def ready(caller: Caller) -> readiness.Readiness:
    caller.require(Role.COORDINATOR)
    report = readiness.check(dependencies(), os.environ)
    down = [d.name for d in report if d.state == "down"]
    if down:
        raise DependencyUnavailable(
            "not ready: " + ", ".join(down) + (" is" if len(down) == 1 else " are") + " down",
            retry_after=readiness.RETRY_AFTER_SECONDS,
            dependencies=[d.model_dump(mode="json") for d in report],
        )
    return readiness.Readiness(status="ready", checked_at=utc_now(), dependencies=report)


lambda_handler = lambda_entry(app, "schedule")
