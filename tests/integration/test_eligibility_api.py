"""Eligibility routes on moto, with the simulated clearinghouse."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from functions.common import aws
from functions.common.models import utc_now
from functions.coverage.clearinghouse import payer_link, reset_clearinghouses
from functions.coverage.handler import lambda_handler
from functions.coverage.models import PlanRecord
from functions.coverage.routes import eligibility as routes
from functions.coverage.simulator import SimulatedClearinghouse
from functions.coverage.store import CoverageStore
from local.seed import PLANS
from tests.integration.conftest import audit_entries, caller_of, copy_schedule_into_coverage
from tests.support import claims
from tests.support import dynamodb_calls as counting

pytestmark = pytest.mark.clock  # reads "now" (months, due times, staleness)

call = caller_of(lambda_handler, before=copy_schedule_into_coverage)

COORDINATOR = claims("per_democoordinator", "coordinator")
ALEX = claims("per_demoalex", "participant")
JAMIE = claims("per_demojamie", "participant")
CLINICIAN = claims("per_demotherapist1", "clinician")
SEEDED = {p.plan_id: p for p in PLANS}
ALEX_CHECK = "/participants/per_demoalex/plans/pln_demorivera01/eligibility-checks"
JAMIE_CHECK = "/participants/per_demojamie/plans/pln_demorivera02/eligibility-checks"
READS = {"GetItem", "Query", "BatchGetItem", "Scan"}


@pytest.fixture(autouse=True)
def _fresh_circuits(monkeypatch):
    monkeypatch.setenv("CLEARINGHOUSE_FAILURE_THRESHOLD", "2")
    reset_clearinghouses()
    yield
    reset_clearinghouses()


@pytest.fixture
def plans(moto_env) -> CoverageStore:
    store = CoverageStore(moto_env["tables"]["coverage"], aws.client("dynamodb"))
    for plan in PLANS:
        store.put_plan(plan)
    return store


@pytest.fixture
def dynamodb_calls(plans):
    with counting() as counts:
        yield counts


def simulator() -> SimulatedClearinghouse:
    inner = payer_link().clearinghouse.inner
    assert isinstance(inner, SimulatedClearinghouse)
    return inner


def put_plan(store: CoverageStore, plan_id: str, **changes: Any) -> PlanRecord:
    plan = SEEDED[plan_id].model_copy(update=changes)
    store.put_plan(plan)
    return plan


def items(moto_env, person_id: str, prefix: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = moto_env["dynamodb"].query(
        TableName=moto_env["tables"]["coverage"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": f"PERSON#{person_id}"}, ":p": {"S": prefix}},
    )["Items"]
    return found


def test_a_coordinator_checks_alexs_plan(moto_env, plans):
    # When a coordinator checks Alex's own family PPO
    reply = call("POST", ALEX_CHECK, caller=COORDINATOR)
    # Then the result is active with the plan year and Alex's benefits, fresh
    assert reply.status == 201, reply
    body = reply.json
    assert body["status"] == "active"
    assert body["message"].startswith("Coverage is active from ")
    assert body["stale"] is False
    assert body["rejection"] is None
    mental = next(b for b in body["benefits"] if b["category"] == "mental_health")
    inn, oon = mental["in_network"], mental["out_of_network"]
    assert inn["deductible"] == {
        "individual_total_cents": 150_000,
        "individual_remaining_cents": 110_000,
        "family_total_cents": 300_000,
        "family_remaining_cents": 245_000,
    }
    assert inn["out_of_pocket"]["individual_total_cents"] == 600_000
    assert inn["out_of_pocket"]["family_total_cents"] == 1_200_000
    assert (inn["copay_cents"], inn["coinsurance_rate"], inn["prior_auth_required"]) == (3000, "0.20", False)
    assert oon["coinsurance_rate"] == "0.40"
    assert oon["deductible"]["individual_total_cents"] == 300_000
    assert body["payer_messages"] == ["OUTPATIENT MENTAL HEALTH COST SHARE EQUALS MEDICAL OFFICE VISITS"]
    # And the raw pair is there for coordinators: Alex is the subscriber, no dependent loop
    x12 = call("GET", body["x12_href"], caller=COORDINATOR)
    assert x12.status == 200, x12
    assert "NM1*IL*1*RIVERA*ALEX****MI*LSM884201-01~" in x12.json["x12_270"]
    assert "HL*4" not in x12.json["x12_270"]
    assert x12.json["x12_271"].startswith("ISA*")
    assert "ST*271*" in x12.json["x12_271"]
    # And the check is audited with its success
    [entry] = audit_entries(moto_env, "person/per_demoalex/plan/pln_demorivera01/eligibility")
    assert (entry["action"], entry["outcome"], entry["actor_id"]) == (
        "coverage.eligibility.check",
        "success",
        "per_democoordinator",
    )


def test_jamie_is_checked_as_a_dependent_on_alexs_plan(moto_env, plans):
    # Given Alex was checked already
    assert call("POST", ALEX_CHECK, caller=COORDINATOR).status == 201
    # When a coordinator checks Jamie, Alex's spouse on the family plan
    reply = call("POST", JAMIE_CHECK, caller=COORDINATOR)
    assert reply.status == 201, reply
    # Then the 270 names Alex as subscriber and Jamie in the dependent loop
    x270 = call("GET", reply.json["x12_href"], caller=COORDINATOR).json["x12_270"]
    assert "NM1*IL*1*RIVERA*ALEX****MI*LSM884201-02~" in x270
    assert "HL*4*3*23*0~" in x270
    assert "NM1*03*1*RIVERA*JAMIE~DMG*D8*19900412~INS*N*01~" in x270
    # And Jamie's individual deductible is her own while the family one is shared
    deductible = reply.json["benefits"][0]["in_network"]["deductible"]
    assert (deductible["individual_remaining_cents"], deductible["family_remaining_cents"]) == (
        135_000,
        245_000,
    )
    # And each partner has exactly their own latest result
    mine = call("GET", "/participants/per_demojamie/eligibility", caller=JAMIE)
    assert [i["plan_id"] for i in mine.json["items"]] == ["pln_demorivera02"]


@pytest.mark.parametrize(
    ("member_id", "category", "code"),
    [
        ("SIM-NOTFOUND", "member_not_found", "75"),
        ("SIM-BADDOB", "invalid_birth_date", "58"),
        ("SIM-BUSY", "payer_unavailable", "42"),
    ],
)
def test_payer_rejections_are_results_not_errors(moto_env, plans, member_id, category, code):
    put_plan(plans, "pln_demobrooks01", member_id=member_id)
    reply = call(
        "POST", "/participants/per_demotaylor/plans/pln_demobrooks01/eligibility-checks", caller=COORDINATOR
    )
    assert reply.status == 201, reply
    assert reply.json["status"] == "rejected"
    assert (reply.json["rejection"]["category"], reply.json["rejection"]["code"]) == (category, code)
    assert reply.json["benefits"] == []
    assert reply.json["message"].startswith("The payer")
    latest = call("GET", "/participants/per_demotaylor/eligibility", caller=COORDINATOR).json["items"]
    assert [i["rejection"]["category"] for i in latest] == [category]


def test_a_self_pay_plan_is_not_sent_to_anyone(moto_env, plans):
    reply = call(
        "POST", "/participants/per_democasey/plans/pln_demobrooks02/eligibility-checks", caller=COORDINATOR
    )
    assert reply.status == 422
    assert reply.content_type == "application/problem+json"
    assert reply.json["errors"] == [
        {"field": "plan.plan_type", "message": "a self-pay plan has no payer to ask"}
    ]
    assert simulator().received == 0


def test_a_plan_without_member_details_names_what_is_missing(moto_env, plans):
    put_plan(plans, "pln_demobrooks01", patient=None)
    reply = call(
        "POST", "/participants/per_demotaylor/plans/pln_demobrooks01/eligibility-checks", caller=COORDINATOR
    )
    assert reply.status == 422
    assert [e["field"] for e in reply.json["errors"]] == ["plan.patient"]


def test_an_unknown_plan_is_404(moto_env, plans):
    reply = call(
        "POST", "/participants/per_demoalex/plans/pln_nosuchplan1/eligibility-checks", caller=COORDINATOR
    )
    assert reply.status == 404


def test_an_outage_opens_the_circuit_and_the_last_result_stays_readable_and_stale(moto_env, plans):
    # Given Alex's plan was checked yesterday
    yesterday = utc_now() - timedelta(days=1)
    with pytest.MonkeyPatch.context() as frozen:
        frozen.setattr(routes, "utc_now", lambda: yesterday)
        assert call("POST", ALEX_CHECK, caller=COORDINATOR).status == 201
    before = call("GET", "/participants/per_demoalex/eligibility", caller=ALEX).json["items"]
    assert [i["stale"] for i in before] == [False]
    # And the clearinghouse then goes down (the simulated outage member)
    put_plan(plans, "pln_demorivera01", member_id="SIM-OUTAGE")
    # When a coordinator checks again
    first = call("POST", ALEX_CHECK, caller=COORDINATOR)
    # Then it answers 503 with Retry-After, and points to the last known result
    assert first.status == 503, first
    assert first.content_type == "application/problem+json"
    assert first.headers["retry-after"] == "5"
    assert first.json["retry_after"] == 5
    assert (
        "the last known result stays readable at /participants/per_demoalex/eligibility"
        in first.json["detail"]
    )
    # When the failures reach the threshold, the circuit opens
    second = call("POST", ALEX_CHECK, caller=COORDINATOR)
    assert (second.status, second.headers["retry-after"]) == (503, "30")
    calls_so_far = simulator().received
    # Then a check of any plan is refused at once without calling the clearinghouse
    third = call("POST", JAMIE_CHECK, caller=COORDINATOR)
    assert third.status == 503
    assert 1 <= int(third.headers["retry-after"]) <= 30
    assert simulator().received == calls_so_far
    # And nothing was half-written: one check, one raw pair
    assert len(items(moto_env, "per_demoalex", "ELIG#")) == 1
    assert len(items(moto_env, "per_demoalex", "ELIGX12#")) == 1
    # And the last known result is still readable, now reported stale
    after = call("GET", "/participants/per_demoalex/eligibility", caller=ALEX)
    assert after.status == 200
    [item] = after.json["items"]
    assert item["check_id"] == before[0]["check_id"]
    assert item["status"] == "active"
    assert item["stale"] is True
    assert "could not reach the payer" in item["stale_reason"]
    # And each failed attempt is audited as an error
    outcomes = [
        e["outcome"] for e in audit_entries(moto_env, "person/per_demoalex/plan/pln_demorivera01/eligibility")
    ]
    assert sorted(outcomes) == ["error", "error", "success"]


def test_a_refused_inquiry_is_a_502_that_does_not_say_retry_and_opens_no_circuit(moto_env, plans):
    # Given Alex's plan was checked, and the clearinghouse then refuses its inquiries (a 999)
    assert call("POST", ALEX_CHECK, caller=COORDINATOR).status == 201
    put_plan(plans, "pln_demorivera01", member_id="SIM-REFUSED-1")
    # When a coordinator checks again, as often as the circuit's threshold
    replies = [call("POST", ALEX_CHECK, caller=COORDINATOR) for _ in range(3)]
    # Then each is a 502 problem naming the clearinghouse, with no Retry-After: trying again
    # will not help until the program's set-up is fixed
    for reply in replies:
        assert reply.status == 502, reply
        assert reply.content_type == "application/problem+json"
        assert "retry-after" not in reply.headers
        assert reply.json["dependency"] == "clearinghouse"
        assert "refused the inquiry" in reply.json["detail"]
        assert "the last known result stays readable" in reply.json["detail"]
    # And no result was written, and the circuit stayed closed: Jamie's plan checks normally
    assert len(items(moto_env, "per_demoalex", "ELIG#")) == 1
    assert call("POST", JAMIE_CHECK, caller=COORDINATOR).status == 201


def test_a_payer_that_cannot_answer_keeps_the_last_real_result(moto_env, plans):
    # Given an active result for Alex
    assert call("POST", ALEX_CHECK, caller=COORDINATOR).status == 201
    # When the payer answers AAA 42 to the next check
    put_plan(plans, "pln_demorivera01", member_id="SIM-BUSY")
    busy = call("POST", ALEX_CHECK, caller=COORDINATOR)
    assert busy.status == 201
    assert busy.json["rejection"]["category"] == "payer_unavailable"
    # Then the latest result is still the active one, marked stale; the busy answer is in the history
    [latest] = call("GET", "/participants/per_demoalex/eligibility", caller=COORDINATOR).json["items"]
    assert (latest["status"], latest["stale"]) == ("active", True)
    assert len(items(moto_env, "per_demoalex", "ELIG#")) == 2
    assert call("GET", busy.json["x12_href"], caller=COORDINATOR).status == 200


def test_results_older_than_the_configured_age_are_stale(moto_env, plans, monkeypatch):
    # Given a check four days ago and results going stale after 72 hours
    monkeypatch.setenv("ELIGIBILITY_STALE_HOURS", "72")
    four_days_ago = utc_now() - timedelta(days=4)
    with pytest.MonkeyPatch.context() as frozen:
        frozen.setattr(routes, "utc_now", lambda: four_days_ago)
        assert call("POST", ALEX_CHECK, caller=COORDINATOR).status == 201
    # When Alex reads it
    [item] = call("GET", "/participants/per_demoalex/eligibility", caller=ALEX).json["items"]
    # Then it says it is stale and why
    assert item["stale"] is True
    assert item["stale_reason"] == "Checked more than 72 hours ago; check again before relying on it."


def test_a_replayed_check_is_answered_from_the_first(moto_env, plans):
    # Given a check sent with an Idempotency-Key
    headers = {"Idempotency-Key": "elig-alex-1"}
    first = call("POST", ALEX_CHECK, caller=COORDINATOR, headers=headers)
    assert first.status == 201
    # When the client retries it
    again = call("POST", ALEX_CHECK, caller=COORDINATOR, headers=headers)
    # Then the first answer comes back and the payer was asked once
    assert again.status == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json["check_id"] == first.json["check_id"]
    assert simulator().received == 1
    assert len(items(moto_env, "per_demoalex", "ELIG#")) == 1


def test_partners_never_see_each_others_eligibility(moto_env, plans):
    assert call("POST", ALEX_CHECK, caller=COORDINATOR).status == 201
    assert call("POST", JAMIE_CHECK, caller=COORDINATOR).status == 201
    # Jamie cannot read Alex's results, nor learn whether there are any
    denied = call("GET", "/participants/per_demoalex/eligibility", caller=JAMIE)
    assert denied.status == 404
    assert "pln_demorivera01" not in denied.text
    assert [e["outcome"] for e in audit_entries(moto_env, "person/per_demoalex/eligibility")] == ["not_found"]
    # Nor can a clinician here, nor anyone check a plan but a coordinator
    assert call("GET", "/participants/per_demoalex/eligibility", caller=CLINICIAN).status == 404
    assert call("POST", ALEX_CHECK, caller=JAMIE).status == 404
    assert call("POST", ALEX_CHECK, caller=ALEX).status == 403
    # Alex reads their own, without the coordinators' links
    [own] = call("GET", "/participants/per_demoalex/eligibility", caller=ALEX).json["items"]
    assert own["participant_id"] == "per_demoalex"
    assert (own["x12_href"], own["source"]) == (None, None)


def test_the_raw_x12_is_for_coordinators_only(moto_env, plans):
    href = call("POST", ALEX_CHECK, caller=COORDINATOR).json["x12_href"]
    assert call("GET", href, caller=ALEX).status == 404
    assert call("GET", href, caller=JAMIE).status == 404
    assert call("GET", href, caller=CLINICIAN).status == 404
    assert call("GET", href, caller=COORDINATOR).status == 200
    missing = href.rsplit("/", 2)[0] + "/elg_00000000000000000000000000000000/x12"
    assert call("GET", missing, caller=COORDINATOR).status == 404


def test_no_participant_has_results_yet(moto_env, plans):
    reply = call("GET", "/participants/per_demoalex/eligibility", caller=ALEX)
    assert reply.status == 200
    assert reply.json == {"items": []}


def test_read_routes_are_one_read_each_and_a_check_is_one_read_and_one_transaction(moto_env, dynamodb_calls):
    # A check: the plan and its latest result in one BatchGetItem, then one transaction
    href = call("POST", ALEX_CHECK, caller=COORDINATOR).json["x12_href"]
    assert dynamodb_calls["BatchGetItem"] == 1
    assert dynamodb_calls["TransactWriteItems"] == 1
    assert sum(n for op, n in dynamodb_calls.items() if op in READS) == 1
    for caller, path, expected in (
        (ALEX, "/participants/per_demoalex/eligibility", {"Query": 1}),
        (COORDINATOR, "/participants/per_demoalex/eligibility", {"Query": 1}),
        (COORDINATOR, href, {"GetItem": 1}),
    ):
        dynamodb_calls.clear()
        assert call("GET", path, caller=caller).status == 200
        assert {op: n for op, n in dynamodb_calls.items() if op in READS} == expected


def test_a_confirmed_check_verifies_the_plan_and_a_rejection_leaves_it_pending(moto_env, plans):
    taylor = "/participants/per_demotaylor/plans/pln_demobrooks01"
    # Given Taylor's plan, pending verification
    before = call("GET", taylor, caller=COORDINATOR)
    assert (before.json["status"], before.headers["etag"]) == ("pending_verification", '"1"')
    # When the payer cannot find the member
    put_plan(plans, "pln_demobrooks01", member_id="SIM-NOTFOUND")
    assert call("POST", f"{taylor}/eligibility-checks", caller=COORDINATOR).json["status"] == "rejected"
    # Then the plan is still pending verification, unchanged
    assert call("GET", taylor, caller=COORDINATOR).headers["etag"] == '"1"'
    # When the member id is corrected and the payer confirms coverage
    put_plan(plans, "pln_demobrooks01")
    checked = call("POST", f"{taylor}/eligibility-checks", caller=COORDINATOR)
    assert checked.json["status"] == "active", checked
    # Then the plan reads as active, as a new version (a coordinator's stale If-Match is refused)
    after = call("GET", taylor, caller=COORDINATOR)
    assert (after.json["status"], after.headers["etag"]) == ("active", '"2"')
