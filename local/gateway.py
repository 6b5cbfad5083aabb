"""The local API gateway: HTTP in, API Gateway REST (v1) proxy events to the same
handlers Lambda calls, HTTP out.

Routing follows the committed OpenAPI document (`x-tandem-function` names the function).
`chalice.local` turns the request into the base event; `complete_event` fills in the rest
of the v1 shape. Protected operations need a Cognito ID token that verifies against the
user pool's JWKS (signature, issuer, audience, expiry, `token_use`); its claims go where
API Gateway's Cognito authorizer puts them, `requestContext.authorizer.claims`. Anything
the gateway itself refuses is an RFC 9457 problem, like the functions' own errors.
"""

from __future__ import annotations

import importlib
import json
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from chalice.local import LambdaEventConverter, RouteMatcher

from functions.catalog import api_entrypoint
from functions.common import cors
from functions.common.errors import PROBLEM_BASE
from functions.common.http import PROBLEM_JSON, problem_body
from functions.openapi import FUNCTION_KEY
from local.webapp import PREFIX as WEB_PREFIX
from local.webapp import WebApp
from local.workers import FunctionTimeout, Invoke, invoke_in_process

SentSms = Callable[[], list[dict[str, str]]]
SENT_SMS_PATH = "/_local/sms"
"""Local only, not part of the API: the texts moto's SNS has "sent" (what a phone would have
received), oldest first. The demo program's numbers are fictional."""
INVITATIONS_PATH = "/_local/invitations"
"""Local only, not part of the API: the sign-in invitations Cognito has "emailed" (username and
temporary password, as the real email carries them; `local/cognito_mail.py`), oldest first."""
_SWAGGER_DIR = Path(
    importlib.import_module("aws_lambda_powertools.event_handler.openapi.swagger_ui").__file__ or ""
)
STAGE = "local"


@dataclass(frozen=True)
class Operation:
    domain: str
    resource: str
    protected: bool


class TokenVerifier:
    """Verifies Cognito ID tokens against their pool's JWKS (fetched once, keys cached). Like API
    Gateway's authorizer with several pools, it accepts a token of any of them (participants' and
    staff's), each checked against its own pool's issuer and app client."""

    def __init__(
        self,
        aws_endpoint_url: str,
        region: str,
        user_pool_id: str,
        client_id: str,
        *,
        more_pools: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._pools: dict[str, tuple[jwt.PyJWKClient, str]] = {
            f"https://cognito-idp.{region}.amazonaws.com/{pool_id}": (
                jwt.PyJWKClient(f"{aws_endpoint_url}/{pool_id}/.well-known/jwks.json"),
                pool_client_id,
            )
            for pool_id, pool_client_id in ((user_pool_id, client_id), *more_pools)
        }

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        """API Gateway-style claims (all values strings), or None when the token is not valid."""
        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").removeprefix("bearer ").strip()
        try:
            # Which pool to verify against; nothing of the token is trusted before it verifies.
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            pool = self._pools.get(issuer) if isinstance(issuer, str) else None
            if pool is None:
                return None
            jwks, client_id = pool
            key = jwks.get_signing_key_from_jwt(token)
            decoded = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=client_id,
                issuer=issuer,
                options={"require": ["exp", "iat", "iss", "aud", "token_use"]},
            )
        except jwt.PyJWTError:
            return None
        if decoded.get("token_use") != "id":
            return None
        return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in decoded.items()}


