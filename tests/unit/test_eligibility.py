"""Eligibility rules, the simulated payer and the circuit breaker (no AWS)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.common.errors import ConfigurationError
from functions.coverage.clearinghouse import (
    Breaker,
    ClearinghouseRejected,
    ClearinghouseSettings,
    ClearinghouseUnavailable,
    GuardedClearinghouse,
    PayerLink,
    payer_link,
    reset_clearinghouses,
)
from functions.coverage.logic import eligibility
from functions.coverage.logic.eligibility import EligibilityRecord, ProviderIdentity, RejectionOut
from functions.coverage.models import InsuredPerson, PlanRecord
from functions.coverage.port import ClearinghouseFailure, ClearinghouseRefused
from functions.coverage.simulator import SimulatedClearinghouse, read_270
from functions.coverage.vocabulary import SubscriberRelationship
from functions.coverage.x12.builder import build_270
from functions.coverage.x12.codes import RejectionCategory
from functions.coverage.x12.models import CoverageStatus
from functions.coverage.x12.parser import parse_271
from functions.coverage.x12.renderer import BenefitProfile, render_271
from local.seed import PLANS

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
PROVIDER = ProviderIdentity(
    npi="1234567893", name="TANDEM BEHAVIORAL HEALTH", sender_id="TANDEMIOP", receiver_id="CLEARHOUSE"
)
SEEDED = {p.plan_id: p for p in PLANS}
ALEX_PLAN = SEEDED["pln_demorivera01"]
JAMIE_PLAN = SEEDED["pln_demorivera02"]
TAYLOR_PLAN = SEEDED["pln_demobrooks01"]
CASEY_PLAN = SEEDED["pln_demobrooks02"]


@pytest.fixture(autouse=True)
def _fresh_circuits():
    reset_clearinghouses()
    yield
    reset_clearinghouses()


def _request(plan: PlanRecord, check_id: str = "elg_0123456789abcdef0123456789abcdef", now: datetime = NOW):
    return eligibility.build_request(plan, PROVIDER, check_id=check_id, control_number=4711, now=now)


def _check(plan: PlanRecord, now: datetime = NOW) -> EligibilityRecord:
    request = _request(plan, now=now)
    result = parse_271(SimulatedClearinghouse().submit(build_270(request)))
    assert eligibility.answers(request, result)
    return eligibility.record_from(
        result,
        plan,
        check_id="elg_0123456789abcdef0123456789abcdef",
        checked_at=now,
        requested_by="per_coord",
    )


def _benefits(record: EligibilityRecord, category: str = "mental_health"):
    return next(b for b in record.benefits if b.category == category)


# --------------------------------------------------------------------------- which plans, which 270


def test_a_self_pay_plan_cannot_be_checked():
    assert [e.field for e in eligibility.missing_for_check(CASEY_PLAN)] == ["plan.plan_type"]


def test_missing_plan_fields_are_named():
    plan = JAMIE_PLAN.model_copy(
        update={"payer_id": None, "member_id": None, "patient": None, "subscriber": None}
    )
    assert [e.field for e in eligibility.missing_for_check(plan)] == [
        "plan.payer_id",
        "plan.member_id",
        "plan.patient",
        "plan.subscriber",
    ]
    with pytest.raises(ValueError, match="cannot be checked"):
        _request(plan)


def test_the_subscriber_checks_as_the_subscriber():
    request = _request(ALEX_PLAN)
    assert request.dependent is None
    assert (request.subscriber.first_name, request.subscriber.last_name) == ("ALEX", "RIVERA")
    assert request.subscriber.member_id == "LSM884201-01"
    assert request.subscriber.group_number == "TX-20417"
    assert request.payer_id == "LSM01"
    assert request.trace_number == "0123456789abcdef0123456789abcdef"
    assert request.service_types == ("30", "MH", "AI", "A6")
    assert request.date_of_service == NOW.date()


def test_a_spouse_checks_as_the_subscribers_dependent():
    # Given Jamie is on Alex's family plan as a spouse
    request = _request(JAMIE_PLAN)
    # Then the subscriber loop names Alex and the dependent loop Jamie
    assert (request.subscriber.first_name, request.subscriber.birth_date) == ("ALEX", date(1988, 9, 30))
    assert request.dependent is not None
    assert (request.dependent.first_name, request.dependent.birth_date) == ("JAMIE", date(1990, 4, 12))
    assert request.dependent.relationship is SubscriberRelationship.SPOUSE
    text = build_270(request)
    assert "HL*4*3*23*0~" in text
    assert "NM1*03*1*RIVERA*JAMIE~" in text
    assert "INS*N*01~" in text


def test_a_payer_name_with_x12_delimiters_is_made_safe():
    plan = ALEX_PLAN.model_copy(update={"payer_name": "Lone Star*Mutual~PPO: Gold^Plus"})
    assert _request(plan).payer_name == "LONE STAR MUTUAL PPO GOLD PLUS"
    build_270(_request(plan))


def test_the_simulator_reads_back_what_build_270_wrote():
    for plan in (ALEX_PLAN, JAMIE_PLAN):
        request = _request(plan)
        read = read_270(build_270(request))
        assert read.model_dump(exclude={"created"}) == request.model_dump(exclude={"created"})


def test_an_unreadable_270_is_refused():
    with pytest.raises(ClearinghouseRefused):
        read_270("not an interchange")
    with pytest.raises(ClearinghouseRefused):
        read_270(build_270(_request(ALEX_PLAN)).replace("NM1*IL", "NM1*XX"))


# --------------------------------------------------------------------------- what the 271 says


def test_alex_has_a_family_ppo_with_embedded_deductibles():
    record = _check(ALEX_PLAN)
    assert record.status is CoverageStatus.ACTIVE
    assert (record.plan_begin, record.plan_end) == (date(2026, 1, 1), date(2026, 12, 31))
    mental = _benefits(record)
    assert mental.service_types == ["MH", "A6", "30"]
    inn = mental.in_network
    assert inn.deductible.individual_total_cents == 150_000
    assert inn.deductible.individual_remaining_cents == 110_000
    assert (inn.deductible.family_total_cents, inn.deductible.family_remaining_cents) == (300_000, 245_000)
    assert (inn.out_of_pocket.individual_total_cents, inn.out_of_pocket.family_total_cents) == (
        600_000,
        1_200_000,
    )
    assert inn.copay_cents == 3_000
    assert inn.coinsurance_rate == Decimal("0.20")
    assert inn.prior_auth_required is False
    assert mental.out_of_network is not None
    assert mental.out_of_network.coinsurance_rate == Decimal("0.40")
    assert mental.out_of_network.deductible.individual_total_cents == 300_000
    assert _benefits(record, "substance_use").in_network.copay_cents == 3_000
    assert eligibility.status_message(record) == "Coverage is active from 2026-01-01 to 2026-12-31."


def test_partners_share_the_family_deductible_but_not_the_individual_one():
    alex, jamie = _check(ALEX_PLAN), _check(JAMIE_PLAN)
    a, j = _benefits(alex).in_network.deductible, _benefits(jamie).in_network.deductible
    assert (a.individual_remaining_cents, j.individual_remaining_cents) == (110_000, 135_000)
    assert a.family_remaining_cents == j.family_remaining_cents == 245_000


def test_taylors_plan_needs_prior_auth_and_limits_visits_on_a_july_plan_year():
    record = _check(TAYLOR_PLAN, now=datetime(2026, 9, 1, 12, tzinfo=UTC))
    assert (record.plan_begin, record.plan_end) == (date(2026, 7, 1), date(2027, 6, 30))
    mental = _benefits(record)
    assert mental.in_network.prior_auth_required is True
    assert (mental.in_network.visit_limit, mental.in_network.visits_remaining) == (30, 30)
    assert mental.in_network.copay_cents == 4_000
    assert mental.out_of_network is None  # the payer said nothing out of network
    assert record.payer_messages == ["PRIOR AUTHORIZATION REQUIRED FOR INTENSIVE OUTPATIENT SERVICES"]


@pytest.mark.parametrize(
    ("member_id", "code", "category", "retryable"),
    [
        ("SIM-NOTFOUND", "75", RejectionCategory.MEMBER_NOT_FOUND, False),
        ("SIM-REJECT-75-9", "75", RejectionCategory.MEMBER_NOT_FOUND, False),
        ("SIM-BADDOB", "58", RejectionCategory.INVALID_BIRTH_DATE, False),
        ("SIM-BUSY", "42", RejectionCategory.PAYER_UNAVAILABLE, True),
    ],
)
def test_rejections_become_clear_statuses(member_id, code, category, retryable):
    record = _check(ALEX_PLAN.model_copy(update={"member_id": member_id}))
    assert record.status is CoverageStatus.REJECTED
    assert record.rejection is not None
    assert record.rejection.model_dump(include={"code", "category", "reason", "retryable"}) == RejectionOut(
        code=code, category=category, reason=record.rejection.reason, retryable=retryable
    ).model_dump(include={"code", "category", "reason", "retryable"})
    assert record.rejection.loop in ("2000A", "2100A", "2100C")
    assert record.rejections == [record.rejection]
    assert record.benefits == []
    message = eligibility.status_message(record)
    assert message.startswith("The payer")
    assert member_id not in message


def test_a_birth_date_the_payer_does_not_have_is_rejected():
    patient = InsuredPerson(first_name="Alex", last_name="Rivera", birth_date=date(1988, 9, 3))
    record = _check(ALEX_PLAN.model_copy(update={"patient": patient}))
    assert record.rejection is not None
    assert (record.rejection.code, record.rejection.category) == ("71", RejectionCategory.INVALID_BIRTH_DATE)


def test_terminated_coverage_is_inactive_with_its_end_date():
    record = _check(ALEX_PLAN.model_copy(update={"member_id": "SIM-TERMED"}))
    assert record.status is CoverageStatus.INACTIVE
    assert record.plan_end == NOW.date() - timedelta(days=30)
    assert (
        eligibility.status_message(record)
        == f"The payer reports this coverage is not active (ended {record.plan_end})."
    )


def test_an_unknown_payer_is_an_other_rejection_naming_the_reason():
    record = _check(ALEX_PLAN.model_copy(update={"payer_id": "ZZZ99", "member_id": "SIM-REJECT-T4"}))
    assert record.rejection is not None
    assert record.rejection.category is RejectionCategory.OTHER
    assert (
        eligibility.status_message(record)
        == "The payer rejected the inquiry: Payer name or identifier missing."
    )


@pytest.mark.parametrize("payer_id", ["LSM01", "ZZZ99"])
def test_anyone_the_simulator_does_not_know_has_an_active_ppo(payer_id):
    # A newcomer's new plan (member id never seeded, at a seeded payer or any other) checks active
    record = _check(ALEX_PLAN.model_copy(update={"payer_id": payer_id, "member_id": "NOBODY-123"}))
    assert record.status is CoverageStatus.ACTIVE
    assert record.rejection is None
    mental = _benefits(record)
    assert (mental.in_network.copay_cents, mental.in_network.coinsurance_rate) == (3_000, Decimal("0.20"))


# --------------------------------------------------------------------------- latest, due, stale


def _record(**overrides: Any) -> EligibilityRecord:
    return _check(ALEX_PLAN).model_copy(update=overrides)


def test_a_payer_that_cannot_answer_does_not_replace_a_real_answer():
    previous = _record(checked_at=NOW - timedelta(days=1))
    busy = _record(
        rejection=RejectionOut(
            code="42", category=RejectionCategory.PAYER_UNAVAILABLE, reason="x", retryable=True
        ),
        status=CoverageStatus.REJECTED,
    )
    assert eligibility.replaces_latest(busy, None)
    assert not eligibility.replaces_latest(busy, previous)
    assert eligibility.replaces_latest(_record(), previous)
    assert not eligibility.replaces_latest(previous, _record())  # never over a newer result


def test_conclude_marks_a_failed_refresh_when_the_payer_cannot_answer():
    plan = ALEX_PLAN.model_copy(update={"member_id": "SIM-BUSY"})
    request = _request(plan)
    x270 = build_270(request)
    x271 = SimulatedClearinghouse().submit(x270)
    previous = _record(checked_at=NOW - timedelta(days=1))
    write = eligibility.conclude(
        parse_271(x271),
        plan,
        previous,
        check_id="elg_0123456789abcdef0123456789abcdef",
        checked_at=NOW,
        requested_by="per_coord",
        x12_270=x270,
        x12_271=x271,
        stale_hours=72,
    )
    assert write.latest is None
    # and the latest result goes to the re-check bucket of the day the payer could not answer
    assert write.refresh_failed == {
        "gsi1pk": "ELIG_DUE#2026-03-10",
        "gsi1sk": f"2026-03-10T15:30:00Z#{plan.person_id}#{plan.plan_id}",
    }
    assert write.exchange.x12_271 == x271


def test_due_dates():
    active = _record()
    assert eligibility.due_at(active, 72) == NOW + timedelta(hours=72)
    assert eligibility.due_keys(active, 72) == {
        "gsi1pk": "ELIG_DUE#2026-03-13",
        "gsi1sk": f"2026-03-13T15:30:00Z#{active.person_id}#{active.plan_id}",
    }
    busy = _record(
        rejection=RejectionOut(
            code="42", category=RejectionCategory.PAYER_UNAVAILABLE, reason="x", retryable=True
        )
    )
    assert eligibility.due_at(busy, 72) == NOW
    unknown = _record(
        rejection=RejectionOut(
            code="75", category=RejectionCategory.MEMBER_NOT_FOUND, reason="x", retryable=False
        )
    )
    assert eligibility.due_keys(unknown, 72) == {}
    assert eligibility.recheck_days(NOW, 2) == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]


def test_staleness():
    record = _record()
    assert eligibility.staleness(record, NOW + timedelta(hours=72), 72) == (False, None)
    stale, why = eligibility.staleness(record, NOW + timedelta(hours=73), 72)
    assert stale
    assert why == "Checked more than 72 hours ago; check again before relying on it."
    failed = record.model_copy(update={"refresh_failed_at": NOW + timedelta(minutes=5)})
    stale, why = eligibility.staleness(failed, NOW + timedelta(minutes=6), 72)
    assert stale
    assert why.startswith("A newer check at 2026-03-10T15:35:00Z could not reach the payer")


def test_a_participant_sees_their_results_without_the_coordinators_links():
    record = _record()
    assert eligibility.may_read("per_demoalex", False, "per_demoalex")
    assert not eligibility.may_read("per_demojamie", False, "per_demoalex")
    assert eligibility.may_read("per_coord", True, "per_demoalex")
    mine = eligibility.to_output(record, now=NOW, stale_hours=72, coordinator=False)
    assert (mine.x12_href, mine.source) == (None, None)
    theirs = eligibility.to_output(record, now=NOW, stale_hours=72, coordinator=True)
    assert (
        theirs.x12_href
        == f"/participants/per_demoalex/plans/pln_demorivera01/eligibility-checks/{record.check_id}/x12"
    )


def test_stored_attributes_read_back_unchanged():
    record = _record(refresh_failed_at=NOW)
    assert EligibilityRecord.from_attributes(record.attributes()) == record


NEW_IN_ISSUE_10 = {
    "rejections",
    "trace",
    "insurance_type",
    "patient_relationship_code",
    "active_service_types",
}
NEW_IN_COST_SHARE = {"sources", "limits", "visit_limit_period"}


def _as_stored_before_issue_10(attributes: dict) -> dict:
    old = {k: v for k, v in attributes.items() if k not in NEW_IN_ISSUE_10}
    old["benefits"] = [
        {
            **{k: v for k, v in b.items() if k != "procedures"},
            "in_network": {k: v for k, v in b["in_network"].items() if k not in NEW_IN_COST_SHARE},
            "out_of_network": {k: v for k, v in b["out_of_network"].items() if k not in NEW_IN_COST_SHARE}
            if b["out_of_network"]
            else None,
        }
        for b in attributes["benefits"]
    ]
    if old.get("rejection"):
        old["rejection"] = {
            k: v for k, v in old["rejection"].items() if k in {"code", "category", "reason", "retryable"}
        }
    return old


@pytest.mark.parametrize("member_id", ["LSM884201-01", "SIM-NOTFOUND"])
def test_results_stored_before_issue_10_still_read(member_id: str):
    # Given a result stored as older code wrote it (no trace, rejections, limits, procedures ...)
    record = _check(ALEX_PLAN.model_copy(update={"member_id": member_id}))
    old = _as_stored_before_issue_10(record.attributes())
    # When it is read back and shown
    read = EligibilityRecord.from_attributes(old)
    out = eligibility.to_output(read, now=NOW, stale_hours=24, coordinator=True)
    # Then it reads, with the new facts unknown rather than invented
    assert (read.status, read.trace, read.rejections, read.insurance_type) == (record.status, None, [], None)
    assert out.active_service_types == []
    assert out.patient_relationship is None
    assert [b.procedures for b in read.benefits] == [[] for _ in record.benefits]


# --------------------------------------------------------------------------- circuit breaker


class Flaky:
    def __init__(self, *outcomes: Exception | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def submit(self, x12_270: str) -> str:
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_failures_open_the_circuit_and_an_open_circuit_does_not_call_out():
    # Given a clearinghouse that times out, behind a breaker opening after two failures
    flaky = Flaky(ClearinghouseFailure("timeout"))
    guarded = GuardedClearinghouse(flaky, Breaker("test", failure_threshold=2, cooldown_seconds=30))
    # When the first call fails, the circuit stays closed and the caller may retry soon
    with pytest.raises(ClearinghouseUnavailable) as first:
        guarded.submit("270")
    assert (first.value.status, first.value.retry_after, first.value.circuit_open) == (503, 5, False)
    # When the second fails, the circuit opens
    with pytest.raises(ClearinghouseUnavailable) as second:
        guarded.submit("270")
    assert (second.value.retry_after, second.value.circuit_open) == (30, True)
    # Then further calls are refused without reaching the clearinghouse
    with pytest.raises(ClearinghouseUnavailable) as third:
        guarded.submit("270")
    assert third.value.circuit_open
    assert 1 <= third.value.retry_after <= 30
    assert flaky.calls == 2
    assert guarded.circuit_open


def test_after_the_cool_down_one_good_probe_closes_the_circuit():
    flaky = Flaky(ClearinghouseFailure("status 503"), "271")
    guarded = GuardedClearinghouse(flaky, Breaker("test", failure_threshold=1, cooldown_seconds=1))
    with pytest.raises(ClearinghouseUnavailable):
        guarded.submit("270")
    assert guarded.circuit_open
    time.sleep(1.1)
    assert guarded.submit("270") == "271"
    assert not guarded.circuit_open


def test_a_refusal_does_not_count_toward_the_circuit():
    flaky = Flaky(ClearinghouseRefused("status 400"))
    guarded = GuardedClearinghouse(flaky, Breaker("test", failure_threshold=1, cooldown_seconds=30))
    for _ in range(3):
        with pytest.raises(ClearinghouseRejected) as caught:
            guarded.submit("270")
        assert caught.value.status == 502  # trying again will not help: no Retry-After
    assert flaky.calls == 3
    assert not guarded.circuit_open


def test_a_failure_counts_and_success_resets_the_count():
    flaky = Flaky(ClearinghouseFailure("timeout"), "271", ClearinghouseFailure("timeout"), "271")
    guarded = GuardedClearinghouse(flaky, Breaker("test", failure_threshold=2, cooldown_seconds=30))
    with pytest.raises(ClearinghouseUnavailable):
        guarded.submit("270")
    assert guarded.submit("270") == "271"
    with pytest.raises(ClearinghouseUnavailable):
        guarded.submit("270")
    assert not guarded.circuit_open


def test_the_simulated_outage_opens_the_circuit():
    link = payer_link({"CLEARINGHOUSE_FAILURE_THRESHOLD": "2"})
    request = _request(ALEX_PLAN.model_copy(update={"member_id": "SIM-OUTAGE"}))
    for _ in range(2):
        with pytest.raises(ClearinghouseUnavailable):
            link.ask(request)
    assert link.clearinghouse.circuit_open
    with pytest.raises(ClearinghouseUnavailable) as caught:
        link.ask(_request(ALEX_PLAN))  # the clearinghouse is down for everyone
    assert caught.value.circuit_open


def test_an_answer_to_another_inquiry_is_not_accepted():
    class Confused:
        def submit(self, x12_270: str) -> str:
            other = _request(ALEX_PLAN, check_id="elg_ffffffffffffffffffffffffffffffff")
            return render_271(BenefitProfile(), other)

    link = PayerLink(
        GuardedClearinghouse(Confused(), Breaker("t", failure_threshold=3, cooldown_seconds=30)), PROVIDER
    )
    with pytest.raises(ClearinghouseUnavailable, match="another inquiry"):
        link.ask(_request(ALEX_PLAN))


def test_an_unreadable_answer_is_unavailable_not_a_crash():
    class Garbled:
        def submit(self, x12_270: str) -> str:
            return "<html>502 Bad Gateway</html>"

    link = PayerLink(
        GuardedClearinghouse(Garbled(), Breaker("t", failure_threshold=3, cooldown_seconds=30)), PROVIDER
    )
    with pytest.raises(ClearinghouseUnavailable, match="could not be read"):
        link.ask(_request(ALEX_PLAN))


# --------------------------------------------------------------------------- settings


def test_settings_default_to_the_simulator_outside_production():
    settings = ClearinghouseSettings.model_validate({})
    assert settings.resolved_mode() == "simulated"
    assert settings.provider() == ProviderIdentity(
        npi="1234567893",
        name="TANDEM BEHAVIORAL HEALTH",
        sender_id="TANDEMIOP",
        receiver_id="CLEARHOUSE",
        usage="T",
    )
    assert isinstance(payer_link({}).clearinghouse.inner, SimulatedClearinghouse)
    assert payer_link({}).clearinghouse is payer_link({}).clearinghouse  # one per container


def test_production_must_name_its_clearinghouse():
    with pytest.raises(ConfigurationError, match="CLEARINGHOUSE"):
        ClearinghouseSettings.model_validate({"TANDEM_STAGE": "prod"}).resolved_mode()
    with pytest.raises(ConfigurationError, match="CLEARINGHOUSE_URL"):
        payer_link({"CLEARINGHOUSE": "https"})
