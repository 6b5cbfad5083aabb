"""The committed OpenAPI document is exactly what the three resolvers generate."""

from __future__ import annotations

from functions.openapi import DOCUMENT, FUNCTION_KEY, generate, load_committed, render

METHODS = {"get", "put", "post", "delete", "patch"}


def test_committed_document_matches_the_code():
    # A failure here means a route changed without `make openapi`.
    assert DOCUMENT.read_text() == render(), "openapi/tandem.json is stale: run `make openapi` and commit it"


def test_every_operation_names_its_function_and_only_health_is_public():
    document = load_committed()
    public = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert method in METHODS
            assert operation[FUNCTION_KEY] in {"schedule", "coverage", "notify"}
            if not operation["security"]:
                public.append(f"{method.upper()} {path}")
            else:
                assert operation["security"] == [{"cognito": []}]
    assert sorted(public) == [
        "GET /calendar/{token}",
        "GET /health",
    ]  # each reviewed in infra.api.PUBLIC_ROUTES


def test_every_error_response_is_a_problem():
    document = generate()
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status", "detail"]


def test_routes_of_each_domain_live_in_its_own_function():
    document = load_committed()
    owner = {
        (path, method): operation[FUNCTION_KEY]
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert owner[("/me/coverage", "get")] == "coverage"
    assert owner[("/me/notification-preferences", "put")] == "notify"
    assert owner[("/people", "post")] == "schedule"


def test_every_operation_documents_the_statuses_the_shared_handling_answers():
    for path, item in load_committed()["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "default" not in responses, (method, path)  # every status named, none implied
            if "requestBody" in operation:
                assert {"400", "413", "415", "422"} <= set(responses), (method, path)
            if operation["security"]:
                assert {"401", "403", "404"} <= set(responses), (method, path)
            if "if-match" in headers:
                assert {"412", "428"} <= set(responses), (method, path)
            if path != "/health":
                assert responses["503"]["headers"]["Retry-After"]["required"] is True, (method, path)
            for status, response in responses.items():
                if status == "204":
                    assert "content" not in response, (method, path)
    health = load_committed()["paths"]["/health"]["get"]["responses"]
    assert list(health) == ["200"]
