"""Every route's ceremony, declared once: what it is audited as, who may call it, whether it
needs `If-Match`, and whether a repeated `Idempotency-Key` replays its first answer.

    @router.post("/sessions/<session_id>/cancel", ...)
    @rules("session.cancel", "session/{session_id}", in_transaction=True, if_match=True)
    def cancel_session(session_id: SessionId, caller: Caller, audit: Audit, ...) -> ...:
        ...  # the use case alone: no audit.track, no role check, no If-Match presence check

The wrapper audits the call (`AuditWriter.track`: success, or the outcome its exception stands
for; `in_transaction` when the route writes its success entry in its own transaction), refuses
callers whose role `allow` does not name (403, audited as denied), refuses an update without
`If-Match` (428; the use case compares it with the version it read), and, with `idempotent`,
runs the route through the domain's idempotency store (the route then returns an `Outcome`).
The route's rules are on the function (`RULES_ATTRIBUTE`), so a test can check that every
route of every resolver declares them, and what each is audited as.

The wrapper keeps the route's signature, with its annotations resolved in the route's own
module, so Powertools' validation, dependency injection and OpenAPI see the route as written.
"""

from __future__ import annotations

import functools
import inspect
import string
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.errors import FieldError, Forbidden, PreconditionRequired
from functions.common.idempotency import Outcome

_formatter = string.Formatter()
P = ParamSpec("P")
R = TypeVar("R")
RULES_ATTRIBUTE: Final = "__tandem_route_rules__"
ANYONE: Final = frozenset(Role)
STAFF: Final = frozenset({Role.CLINICIAN, Role.COORDINATOR})
COORDINATORS: Final = frozenset({Role.COORDINATOR})
IF_MATCH_PARAMETER: Final = "if_match"
IDEMPOTENCY_PARAMETER: Final = "idempotency_key"

Idempotently = Callable[[Principal, "str | None", str, Any, Callable[[], Outcome], Any], Any]


Action = str | Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class RouteRules:
    action: Action
    """What the audit log calls the call (`session.cancel`), or how to tell it from the route's
    arguments (`session.private` or `session.not_private` by the body)."""
    resource: Action
    """The audited resource: a format string over the route's parameters (`session/{session_id}`),
    or how to make it of them."""
    allow: frozenset[Role]
    refused: str
    """The 403's detail for a caller whose role is not allowed."""
    in_transaction: bool
    """The route writes its success entry in its own transaction (only failures are recorded here)."""
    if_match: bool
    idempotent: str | None
    """The operation name under which a repeated `Idempotency-Key` replays the first answer."""


def rules_of(route: Callable[..., Any]) -> RouteRules | None:
    """The rules a route declared (None: it declared none)."""
    found = getattr(route, RULES_ATTRIBUTE, None)
    return found if isinstance(found, RouteRules) else None


def declared(
    idempotently: Idempotently | None = None,
) -> Callable[..., Callable[[Callable[P, R]], Callable[P, R]]]:
    """The `rules` decorator of one domain: `idempotently` is its idempotency runner
    (`functions.common.idempotency.bound_to`)."""

    def rules(
        action: Action,
        resource: Action,
        *,
        allow: Collection[Role] = ANYONE,
        refused: str | None = None,
        in_transaction: bool = False,
        if_match: bool = False,
        idempotent: str | None = None,
    ) -> Callable[[Callable[P, R]], Callable[P, R]]:
        allowed = frozenset(allow)
        declared_rules = RouteRules(
            action=action,
            resource=resource,
            allow=allowed,
            # as `Principal.require` says it
            refused=refused
            or "this action needs the role " + " or ".join(r.value for r in Role if r in allowed),
            in_transaction=in_transaction,
            if_match=if_match,
            idempotent=idempotent,
        )
        if idempotent and idempotently is None:
            raise ValueError(f"{idempotent}: idempotent routes need the domain's idempotency runner")

        def decorate(route: Callable[P, R]) -> Callable[P, R]:
            signature = _resolved_signature(route)
            names = set(signature.parameters)
            needed = {"caller", "audit"} | ({IF_MATCH_PARAMETER} if if_match else set())
            if idempotent:
                needed |= {IDEMPOTENCY_PARAMETER, "body"}
            missing = needed - names
            if missing:
                raise TypeError(f"{route.__name__}: its rules need the parameters {sorted(missing)}")
            fields = (
                set() if callable(resource) else {_root(n) for _, n, _, _ in _formatter.parse(resource) if n}
            )
            if not fields <= names:
                raise TypeError(
                    f"{route.__name__}: the resource names unknown parameters {sorted(fields - names)}"
                )

            # The request an Idempotency-Key stands for: its path (whose resource) and its body
            path_parameters = [
                name
                for name, parameter in signature.parameters.items()
                if any(isinstance(m, Path) for m in typing.get_args(parameter.annotation)[1:])
            ]

            @functools.wraps(route)
            def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
                bound = signature.bind_partial(*args, **kwargs).arguments
                caller: Principal = bound["caller"]
                audit: AuditWriter = bound["audit"]
                target = (
                    resource(bound)
                    if callable(resource)
                    else resource.format(**{n: bound[n] for n in fields})
                )
                named = action(bound) if callable(action) else action
                with audit.track(caller, named, target, success_in_transaction=in_transaction):
                    if caller.role not in declared_rules.allow:
                        raise Forbidden(declared_rules.refused)
                    if if_match and not bound.get(IF_MATCH_PARAMETER):
                        raise PreconditionRequired(
                            "send If-Match with the ETag of the version you are updating",
                            errors=[FieldError("header.If-Match", "required")],
                        )
                    if idempotent is None:
                        return route(*args, **kwargs)
                    assert idempotently is not None
                    body = bound["body"]
                    payload = {
                        **{name: bound[name] for name in path_parameters if name in bound},
                        **(body.model_dump(mode="json") if isinstance(body, BaseModel) else body),
                    }
                    produced: Any = idempotently(
                        caller,
                        bound.get(IDEMPOTENCY_PARAMETER),
                        idempotent,
                        payload,
                        lambda: typing.cast(Outcome, route(*args, **kwargs)),
                        BaseRouter.lambda_context,
                    )
                    return typing.cast(R, produced)

            if idempotent:
                # The route produces the first answer (an Outcome); callers get it as a response
                signature = signature.replace(return_annotation=Response[dict[str, Any]])
            wrapper.__signature__ = signature  # type: ignore[attr-defined]
            setattr(wrapper, RULES_ATTRIBUTE, declared_rules)
            return wrapper

        return decorate

    return rules


def _root(field: str) -> str:
    """The parameter a format field reads (`caller` of `caller.person_id`)."""
    return field.split(".", 1)[0].split("[", 1)[0]


def _resolved_signature(route: Callable[..., Any]) -> inspect.Signature:
    """The route's signature with its annotations evaluated in its own module (it may use
    `from __future__ import annotations`): Powertools reads the wrapper's signature and would
    otherwise resolve the names in this module."""
    hints = typing.get_type_hints(route, include_extras=True)
    signature = inspect.signature(route)
    return signature.replace(
        parameters=[
            p.replace(annotation=hints.get(p.name, p.annotation)) for p in signature.parameters.values()
        ],
        return_annotation=hints.get("return", signature.return_annotation),
    )
