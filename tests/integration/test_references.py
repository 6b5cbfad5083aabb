"""References are checked: coverage records plans and prior authorizations for participants
only, and notify keeps preferences only for people who exist. Both ask schedule the one thing
they may (a person's kind, through a grant limited to that attribute) and write nothing
otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from functions.coverage.handler import lambda_handler as coverage_handler
from functions.notify.handler import lambda_handler as notify_handler
from tests.integration.conftest import caller_of, copy_schedule_into_coverage
from tests.support import claims, put_person

coverage = caller_of(coverage_handler, before=copy_schedule_into_coverage)
notify = caller_of(notify_handler)
COORDINATOR = claims("per_coord0001", "coordinator")
PLAN = {
    "payer_name": "Lone Star Mutual PPO",
    "payer_id": "LSM01",
    "plan_type": "PPO",
    "member_id": "LSM884201",
}
AUTHORIZATION = {
    "authorization_number": "LSM-PA-1",
    "payer_id": "LSM01",
    "billing_codes": ["90837"],
    "authorized": 10,
    "start": "2026-01-01",
    "end": "2026-12-31",
}
WRITES = [("plans", PLAN), ("authorizations", AUTHORIZATION)]


@pytest.fixture
def people(moto_env: dict[str, Any]) -> None:
    table = moto_env["tables"]["schedule"]
    put_person(moto_env["dynamodb"], table, "per_alex00001", "participant")
    put_person(moto_env["dynamodb"], table, "per_clin00001", "clinician")


def items_of(moto_env: dict[str, Any], table: str, person_id: str) -> list[dict[str, Any]]:
    return list(
        moto_env["dynamodb"].query(
            TableName=moto_env["tables"][table],
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"PERSON#{person_id}"}},
        )["Items"]
    )


@pytest.mark.parametrize(("what", "body"), WRITES, ids=[w for w, _ in WRITES])
@pytest.mark.parametrize("person_id", ["per_nobody0001", "per_clin00001"], ids=["nobody", "a clinician"])
def test_coverage_records_nothing_for_someone_who_is_not_a_participant(
    moto_env, people, what, body, person_id
):
    # When a coordinator records a plan or an authorization for nobody, or for a clinician
    reply = coverage("POST", f"/participants/{person_id}/{what}", caller=COORDINATOR, body=body)
    # Then 404 naming the participant, and nothing is written
    assert reply.status == 404, reply.json
    assert reply.json["errors"] == [{"field": "path.participant_id", "message": "not a participant"}]
    assert items_of(moto_env, "coverage", person_id) == []


@pytest.mark.parametrize(("what", "body"), WRITES, ids=[w for w, _ in WRITES])
def test_coverage_records_for_a_participant(moto_env, people, what, body):
    reply = coverage("POST", f"/participants/per_alex00001/{what}", caller=COORDINATOR, body=body)
    assert reply.status == 201, reply.json


def test_preferences_of_someone_who_does_not_exist_are_404_not_defaults(moto_env, people):
    path = "/people/per_nobody0001/notification-preferences"
    # When a coordinator reads, then writes, the preferences of nobody
    read = notify("GET", path, caller=COORDINATOR)
    written = notify(
        "PUT", path, caller=COORDINATOR, body={"email_enabled": False}, headers={"If-Match": "*"}
    )
    # Then both are 404 and nothing is stored
    assert (read.status, written.status) == (404, 404)
    assert items_of(moto_env, "notify", "per_nobody0001") == []


def test_preferences_of_a_person_who_exists_read_as_defaults(moto_env, people):
    reply = notify("GET", "/people/per_clin00001/notification-preferences", caller=COORDINATOR)
    assert reply.status == 200, reply.json
    assert reply.json["person_id"] == "per_clin00001"
