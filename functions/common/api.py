"""The shared shape of every API function: a validating Powertools resolver whose errors
all become RFC 9457 problem responses, and a Lambda entry point with logging, tracing and
metrics wired once.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import aws, cors
from functions.common.audit import AuditWriter
from functions.common.config import ApiSettings, load_settings
from functions.common.errors import (
    PROBLEM_BASE,
    BadRequest,
    ConfigurationError,
    DependencyUnavailable,
    FieldError,
    PayloadTooLarge,
    TandemError,
    UnsupportedMediaType,
    dependency_failure_in,
)
from functions.common.failures import failure_frames
from functions.common.http import problem_body, problem_response
from functions.common.observability import CAPTURE_COLD_START, logger, metrics, tracer

# The OpenAPI security requirement of every authenticated route (API Gateway's Cognito
# authorizer in AWS, the local gateway's JWKS check locally).
AUTHENTICATED: list[dict[str, list[str]]] = [{"cognito": []}]


def _request_id(app: APIGatewayRestResolver) -> str | None:
    try:
        return app.current_event.request_context.request_id
    except (AttributeError, KeyError):
        return None


def _instance(app: APIGatewayRestResolver) -> str | None:
    try:
        return app.current_event.path
    except (AttributeError, KeyError):
        return None


def _field_errors(exc: RequestValidationError) -> list[FieldError]:
    fields: list[FieldError] = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        fields.append(FieldError(".".join(loc) or "body", str(err.get("msg", "invalid"))))
    return fields


# --- request bodies: JSON only, bounded in size and depth ------------------------------------

MAX_BODY_BYTES = 256 * 1024
"""Far above any real request (a clinician's availability with every time off is ~20 KB),
far below API Gateway's 10 MB."""
MAX_BODY_DEPTH = 16
"""Objects and arrays inside one another; the deepest real body nests 4."""


def _json_media_type(content_type: str | None) -> bool:
    media = (content_type or "application/json").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _not_a_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _shape_fault(value: Any) -> str | None:
    """What makes a parsed body unusable whatever its route: nesting deeper than
    `MAX_BODY_DEPTH`, or a lone UTF-16 surrogate (`"\\ud800"` is valid JSON but no text:
    nothing can store or send it). Walked iteratively: no recursion to exhaust."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                return "contains a lone surrogate (not text)"
        elif isinstance(item, dict | list):
            if level == MAX_BODY_DEPTH:
                return f"objects and arrays nest at most {MAX_BODY_DEPTH} deep"
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return None


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the body is larger than {MAX_BODY_BYTES} bytes",
        errors=[FieldError("body", f"at most {MAX_BODY_BYTES} bytes")],
    )


def parse_json_body(text: str) -> Any:
    """A request body as JSON, or a 4xx problem naming `body`: strict JSON (no NaN or
    Infinity), at most `MAX_BODY_BYTES` and `MAX_BODY_DEPTH` deep. Deep nesting (which
    exhausts the recursion limit) and numbers past Python's int/str conversion limit are
    client errors like any other malformed JSON, never a 500."""
    if len(text) > MAX_BODY_BYTES or len(text.encode("utf-8", errors="replace")) > MAX_BODY_BYTES:
        raise _too_large()
    fault: str | None
    try:
        value = json.loads(text, parse_constant=_not_a_constant)
    except RecursionError:
        value, fault = None, f"objects and arrays nest at most {MAX_BODY_DEPTH} deep"
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, an integer of 4,300+ digits
        where = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise BadRequest(
            "the body is not valid JSON", errors=[FieldError("body", f"not valid JSON{where}")]
        ) from None
    else:
        fault = _shape_fault(value)
    if fault:
        raise BadRequest("the body cannot be read: " + fault, errors=[FieldError("body", fault)])
    return value


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading bodies as JSON alone (`parse_json_body`):
    a form, multipart or any other media type is a 415 before anything parses it."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def _get_body(self, app: Any) -> Any:
        event = app.current_event
        if not event.body:
            return None
        if not _json_media_type(event.headers.get("content-type")):
            raise UnsupportedMediaType(
                "send application/json",
                errors=[FieldError("header.Content-Type", "must be application/json")],
            )
        if len(event.body) > 2 * MAX_BODY_BYTES:  # refused before decoding anything that large
            raise _too_large()
        try:
            text = event.decoded_body
        except (binascii.Error, ValueError):  # bad base64, or not UTF-8 (UnicodeDecodeError)
            raise BadRequest("the body is not UTF-8 text", errors=[FieldError("body", "not UTF-8")]) from None
        return parse_json_body(text or "")


def create_resolver() -> APIGatewayRestResolver:
    """A resolver with request/response validation and every error mapped to a problem."""
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=parse_json_body)
    # Powertools builds each route's middleware stack from this attribute on first use.
    app._request_validation_middleware = JsonBodyValidation()

    def problem(
        status: int, title: str, slug: str, detail: str, errors: list[FieldError] | None = None
    ) -> Response[str]:
        return problem_response(
            problem_body(
                status=status,
                title=title,
                type_=PROBLEM_BASE + slug,
                detail=detail,
                instance=_instance(app),
                errors=errors,
                request_id=_request_id(app),
            )
        )

    @app.exception_handler(TandemError)
    def _domain_error(exc: TandemError) -> Response[str]:
        if isinstance(exc, ConfigurationError):
            logger.error("function misconfigured", extra={"reason": exc.detail})
            return problem(500, "Internal Server Error", "internal", "the service is misconfigured")
        if exc.status >= 500:
            logger.warning("dependency failure", extra={"problem": exc.slug})
        return from_error(exc)

    def from_error(exc: TandemError, headers: dict[str, str] | None = None) -> Response[str]:
        body = problem_body(
            status=exc.status,
            title=exc.title,
            type_=exc.type,
            detail=exc.detail,
            instance=_instance(app),
            errors=exc.errors,
            request_id=_request_id(app),
            **exc.extensions,
        )
        return problem_response(body, headers)

    # A dependency that cannot answer (functions.common.aws turns AWS failures into
    # DependencyUnavailable; the clearinghouse has its own): 503 with Retry-After, here only.
    def unavailable(raised: DependencyUnavailable) -> Response[str]:
        exc = dependency_failure_in(raised) or raised
        logger.warning("dependency unavailable: answered 503", extra={"dependency": exc.dependency})
        return from_error(exc, {"Retry-After": str(exc.retry_after)})

    app.exception_handler(DependencyUnavailable)(unavailable)

    @app.exception_handler(RequestValidationError)
    def _validation_error(exc: RequestValidationError) -> Response[str]:
        fields = _field_errors(exc)
        return problem(
            422,
            "Unprocessable Content",
            "validation",
            "the request is not valid: " + ", ".join(f.field for f in fields),
            fields,
        )

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(exc: RequestUnsupportedContentType) -> Response[str]:
        return problem(415, "Unsupported Media Type", "unsupported-media-type", "send application/json")

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response[str]:
        return problem(404, "Not Found", "not-found", "no such route")

    @app.exception_handler(ServiceError)
    def _service_error(exc: ServiceError) -> Response[str]:
        return problem(exc.status_code, "Error", "http-error", str(exc.msg))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        cause = dependency_failure_in(exc)
        if cause is not None:
            return unavailable(cause)
        # Where it failed goes to the log, never the exception's text: messages such as a
        # pydantic ValidationError's quote the input they choked on, which may be PHI.
        # The client gets no detail at all.
        logger.error(
            "unhandled error", extra={"error_type": type(exc).__name__, "frames": failure_frames(exc)}
        )
        metrics.add_metric(name="UnhandledErrors", unit="Count", value=1)
        return problem(500, "Internal Server Error", "internal", "an unexpected error occurred")

    return app


def lambda_entry(
    app: APIGatewayRestResolver, domain: str
) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler of an API function: logger, tracer and metrics around `resolve`."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=CAPTURE_COLD_START)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        logger.append_keys(domain=domain)
        with aws.invocation(context):
            response = app.resolve(event, context)
        return cors.with_cors(response, event.get("headers"), cors.origins_from_env())

    return cast("Callable[[dict[str, Any], LambdaContext], dict[str, Any]]", handler)


# --- dependencies shared by routes of every function (Powertools Depends providers) --------


def common_settings() -> ApiSettings:
    return load_settings(ApiSettings)


def audit_writer(request: Request) -> AuditWriter:
    settings = common_settings()
    context = request.resolved_event.raw_event.get("requestContext") or {}
    request_id = str(context.get("requestId") or "unknown")
    return AuditWriter(settings.audit_table, aws.client("dynamodb"), request_id)
