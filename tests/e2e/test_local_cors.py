"""CORS through the local runtime, as a browser on another origin meets it: preflights the
gateway answers, the functions' responses, and the gateway's own errors."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import WEB_APP_ORIGIN, LocalRuntime

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

EVIL = "https://evil.example"


def _get(runtime: LocalRuntime, path: str, origin: str, token: str | None = None) -> requests.Response:
    headers = {"Origin": origin, **({"Authorization": token} if token else {})}
    return requests.get(runtime.api + path, headers=headers, timeout=10)


def _preflight(runtime: LocalRuntime, path: str, origin: str) -> requests.Response:
    return requests.options(
        runtime.api + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
        timeout=10,
    )


def test_a_web_app_on_an_allowed_origin_can_call_the_api_and_read_its_errors(local_runtime: LocalRuntime):
    own = local_runtime.api.replace("127.0.0.1", "localhost")
    token = local_runtime.id_token("coordinator")
    for origin in (WEB_APP_ORIGIN, own):  # TANDEM_WEB_ORIGINS, and the runtime's own origin
        # Given a browser about to POST with a token and an Idempotency-Key: its preflight passes
        preflight = _preflight(local_runtime, "/people", origin)
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == origin
        allowed = {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "idempotency-key", "content-type"} <= allowed
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
        # When it reads with its token, the function's answer names its origin
        reply = _get(local_runtime, "/people", origin, token)
        assert reply.status_code == 200, reply.text
        assert reply.headers["Access-Control-Allow-Origin"] == origin
        assert "Origin" in reply.headers["Vary"]
        # And the gateway's own 401 (no token) is readable too, as a problem
        refused = _get(local_runtime, "/people", origin)
        assert refused.status_code == 401
        assert refused.headers["Access-Control-Allow-Origin"] == origin
        assert refused.json()["status"] == 401
        # As is a function's problem (a participant id that does not exist)
        missing = _get(local_runtime, "/people/per_nosuchperson", origin, token)
        assert missing.status_code == 404
        assert missing.headers["Access-Control-Allow-Origin"] == origin


def test_another_origin_is_given_nothing_a_browser_would_pass_on(local_runtime: LocalRuntime):
    token = local_runtime.id_token("coordinator")
    preflight = _preflight(local_runtime, "/people", EVIL)
    assert "Access-Control-Allow-Origin" not in preflight.headers
    reply = _get(local_runtime, "/people", EVIL, token)
    assert reply.status_code == 200  # a server answers; the browser keeps it from the page
    assert "Access-Control-Allow-Origin" not in reply.headers
    refused = _get(local_runtime, "/people", EVIL)
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert not any(h.lower().startswith("access-control-allow-credentials") for h in reply.headers)
