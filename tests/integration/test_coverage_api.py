"""The coverage function's routes on moto."""

from __future__ import annotations

from datetime import date

import pytest

from functions.common import aws
from functions.coverage.handler import lambda_handler
from functions.coverage.models import PlanRecord
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship
from tests.integration.conftest import audit_entries, caller_of, copy_schedule_into_coverage
from tests.support import claims, put_person

call = caller_of(lambda_handler, before=copy_schedule_into_coverage)


def plan(person_id: str, plan_id: str, **overrides) -> PlanRecord:
    fields = {
        "person_id": person_id,
        "plan_id": plan_id,
        "payer_name": "Lone Star Mutual PPO",
        "plan_type": PlanType.PPO,
        "member_id": "LSM884201-01",
        "subscriber_relationship": SubscriberRelationship.SELF,
        "effective_from": date(2026, 1, 1),
        "status": PlanStatus.ACTIVE,
    }
    fields.update(overrides)
    return PlanRecord(**fields)


def test_participant_sees_only_own_plans_with_masked_member_id(moto_env):
    # Given partners on one family plan, each with their own member record
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    store.put_plan(plan("per_alex00001", "pln_a0000001"))
    store.put_plan(
        plan(
            "per_jamie0001",
            "pln_j0000001",
            member_id="LSM884201-02",
            subscriber_relationship=SubscriberRelationship.SPOUSE,
        )
    )
    # When Alex asks for their coverage
    reply = call("GET", "/me/coverage", caller=claims("per_alex00001", "participant"))
    # Then only Alex's plan comes back, and the member id only by its last four characters
    assert reply.status == 200
    [only] = reply.json["items"]
    assert only["plan_id"] == "pln_a0000001"
    assert only["member_id_last4"] == "1-01"
    assert "LSM884201" not in reply.text
    assert "pln_j0000001" not in reply.text
    # And the read is audited
    [entry] = audit_entries(moto_env, "person/per_alex00001/coverage")
    assert entry["action"] == "coverage.plans.read"
    assert entry["outcome"] == "success"


def test_plans_in_force_come_first(moto_env):
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    store.put_plan(
        plan("per_alex00001", "pln_old00001", payer_name="Aardvark Health", status=PlanStatus.INACTIVE)
    )
    store.put_plan(plan("per_alex00001", "pln_new00001", payer_name="Zenith PPO"))
    reply = call("GET", "/me/coverage", caller=claims("per_alex00001", "participant"))
    assert [p["plan_id"] for p in reply.json["items"]] == ["pln_new00001", "pln_old00001"]


def test_no_plans_is_an_empty_list(moto_env):
    reply = call("GET", "/me/coverage", caller=claims("per_nobody001", "participant"))
    assert reply.status == 200
    assert reply.json == {"items": []}


def test_coverage_requires_a_token(moto_env):
    reply = call("GET", "/me/coverage")
    assert reply.status == 401
    assert reply.content_type == "application/problem+json"


COORDINATOR = claims("per_democoordinator", "coordinator")
ALEX = claims("per_alex00001", "participant")
JAMIE = claims("per_jamie0001", "participant")
FAMILY_PLAN = {
    "payer_name": "Lone Star Mutual PPO",
    "payer_id": "LSM01",
    "plan_type": "PPO",
    "member_id": "LSM884201-02",
    "group_number": "GRP-7781",
    "subscriber_relationship": "spouse",
    "patient": {"first_name": "Jamie", "last_name": "Rivera", "birth_date": "1990-04-12"},
    "subscriber": {"first_name": "Alex", "last_name": "Rivera", "birth_date": "1988-09-30"},
    "network_status": "in_network",
    "effective_from": "2026-01-01",
    "status": "active",
}


@pytest.fixture
def participants(moto_env):
    """Alex and Jamie exist as participants (coverage records plans for participants only)."""
    for person_id in ("per_alex00001", "per_jamie0001"):
        put_person(moto_env["dynamodb"], moto_env["tables"]["schedule"], person_id)


