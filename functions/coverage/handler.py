"""Coverage API: the resolver and its routers. Routes live in routes/, rules in logic/,
DynamoDB in store.py."""

from __future__ import annotations

from functions.common.api import create_resolver, lambda_entry
from functions.coverage.deps import CoverageSettings
from functions.coverage.routes import authorizations, billing, eligibility, estimates, plans, terms

SETTINGS = CoverageSettings
app = create_resolver()
app.include_router(plans.router)
app.include_router(terms.router)
app.include_router(eligibility.router)
app.include_router(estimates.router)
app.include_router(billing.router)
app.include_router(authorizations.router)

lambda_handler = lambda_entry(app, "coverage")