@dataclass
class Gateway:
    """Everything the HTTP handler needs; one per running gateway."""

    document: dict[str, Any]
    verifier: TokenVerifier
    api_url: str
    sent_sms: SentSms | None = None
    """What `SENT_SMS_PATH` lists (the runtime reads moto's SNS); None: that path is 404."""
    invitations: SentSms | None = None
    """What `INVITATIONS_PATH` lists (`local.cognito_mail.invitations`); None: that path is 404."""
    invoker: Invoke = invoke_in_process
    """Runs a function on an event: the runtime's worker pool (Lambda-like containers, one event
    at a time each); by default in this process, one event at a time."""
    web_origins: tuple[str, ...] = ()
    """Web origins allowed to call the API from a browser (`functions.common.cors`): the
    gateway answers their preflights and adds CORS headers to its own errors."""
    web_app: WebApp | None = None
    """The web app served at `/app/` (`local.webapp`); None: those paths are 404."""

    def __post_init__(self) -> None:
        self.operations: dict[tuple[str, str], Operation] = {}
        self.allowed: dict[str, list[str]] = {}
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                self.operations[(path, method.upper())] = Operation(
                    domain=operation[FUNCTION_KEY], resource=path, protected=bool(operation.get("security"))
                )
                self.allowed.setdefault(path, []).append(method.upper())
        self.matcher = RouteMatcher(list(self.document["paths"]))
        self.converter = LambdaEventConverter(self.matcher)
        self.entrypoints = {op.domain: api_entrypoint(op.domain) for op in self.operations.values()}

    def published_document(self) -> dict[str, Any]:
        return {**self.document, "servers": [{"url": self.api_url, "description": "local runtime"}]}


Response = tuple[int, list[tuple[str, str]], bytes]
LOCAL_METHODS = ("GET", "HEAD")
"""What the gateway's own pages (Swagger UI, the document, `/_local/sms`) answer."""
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's request payload limit: a larger body is refused unread (413)."""


def refuse_body(content_length: str | None, path: str) -> Response | None:
    """The problem for a body the gateway will not read, from its claimed `Content-Length`
    alone (read first, a claim of gigabytes would be held in memory, and a negative one read
    until the client hangs up); None when it may be read."""
    raw = (content_length or "0").strip()
    if not raw.isdigit():
        status, hdrs, payload = _problem(
            400, "Bad Request", "bad-request", "Content-Length is not a number of bytes", path
        )
        return status, list(hdrs.items()), payload
    if int(raw) > MAX_PAYLOAD_BYTES:
        status, hdrs, payload = _problem(
            413, "Content Too Large", "too-large", f"the body exceeds {MAX_PAYLOAD_BYTES} bytes", path
        )
        return status, list(hdrs.items()), payload
    return None


def _problem(
    status: int, title: str, slug: str, detail: str, instance: str
) -> tuple[int, dict[str, str], bytes]:
    body = problem_body(
        status=status, title=title, type_=PROBLEM_BASE + slug, detail=detail, instance=instance
    )
    return status, {"Content-Type": PROBLEM_JSON}, json.dumps(body).encode()


def _not_allowed(method: str, path: str, allowed: list[str]) -> Response:
    """405 with `Allow`: the path exists, the method is not one the API serves there."""
    status, hdrs, payload = _problem(
        405, "Method Not Allowed", "method-not-allowed", f"{method} is not allowed here", path
    )
    return status, [*hdrs.items(), ("Allow", ", ".join(allowed))], payload


