"""CORS: which web origins a stage allows, and the headers each response carries."""

from __future__ import annotations

import pytest

from functions.common import cors

APP = "https://app.tandem.health"
ORIGINS = (APP, "http://localhost:8000")


def test_origins_are_exact_lower_case_and_deduplicated():
    assert cors.parse_origins(
        " https://App.Tandem.health, http://localhost:8000,https://app.tandem.health ,"
    ) == (
        APP,
        "http://localhost:8000",
    )
    assert cors.parse_origins("") == ()
    assert cors.parse_origins(["https://a.example.org:8443"]) == ("https://a.example.org:8443",)


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "https://*.tandem.health",
        "https://app.tandem.health/",
        "https://app.tandem.health/app",
        "app.tandem.health",
        "http://app.tandem.health",
        "ftp://app.tandem.health",
        "https://app.tandem.health?x=1",
        "null",
    ],
)
def test_anything_but_an_exact_origin_is_refused(origin: str):
    with pytest.raises(ValueError, match="web origin"):
        cors.parse_origins(origin)


def test_a_deployed_stage_takes_https_only():
    with pytest.raises(ValueError, match="https"):
        cors.parse_origins("http://localhost:3000", allow_http_loopback=False)


def test_an_allowed_origin_is_named_and_may_read_the_etag():
    response = cors.with_cors({"statusCode": 200, "headers": {"ETag": '"3"'}}, {"origin": APP}, ORIGINS)
    assert response["headers"]["Access-Control-Allow-Origin"] == APP
    assert "ETag" in response["headers"]["Access-Control-Expose-Headers"]
    assert response["headers"]["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in response["headers"]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://app-tandem.health", "https://appxtandem.health", None]
)
def test_any_other_origin_gets_no_cors_header_but_the_response_still_varies(origin: str | None):
    headers = {"Origin": origin} if origin else {}
    response = cors.with_cors({"statusCode": 200, "headers": {"Vary": "Accept"}}, headers, ORIGINS)
    assert not any(name.startswith("Access-Control") for name in response["headers"])
    assert response["headers"]["Vary"] == "Accept, Origin"


def test_multi_value_headers_are_kept_and_given_cors():
    response = cors.with_cors(
        {"statusCode": 404, "multiValueHeaders": {"Content-Type": ["application/problem+json"]}},
        {"Origin": APP},
        ORIGINS,
    )
    assert response["multiValueHeaders"] == {
        "Content-Type": ["application/problem+json"],
        "Vary": ["Origin"],
        "Access-Control-Allow-Origin": [APP],
        "Access-Control-Expose-Headers": [
            "ETag, Idempotent-Replayed, Location, Retry-After, Tandem-Redisclosure-Notice"
        ],
    }


def test_a_preflight_from_an_allowed_origin_may_send_authorization_and_an_idempotency_key():
    headers = cors.preflight(
        {
            "Origin": APP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,idempotency-key,content-type",
        },
        ORIGINS,
    )
    assert headers["Access-Control-Allow-Origin"] == APP
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "idempotency-key", "content-type", "if-match"} <= allowed
    assert "POST" in headers["Access-Control-Allow-Methods"]


def test_a_preflight_from_another_origin_allows_nothing():
    assert cors.preflight(
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}, ORIGINS
    ) == {"Vary": "Origin"}


def test_a_web_app_may_read_the_redisclosure_notice():
    from functions.schedule.logic.sensitivity import REDISCLOSURE_HEADER

    assert REDISCLOSURE_HEADER in cors.EXPOSE_HEADERS
