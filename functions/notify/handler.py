"""Notify API: the resolver and its routers. Routes live in routes/, rules in logic/,
DynamoDB in store.py."""

from __future__ import annotations

from functions.common.api import create_resolver, lambda_entry
from functions.notify.deps import NotifySettings, notify_store
from functions.notify.routes import history, preferences

__all__ = ["SETTINGS", "NotifySettings", "app", "lambda_handler", "notify_store"]

SETTINGS = NotifySettings
app = create_resolver()
app.include_router(preferences.router)
app.include_router(history.router)

lambda_handler = lambda_entry(app, "notify")
