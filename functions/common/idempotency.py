"""`Idempotency-Key` for creating POSTs, on Powertools idempotency.

A client that sends `Idempotency-Key: <key>` with a creating request may retry it safely:
the first completed response is stored (in the shared idempotency table, for 24 h) and
replayed for a retry with the same key, caller and body, with `Idempotent-Replayed: true`.
The same key with a different body is a client error (422); a retry while the first is
still running gets 409. Following the IETF httpapi idempotency-key draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from functions.common import aws
from functions.common.auth import Principal
from functions.common.errors import BadRequest, Conflict, FieldError, InvalidInput

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
TWENTY_FOUR_HOURS = 24 * 60 * 60


@dataclass(frozen=True)
class Outcome:
    """What a creating operation produced: enough to replay the HTTP response."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def response(self, *, replayed: bool = False) -> Response[dict[str, Any]]:
        headers = dict(self.headers)
        if replayed:
            headers[REPLAYED_HEADER] = "true"
        return Response(
            status_code=self.status_code, content_type="application/json", body=self.body, headers=headers
        )


def _mark_replay(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "replayed": True}


def run_idempotent(
    *,
    key: str | None,
    principal: Principal,
    operation: str,
    payload: Any,
    produce: Callable[[], Outcome],
    table_name: str,
    client: Any,
    lambda_context: Any = None,
) -> Response[dict[str, Any]]:
    """Run `produce` at most once per (caller, operation, key); replay its outcome after."""
    if key is None:
        return produce().response()
    if not _KEY.match(key):
        raise BadRequest(
            "Idempotency-Key must be 1-255 printable ASCII characters without spaces",
            errors=[FieldError(f"header.{IDEMPOTENCY_HEADER}", "invalid format")],
        )
    config = IdempotencyConfig(
        event_key_jmespath="[actor, operation, key]",
        payload_validation_jmespath="payload",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=TWENTY_FOUR_HOURS,
        response_hook=_mark_replay,
    )
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        config.register_lambda_context(lambda_context)
    persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=persistence,
        config=config,
        key_prefix=f"api#{operation}",
    )
    def execute(request: dict[str, Any]) -> dict[str, Any]:
        outcome = produce()
        return {"status_code": outcome.status_code, "body": outcome.body, "headers": outcome.headers}

    request = {"actor": principal.person_id, "operation": operation, "key": key, "payload": payload}
    try:
        stored = execute(request=request)
    except IdempotencyValidationError as exc:
        raise InvalidInput(
            "this Idempotency-Key was already used with a different request body",
            errors=[FieldError(f"header.{IDEMPOTENCY_HEADER}", "reused with a different body")],
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed; retry shortly",
            errors=[FieldError(f"header.{IDEMPOTENCY_HEADER}", "in progress")],
        ) from exc
    outcome = Outcome(stored["status_code"], stored["body"], stored.get("headers") or {})
    return outcome.response(replayed=bool(stored.get("replayed")))


Idempotently = Callable[
    [Principal, "str | None", str, Any, Callable[[], Outcome], Any], Response[dict[str, Any]]
]


def bound_to(table_name: Callable[[], str]) -> Idempotently:
    """`run_idempotent` for one function's routes: its idempotency table (read from its
    settings at call time) and the container's DynamoDB client filled in."""

    def idempotently(
        caller: Principal,
        key: str | None,
        operation: str,
        payload: Any,
        produce: Callable[[], Outcome],
        context: Any,
    ) -> Response[dict[str, Any]]:
        return run_idempotent(
            key=key,
            principal=caller,
            operation=operation,
            payload=payload,
            produce=produce,
            table_name=table_name(),
            client=aws.client("dynamodb"),
            lambda_context=context,
        )

    return idempotently
