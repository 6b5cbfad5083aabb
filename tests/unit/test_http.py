"""ETags, If-Match, opaque cursors and problem bodies."""

from __future__ import annotations

import base64
import json

import pytest

from functions.common.errors import BadRequest, FieldError, PreconditionFailed, PreconditionRequired
from functions.common.http import (
    PROBLEM_JSON,
    decode_cursor,
    encode_cursor,
    etag,
    problem_body,
    problem_response,
    require_if_match,
)


def test_etag_is_a_quoted_version():
    assert etag(3) == '"3"'
    assert etag(12) == '"12"'


@pytest.mark.parametrize("header", [None, ""])
def test_missing_if_match_is_precondition_required(header):
    with pytest.raises(PreconditionRequired) as caught:
        require_if_match(header, 3)
    assert caught.value.status == 428
    assert [e.field for e in caught.value.errors] == ["header.If-Match"]


@pytest.mark.parametrize("header", ['"2"', '"4"', '"1", "2"', 'W/"2"', "3", '"30"'])
def test_stale_if_match_is_precondition_failed(header):
    with pytest.raises(PreconditionFailed) as caught:
        require_if_match(header, 3)
    assert caught.value.status == 412
    assert caught.value.errors[0].field == "header.If-Match"
    assert '"3"' in caught.value.errors[0].message


@pytest.mark.parametrize("header", ['"3"', 'W/"3"', '"1", "3"', '"1","3"', "*", ' "3" '])
def test_matching_if_match_is_accepted(header):
    require_if_match(header, 3)  # no exception


def test_cursor_round_trip():
    key = {"pk": "PERSON#per_1", "sk": "PROFILE", "gsi1pk": "KIND#participant", "gsi1sk": "alex#per_1"}
    cursor = encode_cursor(key)
    assert isinstance(cursor, str)
    # opaque and URL safe: no padding, no characters that need escaping
    assert "=" not in cursor
    assert "+" not in cursor
    assert "/" not in cursor
    assert decode_cursor(cursor, expected_keys=set(key)) == key


@pytest.mark.parametrize("empty", [None, {}])
def test_encode_nothing_is_none(empty):
    assert encode_cursor(empty) is None


@pytest.mark.parametrize("cursor", [None, ""])
def test_decode_nothing_is_none(cursor):
    assert decode_cursor(cursor, expected_keys={"pk", "sk"}) is None


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!!",
        "%%%",
        "a",
        _b64("{not json"),
        _b64("[1, 2]"),
        _b64('"pk"'),
        _b64("42"),
        _b64("null"),
        _b64(json.dumps({"pk": "x"})),
        _b64(json.dumps({"pk": "x", "sk": "y", "extra": "z"})),
        _b64(json.dumps({"a": "x", "b": "y"})),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd\x00").decode(),
    ],
)
def test_bad_cursor_is_bad_request_naming_query_cursor(cursor):
    with pytest.raises(BadRequest) as caught:
        decode_cursor(cursor, expected_keys={"pk", "sk"})
    assert caught.value.status == 400
    assert caught.value.errors[0].field == "query.cursor"


def test_problem_body_minimal():
    body = problem_body(status=404, title="Not Found", type_="https://x/problems/not-found", detail="gone")
    assert body == {
        "type": "https://x/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "gone",
    }


def test_problem_body_full():
    body = problem_body(
        status=422,
        title="Unprocessable Content",
        type_="https://x/problems/validation",
        detail="bad input",
        instance="/people/per_1",
        errors=[FieldError("body.time_zone", "not an IANA time zone")],
        request_id="req-1",
        retry_after=5,
    )
    assert body == {
        "type": "https://x/problems/validation",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "bad input",
        "instance": "/people/per_1",
        "errors": [{"field": "body.time_zone", "message": "not an IANA time zone"}],
        "request_id": "req-1",
        "retry_after": 5,
    }


def test_problem_response_is_problem_json():
    body = problem_body(status=409, title="Conflict", type_="t", detail="d")
    response = problem_response(body, headers={"X-Test": "1"})
    assert response.status_code == 409
    assert response.content_type == PROBLEM_JSON
    assert isinstance(response.body, str)
    assert json.loads(response.body) == body
    assert response.headers["X-Test"] == "1"


@pytest.mark.parametrize(
    "key",
    [
        {"pk": 1, "sk": "PROFILE"},
        {"pk": None, "sk": "PROFILE"},
        {"pk": {"S": "PERSON#per_1"}, "sk": "PROFILE"},
        {"pk": ["PERSON#per_1"], "sk": "PROFILE"},
    ],
)
def test_cursor_with_non_string_key_values_is_bad_request(key):
    # Given a tampered cursor with the right key names but values no stored key ever has
    # (every key attribute of every table is a string; see functions/common/tables.py)
    cursor = _b64(json.dumps(key))

    # When it is decoded, then it is refused as a client error naming the cursor, instead of
    # reaching DynamoDB as an ExclusiveStartKey that fails with a ValidationException (a 500)
    with pytest.raises(BadRequest) as caught:
        decode_cursor(cursor, expected_keys={"pk", "sk"})
    assert caught.value.errors[0].field == "query.cursor"
