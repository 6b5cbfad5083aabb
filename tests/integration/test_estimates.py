"""Estimates on the seeded demo program: a participant's week, one session and a program,
priced from the week in the schedule table's participant/week index, the latest 271 and
the payers' fee schedules; partners never see each other's costs."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.common import aws
from functions.common.audit import AuditWriter
from functions.common.dynamo import to_item
from functions.coverage import keys, prices
from functions.coverage.handler import lambda_handler
from functions.coverage.logic.eligibility import (
    AccumulatorOut,
    BenefitsOut,
    CostShareOut,
    EligibilityRecord,
)
from functions.coverage.routes.estimates import forget_reference
from functions.coverage.store import CoverageStore
from local import seed
from tests.clock import controlled_now
from tests.integration.conftest import caller_of
from tests.integration.scheduling import seeded_week
from tests.support import claims

call = caller_of(lambda_handler)
ALEX = claims("per_demoalex", "participant")
JAMIE = claims("per_demojamie", "participant")
CASEY = claims("per_democasey", "participant")
COORDINATOR = claims("per_democoordinator", "coordinator")
SAM = claims("per_demotherapist1", "clinician")


def next_week() -> str:
    """The seeded week (the demo participants' next week, in their zone)."""
    return seeded_week()


def lone_star_271(
    person_id: str,
    plan_id: str,
    *,
    deductible_met: int = 5000,
    copay: int | None = 3000,
    family_met: int | None = None,
) -> EligibilityRecord:
    """Lone Star Mutual's answer: $1,500/$3,000 deductible, $30 office copay, 20% after
    (the family's deductible met: the member's own unless `family_met` says more)."""
    in_network = CostShareOut(
        deductible=AccumulatorOut(
            individual_total_cents=150000,
            individual_remaining_cents=150000 - deductible_met,
            family_total_cents=300000,
            family_remaining_cents=300000 - (deductible_met if family_met is None else family_met),
        ),
        out_of_pocket=AccumulatorOut(
            individual_total_cents=600000,
            individual_remaining_cents=600000 - deductible_met,
            family_total_cents=1200000,
            family_remaining_cents=1200000 - deductible_met,
        ),
        copay_cents=copay,
        coinsurance_rate=Decimal("0.2"),
    )
    return EligibilityRecord(
        person_id=person_id,
        plan_id=plan_id,
        check_id="elg_test0001",
        payer_name="Lone Star Mutual PPO",
        checked_at=controlled_now() - timedelta(hours=1),
        status="active",
        benefits=[BenefitsOut(category="mental_health", service_types=["MH", "30"], in_network=in_network)],
        requested_by="per_democoordinator",
    )


@pytest.fixture
def coverage(program, moto_env) -> CoverageStore:
    forget_reference()
    dynamodb = aws.client("dynamodb")
    store = CoverageStore(
        moto_env["tables"]["coverage"], dynamodb, schedule_table=moto_env["tables"]["schedule"]
    )
    for plan in seed.PLANS:
        store.put_plan(plan)
    seed.seed_billing(
        store, AuditWriter(moto_env["tables"]["audit"], dynamodb, request_id="t"), now=controlled_now()
    )
    for person_id in {plan.person_id for plan in seed.PLANS}:
        prices.copy_for(store, person_id)  # as saving the plan through the API does
    return store


def put_271(store: CoverageStore, record: EligibilityRecord) -> None:
    item = {
        **keys.eligibility_latest_key(record.person_id, record.plan_id),
        "entity": "ELIGIBILITY_LATEST",
        **record.attributes(),
    }
    aws.client("dynamodb").put_item(TableName=store.table, Item=to_item(item))


def week_of(reply: Any) -> dict[str, Any]:
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.json
    return body


def test_alexs_week_is_itemised_from_the_271_and_the_fee_schedule(coverage):
    # Given Alex's verified family PPO with $50 of the deductible met
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    # When Alex asks what next week will cost
    estimate = week_of(
        call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX)
    )
    # Then every session and group occurrence is a line with its code and reasons
    assert estimate["basis"] == "insured"
    by_code = Counter(line["code"] for line in estimate["lines"])
    assert by_code == {"90837": 1, "90847": 1, "H0004": 1, "90853": 2}
    individual = next(line for line in estimate["lines"] if line["code"] == "90837")
    assert individual["allowed"] == "142.50"
    assert individual["you_pay"] == "30.00"
    assert individual["plan_pays"] == "112.50"
    assert individual["parts"][0]["reason"] == "$30.00 copay"
    group = next(line for line in estimate["lines"] if line["code"] == "90853")
    assert group["you_pay"] == "42.75"
    assert group["parts"][0]["kind"] == "deductible"
    assert "deductible" in group["parts"][0]["reason"]
    counseling = next(line for line in estimate["lines"] if line["code"] == "H0004")
    assert counseling["units"] == 4
    assert counseling["allowed"] == "98.40"
    # The couples session bills once, under Alex (the couple's identified patient by default)
    couples = next(line for line in estimate["lines"] if line["code"] == "90847")
    assert couples["you_pay"] == "30.00"
    assert estimate["totals"]["you_pay"] == "175.50"
    # Money is never a float
    assert isinstance(estimate["totals"]["you_pay"], str)


