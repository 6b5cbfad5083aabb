"""References are checked: coverage records plans and prior authorizations for participants
only (asking schedule the one thing it may: a person's kind, through a grant limited to that
attribute), and notify keeps preferences only for people it has heard of (schedule's
`person.changed` events); neither writes anything otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from functions.coverage.handler import lambda_handler as coverage_handler
from functions.notify.handler import lambda_handler as notify_handler
from functions.notify.routes.preferences import UNKNOWN_PERSON
from tests.integration.conftest import ScheduleChanges, caller_of, copy_schedule_into_coverage, create_person
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


def test_preferences_of_someone_who_does_not_exist_are_404_not_defaults(moto_env):
    path = "/people/per_nobody0001/notification-preferences"
    # When a coordinator reads, then writes, the preferences of nobody
    read = notify("GET", path, caller=COORDINATOR)
    written = notify(
        "PUT", path, caller=COORDINATOR, body={"email_enabled": False}, headers={"If-Match": "*"}
    )
    # Then both are 404 and nothing is stored
    assert (read.status, written.status) == (404, 404)
    assert items_of(moto_env, "notify", "per_nobody0001") == []


def test_a_new_person_is_known_to_notify_once_schedule_publishes_them(moto_env):
    # Given a coordinator has just created a clinician (schedule's table has them)
    changes = ScheduleChanges(moto_env)
    person_id = create_person(
        {
            "kind": "clinician",
            "display_name": "Dr. Rowan Vale",
            "email": "rowan.vale@example.com",
            "time_zone": "America/Chicago",
            "state": "TX",
            "roles": ["individual_therapist"],
            "licensed_states": ["TX"],
        }
    )
    path = f"/people/{person_id}/notification-preferences"
    # When a coordinator reads their preferences before the event reached notify
    early = notify("GET", path, caller=COORDINATOR)
    # Then 404, saying that someone just created appears shortly (notify asks schedule nothing)
    assert early.status == 404, early.json
    assert early.json["detail"] == UNKNOWN_PERSON
    # When schedule's person.changed goes through the publisher, the topic and notify's queue
    changes.step()
    # Then their preferences read as the program's defaults, with the profile's email
    reply = notify("GET", path, caller=COORDINATOR)
    assert reply.status == 200, reply.json
    assert (reply.json["person_id"], reply.json["email"]) == (person_id, "rowan.vale@example.com")
    assert reply.json["quiet_hours_start"] == "21:00:00"
