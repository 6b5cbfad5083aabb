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


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}


def _error_responses(operation: dict[str, Any], method: str) -> None:
    responses = operation.setdefault("responses", {})
    responses["422"] = _problem("The request is not valid; `errors` names the fields")
    if operation.get("security"):
        responses["401"] = _problem("No valid token")
        responses["404"] = _problem("Not found, or not visible to the caller")
    if method in {"put", "patch"}:
        responses["412"] = _problem("If-Match does not name the current version")
        responses["428"] = _problem("If-Match is required")
    responses["default"] = _problem("Any other error")
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
                _error_responses(operation, method)
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