def test_the_partner_sees_the_joint_session_at_zero_and_never_the_other_plan(coverage):
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    put_271(coverage, lone_star_271("per_demojamie", "pln_demorivera02"))
    estimate = week_of(
        call("GET", f"/participants/per_demojamie/estimates/week?week={next_week()}", caller=JAMIE)
    )
    couples = next(line for line in estimate["lines"] if line["sources"][0]["type"] == "couples")
    assert couples["code"] is None
    assert couples["you_pay"] == "0.00"
    assert couples["note"] == "billed once, under the other partner's plan"
    assert "pln_demorivera01" not in str(estimate)
    # And neither partner (nor a clinician) can read the other's estimate
    for caller, other in ((JAMIE, "per_demoalex"), (ALEX, "per_demojamie"), (SAM, "per_demoalex")):
        assert (
            call("GET", f"/participants/{other}/estimates/week?week={next_week()}", caller=caller).status
            == 404
        )
    assert (
        call(
            "GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=COORDINATOR
        ).status
        == 200
    )


def test_without_a_verified_271_the_estimate_says_so_and_shows_full_charges(coverage):
    estimate = week_of(
        call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX)
    )
    assert estimate["basis"] == "unverified"
    assert any("eligibility has not been checked" in note for note in estimate["notes"])
    individual = next(line for line in estimate["lines"] if line["code"] == "90837")
    assert individual["you_pay"] == individual["charge"] == "250.00"
    # A plan not verified yet reads so everywhere, never "not covered by the plan" (issue 10)
    reasons = [part["reason"] for line in estimate["lines"] if line["code"] for part in line["parts"]]
    assert reasons
    assert all(reason.startswith("not verified yet") for reason in reasons)
    assert any(note.startswith("not verified yet") for note in estimate["notes"])
    summary = call("GET", "/participants/per_demoalex/coverage-summary", caller=ALEX).json
    unknown = [c for c in summary["categories"] if c["status"] == "unknown"]
    assert unknown
    assert all(c["your_share"].startswith("not verified yet") for c in unknown)
    assert "not covered" not in str(estimate) + str(summary)


def test_a_self_pay_participant_gets_the_cash_prices(coverage):
    # Casey has no insurance; give Casey a session next week
    book_casey_next_week()
    estimate = week_of(
        call("GET", f"/participants/per_democasey/estimates/week?week={next_week()}", caller=CASEY)
    )
    assert estimate["basis"] == "self_pay"
    [line] = [line for line in estimate["lines"] if line["code"]]
    assert line["you_pay"] == "160.00"
    assert line["parts"][0]["kind"] == "self_pay"


def test_one_session_is_priced_after_the_weeks_earlier_ones(coverage):
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    path = f"/participants/per_demoalex/sessions/ses_demorivera02/estimate?week={next_week()}"
    estimate = week_of(call("GET", path, caller=ALEX))
    assert estimate["scope"] == "session"
    [line] = estimate["lines"]
    assert line["code"] == "90837"
    assert line["you_pay"] == "30.00"
    assert call("GET", path.replace("ses_demorivera02", "ses_demorivera03"), caller=ALEX).status == 404
    assert call("GET", path.split("?")[0], caller=ALEX).status == 422  # the week is required


