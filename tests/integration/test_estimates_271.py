"""Estimates priced from a real 271 text (parsed as a check parses it): procedure-specific lines,
the 271 line behind each estimate line, unknown terms and limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.common import aws
from functions.common.dynamo import to_item
from functions.coverage.logic import eligibility, estimates
from functions.coverage.logic.costshare import NOT_BILLABLE
from functions.coverage.vocabulary import NetworkStatus
from functions.coverage.x12.parser import parse_271
from local import seed
from tests.clock import controlled_now
from tests.integration.test_estimates import ALEX, COORDINATOR, call, coverage, next_week, put_271, week_of
from tests.unit.x12_corpus import PROVIDER, interchange, payer, subscriber

CHICAGO = ZoneInfo("America/Chicago")  # Alex's zone
__all__ = ["coverage"]  # the fixture, imported for these tests


def _record(
    body: str,
    person_id: str = "per_demoalex",
    plan_id: str = "pln_demorivera01",
    checked_at: datetime | None = None,
) -> Any:
    text = interchange(
        payer("LONE STAR MUTUAL", "LSM01") + PROVIDER + subscriber("RIVERA", "ALEX", "LSM884201-01") + body
    )
    plan = next(p for p in seed.PLANS if p.plan_id == plan_id)
    return eligibility.record_from(
        parse_271(text),
        plan,
        check_id="elg_corpus0001",
        checked_at=checked_at or controlled_now() - timedelta(hours=1),
        requested_by="per_democoordinator",
    )


PPO = (
    "EB*1*FAM*30^MH*PR*LONE STAR MUTUAL PPO~"
    "EB*C*IND*MH***23*1500*****Y~"
    "EB*C*IND*MH***29*1450*****Y~"
    "EB*G*IND*MH***23*6000*****Y~"
    "EB*B*IND*MH***27*30*****Y~"
    "EB*A*IND*MH***27**.2****Y~"
)


def _estimate(coverage_store: Any, body: str, checked_at: datetime | None = None) -> dict[str, Any]:
    put_271(coverage_store, _record(body, checked_at=checked_at))
    return week_of(call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX))


def _line(estimate: dict[str, Any], code: str) -> dict[str, Any]:
    return next(line for line in estimate["lines"] if line["code"] == code)


def test_a_noncovered_procedure_denies_that_procedure_only_and_lines_name_their_271_line(coverage):
    # Given Alex's PPO says couples psychotherapy (90847) is not covered, by a line naming it
    estimate = _estimate(coverage, PPO + "EB*I*IND*MH**********HC:90847~")
    # Then the couples session is at the full charge, and the individual session keeps its copay
    couples, individual = _line(estimate, "90847"), _line(estimate, "90837")
    assert couples["parts"][0]["kind"] == "not_covered"
    assert couples["you_pay"] == couples["charge"]
    assert individual["you_pay"] == "30.00"
    # And each line says which 271 line priced it
    assert [(p["term"], p["segment"]) for p in couples["priced_by"]] == [
        ("not_covered", "EB*I*IND*MH**********HC:90847")
    ]
    assert [(p["term"], p["segment"]) for p in individual["priced_by"]] == [
        ("copay", "EB*B*IND*MH***27*30*****Y")
    ]
    group = _line(estimate, "90853")
    assert {p["term"] for p in group["priced_by"]} >= {"deductible"}
    assert all(p["line"] > 0 for p in group["priced_by"])


def test_without_the_procedure_line_the_couples_session_is_covered(coverage):
    # The same 271 without the line naming 90847: the couples session is a copay visit
    estimate = _estimate(coverage, PPO)
    assert _line(estimate, "90847")["you_pay"] == "30.00"


def test_a_procedure_copay_prices_that_procedure(coverage):
    # Given a $15 copay named for group psychotherapy (90853) besides the $30 office copay
    estimate = _estimate(coverage, PPO + "EB*B*IND*MH***27*15*****Y*HC:90853~")
    group = _line(estimate, "90853")
    assert group["you_pay"] == "15.00"
    assert group["priced_by"][0]["segment"] == "EB*B*IND*MH***27*15*****Y*HC:90853"
    assert _line(estimate, "90837")["you_pay"] == "30.00"


def test_a_coinsurance_the_payer_did_not_give_is_undetermined_not_zero(coverage):
    # Given a PPO that gives no coinsurance line for mental health
    estimate = _estimate(coverage, PPO.replace("EB*A*IND*MH***27**.2****Y~", ""))
    # Then a group session (deductible, then coinsurance) says its coinsurance is unknown, and why
    group = _line(estimate, "90853")
    assert group["undetermined"] == [
        {"term": "coinsurance", "reason": "the payer gave no in-network coinsurance for mental health"}
    ]
    # And a copay visit has nothing undetermined
    assert _line(estimate, "90837")["undetermined"] == []
    assert any("could not be fully determined" in note for note in estimate["notes"])


def test_with_every_term_given_nothing_is_undetermined(coverage):
    estimate = _estimate(coverage, PPO)
    assert all(line["undetermined"] == [] for line in estimate["lines"])
    assert not any("could not be fully determined" in note for note in estimate["notes"])
    assert not any("out-of-pocket maximum" in note for note in estimate["notes"])


def test_an_out_of_pocket_maximum_the_payer_did_not_give_is_said_not_assumed(coverage):
    estimate = _estimate(coverage, PPO.replace("EB*G*IND*MH***23*6000*****Y~", ""))
    assert (
        "the payer gave no in-network out-of-pocket maximum: the shares shown are not capped by one"
        in (estimate["notes"])
    )


def test_out_of_network_without_a_coinsurance_says_so(coverage):
    # Given Alex sees the program out of network, and the payer gave an out-of-network
    # deductible but no out-of-network coinsurance
    plan = next(p for p in seed.PLANS if p.plan_id == "pln_demorivera01")
    coverage.put_plan(plan.model_copy(update={"network_status": NetworkStatus.OUT_OF_NETWORK}))
    estimate = _estimate(coverage, PPO + "EB*C*IND*MH***23*3000*****N~")
    # Then every covered line's coinsurance is undetermined, never 0 %
    covered = [line for line in estimate["lines"] if line["code"] and line["allowed"] != "0.00"]
    assert covered
    for line in covered:
        assert {
            "term": "coinsurance",
            "reason": "the payer gave no out-of-network coinsurance for mental health",
        } in line["undetermined"]


def test_the_coverage_summary_never_reads_a_missing_coinsurance_as_nothing(coverage):
    put_271(coverage, _record(PPO.replace("EB*A*IND*MH***27**.2****Y~", "")))
    reply = call("GET", "/participants/per_demoalex/coverage-summary", caller=ALEX)
    assert reply.status == 200, reply
    group = next(c for c in reply.json["categories"] if c["category"] == "group_therapy")
    assert group["your_share"].startswith("an undetermined share after the deductible")


# Service-year limits (22): a calendar-year one resets at New Year, which the week may cross.
LIMIT_30_LEFT_5 = "EB*F*IND*MH***22***VS*30**Y~EB*F*IND*MH***29***VS*5**Y~"


def _next_monday() -> date:
    year, number = next_week().split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _between(coverage: Any, checked: datetime, before: date) -> list[estimates.WeekService]:
    """Alex's billable services expected between a 271 checked at `checked` and `before`
    (what an estimate of the week of `before` counts against the 271's visit limit)."""
    return [
        s
        for week in estimates.earlier_weeks(checked.date(), before)
        for s in estimates.week_services(
            "per_demoalex", coverage.schedule_week("per_demoalex", week), identified_patients={}
        )
        if s.status == "expected"
        and s.start.astimezone(CHICAGO).date() >= checked.date()
        and s.category not in NOT_BILLABLE
    ]


def _covered(estimate: dict[str, Any]) -> list[str]:
    return [
        line["code"]
        for line in estimate["lines"]
        if line["code"] and line["parts"][0]["kind"] != "visit_limit"
    ]


def test_a_week_within_the_visits_left_is_covered_and_says_nothing(coverage):
    # Given Alex's week has 5 visits, and the 271 leaves 5 more than what comes before it
    checked = controlled_now() - timedelta(hours=1)
    left = 5 + len(_between(coverage, checked, _next_monday()))
    limit = f"EB*F*IND*MH***22***VS*30**Y~EB*F*IND*MH***29***VS*{left}**Y~"
    estimate = _estimate(coverage, PPO + limit, checked_at=checked)
    assert len(_covered(estimate)) == 5
    assert not any("visit limit" in note for note in estimate["notes"])


def test_booked_and_attended_sessions_count_against_the_visit_limit(coverage):
    # Given the 271 (two days ago) left 5 visits more than the seeded groups and sessions before
    # next week use, and since it one session was attended (claimed) and one more is booked
    checked = controlled_now() - timedelta(days=2)
    day = checked.date().isoformat()
    left = 5 + len(_between(coverage, checked, _next_monday()))
    dynamodb = aws.client("dynamodb")
    for item in (
        {
            "pk": "PERSON#per_demoalex",
            "sk": "CLAIM#ses_attendedbefore",
            "entity": "CLAIM",
            "person_id": "per_demoalex",
            "source_id": "ses_attendedbefore",
            "plan_id": "pln_demorivera01",
            "basis": "insured",
            "network": "in_network",
            "codes": ["90837"],
            "units": [1],
            "service_date": day,
            "deductible_cents": 0,
            "oop_cents": 3000,
            "recorded_at": (checked + timedelta(hours=1)).isoformat(),
        },
        {
            "pk": "PERSON#per_demoalex",
            "sk": "BOOKED#ses_bookedbefore",
            "entity": "BOOKED_USE",
            "source_id": "ses_bookedbefore",
            "service_date": day,
            "codes": ["99214", "90833"],
            "units": [1, 1],
        },
    ):
        dynamodb.put_item(TableName=coverage.table, Item=to_item(item))
    # When Alex's week (5 visits) is estimated
    limit = f"EB*F*IND*MH***22***VS*30**Y~EB*F*IND*MH***29***VS*{left}**Y~"
    estimate = _estimate(coverage, PPO + limit, checked_at=checked)
    # Then only 3 of its visits are within the limit (the add-on code is part of its visit)
    assert len(_covered(estimate)) == 3
    over = [line for line in estimate["lines"] if line["code"] and line["parts"][0]["kind"] == "visit_limit"]
    assert len(over) == 2
    assert all(line["you_pay"] == line["charge"] for line in over)
    assert over[0]["priced_by"][0]["term"] == "visit_limit"
    # And the estimate says the week crosses the limit, naming it with its period
    (note,) = [n for n in estimate["notes"] if "visit limit" in n]
    assert "crosses the plan's visit limit (30 visits per service year)" in note
    assert f"from {over[0]['day']}" in note


def test_group_occurrences_and_sessions_of_the_weeks_before_count_against_the_limit(coverage):
    # Given a 271 checked a week before next week, and what Alex has between it and the week
    # after next (the seeded groups and sessions, none of them attended or claimed yet)
    monday = _next_monday()
    checked = datetime.combine(monday - timedelta(days=7), time(0, 0), tzinfo=UTC)
    later = monday + timedelta(weeks=1)
    between = _between(coverage, checked, later)
    assert len(between) >= 2  # the seeded week at least (else this test would say nothing)
    # And the 271 leaves exactly one visit more than those use
    left = len(between) + 1
    limit = f"EB*F*IND*MH***22***VS*30**Y~EB*F*IND*MH***29***VS*{left}**Y~"
    put_271(coverage, _record(PPO + limit, checked_at=checked))
    year, number, _ = later.isocalendar()
    # When the week after next (two group occurrences) is estimated
    estimate = week_of(
        call("GET", f"/participants/per_demoalex/estimates/week?week={year}-W{number:02d}", caller=ALEX)
    )
    # Then only its first visit is within the limit: the weeks between used the rest
    assert len([line for line in estimate["lines"] if line["code"]]) >= 2
    assert len(_covered(estimate)) == 1
    assert any("crosses the plan's visit limit" in note for note in estimate["notes"])


def test_days_per_admission_count_days_not_sessions(coverage):
    # Given an intensive-outpatient plan allowing 30 days per admission (EB09 DY, period 36),
    # with two days left beyond the days Alex has booked before next week
    checked = controlled_now() - timedelta(hours=1)
    days_before = {s.start.astimezone(CHICAGO).date() for s in _between(coverage, checked, _next_monday())}
    left = 2 + len(days_before)
    limit = f"EB*F*IND*MH***36***DY*30**Y~EB*F*IND*MH***29***DY*{left}**Y~"
    # When next week (several sessions on some days) is estimated
    estimate = _estimate(coverage, PPO + limit, checked_at=checked)
    lines = [line for line in estimate["lines"] if line["code"]]
    days = sorted({line["day"] for line in lines})
    assert len(days) >= 3
    assert len(lines) > len(days)
    # Then every session of its first two days is covered, however many a day has, and the
    # sessions of the later days are beyond the limit
    for line in lines:
        beyond = line["parts"][0]["kind"] == "visit_limit"
        assert beyond == (line["day"] not in days[:2]), line
    # And the note, and each line's account of its visit limit, name it as the payer stated it
    assert any("crosses the plan's day limit (30 days per admission)" in n for n in estimate["notes"])
    (source,) = [t for t in lines[0]["term_sources"] if t["part"] == "visit_limit"]
    assert (source["source"], source["detail"]) == ("271", "30 days per admission")


def test_a_weekly_visit_limit_is_reported_for_the_week_that_exceeds_it(coverage):
    # Given a plan allowing 3 mental-health visits a week (HSD), and Alex's week has 5
    estimate = _estimate(coverage, PPO + "EB*F*IND*MH~HSD*VS*3***35*1~")
    (note,) = [n for n in estimate["notes"] if "a week" in n]
    assert "has 5 visits; the plan allows 3 a week" in note


def test_confirmed_terms_reprice_the_week_and_each_part_says_where_it_came_from(coverage):
    # Given Alex's 271 ($30 office copay, $1,450 of the deductible left) and, confirmed by a
    # coordinator from the plan's SBC, individual therapy is deductible first, then the copay
    put_271(coverage, _record(PPO))
    confirmed = call(
        "PUT",
        "/participants/per_demoalex/plans/pln_demorivera01/confirmed-terms",
        caller=COORDINATOR,
        body={
            "document": {"name": "Lone Star Mutual PPO SBC", "version": "2027.1"},
            "categories": [
                {"category": "individual_therapy", "order": "deductible_then_copay", "copay": "30"}
            ],
        },
    )
    assert confirmed.status == 201, confirmed
    # When Alex asks what next week costs
    estimate = week_of(
        call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX)
    )
    # Then the individual session's allowed $142.50 all goes to the deductible (the 271 alone: $30)
    individual = _line(estimate, "90837")
    assert individual["you_pay"] == individual["allowed"] == "142.50"
    sources = {s["part"]: s for s in individual["term_sources"]}
    assert sources["order"]["source"] == "confirmed_terms"
    assert sources["order"]["document"] == {
        "name": "Lone Star Mutual PPO SBC",
        "version": "2027.1",
        "issued_on": None,
        "reference": None,
    }
    assert sources["deductible"]["source"] == "271"
    assert [line["segment"] for line in sources["deductible"]["lines"]] == [
        "EB*C*IND*MH***23*1500*****Y",
        "EB*C*IND*MH***29*1450*****Y",
    ]
    # And the couples session, not confirmed, still takes the 271's copay, on an assumed order
    couples = {s["part"]: s for s in _line(estimate, "90847")["term_sources"]}
    assert (couples["order"]["source"], couples["copay"]["source"]) == ("assumption", "271")
    assert _line(estimate, "90847")["you_pay"] == "30.00"
