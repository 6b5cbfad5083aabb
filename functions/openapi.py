"""The OpenAPI document of the whole API, generated from the three resolvers.

`make openapi` writes it to `openapi/tandem.json` (committed); a test fails when the
committed document differs from what the code generates. CDK builds the API Gateway
methods from it and the local gateway routes by it, using `x-tandem-function` to find
the function that serves each operation.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

from functions.catalog import API_DOMAINS, api_entrypoint
from functions.common.http import PROBLEM_JSON, Problem

DOCUMENT = Path(__file__).resolve().parent.parent / "openapi" / "tandem.json"
FUNCTION_KEY = "x-tandem-function"
TITLE = "Tandem API"
VERSION = "0.1.0"
DESCRIPTION = (
    "Scheduling, coverage and notifications of a virtual couples-centred intensive outpatient "
    "program. Authenticate with the Cognito ID token in the `Authorization` header. Errors are "
    "RFC 9457 problem details (`application/problem+json`)."
)
SECURITY_SCHEMES: dict[str, Any] = {
    "cognito": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Cognito user-pool ID token (API Gateway Cognito authorizer).",
    }
}
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
# Powertools' own validation-error schemas; every error here is a Problem instead.
_POWERTOOLS_ERROR_SCHEMAS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
HEALTH_PATH = "/health"
"""The liveness probe: touches nothing, so it answers 200 and nothing else."""


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if headers:
        response["headers"] = headers
    response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    return response


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
# Parameters whose malformed values are a 400 (not a field validation error): a cursor that
# is not ours, an ISO week that does not exist, an Idempotency-Key of the wrong shape.
_BAD_REQUEST_PARAMETERS = {("query", "cursor"), ("query", "week"), ("header", "idempotency-key")}


def _parameters(operation: dict[str, Any]) -> set[tuple[str, str]]:
    """(location, name) of each parameter; header names lower-cased (they are case-blind)."""
    return {
        (p.get("in", ""), p.get("name", "").lower() if p.get("in") == "header" else p.get("name", ""))
        for p in operation.get("parameters", [])
    }


def _error_responses(operation: dict[str, Any], method: str, path: str) -> None:
    """Every status the operation can answer, beside what its route declares.

    The shared error handling decides most of them, so they follow from the operation's
    shape: a body (400 unreadable, 413 too large, 415 not JSON), parameters or a body (422),
    a token (401; 403 a role it lacks; 404 what it may not see), a write (409 a conflict
    or a retry still running), If-Match (412 stale, 428 missing), a dependency (503 with
    Retry-After: every operation but the liveness probe reads the tables)."""
    responses = operation.setdefault("responses", {})
    responses.pop("default", None)
    responses.pop("422", None)  # Powertools' own, of every route; ours below where it can happen
    for status, response in responses.items():
        if status == "204":
            response.pop("content", None)  # no body: the route's `Response[str]` says nothing
    parameters = _parameters(operation)
    has_body = "requestBody" in operation
    protected = bool(operation.get("security"))
    if has_body or parameters & _BAD_REQUEST_PARAMETERS:
        responses.setdefault("400", _problem("The request cannot be read (malformed body, cursor or week)"))
    if has_body:
        responses.setdefault("413", _problem("The body is larger than the API takes"))
        responses.setdefault("415", _problem("The body is not application/json"))
    if has_body or parameters:
        responses.setdefault("422", _problem("The request is not valid; `errors` names the fields"))
    if protected:
        responses.setdefault("401", _problem("No valid token"))
        responses.setdefault("403", _problem("The caller's role may not do this"))
    if protected or "{" in path:
        responses.setdefault("404", _problem("Not found, or not visible to the caller"))
    if protected and method != "get":
        responses.setdefault(
            "409", _problem("Conflicts with the current state (or the same request is running)")
        )
    if ("header", "if-match") in parameters:
        responses.setdefault("412", _problem("If-Match does not name the current version"))
        responses.setdefault("428", _problem("If-Match is required"))
    if path != HEALTH_PATH:
        unavailable = responses.setdefault(
            "503", _problem("A dependency is unavailable; retry after the given seconds")
        )
        unavailable["headers"] = RETRY_AFTER  # every 503 carries it
    operation["responses"] = dict(sorted(responses.items()))


def generate() -> dict[str, Any]:
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": SECURITY_SCHEMES},
    }
    for domain in API_DOMAINS:
        module = importlib.import_module(api_entrypoint(domain).module)
        schema = json.loads(
            module.app.get_openapi_json_schema(
                title=TITLE, version=VERSION, security_schemes=SECURITY_SCHEMES
            )
        )
        for path, item in schema.get("paths", {}).items():
            target = merged["paths"].setdefault(path, {})
            for method, operation in item.items():
                if method not in _METHODS:
                    continue
                if method in target:
                    raise ValueError(f"{method.upper()} {path} is served by two functions")
                operation[FUNCTION_KEY] = domain
                operation.setdefault("security", [])  # explicit: public (health only)
                _error_responses(operation, method, path)
                target[method] = operation
        for name, component in schema.get("components", {}).get("schemas", {}).items():
            if name in _POWERTOOLS_ERROR_SCHEMAS:
                continue
            existing = merged["components"]["schemas"].get(name)
            if existing is not None and existing != component:
                raise ValueError(f"schema {name} differs between functions; rename one")
            merged["components"]["schemas"][name] = component
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in problem.pop("$defs", {}).items():
        merged["components"]["schemas"][name] = definition
    merged["components"]["schemas"]["Problem"] = problem
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"]["schemas"] = dict(sorted(merged["components"]["schemas"].items()))
    return merged


def render() -> str:
    return json.dumps(generate(), indent=2, sort_keys=False) + "\n"


def load_committed() -> dict[str, Any]:
    return dict(json.loads(DOCUMENT.read_text()))


if __name__ == "__main__":
    print(render(), end="")