def test_a_program_of_weeks_carries_the_deductible_until_it_is_met(coverage):
    # Given Alex has $1,400 of the $1,500 deductible met
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01", deductible_met=140000))
    path = f"/participants/per_demoalex/estimates/program?weeks=4&week={next_week()}"
    estimate = week_of(call("GET", path, caller=ALEX))
    assert estimate["weeks"] == 4
    assert len(estimate["by_week"]) == 4
    groups = [line for line in estimate["lines"] if line["code"] == "90853"]
    assert len(groups) == 8
    # The first groups fill the last $100 of the deductible: the third crosses it ($14.50
    # deductible + 20% of the remaining $28.25); after that, 20% coinsurance
    assert [g["you_pay"] for g in groups[:3]] == ["42.75", "42.75", "20.15"]
    assert groups[2]["parts"][0]["reason"] == "$14.50 toward the remaining deductible (deductible now met)"
    assert groups[2]["parts"][1]["kind"] == "coinsurance"
    assert groups[3]["you_pay"] == "8.55"
    assert groups[3]["parts"][0]["kind"] == "coinsurance"
    weekly = [Decimal(w["you_pay"]) for w in estimate["by_week"]]
    assert sum(weekly) == Decimal(estimate["totals"]["you_pay"])


class TestProjectedClaims:
    """Attendance on the stream becomes a projected claim once, and the next estimate starts
    from it (until a fresh 271 replaces it)."""

    @pytest.fixture
    def clock(self, monkeypatch):
        from functions.schedule import events as schedule_events
        from functions.schedule.routes import sessions as session_routes
        from tests.integration.scheduling import CHICAGO

        state = {"now": controlled_now(CHICAGO)}
        for module in (session_routes, schedule_events):
            monkeypatch.setattr(module, "utc_now", lambda: state["now"])
        return state

    @pytest.fixture
    def stream(self, coverage, moto_env):
        from tests.integration.conftest import ScheduleChanges

        return ScheduleChanges(moto_env)

    def attend(self, clock, stream, status: str = "attended") -> dict[str, Any]:
        from tests.integration.scheduling import SAM as THERAPIST
        from tests.integration.scheduling import at, book, next_week_day
        from tests.integration.scheduling import call as schedule_call

        monday = next_week_day(0)
        clock["now"] = datetime.fromisoformat(at(monday, 7))
        session: dict[str, Any] = book(start=at(monday, 9)).json
        clock["now"] = datetime.fromisoformat(at(monday, 10, 30))
        reply = schedule_call(
            "POST",
            f"/sessions/{session['session_id']}/attendance",
            caller=THERAPIST,
            body={"records": [{"person_id": "per_demoalex", "status": status}]},
            headers={"If-Match": '"1"'},
        )
        assert reply.status == 200, reply
        return session

    def claims(self, store: CoverageStore) -> list[dict[str, Any]]:
        return [i for i in store.person_items("per_demoalex") if str(i["sk"]).startswith("CLAIM#")]

    def test_an_attended_session_is_claimed_once_and_moves_the_next_estimate(self, coverage, clock, stream):
        # Given Alex's verified plan with $100 of the deductible left and no office copay
        put_271(
            coverage, lone_star_271("per_demoalex", "pln_demorivera01", deductible_met=140000, copay=None)
        )
        # When Sam records Alex as attended and coverage takes the events, then takes them twice more
        session = self.attend(clock, stream)
        stream.step()
        stream.redeliver("CoverageEvents")
        stream.redeliver("CoverageEvents")
        # Then one claim: $100 toward the deductible and 20% of the remaining $42.50
        [claim] = self.claims(coverage)
        assert claim["source_id"] == session["session_id"]
        assert claim["codes"] == ["90837"]
        assert claim["deductible_cents"] == 10000
        assert claim["participant_cents"] == 10850
        # The attended session's own week prices it once: from the 271, not after its own claim
        year, number, _ = date.fromisoformat(claim["service_date"]).isocalendar()
        own_week = week_of(
            call("GET", f"/participants/per_demoalex/estimates/week?week={year}-W{number:02d}", caller=ALEX)
        )
        [own] = [line for line in own_week["lines"] if line["sources"][0]["id"] == session["session_id"]]
        assert own["you_pay"] == "108.50"
        # And next week's first session starts with the deductible met: 20% of $142.50
        estimate = week_of(
            call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX)
        )
        first = estimate["lines"][0]
        assert first["code"] == "90837"
        assert first["you_pay"] == "28.50"
        assert [p["kind"] for p in first["parts"]] == ["coinsurance"]
        # Until a fresh 271 (checked after the claim) replaces the projection
        fresh = lone_star_271("per_demoalex", "pln_demorivera01", deductible_met=140000, copay=None)
        put_271(coverage, fresh.model_copy(update={"checked_at": controlled_now() + timedelta(minutes=1)}))
        estimate = week_of(
            call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX)
        )
        first = estimate["lines"][0]
        assert first["you_pay"] == "108.50"  # $100 deductible + 20% of $42.50
        assert [p["kind"] for p in first["parts"]] == ["deductible", "coinsurance"]

    def test_a_corrected_attendance_withdraws_the_claim(self, coverage, clock, stream):
        put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
        session = self.attend(clock, stream)
        stream.step()
        assert len(self.claims(coverage)) == 1
        from tests.integration.scheduling import SAM as THERAPIST
        from tests.integration.scheduling import call as schedule_call

        corrected = schedule_call(
            "POST",
            f"/sessions/{session['session_id']}/attendance",
            caller=THERAPIST,
            body={"records": [{"person_id": "per_demoalex", "status": "no_show"}]},
            headers={"If-Match": '"2"'},
        )
        assert corrected.status == 200, corrected
        stream.step()
        assert self.claims(coverage) == []


