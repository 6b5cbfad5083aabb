"""CORS for the browser apps that call the API from another origin.

The allowed web origins are a per-stage setting (`WEB_ORIGINS`, comma-separated): exact
`scheme://host[:port]` origins, never a wildcard. A response to a request whose `Origin` is one
of them names that origin in `Access-Control-Allow-Origin`; any other origin gets no CORS
header at all, so the browser keeps the response from the page. Every response varies by
`Origin` (a cache must not hand one origin's answer to another).

Who applies it:
- every API function, to every response it gives (problems included: a browser can read why a
  request failed), in `functions.common.api.lambda_entry`;
- preflights (`OPTIONS`) never reach a function: API Gateway answers them (a mock integration
  CDK builds from the same list) and so does the local gateway, with `preflight`;
- API Gateway's own errors (401, 403, 429, 5xx) carry `Access-Control-Allow-Origin` too (see
  `infra/api.py`); the local gateway's, with `with_cors`.

Credentials are bearer tokens in `Authorization`, never cookies: `Access-Control-Allow-Credentials`
is never sent.

Powertools' resolver has a `CORSConfig` of its own; it adds headers only to the responses of
matched routes (not to a 404 for an unknown route, nor to a 413 the body reader gives before
routing), so the headers are added here, to whatever the function answers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, Final

ORIGINS_ENV: Final = "WEB_ORIGINS"

ALLOW_HEADERS: Final = (
    "Accept",
    "Accept-Language",
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
)
"""Request headers a web app may send (beyond the CORS-safelisted ones)."""
EXPOSE_HEADERS: Final = (
    "ETag",
    "Idempotent-Replayed",
    "Location",
    "Retry-After",
    "Tandem-Redisclosure-Notice",  # 42 CFR 2.32: the app shows it with Part 2 records
)
"""Response headers a web app may read (beyond the CORS-safelisted ones)."""
ALLOW_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
MAX_AGE_SECONDS: Final = 600
"""How long a browser may keep a preflight's answer (Chromium caps it at 7200 s)."""

_ORIGIN = re.compile(r"https?://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?")
_LOOPBACK = re.compile(r"http://(localhost|127\.0\.0\.1)(:\d{1,5})?")


def parse_origins(text: str | Iterable[str], *, allow_http_loopback: bool = True) -> tuple[str, ...]:
    """Web origins from a comma-separated list (or a list): each `https://host[:port]` (plain
    `http` only for localhost and 127.0.0.1, when `allow_http_loopback`), lower case, no path,
    no wildcard. Raises ValueError naming the first that is not one."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    found: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if "*" in part:
            raise ValueError(f"a web origin may not be a wildcard: {part!r}")
        origin = part.lower()
        loopback = _LOOPBACK.fullmatch(origin) is not None
        if not _ORIGIN.fullmatch(origin) or (origin.startswith("http://") and not loopback):
            raise ValueError(
                f"a web origin is https://host[:port] with nothing after it (plain http only for "
                f"localhost), got {part!r}"
            )
        if loopback and not allow_http_loopback:
            raise ValueError(f"a deployed stage's web origins are https, got {part!r}")
        if origin not in found:
            found.append(origin)
    return tuple(found)


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


def allowed(origin: str | None, origins: Iterable[str]) -> str | None:
    """The request's origin when it is an allowed one (compared as browsers send it), else None."""
    if not origin:
        return None
    return origin if origin.lower() in tuple(origins) else None


def response_headers(origin: str | None, origins: Iterable[str]) -> dict[str, str]:
    """The CORS headers of a response to a request from `origin` (none for a refused origin)."""
    match = allowed(origin, origins)
    if match is None:
        return {}
    return {"Access-Control-Allow-Origin": match, "Access-Control-Expose-Headers": ", ".join(EXPOSE_HEADERS)}


def preflight(request_headers: Mapping[str, Any] | None, origins: Iterable[str]) -> dict[str, str]:
    """The headers answering a preflight: for an allowed origin, what it may send; for any
    other, only `Vary` (the browser then refuses the actual request)."""
    match = allowed(_header(request_headers, "Origin"), origins)
    headers = {"Vary": "Origin"}
    if match is not None:
        headers |= {
            "Access-Control-Allow-Origin": match,
            "Access-Control-Allow-Methods": ", ".join(ALLOW_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOW_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
        }
    return headers


def _vary(existing: str | None) -> str:
    values = [v.strip() for v in (existing or "").split(",") if v.strip()]
    if not any(v.lower() == "origin" for v in values):
        values.append("Origin")
    return ", ".join(values)


def with_cors(
    response: dict[str, Any], request_headers: Mapping[str, Any] | None, origins: Iterable[str]
) -> dict[str, Any]:
    """An API Gateway proxy response with the CORS headers for the request's origin added (and
    `Vary: Origin` always). Works on `headers` and, when present, `multiValueHeaders`."""
    added = response_headers(_header(request_headers, "Origin"), origins)
    headers = dict(response.get("headers") or {})
    multi = response.get("multiValueHeaders")
    if multi:
        multi = {k: list(v) for k, v in multi.items()}
        vary_key = next((k for k in multi if k.lower() == "vary"), "Vary")
        multi[vary_key] = [_vary(", ".join(multi.get(vary_key) or []))]
        for name, value in added.items():
            multi[name] = [value]
        return {**response, "multiValueHeaders": multi}
    vary_key = next((k for k in headers if k.lower() == "vary"), "Vary")
    headers[vary_key] = _vary(headers.get(vary_key))
    headers.update(added)
    return {**response, "headers": headers}


@lru_cache(maxsize=4)
def _parsed(text: str) -> tuple[str, ...]:
    try:
        return parse_origins(text)
    except ValueError:
        # CDK validates the list at synth; a list that is wrong anyway allows nothing (fail
        # closed) rather than failing every request.
        return ()


def origins_from_env() -> tuple[str, ...]:
    """The allowed web origins of this function (`WEB_ORIGINS`); none when unset."""
    return _parsed(os.environ.get(ORIGINS_ENV, ""))
