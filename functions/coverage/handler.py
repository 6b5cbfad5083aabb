"""Coverage API: the resolver and its routers. Routes live in routes/, rules in logic/,
DynamoDB in store.py."""

from __future__ import annotations

from functions.common.api import create_resolver, lambda_entry
from functions.coverage.deps import CoverageSettings
from functions.coverage.routes import plans

SETTINGS = CoverageSettings
app = create_resolver()
app.include_router(plans.router)

lambda_handler = lambda_entry(app, "coverage")