def test_the_coverage_summary_by_benefit_category(coverage):
    # Given Alex's verified plan ($30 office copay, 20% coinsurance) and Casey paying for themself
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    reply = call("GET", "/participants/per_demoalex/coverage-summary", caller=ALEX)
    assert reply.status == 200, reply
    summary = {c["category"]: c for c in reply.json["categories"]}
    # Then each of the program's benefit categories is answered, with the share in words
    assert list(summary) == [
        "individual_therapy",
        "couples_therapy",
        "group_therapy",
        "digital_platform",
        "medication_management",
        "sober_activities",
        "medical_consultations",
    ]
    assert summary["individual_therapy"]["status"] == "covered"
    assert summary["individual_therapy"]["your_share"] == "$30.00 copay per visit"
    assert (
        summary["group_therapy"]["your_share"]
        == "20% coinsurance after the deductible ($1,450.00 of it left)"
    )
    assert summary["digital_platform"]["your_share"] == "$0.00: included in the program"
    casey = call("GET", "/participants/per_democasey/coverage-summary", caller=CASEY).json
    assert casey["basis"] == "self_pay"
    individual = next(c for c in casey["categories"] if c["category"] == "individual_therapy")
    assert individual == {
        "category": "individual_therapy",
        "label": "Individual therapy sessions",
        "status": "not_covered",
        "your_share": "$160.00 self-pay price (90837)",
        "prior_authorization_required": None,
        "confirmed_terms": False,
    }
    # Before eligibility is checked, insured categories are unknown; a partner sees nothing
    jamie = call("GET", "/participants/per_demojamie/coverage-summary", caller=JAMIE).json
    assert {
        c["status"]
        for c in jamie["categories"]
        if c["category"] not in {"digital_platform", "sober_activities"}
    } == {"unknown"}
    assert call("GET", "/participants/per_demoalex/coverage-summary", caller=JAMIE).status == 404


def book_casey_next_week() -> None:
    from tests.integration.scheduling import COORDINATOR as SCHEDULER
    from tests.integration.scheduling import at, next_week_day
    from tests.integration.scheduling import call as schedule_call

    booked = schedule_call(
        "POST",
        "/sessions",
        caller=SCHEDULER,
        body={
            "type": "individual",
            "start": at(next_week_day(0, weeks_ahead=1), 10),
            "clinician_id": "per_demotherapist1",
            "attendee_ids": ["per_democasey"],
        },
    )
    assert booked.status == 201, booked


def test_a_self_pay_participant_gets_a_good_faith_estimate_as_json_and_printable(coverage):
    # Given Casey, self-pay, with a weekly individual session
    book_casey_next_week()
    path = f"/participants/per_democasey/good-faith-estimate?weeks=4&week={next_week()}"
    # When Casey asks for the Good Faith Estimate of a four-week program
    reply = call("GET", path, caller=CASEY)
    assert reply.status == 200, reply
    gfe = reply.json
    # Then it itemises the codes at the self-pay price, with dates, the provider and the disclaimers
    [item] = gfe["items"]
    assert item["code"] == "90837"
    assert item["quantity"] == 4
    assert item["unit_price"] == "160.00"
    assert item["expected_charge"] == "640.00"
    assert len(item["dates"]) == 4
    assert gfe["total_expected_charges"] == "640.00"
    assert gfe["provider"]["npi"] == "1234567893"
    assert gfe["provider"]["tin"] == "12-3456789"
    assert any("www.cms.gov/nosurprises" in d for d in gfe["disclaimers"])
    assert any("120 calendar days" in d for d in gfe["disclaimers"])
    # And the same estimate prints as a page
    page = call("GET", path, caller=CASEY, headers={"Accept": "text/html"})
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Good Faith Estimate</h1>" in page.text
    assert "$640.00" in page.text
    # An insured participant is pointed to the estimates; others see nothing
    insured = call("GET", f"/participants/per_demoalex/good-faith-estimate?week={next_week()}", caller=ALEX)
    assert insured.status == 422
    assert insured.json["errors"][0]["field"] == "path.participant_id"
    assert call("GET", path, caller=ALEX).status == 404


