"""HTTP conventions shared by every route: problem responses, ETags, opaque cursors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, Field

from functions.common.errors import BadRequest, FieldError, PreconditionFailed, PreconditionRequired

PROBLEM_JSON = "application/problem+json"


class ProblemField(BaseModel):
    field: str = Field(description="Where: `body.<name>`, `query.<name>`, `path.<name>` or `header.<Name>`.")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: the body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] | None = Field(default=None, description="The offending input fields.")
    request_id: str | None = None


def problem_body(
    *,
    status: int,
    title: str,
    type_: str,
    detail: str,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    request_id: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem details object (with `errors` listing offending fields)."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return body


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=int(body["status"]),
        content_type=PROBLEM_JSON,
        body=json.dumps(body),
        headers=headers or {},
    )


# --- ETag / If-Match -------------------------------------------------------------------------


def etag(version: int) -> str:
    """The strong entity tag of a stored item's version counter."""
    return f'"{version}"'


def require_if_match(header: str | None, current_version: int) -> None:
    """Optimistic concurrency for updates: `If-Match` must name the current version."""
    if not header:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you are updating",
            errors=[FieldError("header.If-Match", "required")],
        )
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in candidates and etag(current_version) not in candidates:
        raise PreconditionFailed(
            "the resource changed since you read it; fetch it again and retry",
            errors=[FieldError("header.If-Match", f"current ETag is {etag(current_version)}")],
        )


# --- opaque cursors ----------------------------------------------------------------------------


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, expected_keys: set[str]) -> dict[str, Any] | None:
    """The DynamoDB start key behind a cursor; 400 naming `query.cursor` when it is not ours."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if (
        not isinstance(key, dict)
        or set(key) != expected_keys
        or not all(isinstance(value, str) for value in key.values())  # every key attribute is S
    ):
        raise BadRequest("the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")])
    return key
