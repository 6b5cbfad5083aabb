"""The web app (`web/`) as the local gateway serves it, at `/app/`: its files, its `config.json`
(the local API, moto's Cognito endpoint and the two pools' clients), and the same security
headers CloudFront adds in AWS (`infra`), so a page that breaks the Content-Security-Policy
breaks locally and in the browser tests too.

The API URL in `config.json` is the origin the page was loaded from (`Host`) when that is one of
the runtime's own origins, so the app opened at `localhost:8000` or at `127.0.0.1:8000` calls the
API from its own origin; any other `Host` gets the runtime's API URL.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Final

WEB_ROOT: Final = Path(__file__).resolve().parent.parent / "web"
PREFIX: Final = "/app"

_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


def content_security_policy(connect: tuple[str, ...]) -> str:
    """The app's CSP: its own scripts and styles only (no inline code, no eval), and requests to
    itself, the API and Cognito only."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src " + " ".join(("'self'", *connect)),
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ]
    )


def security_headers(connect: tuple[str, ...]) -> list[tuple[str, str]]:
    """What CloudFront's response-headers policy adds in AWS (HSTS aside: this is plain HTTP)."""
    return [
        ("Content-Security-Policy", content_security_policy(connect)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]


@dataclass(frozen=True)
class WebApp:
    """What the gateway needs to serve the app."""

    cognito_endpoint: str
    """moto's endpoint: the browser calls Cognito there (moto answers CORS for any origin)."""
    region: str
    pools: dict[str, dict[str, str]]
    """{"participant": {"user_pool_id", "client_id"}, "staff": {...}}"""
    api_url: str
    """The runtime's API URL (what any unknown `Host` gets)."""
    own_origins: tuple[str, ...] = ()
    """The runtime's own origins: a `Host` naming one of them is where the API is called."""
    policy: dict[str, int] | None = None
    """What the app tells people about the program's rules (`room_opens_minutes`,
    `cancel_cutoff_hours`): the schedule function's settings, which the API enforces."""
    root: Path = WEB_ROOT

    def config(self, api_url: str) -> dict[str, object]:
        return {
            "api_url": api_url,
            "region": self.region,
            "cognito_endpoint": self.cognito_endpoint.rstrip("/") + "/",
            "pools": self.pools,
            "stage": "local",
            **(self.policy or {}),
        }

    def serve(self, path: str, host: str | None) -> tuple[int, list[tuple[str, str]], bytes]:
        """GET of a path under `/app`: the file, `config.json`, or 404. Never a file outside
        `web/` (a `..` or an absolute path resolves outside it and is refused)."""
        headers = security_headers((self.cognito_endpoint.rstrip("/"),))
        if path == PREFIX:
            return 308, [("Location", PREFIX + "/"), *headers], b""
        relative = path[len(PREFIX) + 1 :] or "index.html"
        if relative == "config.json":
            origin = f"http://{host}"
            body = json.dumps(self.config(origin if origin in self.own_origins else self.api_url)).encode()
            return 200, [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *headers], body
        root = self.root.resolve()
        target = (root / relative).resolve()
        if root not in target.parents or not target.is_file():
            return 404, [("Content-Type", "text/plain; charset=utf-8"), *headers], b"not found"
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        cache = "no-cache"  # revalidate: a changed file is seen at the next load
        return 200, [("Content-Type", kind), ("Cache-Control", cache), *headers], target.read_bytes()
