"""The web app as `make serve` serves it (`local.webapp`): its files under `/app/`, nothing outside
`web/`, a `config.json` naming the local API and pools, and the security headers CloudFront adds."""

from __future__ import annotations

import json

import pytest

from local.webapp import WebApp

APP = WebApp(
    cognito_endpoint="http://127.0.0.1:5000",
    region="us-east-1",
    pools={
        "participant": {"user_pool_id": "p", "client_id": "pc"},
        "staff": {"user_pool_id": "s", "client_id": "sc"},
    },
    api_url="http://127.0.0.1:8000",
    own_origins=("http://localhost:8000", "http://127.0.0.1:8000"),
    policy={"room_opens_minutes": 15, "cancel_cutoff_hours": 24},
)


def headers_of(reply: tuple[int, list[tuple[str, str]], bytes]) -> dict[str, str]:
    return {k.lower(): v for k, v in reply[1]}


def test_the_app_page_is_served_with_a_strict_policy():
    status, _, body = reply = APP.serve("/app/", "127.0.0.1:8000")
    headers = headers_of(reply)
    assert status == 200
    assert b'<script type="module" src="js/main.js">' in body
    assert headers["content-type"].startswith("text/html")
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "connect-src 'self' http://127.0.0.1:5000" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


def test_scripts_are_served_as_javascript():
    status, _, _ = reply = APP.serve("/app/js/main.js", "127.0.0.1:8000")
    assert status == 200
    assert headers_of(reply)["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000"])
def test_config_names_the_api_at_the_pages_own_origin(host: str):
    status, _, body = reply = APP.serve("/app/config.json", host)
    config = json.loads(body)
    assert status == 200
    assert headers_of(reply)["cache-control"] == "no-store"
    assert config["api_url"] == f"http://{host}"
    assert config["cognito_endpoint"] == "http://127.0.0.1:5000/"
    assert config["pools"]["staff"] == {"user_pool_id": "s", "client_id": "sc"}
    assert config["room_opens_minutes"] == 15
    assert config["cancel_cutoff_hours"] == 24


def test_config_ignores_a_host_that_is_not_the_runtimes_own():
    _, _, body = APP.serve("/app/config.json", "evil.example:80")
    assert json.loads(body)["api_url"] == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    "path",
    ["/app/../local/settings.py", "/app/%2e%2e/README.md", "/app//etc/passwd", "/app/js", "/app/nope.js"],
)
def test_nothing_outside_the_app_directory_is_served(path: str):
    status, _, body = APP.serve(path, "127.0.0.1:8000")
    assert status == 404
    assert body == b"not found"


def test_the_bare_prefix_redirects_to_the_app():
    status, _, _ = reply = APP.serve("/app", None)
    assert status == 308
    assert headers_of(reply)["location"] == "/app/"
