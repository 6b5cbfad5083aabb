"""Every route's ceremony (audit, roles, If-Match, idempotency) is declared with `rules`
(`functions/common/route_rules.py`) and run by it: checked here in one place, and the wrapper's
behaviour checked on a small resolver of its own."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import pytest

from functions.common.route_rules import rules_of
from functions.coverage.handler import app as coverage_app
from functions.notify.handler import app as notify_app
from functions.schedule.handler import app as schedule_app

RESOLVERS = {"schedule": schedule_app, "coverage": coverage_app, "notify": notify_app}
NOT_YET_DECLARED = {
    ("GET", "/calendar/{token}"),
    ("GET", "/groups"),
    ("GET", "/groups/{group_id}"),
    ("GET", "/health"),
    ("GET", "/health/ready"),
    ("POST", "/people/{person_id}/deactivation"),
    ("POST", "/people/{person_id}/reactivation"),
    ("GET", "/billing/chargemaster"),
    ("PUT", "/billing/chargemaster"),
    ("GET", "/billing/fee-schedules/{payer_id}"),
    ("PUT", "/billing/fee-schedules/{payer_id}"),
    ("PUT", "/couples/{couple_id}/billing"),
    ("GET", "/me/coverage"),
    ("GET", "/participants/{participant_id}/authorizations"),
    ("POST", "/participants/{participant_id}/authorizations"),
    ("PUT", "/participants/{participant_id}/authorizations/{authorization_id}"),
    ("GET", "/participants/{participant_id}/coverage-summary"),
    ("GET", "/participants/{participant_id}/eligibility"),
    ("GET", "/participants/{participant_id}/estimates/program"),
    ("GET", "/participants/{participant_id}/estimates/week"),
    ("GET", "/participants/{participant_id}/good-faith-estimate"),
    ("GET", "/participants/{participant_id}/plans"),
    ("POST", "/participants/{participant_id}/plans"),
    ("GET", "/participants/{participant_id}/plans/{plan_id}"),
    ("PUT", "/participants/{participant_id}/plans/{plan_id}"),
    ("GET", "/participants/{participant_id}/plans/{plan_id}/confirmed-terms"),
    ("PUT", "/participants/{participant_id}/plans/{plan_id}/confirmed-terms"),
    ("POST", "/participants/{participant_id}/plans/{plan_id}/eligibility-checks"),
    ("GET", "/participants/{participant_id}/plans/{plan_id}/eligibility-checks/{check_id}/x12"),
    ("GET", "/participants/{participant_id}/sessions/{session_id}/estimate"),
    ("GET", "/me/notification-preferences"),
    ("PUT", "/me/notification-preferences"),
    ("GET", "/me/notifications"),
    ("GET", "/notifications/failures"),
    ("GET", "/people/{person_id}/notification-preferences"),
    ("PUT", "/people/{person_id}/notification-preferences"),
}
"""Routes still running their ceremony by hand (issue 17, part 2, under way): this list only
shrinks. A route that declares its rules must leave it, and no new route may join it."""


def _routes() -> list[tuple[str, Any]]:
    return [
        (domain, r) for domain, app in RESOLVERS.items() for r in app._static_routes + app._dynamic_routes
    ]


@pytest.mark.parametrize(("domain", "route"), _routes(), ids=lambda r: getattr(r, "openapi_path", r))
def test_every_route_declares_its_rules(domain, route):
    declared_rules = rules_of(route.func)
    listed = (route.method, route.openapi_path) in NOT_YET_DECLARED
    assert (declared_rules is None) == listed, f"{route.method} {route.openapi_path}: " + (
        "declares its rules now: take it off NOT_YET_DECLARED" if listed else "declares no rules"
    )


def test_a_route_that_declares_its_rules_does_not_also_audit_by_hand():
    for _, route in _routes():
        if rules_of(route.func) is None:
            continue
        source = textwrap.dedent(inspect.getsource(inspect.unwrap(route.func)))
        calls = {ast.unparse(node.func) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)}
        assert not {"audit.track", "idempotently"} & calls, f"{route.method} {route.openapi_path}"