def test_a_coordinator_records_a_dependents_plan_and_the_participant_reads_it_masked(moto_env, participants):
    # Given a coordinator records Jamie's place on Alex's family plan
    created = call(
        "POST",
        "/participants/per_jamie0001/plans",
        caller=COORDINATOR,
        body=FAMILY_PLAN,
        headers={"Idempotency-Key": "jamie-plan-1"},
    )
    assert created.status == 201, created
    assert created.headers["etag"] == '"1"'
    plan_id = created.json["plan_id"]
    assert created.headers["location"] == f"/participants/per_jamie0001/plans/{plan_id}"
    assert created.json["member_id"] == "LSM884201-02"
    assert created.json["subscriber"]["first_name"] == "Alex"
    # When it is sent again with the same key, nothing new is recorded
    again = call(
        "POST",
        "/participants/per_jamie0001/plans",
        caller=COORDINATOR,
        body=FAMILY_PLAN,
        headers={"Idempotency-Key": "jamie-plan-1"},
    )
    assert again.json["plan_id"] == plan_id
    assert len(call("GET", "/participants/per_jamie0001/plans", caller=COORDINATOR).json["items"]) == 1
    # Then Jamie reads it with the member id masked, and Alex does not see it at all
    mine = call("GET", "/me/coverage", caller=JAMIE)
    assert mine.json["items"][0]["member_id_last4"] == "1-02"
    assert "LSM884201-02" not in mine.text
    assert "GRP-7781" not in mine.text
    assert call("GET", "/me/coverage", caller=ALEX).json == {"items": []}
    # And the full record is for coordinators only
    for caller in (ALEX, JAMIE, claims("per_demotherapist1", "clinician")):
        assert call("GET", "/participants/per_jamie0001/plans", caller=caller).status == 403
        assert call("GET", f"/participants/per_jamie0001/plans/{plan_id}", caller=caller).status == 403
    assert (
        audit_entries(moto_env, f"person/per_jamie0001/plan/{plan_id}")[0]["action"] == "coverage.plan.create"
    )


def test_replacing_a_plan_needs_the_current_version(moto_env, participants):
    created = call("POST", "/participants/per_jamie0001/plans", caller=COORDINATOR, body=FAMILY_PLAN).json
    path = f"/participants/per_jamie0001/plans/{created['plan_id']}"
    changed = {**FAMILY_PLAN, "network_status": "out_of_network", "effective_to": "2026-12-31"}
    assert call("PUT", path, caller=COORDINATOR, body=changed).status == 428
    replaced = call("PUT", path, caller=COORDINATOR, body=changed, headers={"If-Match": '"1"'})
    assert replaced.status == 200, replaced
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json["network_status"] == "out_of_network"
    stale = call("PUT", path, caller=COORDINATOR, body=FAMILY_PLAN, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert call("GET", path, caller=COORDINATOR).json["effective_to"] == "2026-12-31"
    missing = call(
        "PUT",
        "/participants/per_jamie0001/plans/pln_nosuchplan1",
        caller=COORDINATOR,
        body=FAMILY_PLAN,
        headers={"If-Match": '"1"'},
    )
    assert missing.status == 404


def test_a_plan_is_validated_with_the_fields_named(moto_env, participants):
    insurance_without_ids = {**FAMILY_PLAN, "payer_id": None, "member_id": None}
    reply = call("POST", "/participants/per_jamie0001/plans", caller=COORDINATOR, body=insurance_without_ids)
    assert reply.status == 422
    assert reply.json["errors"] == [
        {"field": "body.payer_id", "message": "required for an insurance plan"},
        {"field": "body.member_id", "message": "required for an insurance plan"},
    ]
    dependent_without_subscriber = {**FAMILY_PLAN, "subscriber": None}
    assert (
        call(
            "POST", "/participants/per_jamie0001/plans", caller=COORDINATOR, body=dependent_without_subscriber
        ).status
        == 422
    )
    delimiter = call(
        "POST",
        "/participants/per_jamie0001/plans",
        caller=COORDINATOR,
        body={**FAMILY_PLAN, "member_id": "LSM*88~"},
    )
    assert delimiter.status == 422
    assert delimiter.json["errors"][0]["field"] == "body.member_id"
    self_pay = {"payer_name": "Self-pay", "plan_type": "SELF_PAY", "status": "active"}
    assert call("POST", "/participants/per_jamie0001/plans", caller=COORDINATOR, body=self_pay).status == 201
    assert call("POST", "/participants/not-an-id/plans", caller=COORDINATOR, body=self_pay).status == 422
