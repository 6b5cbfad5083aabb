"""Schedule API: the resolver and its routers. Routes live in routes/, rules in logic/,
DynamoDB in store.py."""

from __future__ import annotations

from functions.common.api import create_resolver, lambda_entry
from functions.schedule.deps import ScheduleSettings
from functions.schedule.models import Health
from functions.schedule.routes import calendar, groups, intensity, people, planner, sessions, teams

SETTINGS = ScheduleSettings
app = create_resolver()
app.include_router(people.router)
app.include_router(teams.router)
app.include_router(sessions.router)
app.include_router(groups.router)
app.include_router(intensity.router)
app.include_router(calendar.router)
app.include_router(planner.router)


@app.get("/health", summary="Liveness check (no authentication)", tags=["platform"])
def health() -> Health:
    return Health(status="ok")


lambda_handler = lambda_entry(app, "schedule")
