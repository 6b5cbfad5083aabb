"""The caller's identity, read from the API Gateway Cognito authorizer's claims.

API Gateway (and the local gateway, which mimics it) puts the verified ID-token claims
at `requestContext.authorizer.claims`. The role comes from the `cognito:groups` claim,
the person id from the `custom:person_id` claim. A request without them never reaches
a protected route: `current_principal` raises `Unauthenticated`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from aws_lambda_powertools.event_handler.request import Request
from pydantic import BaseModel, ConfigDict

from functions.common.errors import Forbidden, Unauthenticated

PERSON_ID_CLAIM = "custom:person_id"
GROUPS_CLAIM = "cognito:groups"


class Role(StrEnum):
    PARTICIPANT = "participant"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"


# A user in several groups acts with the broadest role.
_PRECEDENCE = (Role.COORDINATOR, Role.CLINICIAN, Role.PARTICIPANT)


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    role: Role
    username: str

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    def require(self, *roles: Role) -> None:
        """Raise `Forbidden` unless the caller has one of `roles`."""
        if self.role not in roles:
            raise Forbidden("this action needs the role " + " or ".join(r.value for r in roles))


def _groups(raw: Any) -> list[str]:
    # API Gateway REST passes the groups claim as a string: "[a, b]" or "a,b" or "a".
    if isinstance(raw, list):
        return [str(g) for g in raw]
    if isinstance(raw, str):
        return [g.strip() for g in raw.strip("[]").replace(" ", ",").split(",") if g.strip()]
    return []


def principal_from_claims(claims: dict[str, Any] | None) -> Principal:
    if not claims:
        raise Unauthenticated("a valid bearer token is required")
    person_id = claims.get(PERSON_ID_CLAIM)
    if not person_id:
        raise Unauthenticated("the token carries no person id")
    groups = set(_groups(claims.get(GROUPS_CLAIM)))
    role = next((r for r in _PRECEDENCE if r.value in groups), None)
    if role is None:
        raise Unauthenticated("the token carries no Tandem role")
    username = str(claims.get("cognito:username") or claims.get("sub") or person_id)
    return Principal(person_id=str(person_id), role=role, username=username)


def principal_from_event(event: dict[str, Any]) -> Principal:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims")
    return principal_from_claims(claims)


def current_principal(request: Request) -> Principal:
    """Powertools `Depends` provider: the authenticated caller of this request."""
    return principal_from_event(request.resolved_event.raw_event)
