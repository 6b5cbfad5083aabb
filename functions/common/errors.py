"""Typed domain errors. Logic raises these; `functions.common.api` maps every one of them
(and validation errors, unknown routes and anything unexpected) to an RFC 9457 problem
response in one place. No stack trace or exception text of an unexpected error reaches a
client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_BASE = "https://tandem.health/problems/"
RETRY_SOON_SECONDS = 5
"""Retry-After of a dependency failure that says nothing better."""


@dataclass(frozen=True)
class FieldError:
    """One offending input field: `field` is a dotted path such as ``body.time_zone``."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class TandemError(Exception):
    """Base of every error a client may see. Subclasses fix the status, title and type."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str] = "internal"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extensions = extensions

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


class BadRequest(TandemError):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthenticated(TandemError):
    status, title, slug = 401, "Unauthorized", "unauthenticated"


class Forbidden(TandemError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(TandemError):
    """Also used for resources the caller may not know exist (never 403 for those)."""

    status, title, slug = 404, "Not Found", "not-found"


class Conflict(TandemError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(TandemError):
    status, title, slug = 412, "Precondition Failed", "precondition-failed"


class PayloadTooLarge(TandemError):
    status, title, slug = 413, "Content Too Large", "too-large"


class UnsupportedMediaType(TandemError):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


class InvalidInput(TandemError):
    status, title, slug = 422, "Unprocessable Content", "validation"


class PreconditionRequired(TandemError):
    status, title, slug = 428, "Precondition Required", "precondition-required"


class ConfigurationError(TandemError):
    """The function is misconfigured (an operator's problem); clients see a plain 500."""

    status, title, slug = 500, "Internal Server Error", "internal"


class UpstreamRefused(TandemError):
    """A service Tandem depends on answered, but refused the request for a reason on Tandem's
    side (its credentials, its set-up, a request it cannot read): 502, without Retry-After,
    since trying again will not help until an operator fixes it. `dependency` names the
    service, told to the client."""

    status, title, slug = 502, "Bad Gateway", "upstream-refused"

    def __init__(self, detail: str, *, dependency: str, **extensions: Any) -> None:
        super().__init__(detail, dependency=dependency, **extensions)
        self.dependency = dependency


class DependencyUnavailable(TandemError):
    """Something Tandem depends on cannot answer now (down, timing out, throttling): 503 with a
    `Retry-After` header of `retry_after` seconds.

    `dependency` names the service (``dynamodb``, ``sqs``, ``clearinghouse``; never data) and is
    told to the client; `reason` says what happened (an AWS error code, an exception's type or
    ``circuit open``) for logs and delivery records only.
    """

    status, title, slug = 503, "Service Unavailable", "dependency-unavailable"

    def __init__(
        self,
        detail: str,
        *,
        retry_after: int = RETRY_SOON_SECONDS,
        dependency: str | None = None,
        reason: str = "",
        errors: list[FieldError] | None = None,
        **extensions: Any,
    ) -> None:
        retry_after = max(1, retry_after)
        if dependency is not None:
            extensions["dependency"] = dependency
        super().__init__(detail, errors=errors, retry_after=retry_after, **extensions)
        self.retry_after = retry_after
        self.dependency = dependency
        self.reason = reason or type(self).__name__


def dependency_failure_in(exc: BaseException) -> DependencyUnavailable | None:
    """The first dependency failure behind `exc` (itself, what a library wrapped, or what was
    being handled when it was raised), or None.

    Powertools idempotency raises IdempotencyPersistenceLayerError from what its store raised;
    recording a failure (the audit entry of a failed read) can fail in turn. The first failure
    is the one to tell: its dependency and its Retry-After.
    """
    found: DependencyUnavailable | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DependencyUnavailable):
            found = current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return found
