"""Test helpers: API Gateway REST (v1) events built the way the local gateway builds them,
Cognito-style claims, and a Lambda context."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalice.local import LambdaContext, LambdaEventConverter, RouteMatcher

from functions.openapi import load_committed
from local.gateway import _route_captures, complete_event

_ROUTES = list(load_committed()["paths"])
_MATCHER = RouteMatcher(_ROUTES)
_CONVERTER = LambdaEventConverter(_MATCHER)


def free_ports(count: int) -> list[int]:
    """Distinct free ports: every socket stays bound until all are chosen (two bind(0)
    calls in a row may otherwise return the same port)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def claims(person_id: str, *groups: str, username: str | None = None) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them (all values strings)."""
    return {
        "sub": f"sub-{person_id}",
        "cognito:username": username or f"user-{person_id}",
        "custom:person_id": person_id,
        "cognito:groups": ",".join(groups),
        "token_use": "id",
    }


def api_event(
    method: str,
    path: str,
    *,
    caller: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    payload = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    encoded = payload.encode() if payload is not None else None
    try:
        resource = _MATCHER.match_route(path).route
        base = _CONVERTER.create_lambda_event(method, path, all_headers, encoded)
    except ValueError:  # a path no route serves: what a catch-all resource would pass on
        resource = "/{proxy+}"
        base = {"requestContext": {"identity": {"sourceIp": "127.0.0.1"}}, "pathParameters": None}
    base["pathParameters"] = _route_captures(resource, path.split("?")[0])
    return complete_event(
        base,
        method=method,
        raw_path=path,
        resource=resource,
        headers=list(all_headers.items()),
        claims=caller,
        body=encoded,
    )


def context(name: str = "test") -> Any:
    """A Lambda context (chalice's local one, which has every attribute Powertools reads)."""
    ctx = LambdaContext(name, 512, max_runtime_ms=30_000)
    ctx.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    return ctx


class Reply:
    """A Lambda proxy response, read the way API Gateway reads it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.status = int(raw["statusCode"])
        headers: dict[str, str] = {}
        for name, values in (raw.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = values[-1]
        for name, value in (raw.get("headers") or {}).items():
            headers.setdefault(name.lower(), value)
        self.headers = headers
        self.text = raw.get("body") or ""

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:300]})"


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Count, by operation, the DynamoDB calls made on the shared client (the one every
    handler gets from `functions.common.aws`) while the block runs."""
    from functions.common import aws

    counts: Counter[str] = Counter()

    def count(model: Any, **_kwargs: Any) -> None:
        counts[model.name] += 1

    client = aws.client("dynamodb")
    client.meta.events.register("before-call.dynamodb", count)
    try:
        yield counts
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)


def drain_queue(sqs: Any, queue_url: str, *, attributes: bool = False) -> list[dict[str, Any]]:
    """Every message waiting on `queue_url`, each received once: received messages stay hidden
    for an hour, so however slowly a loaded machine drains a long queue, none comes round again
    (the default 30 s visibility timeout let a slow drain see messages twice)."""
    messages: list[dict[str, Any]] = []
    extra: dict[str, Any] = {"MessageSystemAttributeNames": ["All"]} if attributes else {}
    while batch := sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600, **extra
    ).get("Messages", []):
        messages += batch
    return messages


def put_person(dynamodb: Any, table: str, person_id: str, kind: str = "participant") -> None:
    """A person's schedule profile reduced to what schedule publishes of it (kind and zone), for
    tests of coverage and notify that need the person to exist (once the change is delivered)."""
    dynamodb.put_item(
        TableName=table,
        Item={
            "pk": {"S": f"PERSON#{person_id}"},
            "sk": {"S": "PROFILE"},
            "entity": {"S": "PERSON"},
            "person_id": {"S": person_id},
            "kind": {"S": kind},
            "time_zone": {"S": "America/Chicago"},
            "version": {"N": "1"},
        },
    )


def published(raw: dict[str, Any]) -> Any:
    """The one event schedule's translator publishes for a stream record of its table (raw item
    images, as DynamoDB Streams carries them): what a subscriber is handed for that change."""
    from functions.common.streams import to_change
    from functions.schedule.publish import translate
    from tests.contracts import check_event

    (event,) = translate(to_change(raw))
    check_event(json.loads(event.model_dump_json()))
    return event


def sqs_records(
    events: list[Any], *, queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:test.fifo"
) -> dict[str, Any]:
    """The SQS event Lambda hands a subscriber for these events, read off its FIFO queue (each
    checked against its committed schema: a consumer is only ever handed what the contract allows)."""
    from tests.contracts import check_event

    for event in events:
        check_event(json.loads(event.model_dump_json()))
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": event.model_dump_json(),
                "attributes": {"MessageGroupId": event.subject, "MessageDeduplicationId": event.id},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for n, event in enumerate(events)
        ]
    }


def published_images(new: dict[str, Any], old: dict[str, Any] | None = None) -> Any:
    """The event schedule publishes when an item of its table becomes `new` (was `old`)."""
    from functions.common.dynamo import to_item

    images = {"NewImage": to_item(new), **({"OldImage": to_item(old)} if old else {})}
    return published({"eventName": "MODIFY" if old else "INSERT", "dynamodb": images})
