"""The schedule function's routes, end to end through the Powertools resolver, on moto."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from functions.common.observability import logger
from functions.schedule.handler import lambda_handler
from tests.integration.conftest import audit_entries, caller_of
from tests.support import claims

call = caller_of(lambda_handler)

COORDINATOR = claims("per_coordinator01", "coordinator")
PARTICIPANT = claims("per_participant01", "participant")
OTHER_PARTICIPANT = claims("per_participant02", "participant")


def participant_body(email: str = "alex@example.com", **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "participant",
        "display_name": "Alex Rivera",
        "email": email,
        "time_zone": "America/Chicago",
        "state": "tx",
        "age_group": "adult",
        **overrides,
    }


def create(body: dict[str, Any], key: str | None = None, caller: dict[str, str] = COORDINATOR):
    headers = {"Idempotency-Key": key} if key else {}
    return call("POST", "/people", caller=caller, body=body, headers=headers)


def count_people(moto_env: dict[str, Any]) -> int:
    items = moto_env["dynamodb"].query(
        TableName=moto_env["tables"]["schedule"],
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :k",
        ExpressionAttributeValues={":k": {"S": "KIND#participant"}},
    )["Items"]
    return len(items)


def test_health_needs_no_token(moto_env):
    reply = call("GET", "/health")
    assert reply.status == 200
    assert reply.json == {"status": "ok"}


def test_protected_route_without_claims_is_401_problem(moto_env):
    reply = call("GET", "/me")
    assert reply.status == 401
    assert reply.content_type == "application/problem+json"
    assert reply.json["type"].endswith("/unauthenticated")
    assert reply.json["status"] == 401


def test_me_without_profile_is_404_and_audited(moto_env):
    reply = call("GET", "/me", caller=PARTICIPANT)
    assert reply.status == 404
    assert reply.content_type == "application/problem+json"
    [entry] = audit_entries(moto_env, "person/per_participant01")
    assert entry["outcome"] == "not_found"
    assert entry["actor_id"] == "per_participant01"


def test_coordinator_creates_person_with_location_etag_and_audit_in_one_write(moto_env):
    # Given a coordinator
    # When they create a participant
    reply = create(participant_body())
    # Then the person exists, with its location and version
    assert reply.status == 201, reply
    person = reply.json
    assert person["state"] == "TX"
    assert reply.headers["location"] == f"/people/{person['person_id']}"
    assert reply.headers["etag"] == '"1"'
    # And the creation is audited (written in the same transaction)
    [entry] = audit_entries(moto_env, f"person/{person['person_id']}")
    assert entry["action"] == "person.create"
    assert entry["outcome"] == "success"
    assert entry["actor_id"] == "per_coordinator01"
    assert "Alex" not in str(entry)  # identifiers only, no PHI
    # And reading it back gives the same record
    again = call("GET", f"/people/{person['person_id']}", caller=COORDINATOR)
    assert again.status == 200
    assert again.json == person


def test_retry_with_same_idempotency_key_replays_without_creating_twice(moto_env):
    first = create(participant_body(), key="create-alex-1")
    second = create(participant_body(), key="create-alex-1")
    assert first.status == second.status == 201
    assert second.json["person_id"] == first.json["person_id"]
    assert second.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert count_people(moto_env) == 1


def test_same_idempotency_key_with_another_body_is_rejected(moto_env):
    assert create(participant_body(), key="k-1").status == 201
    reply = create(participant_body(email="someone@example.com"), key="k-1")
    assert reply.status == 422
    assert reply.json["errors"][0]["field"] == "header.Idempotency-Key"
    assert count_people(moto_env) == 1


def test_idempotency_keys_are_scoped_to_the_caller(moto_env):
    other_coordinator = claims("per_coordinator02", "coordinator")
    first = create(participant_body(), key="shared-key")
    second = create(participant_body(email="jamie@example.com"), key="shared-key", caller=other_coordinator)
    assert first.status == second.status == 201
    assert first.json["person_id"] != second.json["person_id"]


def test_malformed_idempotency_key_is_400(moto_env):
    reply = create(participant_body(), key="has space")
    assert reply.status == 400
    assert reply.json["errors"][0]["field"] == "header.Idempotency-Key"
    assert count_people(moto_env) == 0


def test_duplicate_email_is_409_naming_the_field_and_nothing_is_written(moto_env):
    assert create(participant_body()).status == 201
    reply = create(participant_body(display_name="Someone Else"))
    assert reply.status == 409
    assert reply.json["errors"] == [{"field": "body.email", "message": "already registered"}]
    assert count_people(moto_env) == 1


def test_invalid_body_lists_every_offending_field(moto_env):
    reply = create({"kind": "participant", "display_name": "", "email": "nope", "time_zone": "Mars/Base"})
    assert reply.status == 422
    assert reply.content_type == "application/problem+json"
    fields = {e["field"] for e in reply.json["errors"]}
    assert {"body.display_name", "body.email", "body.time_zone"} <= fields
    assert count_people(moto_env) == 0


def test_malformed_json_is_a_problem_not_a_500(moto_env):
    reply = call("POST", "/people", caller=COORDINATOR, raw_body="{not json")
    assert 400 <= reply.status < 500
    assert reply.content_type == "application/problem+json"


def test_form_body_is_415(moto_env):
    reply = call(
        "POST",
        "/people",
        caller=COORDINATOR,
        raw_body="kind=participant",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 415
    assert reply.content_type == "application/problem+json"


def test_participant_cannot_create_people_and_the_denial_is_audited(moto_env):
    reply = create(participant_body(), caller=PARTICIPANT)
    assert reply.status == 403
    [entry] = audit_entries(moto_env, "people")
    assert entry["outcome"] == "denied"
    assert count_people(moto_env) == 0


def test_participant_never_sees_another_persons_record(moto_env):
    jamie = create(participant_body(email="jamie@example.com")).json
    reply = call("GET", f"/people/{jamie['person_id']}", caller=OTHER_PARTICIPANT)
    assert reply.status == 404  # not 403: the record's existence is not revealed
    assert audit_entries(moto_env, f"person/{jamie['person_id']}")[-1]["outcome"] == "not_found"


def test_participant_reads_own_profile_through_me(moto_env):
    alex = create(participant_body()).json
    me = call("GET", "/me", caller=claims(alex["person_id"], "participant"))
    assert me.status == 200
    assert me.json["person_id"] == alex["person_id"]
    assert me.headers["etag"] == '"1"'


class TestPatch:
    def test_needs_if_match(self, moto_env):
        alex = create(participant_body()).json
        reply = call(
            "PATCH", f"/people/{alex['person_id']}", caller=COORDINATOR, body={"phone": "+15125550100"}
        )
        assert reply.status == 428
        assert reply.json["errors"][0]["field"] == "header.If-Match"

    def test_stale_if_match_is_412_and_changes_nothing(self, moto_env):
        alex = create(participant_body()).json
        path = f"/people/{alex['person_id']}"
        ok = call(
            "PATCH", path, caller=COORDINATOR, body={"phone": "+15125550100"}, headers={"If-Match": '"1"'}
        )
        assert ok.status == 200
        assert ok.headers["etag"] == '"2"'
        stale = call(
            "PATCH", path, caller=COORDINATOR, body={"phone": "+15125550199"}, headers={"If-Match": '"1"'}
        )
        assert stale.status == 412
        assert call("GET", path, caller=COORDINATOR).json["phone"] == "+15125550100"

    def test_participant_may_edit_contact_fields_but_not_their_state(self, moto_env):
        alex = create(participant_body()).json
        me = claims(alex["person_id"], "participant")
        path = f"/people/{alex['person_id']}"
        refused = call("PATCH", path, caller=me, body={"state": "CA"}, headers={"If-Match": '"1"'})
        assert refused.status == 403
        assert refused.json["errors"] == [{"field": "body.state", "message": "coordinator only"}]
        ok = call("PATCH", path, caller=me, body={"time_zone": "America/Denver"}, headers={"If-Match": '"1"'})
        assert ok.status == 200
        assert ok.json["time_zone"] == "America/Denver"
        assert ok.json["state"] == "TX"

    def test_email_change_moves_the_uniqueness_claim(self, moto_env):
        alex = create(participant_body()).json
        path = f"/people/{alex['person_id']}"
        moved = call(
            "PATCH",
            path,
            caller=COORDINATOR,
            body={"email": "alex.new@example.com"},
            headers={"If-Match": '"1"'},
        )
        assert moved.status == 200
        # The old address is free again, the new one is taken.
        assert create(participant_body(email="alex@example.com", display_name="New Alex")).status == 201
        assert create(participant_body(email="alex.new@example.com", display_name="Dup")).status == 409

    def test_clearing_a_required_field_is_422(self, moto_env):
        alex = create(participant_body()).json
        reply = call(
            "PATCH",
            f"/people/{alex['person_id']}",
            caller=COORDINATOR,
            body={"display_name": None},
            headers={"If-Match": '"1"'},
        )
        assert reply.status == 422
        assert reply.json["errors"][0]["field"] == "body.display_name"


def test_listing_people_pages_with_an_opaque_cursor(moto_env):
    for i in range(5):
        assert create(participant_body(email=f"p{i}@example.com", display_name=f"Person {i}")).status == 201
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        path = "/people?kind=participant&limit=2" + (f"&cursor={cursor}" if cursor else "")
        reply = call("GET", path, caller=COORDINATOR)
        assert reply.status == 200, reply
        seen += [p["person_id"] for p in reply.json["items"]]
        cursor = reply.json["next_cursor"]
        pages += 1
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    assert pages >= 3


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "kind=wizard", "cursor=bm90LWEtY3Vyc29y"])
def test_bad_list_parameters_are_4xx_problems(moto_env, query):
    reply = call("GET", f"/people?{query}", caller=COORDINATOR)
    assert reply.status in {400, 422}
    assert reply.content_type == "application/problem+json"
    assert reply.json["errors"][0]["field"].startswith("query.")


def test_participants_cannot_list_people(moto_env):
    assert call("GET", "/people", caller=PARTICIPANT).status == 403


def test_unknown_route_is_404_problem(moto_env):
    reply = call("GET", "/nowhere/at/all", caller=COORDINATOR)
    assert reply.status == 404
    assert reply.content_type == "application/problem+json"


def test_unexpected_failure_is_a_500_problem_without_internals(moto_env, monkeypatch):
    # Given a table name that does not exist (an operator's mistake)
    monkeypatch.setenv("SCHEDULE_TABLE", "no-such-table")
    reply = call("GET", "/me", caller=PARTICIPANT)
    assert reply.status == 500
    assert reply.content_type == "application/problem+json"
    assert "no-such-table" not in reply.text
    assert "Traceback" not in reply.text
    assert reply.json["detail"] == "an unexpected error occurred"


def test_missing_configuration_is_a_500_problem_naming_nothing_internal(moto_env, monkeypatch):
    monkeypatch.delenv("SCHEDULE_TABLE")
    reply = call("GET", "/me", caller=PARTICIPANT)
    assert reply.status == 500
    assert reply.json["detail"] == "the service is misconfigured"
    assert "SCHEDULE_TABLE" not in reply.text


def test_an_unexpected_failure_logs_where_but_never_what(moto_env):
    # Given a stored profile that no longer validates, with a participant's name in it
    moto_env["dynamodb"].put_item(
        TableName=moto_env["tables"]["schedule"],
        Item={
            "pk": {"S": "PERSON#per_participant01"},
            "sk": {"S": "PROFILE"},
            "person_id": {"S": "per_participant01"},
            "display_name": {"L": [{"S": "Robin Secretname"}]},  # not a string: fails validation
            "kind": {"S": "participant"},
        },
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        # When the participant reads it
        reply = call("GET", "/me", caller=PARTICIPANT)
    finally:
        logger._logger.removeHandler(handler)  # Powertools proxies addHandler, not removeHandler
    # Then a 500 problem, and the log says where it failed but not the data it choked on
    assert reply.status == 500, reply
    logged = stream.getvalue()
    assert "unhandled error" in logged
    assert "ValidationError" in logged
    assert "in get_person" in logged  # the frames name where it failed (the store's read)
    assert "Secretname" not in logged
    assert "Secretname" not in reply.text
