"""The coverage function's routes on moto."""

from __future__ import annotations

from datetime import date

from functions.common import aws
from functions.coverage.handler import lambda_handler
from functions.coverage.models import PlanRecord
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship
from tests.integration.conftest import audit_entries, caller_of
from tests.support import claims

call = caller_of(lambda_handler)


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