def complete_event(
    base: dict[str, Any],
    *,
    method: str,
    raw_path: str,
    resource: str,
    headers: list[tuple[str, str]],
    claims: dict[str, str] | None,
    body: bytes | None,
) -> dict[str, Any]:
    """Fill the chalice event out to the full API Gateway REST (v1) proxy shape."""
    url = urlsplit(raw_path)
    multi_query = parse_qs(url.query, keep_blank_values=True) or None
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    now = time.time()
    request_context: dict[str, Any] = {
        **base["requestContext"],
        "resourcePath": resource,
        "httpMethod": method,
        # As behind a custom domain mapped to the stage: no stage prefix in the path.
        "path": url.path,
        "stage": STAGE,
        "requestId": str(uuid.uuid4()),
        "extendedRequestId": str(uuid.uuid4()),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "accountId": "123456789012",
        "apiId": "local",
        "domainName": "127.0.0.1",
        "protocol": "HTTP/1.1",
        "authorizer": {"claims": claims} if claims is not None else None,
    }
    text_body = body.decode("utf-8", errors="replace") if body else None
    return {
        **base,
        "resource": resource,
        "path": url.path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": base.get("pathParameters") or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": text_body,
        "isBase64Encoded": False,
    }


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def with_cors(
    headers: list[tuple[str, str]], request: list[tuple[str, str]], origins: tuple[str, ...]
) -> list[tuple[str, str]]:
    """The response's headers with CORS for the request's origin, unless the function already
    gave them (its responses carry their own): the gateway's own answers (401, 404, 413, 502,
    ...) are readable by an allowed web app, as API Gateway's gateway responses are."""
    names = {name.lower() for name, _ in headers}
    if "access-control-allow-origin" in names:
        return headers
    added = list(cors.response_headers(_header(request, "Origin"), origins).items())
    return [*headers, *([] if "vary" in names else [("Vary", "Origin")]), *added]


def _route_captures(resource: str, path: str) -> dict[str, str]:
    captures: dict[str, str] = {}
    for template, actual in zip(resource.split("/"), path.rstrip("/").split("/"), strict=False):
        if template.startswith("{") and template.endswith("}"):
            captures[template[1:-1]] = actual
    return captures


def handle(
    gateway: Gateway, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes | None
) -> Response:
    """One HTTP exchange, whatever the method: returns status, headers and body."""
    path = urlsplit(raw_path).path
    if path in {"/docs", "/docs/"} or path.startswith("/docs/") or path == "/openapi.json":
        if method not in LOCAL_METHODS:
            return _not_allowed(method, path, list(LOCAL_METHODS))
        status, hdrs, payload = _docs(gateway, path, urlsplit(raw_path).query)
        return status, list(hdrs.items()), payload
    if gateway.web_app is not None and (path == WEB_PREFIX or path.startswith(WEB_PREFIX + "/")):
        if method not in LOCAL_METHODS:
            return _not_allowed(method, path, list(LOCAL_METHODS))
        return gateway.web_app.serve(path, _header(headers, "Host"))
    local_view = {SENT_SMS_PATH: gateway.sent_sms, INVITATIONS_PATH: gateway.invitations}.get(path)
    if local_view is not None:
        if method not in LOCAL_METHODS:
            return _not_allowed(method, path, list(LOCAL_METHODS))
        items = json.dumps({"items": local_view()}, indent=2)
        return 200, [("Content-Type", "application/json")], items.encode()
    try:
        match = gateway.matcher.match_route(raw_path)
    except ValueError:
        status, hdrs, payload = _problem(404, "Not Found", "not-found", "no such route", path)
        return status, list(hdrs.items()), payload
    if method == "OPTIONS" and _header(headers, "Access-Control-Request-Method"):
        # A CORS preflight: answered here, as API Gateway's mock integration answers it.
        return 204, list(cors.preflight(dict(headers), gateway.web_origins).items()), b""
    operation = gateway.operations.get((match.route, method))
    if operation is None:
        return _not_allowed(method, path, gateway.allowed[match.route])
    claims = None
    if operation.protected:
        authorization = _header(headers, "Authorization")
        claims = gateway.verifier.claims(authorization)
        if claims is None:
            status, hdrs, payload = _problem(
                401, "Unauthorized", "unauthenticated", "a valid Cognito ID token is required", path
            )
            return status, [*hdrs.items(), ("WWW-Authenticate", 'Bearer realm="tandem"')], payload
    base = gateway.converter.create_lambda_event(method, raw_path, dict(headers), body)
    base["pathParameters"] = _route_captures(match.route, path)
    event = complete_event(
        base,
        method=method,
        raw_path=raw_path,
        resource=match.route,
        headers=headers,
        claims=claims,
        body=body,
    )
    try:
        response = gateway.invoker(gateway.entrypoints[operation.domain], event)
    except FunctionTimeout:  # API Gateway's answer when the integration times out
        status, hdrs, payload = _problem(
            504, "Gateway Timeout", "gateway-timeout", "the function timed out", path
        )
        return status, list(hdrs.items()), payload
    except Exception:  # noqa: BLE001 - API Gateway answers 502 when the function fails
        status, hdrs, payload = _problem(502, "Bad Gateway", "bad-gateway", "the function failed", path)
        return status, list(hdrs.items()), payload
    out_headers: list[tuple[str, str]] = []
    for name, values in (response.get("multiValueHeaders") or {}).items():
        out_headers.extend((name, str(v)) for v in values)
    seen = {name.lower() for name, _ in out_headers}
    out_headers.extend(
        (k, str(v)) for k, v in (response.get("headers") or {}).items() if k.lower() not in seen
    )
    payload_text = response.get("body") or ""
    return int(response["statusCode"]), out_headers, payload_text.encode()


