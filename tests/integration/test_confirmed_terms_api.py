"""A plan's confirmed terms through the coverage handler on moto: coordinators record them
from the plan's SBC (who, when, which document), replace them with If-Match, and bad input is
a problem naming its fields."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from functions.common import aws
from functions.coverage.handler import lambda_handler
from functions.coverage.models import PlanRecord
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship
from tests.clock import controlled_now
from tests.integration.conftest import audit_entries, caller_of, copy_schedule_into_coverage
from tests.support import claims

call = caller_of(lambda_handler, before=copy_schedule_into_coverage)
COORDINATOR = claims("per_coord00001", "coordinator")
ALEX = claims("per_alex00001", "participant")
PATH = "/participants/per_alex00001/plans/pln_lonestar01/confirmed-terms"
TERMS: dict[str, Any] = {
    "document": {
        "name": "Lone Star Mutual PPO 1500: Summary of Benefits and Coverage",
        "version": "2027.1",
        "issued_on": "2027-01-01",
        "reference": "doc_sbc_lsm_2027",
    },
    "categories": [
        {"category": "individual_therapy", "order": "deductible_then_copay", "copay": "30.00"},
        {
            "category": "group_therapy",
            "coinsurance_percent": "10",
            "visit_limit": {"visits": 40, "period": "calendar_year"},
        },
    ],
    "iop_billing": "per_diem",
}


@pytest.fixture
def plans(moto_env) -> CoverageStore:
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    common: dict[str, Any] = {
        "person_id": "per_alex00001",
        "subscriber_relationship": SubscriberRelationship.SELF,
        "status": PlanStatus.ACTIVE,
        "effective_from": date(2026, 1, 1),
    }
    store.put_plan(
        PlanRecord(
            plan_id="pln_lonestar01",
            payer_name="Lone Star Mutual PPO",
            payer_id="LSM01",
            plan_type=PlanType.PPO,
            member_id="LSM884201-01",
            **common,
        )
    )
    store.put_plan(
        PlanRecord(plan_id="pln_selfpay001", payer_name="Self-pay", plan_type=PlanType.SELF_PAY, **common)
    )
    return store


def test_a_coordinator_records_a_plans_confirmed_terms_and_replaces_them(moto_env, plans):
    # Given no terms are confirmed yet
    assert call("GET", PATH, caller=COORDINATOR).status == 404
    # When a coordinator records them from the plan's SBC
    created = call("PUT", PATH, caller=COORDINATOR, body=TERMS)
    # Then they are stored with who entered them, when, and from which document
    assert created.status == 201, created
    assert created.headers["etag"] == '"1"'
    body = created.json
    assert body["entered_by"] == "per_coord00001"
    assert abs(datetime.fromisoformat(body["entered_at"]) - controlled_now()) < timedelta(minutes=1)
    assert body["document"]["reference"] == "doc_sbc_lsm_2027"
    assert body["categories"][0] == {
        "category": "individual_therapy",
        "network": "in_network",
        "order": "deductible_then_copay",
        "copay": "30.00",
        "coinsurance_percent": None,
        "visit_limit": None,
    }
    assert body["categories"][1]["visit_limit"] == {"visits": 40, "period": "calendar_year"}
    assert body["iop_billing"] == "per_diem"
    read = call("GET", PATH, caller=COORDINATOR)
    assert (read.status, read.json, read.headers["etag"]) == (200, body, '"1"')
    # And replacing them needs the version read
    changed = {**TERMS, "iop_billing": "per_service"}
    assert call("PUT", PATH, caller=COORDINATOR, body=changed).status == 428
    replaced = call("PUT", PATH, caller=COORDINATOR, body=changed, headers={"If-Match": '"1"'})
    assert (replaced.status, replaced.headers["etag"]) == (200, '"2"')
    stale = call("PUT", PATH, caller=COORDINATOR, body=TERMS, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert call("GET", PATH, caller=COORDINATOR).json["iop_billing"] == "per_service"
    # And every write and read is audited
    actions = [e["action"] for e in audit_entries(moto_env, "person/per_alex00001/plan/pln_lonestar01/terms")]
    assert actions.count("coverage.terms.update") == 4  # created, 428, replaced, 412
    assert "coverage.terms.read" in actions


def test_confirmed_terms_are_for_coordinators_and_plans_that_exist(moto_env, plans):
    for caller in (ALEX, claims("per_therapist1", "clinician")):
        assert call("PUT", PATH, caller=caller, body=TERMS).status == 403
        assert call("GET", PATH, caller=caller).status == 403
    missing = "/participants/per_alex00001/plans/pln_nosuchplan1/confirmed-terms"
    assert call("PUT", missing, caller=COORDINATOR, body=TERMS).status == 404
    self_pay = call(
        "PUT",
        "/participants/per_alex00001/plans/pln_selfpay001/confirmed-terms",
        caller=COORDINATOR,
        body=TERMS,
    )
    assert self_pay.status == 422
    assert self_pay.json["errors"] == [{"field": "path.plan_id", "message": "a self-pay plan"}]
    # If-Match on terms that do not exist yet matches nothing
    assert call("PUT", PATH, caller=COORDINATOR, body=TERMS, headers={"If-Match": '"3"'}).status == 412
    assert call("GET", PATH, caller=COORDINATOR).status == 404


@pytest.mark.parametrize(
    ("category", "field"),
    [
        (
            {"category": "group_therapy", "coinsurance_percent": "120"},
            "body.categories.0.coinsurance_percent",
        ),
        ({"category": "yoga", "copay": "10"}, "body.categories.0.category"),
        ({"category": "individual_therapy", "order": "copay_then_coinsurance"}, "body.categories.0.copay"),
        ({"category": "digital_platform", "copay": "0"}, "body.categories.0.category"),
    ],
)
def test_bad_terms_are_problems_naming_the_field_and_nothing_is_stored(moto_env, plans, category, field):
    reply = call("PUT", PATH, caller=COORDINATOR, body={**TERMS, "categories": [category]})
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in reply.json["errors"]]
    assert call("GET", PATH, caller=COORDINATOR).status == 404
