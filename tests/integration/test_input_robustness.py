"""Whatever a client sends as a body, every route that takes one answers a 4xx problem
naming `body` (or the header at fault), never a 500: malformed, over-deep, oversized,
non-JSON and wrongly typed input alike."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest

from functions.catalog import api_entrypoint
from functions.common.api import MAX_BODY_BYTES, MAX_BODY_DEPTH
from functions.openapi import FUNCTION_KEY, load_committed
from tests.integration.conftest import caller_of
from tests.support import claims

COORDINATOR = claims("per_democoordinator", "coordinator")
_PLACEHOLDERS = {"occurrence_start": "2026-12-08T18:00:00-06:00", "payer_id": "AETNA"}


def _operations_with_a_body() -> list[tuple[str, str, str]]:
    found = []
    for path, item in load_committed()["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                concrete = re.sub(r"\{(\w+)\}", lambda m: _PLACEHOLDERS.get(m.group(1), "per_demoalex"), path)
                found.append((method.upper(), concrete, operation[FUNCTION_KEY]))
    return found


OPERATIONS = _operations_with_a_body()
JSON = {"Content-Type": "application/json", "If-Match": "*"}
CT = "header.Content-Type"
BODIES: dict[str, tuple[str, dict[str, str], int, str]] = {
    # name: (raw body, headers, expected status, field named)
    "nested 1000 deep": ("[" * 1000 + "]" * 1000, JSON, 400, "body"),
    "objects nested 1000 deep": ('{"a":' * 1000 + "1" + "}" * 1000, JSON, 400, "body"),
    "one level too deep": ("[" * (MAX_BODY_DEPTH + 1) + "]" * (MAX_BODY_DEPTH + 1), JSON, 400, "body"),
    "a 5000-digit integer": ('{"x": ' + "9" * 5000 + "}", JSON, 400, "body"),
    "a lone surrogate": ('{"display_name": "\\ud800"}', JSON, 400, "body"),
    "a lone surrogate as a key": ('{"\\udfff": 1}', JSON, 400, "body"),
    "NaN": ('{"x": NaN}', JSON, 400, "body"),
    "Infinity": ("Infinity", JSON, 400, "body"),
    "not JSON": ("{not json", JSON, 400, "body"),
    "oversized": ('{"x": "' + "a" * MAX_BODY_BYTES + '"}', JSON, 413, "body"),
    "multipart without a boundary": ("x", {"Content-Type": "multipart/form-data"}, 415, CT),
    "multipart": (
        '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b"},
        415,
        CT,
    ),
    "a form": ("kind=participant", {"Content-Type": "application/x-www-form-urlencoded"}, 415, CT),
    "text": ("hello", {"Content-Type": "text/plain"}, 415, CT),
    "an array": ("[1, 2]", JSON, 422, "body"),
    "a string": ('"text"', JSON, 422, "body"),
    "a number": ("12", JSON, 422, "body"),
    "null": ("null", JSON, 422, "body"),
}


def _handler(domain: str) -> Any:
    entry = api_entrypoint(domain)
    return getattr(importlib.import_module(entry.module), entry.function_name)


@pytest.mark.parametrize(("method", "path", "domain"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_route_with_a_body_refuses_bad_input_as_a_problem(moto_env, method, path, domain):
    call = caller_of(_handler(domain))
    for name, (raw, headers, status, field) in BODIES.items():
        # When a client sends the body to the route
        reply = call(method, path, caller=COORDINATOR, raw_body=raw, headers=headers)
        # Then it is the expected 4xx problem naming the field, never a 5xx
        assert (name, reply.status) == (name, status), reply.json
        assert reply.content_type == "application/problem+json"
        assert field in {e["field"] for e in reply.json["errors"]}, name


def test_a_body_just_within_the_limits_is_parsed(moto_env):
    # Given a body exactly as deep as allowed (and under the size limit)
    nested: Any = "x"
    for _ in range(MAX_BODY_DEPTH - 1):
        nested = [nested]
    raw = '{"display_name": ' + json.dumps(nested) + "}"
    reply = caller_of(_handler("schedule"))(
        "PATCH", "/people/per_demoalex", caller=COORDINATOR, raw_body=raw, headers=JSON
    )
    # Then it reaches field validation (422 naming the field), not the parser's 400
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["body.display_name"]