def test_the_couple_chooses_whose_plan_bills_their_joint_sessions(coverage):
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    put_271(coverage, lone_star_271("per_demojamie", "pln_demorivera02"))
    # When a coordinator names Jamie the couple's identified patient
    body = {"partner_ids": ["per_demoalex", "per_demojamie"], "identified_patient_id": "per_demojamie"}
    chosen = call("PUT", "/couples/cpl_demorivera/billing", caller=COORDINATOR, body=body)
    assert chosen.status == 200, chosen
    # Then the joint session bills under Jamie's plan, and shows at $0 on Alex's estimate
    week = next_week()
    alex = week_of(call("GET", f"/participants/per_demoalex/estimates/week?week={week}", caller=ALEX))
    jamie = week_of(call("GET", f"/participants/per_demojamie/estimates/week?week={week}", caller=JAMIE))
    [alex_joint] = [line for line in alex["lines"] if line["sources"][0]["type"] == "couples"]
    [jamie_joint] = [line for line in jamie["lines"] if line["sources"][0]["type"] == "couples"]
    assert alex_joint["code"] is None
    assert alex_joint["you_pay"] == "0.00"
    assert jamie_joint["code"] == "90847"
    assert jamie_joint["you_pay"] == "30.00"
    # Only coordinators choose, and only one of the two partners
    assert call("PUT", "/couples/cpl_demorivera/billing", caller=ALEX, body=body).status == 403
    wrong = {**body, "identified_patient_id": "per_demotaylor"}
    reply = call("PUT", "/couples/cpl_demorivera/billing", caller=COORDINATOR, body=wrong)
    assert reply.status == 422
    assert reply.json["errors"] == [{"field": "body.identified_patient_id", "message": "one of the partners"}]
    # And the partners named must be the couple's own, as the schedule knows them
    strangers = {"partner_ids": ["per_demoalex", "per_demotaylor"], "identified_patient_id": "per_demoalex"}
    reply = call("PUT", "/couples/cpl_demorivera/billing", caller=COORDINATOR, body=strangers)
    assert reply.status == 422, reply
    assert reply.json["errors"] == [{"field": "body.partner_ids", "message": "not this couple's partners"}]
    assert call("PUT", "/couples/cpl_nosuchcouple1/billing", caller=COORDINATOR, body=body).status == 404
    # And the refused choices changed nothing: Jamie still bills the joint session
    jamie = week_of(call("GET", f"/participants/per_demojamie/estimates/week?week={week}", caller=JAMIE))
    assert [line["code"] for line in jamie["lines"] if line["sources"][0]["type"] == "couples"] == ["90847"]


def test_a_program_needs_a_booked_week_to_repeat(coverage):
    year, number, _ = (controlled_now() + timedelta(weeks=20)).isocalendar()
    empty = f"{year}-W{number:02d}"
    reply = call("GET", f"/participants/per_demoalex/estimates/program?weeks=4&week={empty}", caller=ALEX)
    assert reply.status == 422
    assert reply.json["errors"] == [{"field": "query.week", "message": "nothing booked that week"}]


def test_a_code_without_a_price_is_a_409_for_coordinators_to_fix(coverage, moto_env):
    # Given a chargemaster that lost its 90837 price
    current = call("GET", "/billing/chargemaster", caller=COORDINATOR)
    prices = {k: v for k, v in current.json["prices"].items() if k != "90837"}
    body = {"prices": prices, "self_pay_prices": current.json["self_pay_prices"]}
    replaced = call(
        "PUT", "/billing/chargemaster", caller=COORDINATOR, body=body, headers={"If-Match": '"1"'}
    )
    assert replaced.status == 200, replaced
    # When Alex's week (with a 90837 session) is estimated
    reply = call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX)
    # Then it is a clear 409, not a 500
    assert reply.status == 409, reply
    assert "90837" in reply.json["detail"]