def _docs(gateway: Gateway, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    spec = json.dumps(gateway.published_document())
    if path == "/openapi.json" or "format=json" in query:
        return 200, {"Content-Type": "application/json"}, spec.encode()
    if path == "/docs/swagger-ui.js":
        return (
            200,
            {"Content-Type": "text/javascript"},
            (_SWAGGER_DIR.parent / "swagger-ui-bundle.min.js").read_bytes(),
        )
    if path == "/docs/swagger-ui.css":
        return 200, {"Content-Type": "text/css"}, (_SWAGGER_DIR.parent / "swagger-ui.min.css").read_bytes()
    html = generate_swagger_html(
        spec, "/docs/swagger-ui.js", "/docs/swagger-ui.css", "/docs", None, persist_authorization=True
    )
    return 200, {"Content-Type": "text/html; charset=utf-8"}, html.encode()


class GatewayServer(ThreadingHTTPServer):
    """A thread per connection (clients wait for an idle function worker, not for the socket)."""

    daemon_threads = True
    request_queue_size = socket.SOMAXCONN
    """The listen backlog: `socketserver`'s default of 5 reset connections beyond a handful
    of clients arriving at once."""


def make_server(gateway: Gateway, host: str, port: int, log: Callable[[str], None]) -> GatewayServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "TandemLocalGateway"

        def _serve(self) -> None:
            started = time.perf_counter()
            refused = refuse_body(self.headers.get("Content-Length"), urlsplit(self.path).path)
            if refused is not None:
                self.close_connection = True  # the unread body would be taken for the next request
                self._answer(started, *refused)
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            try:
                status, headers, payload = handle(
                    gateway, self.command, self.path, list(self.headers.items()), body
                )
            except Exception as exc:  # noqa: BLE001 - a gateway fault is a problem, never a reset
                log(f"gateway: {type(exc).__name__} on {self.command} {urlsplit(self.path).path}")
                status, problem_headers, payload = _problem(
                    500, "Internal Server Error", "internal", "the gateway failed", urlsplit(self.path).path
                )
                headers = list(problem_headers.items())
            self._answer(started, status, headers, payload)

        def _answer(
            self, started: float, status: int, headers: list[tuple[str, str]], payload: bytes
        ) -> None:
            if status != 204 or self.command != "OPTIONS":  # a preflight's answer is complete
                headers = with_cors(headers, list(self.headers.items()), gateway.web_origins)
            try:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in {"content-length", "connection"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away: nothing to answer
                return
            # Method, route path and status only: never bodies, headers or query strings (PHI).
            elapsed_ms = 1000 * (time.perf_counter() - started)
            log(f"{self.command} {urlsplit(self.path).path} {status} {elapsed_ms:.0f}ms")

        def __getattr__(self, name: str) -> Any:
            # `BaseHTTPRequestHandler` looks up `do_<METHOD>` and answers 501 text/html when it
            # is missing: every method (TRACE, QUERY, ...) is served, as a problem if need be.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return GatewayServer((host, port), RequestHandler)
