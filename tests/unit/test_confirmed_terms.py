"""A plan's confirmed terms (from its Summary of Benefits and Coverage) over the 271: their
checks, and estimates priced with them, each part saying where it came from (pure: the
estimate is computed from in-memory coverage, no AWS).

The plan of every estimate (Lone Star Mutual PPO, in network), as its 271 gives it:
deductible $1,500 individual with $100 left, a $30 office-visit copay, 20 % coinsurance,
out-of-pocket maximum $6,000 individual with $5,900 left, no visit limit. Allowed amounts:
90837 $150 (charge $250), 90853 $50 (charge $95), S9480 $300 (charge $650).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from functions.common.errors import InvalidInput
from functions.coverage.billing import BillingReference, ChargemasterRecord, FeeScheduleRecord
from functions.coverage.logic import terms
from functions.coverage.logic.costshare import BelowMinimum, BillingModel, Program, ServiceCategory
from functions.coverage.logic.eligibility import (
    AccumulatorOut,
    BenefitLineOut,
    BenefitsOut,
    CostShareOut,
    EligibilityRecord,
    LimitOut,
    ProcedureBenefitsOut,
)
from functions.coverage.logic.estimates import Coverage, Estimate, WeekService, estimate, per_diem_rule
from functions.coverage.logic.summary import summarise
from functions.coverage.models import PlanRecord
from functions.coverage.vocabulary import NetworkStatus, PlanStatus, PlanType, SubscriberRelationship
from functions.coverage.x12.codes import TimePeriod

ZONE = ZoneInfo("America/Chicago")
MONDAY = date(2027, 3, 1)
CHECKED = datetime(2027, 2, 26, 15, 0, tzinfo=UTC)
DOCUMENT = {"name": "Lone Star Mutual PPO 1500 SBC", "version": "2027.1", "issued_on": "2027-01-01"}
COPAY_LINE = BenefitLineOut(line=7, segment="EB*B*IND*MH***27*30*****Y")
DEDUCTIBLE_LINE = BenefitLineOut(line=4, segment="EB*C*IND*MH***23*1500*****Y")
COINSURANCE_LINE = BenefitLineOut(line=8, segment="EB*A*IND*MH***27**.2****Y")
OOP_LINE = BenefitLineOut(line=6, segment="EB*G*IND*MH***23*6000*****Y")
SHARE = CostShareOut(
    deductible=AccumulatorOut(individual_total_cents=150000, individual_remaining_cents=10000),
    out_of_pocket=AccumulatorOut(individual_total_cents=600000, individual_remaining_cents=590000),
    copay_cents=3000,
    coinsurance_rate=Decimal("0.2"),
    sources={
        "copay": [COPAY_LINE],
        "deductible": [DEDUCTIBLE_LINE],
        "coinsurance": [COINSURANCE_LINE],
        "out_of_pocket": [OOP_LINE],
    },
)
PLAN = PlanRecord(
    person_id="per_alex0001",
    plan_id="pln_lonestar1",
    payer_name="Lone Star Mutual PPO",
    payer_id="LSM01",
    plan_type=PlanType.PPO,
    member_id="LSM884201-01",
    subscriber_relationship=SubscriberRelationship.SELF,
    network_status=NetworkStatus.IN_NETWORK,
    status=PlanStatus.ACTIVE,
)


def _reference(
    model: BillingModel = BillingModel.PER_SERVICE, per_diem_rate: bool = True
) -> BillingReference:
    allowed = {"90837": 15000, "90853": 5000}
    if per_diem_rate:
        allowed["S9480"] = 30000
    now = CHECKED
    return BillingReference(
        fee_schedules={
            "LSM01": FeeScheduleRecord(
                payer_id="LSM01",
                payer_name="Lone Star Mutual",
                billing_model=model,
                program=Program.MENTAL_HEALTH,
                per_diem_minimum_hours=Decimal(3),
                below_minimum=BelowMinimum.PER_SERVICE,
                in_network_cents=allowed,
                out_of_network_cents={},
                updated_at=now,
            )
        },
        chargemaster=ChargemasterRecord(
            prices_cents={"90837": 25000, "90853": 9500, "S9480": 65000}, self_pay_cents={}, updated_at=now
        ),
    )


def _record(
    share: CostShareOut = SHARE, procedures: list[ProcedureBenefitsOut] | None = None
) -> EligibilityRecord:
    return EligibilityRecord(
        person_id=PLAN.person_id,
        plan_id=PLAN.plan_id,
        check_id="elg_lonestar1",
        payer_name="Lone Star Mutual PPO",
        checked_at=CHECKED,
        status="active",
        benefits=[
            BenefitsOut(
                category="mental_health", service_types=["MH"], in_network=share, procedures=procedures or []
            )
        ],
        requested_by="per_coord001",
    )


def _confirmed(**body: Any) -> terms.ConfirmedTermsRecord:
    request = terms.ConfirmedTermsIn.model_validate({"document": DOCUMENT, **body})
    terms.check_terms(request)
    return terms.record_from(
        request,
        person_id=PLAN.person_id,
        plan_id=PLAN.plan_id,
        entered_by="per_coord001",
        now=CHECKED + timedelta(hours=1),
        version=1,
    )


def _session(n: int, category: ServiceCategory, kind: str, day: int = 0, hour: int = 9) -> WeekService:
    start = datetime(2027, 3, 1 + day, hour, 0, tzinfo=ZONE)
    return WeekService(f"ses_{n:08d}", kind, category, start, start + timedelta(minutes=60), "expected")


INDIVIDUAL = _session(1, ServiceCategory.INDIVIDUAL_THERAPY, "individual")
GROUP = _session(2, ServiceCategory.GROUP_THERAPY, "cbt_skills", day=1)


def _estimate(
    services: list[WeekService],
    confirmed: terms.ConfirmedTermsRecord | None = None,
    *,
    share: CostShareOut = SHARE,
    reference: BillingReference | None = None,
    procedures: list[ProcedureBenefitsOut] | None = None,
) -> Estimate:
    coverage = Coverage(
        PLAN.person_id,
        [PLAN],
        {PLAN.plan_id: _record(share, procedures)},
        confirmed={PLAN.plan_id: confirmed} if confirmed else {},
    )
    return estimate(PLAN.person_id, services, coverage, reference or _reference(), zone=ZONE, on=MONDAY)


def _sources(result: Estimate, n: int = 0) -> dict[str, terms.TermSource]:
    return {s.part: s for s in result.lines[n].term_sources}


# --- checks -----------------------------------------------------------------------------------


def _problem(**body: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as caught:
        terms.check_terms(terms.ConfirmedTermsIn.model_validate({"document": DOCUMENT, **body}))
    return [(e.field, e.message) for e in caught.value.errors or []]


def test_an_order_with_a_copay_needs_one():
    assert _problem(categories=[{"category": "individual_therapy", "order": "deductible_then_copay"}]) == [
        ("body.categories.0.copay", "required: the order deductible_then_copay takes a copay")
    ]


def test_a_category_never_billed_or_given_twice_or_saying_nothing_is_refused():
    fields = _problem(
        categories=[
            {"category": "sober_activity", "copay": "0"},
            {"category": "group_therapy", "coinsurance_percent": "10"},
            {"category": "group_therapy", "coinsurance_percent": "20"},
            {"category": "couples_therapy"},
            {"category": "per_diem_iop", "order": "deductible_then_coinsurance", "copay": "10"},
        ]
    )
    assert [field for field, _ in fields] == [
        "body.categories.0.category",
        "body.categories.2.category",
        "body.categories.3",
        "body.categories.4.copay",
    ]


def test_the_same_category_may_be_confirmed_in_and_out_of_network():
    _confirmed(
        categories=[
            {"category": "group_therapy", "coinsurance_percent": "10"},
            {"category": "group_therapy", "network": "out_of_network", "coinsurance_percent": "40"},
        ]
    )


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"category": "group_therapy", "coinsurance_percent": "120"}, "coinsurance_percent"),
        ({"category": "group_therapy", "coinsurance_percent": "-1"}, "coinsurance_percent"),
        ({"category": "yoga", "copay": "10"}, "category"),
        ({"category": "group_therapy", "order": "copay_whenever", "copay": "10"}, "order"),
        ({"category": "group_therapy", "copay": "10.001"}, "copay"),
        ({"category": "group_therapy", "visit_limit": {"visits": 20, "period": "lifetime"}}, "visit_limit"),
    ],
)
def test_the_schema_refuses_what_no_sbc_says(entry: dict[str, Any], field: str):
    with pytest.raises(ValidationError) as caught:
        terms.ConfirmedTermsIn.model_validate({"document": DOCUMENT, "categories": [entry]})
    assert caught.value.errors()[0]["loc"][:3] == ("categories", 0, field)


def test_terms_read_back_as_entered():
    record = _confirmed(
        categories=[
            {
                "category": "individual_therapy",
                "order": "copay_then_coinsurance",
                "copay": "25.50",
                "coinsurance_percent": "12.5",
                "visit_limit": {"visits": 30, "period": "plan_year"},
            }
        ],
        iop_billing="per_diem",
    )
    [entry] = record.categories
    assert (entry.copay_cents, entry.coinsurance_rate, entry.visit_limit) == (2550, Decimal("0.125"), 30)
    out = terms.to_output(record).model_dump(mode="json")
    assert out["categories"][0]["copay"] == "25.50"
    assert out["categories"][0]["coinsurance_percent"] == "12.5"
    assert out["entered_by"] == "per_coord001"
    assert out["document"]["version"] == "2027.1"
    assert terms.ConfirmedTermsRecord.from_attributes(record.to_attributes()) == record


# --- estimates: confirmed terms override the 271, part by part ----------------------------------


def test_without_confirmed_terms_the_order_is_an_assumption_and_the_rest_comes_from_the_271():
    # The 271's $30 copay is taken before the deductible: $30, the deductible untouched.
    result = _estimate([INDIVIDUAL])
    assert result.lines[0].item is not None
    assert result.lines[0].item.participant_pays == 3000
    found = _sources(result)
    assert found["order"].source == "assumption"
    assert "a 271 cannot say how a copay combines with the deductible" in found["order"].detail
    assert (found["copay"].source, found["copay"].lines) == ("271", (COPAY_LINE,))
    assert (found["out_of_pocket_maximum"].source, found["out_of_pocket_maximum"].lines) == (
        "271",
        (OOP_LINE,),
    )
    assert found["visit_limit"].source == "assumption"
    assert found["visit_limit"].detail == "none: the payer gave no visit limit"
    assert found["billing"].source == "assumption"
    assert (
        found["billing"].detail
        == "billed each service on its own, as the program's fee schedule for the payer says"
    )
    assert "deductible" not in found  # the copay alone: no deductible in this line's share


def test_a_confirmed_deductible_then_copay_reprices_the_visit():
    # The SBC says: deductible first, then a $30 copay. $100 of the deductible is left:
    # $100 to it, then the $30 copay on the $50 left: $130 (the 271 alone said $30).
    confirmed = _confirmed(
        categories=[{"category": "individual_therapy", "order": "deductible_then_copay", "copay": "30"}]
    )
    result = _estimate([INDIVIDUAL], confirmed)
    line = result.lines[0]
    assert line.item is not None
    assert [(p.kind.value, p.cents) for p in line.item.parts] == [("deductible", 10000), ("copay", 3000)]
    found = _sources(result)
    assert found["order"].source == found["copay"].source == "confirmed_terms"
    assert found["order"].detail == "the deductible first, then the copay once it is met"
    assert found["order"].document is not None
    assert found["order"].document.cite() == "Lone Star Mutual PPO 1500 SBC, version 2027.1, 2027-01-01"
    # The deductible's amount is still the 271's
    assert (found["deductible"].source, found["deductible"].lines) == ("271", (DEDUCTIBLE_LINE,))
    # and the 271's copay line no longer claims to have priced it
    assert [term for term, _ in line.priced_by] == ["deductible"]
    assert any(note.startswith("terms confirmed from Lone Star Mutual PPO 1500 SBC") for note in result.notes)


def test_a_field_the_sbc_leaves_unset_still_comes_from_the_271():
    # Only the order is confirmed for groups (no copay): the 271's coinsurance prices them.
    # $50: all of it to the deductible ($100 left), so no coinsurance is left to pay.
    confirmed = _confirmed(categories=[{"category": "group_therapy", "order": "deductible_then_coinsurance"}])
    found = _sources(_estimate([GROUP], confirmed))
    assert found["order"].source == "confirmed_terms"
    assert (found["coinsurance"].source, found["coinsurance"].lines) == ("271", (COINSURANCE_LINE,))
    assert found["coinsurance"].detail == "20% coinsurance"


def test_a_confirmed_coinsurance_fills_what_the_271_left_unknown():
    # The 271 gave no coinsurance: unknown, never zero. The SBC says 10 % for groups.
    no_coinsurance = SHARE.model_copy(
        update={"coinsurance_rate": None, "sources": {**SHARE.sources, "coinsurance": []}}
    )
    met = no_coinsurance.model_copy(
        update={"deductible": AccumulatorOut(individual_total_cents=150000, individual_remaining_cents=0)}
    )
    before = _estimate([GROUP], share=met)
    assert before.lines[0].undetermined == (
        ("coinsurance", "the payer gave no in-network coinsurance for mental health"),
    )
    assert _sources(before)["coinsurance"].source == "assumption"
    # With it: the deductible met, 10 % of $50 = $5
    after = _estimate(
        [GROUP],
        _confirmed(categories=[{"category": "group_therapy", "coinsurance_percent": "10"}]),
        share=met,
    )
    assert after.lines[0].undetermined == ()
    assert after.lines[0].item is not None
    assert after.lines[0].item.participant_pays == 500
    assert _sources(after)["coinsurance"].source == "confirmed_terms"


def test_a_copay_confirmed_without_its_order_is_taken_before_the_deductible_and_says_so():
    confirmed = _confirmed(categories=[{"category": "individual_therapy", "copay": "45"}])
    result = _estimate([INDIVIDUAL], confirmed)
    assert result.lines[0].item is not None
    assert result.lines[0].item.participant_pays == 4500
    found = _sources(result)
    assert found["copay"].source == "confirmed_terms"
    assert found["order"].source == "assumption"
    assert found["order"].detail.startswith("the copay alone, before the deductible")


def test_copay_then_coinsurance_confirmed():
    # $30 copay, then 20 % (the 271's) of the $120 left = $24: $54; the deductible waived.
    confirmed = _confirmed(
        categories=[{"category": "individual_therapy", "order": "copay_then_coinsurance", "copay": "30"}]
    )
    result = _estimate([INDIVIDUAL], confirmed)
    assert result.lines[0].item is not None
    assert result.lines[0].item.participant_pays == 5400
    assert {part: s.source for part, s in _sources(result).items()} == {
        "order": "confirmed_terms",
        "copay": "confirmed_terms",
        "coinsurance": "271",
        "visit_limit": "assumption",
        "billing": "assumption",
        "out_of_pocket_maximum": "271",
    }


def test_a_confirmed_yearly_visit_limit_is_enforced():
    # The SBC allows 2 individual visits a calendar year; three are booked this week: the
    # third is beyond the limit and at the full charge.
    sessions = [_session(n, ServiceCategory.INDIVIDUAL_THERAPY, "individual", day=n) for n in (1, 2, 3)]
    confirmed = _confirmed(
        categories=[
            {"category": "individual_therapy", "visit_limit": {"visits": 2, "period": "calendar_year"}}
        ]
    )
    result = _estimate(sessions, confirmed)
    assert [line.item.participant_pays for line in result.lines if line.item] == [3000, 3000, 25000]
    assert _sources(result, 2)["visit_limit"].source == "confirmed_terms"
    assert _sources(result, 2)["visit_limit"].detail == "2 visits per calendar year"
    assert any("crosses the plan's visit limit (2 visits per calendar year)" in note for note in result.notes)


def test_a_confirmed_visit_limit_counts_visits_where_the_271_stated_days():
    # The 271 allows 30 days per admission; the SBC confirms 2 individual visits a calendar year.
    # Three sessions on one day: by the SBC's count, the third is beyond (by days, all would pass).
    days = SHARE.model_copy(
        update={
            "limits": [
                LimitOut(
                    kind="limit",
                    quantity=Decimal(30),
                    unit="days",
                    unit_code="DY",
                    period=TimePeriod.ADMISSION,
                )
            ]
        }
    )
    sessions = [_session(n, ServiceCategory.INDIVIDUAL_THERAPY, "individual", day=1) for n in (1, 2, 3)]
    confirmed = _confirmed(
        categories=[
            {"category": "individual_therapy", "visit_limit": {"visits": 2, "period": "calendar_year"}}
        ]
    )
    result = _estimate(sessions, confirmed, share=days)
    assert [line.item.covered for line in result.lines if line.item] == [True, True, False]


def test_a_confirmed_limit_keeps_what_the_271_counted():
    # The 271: 20 visits a year, 19 left (1 used). The SBC says 2: one is left this week.
    share = SHARE.model_copy(update={"visit_limit": 20, "visits_remaining": 19})
    sessions = [_session(n, ServiceCategory.INDIVIDUAL_THERAPY, "individual", day=n) for n in (1, 2)]
    confirmed = _confirmed(
        categories=[{"category": "individual_therapy", "visit_limit": {"visits": 2, "period": "plan_year"}}]
    )
    result = _estimate(sessions, confirmed, share=share)
    assert [line.item.participant_pays for line in result.lines if line.item] == [3000, 25000]


def test_a_confirmed_weekly_limit_is_reported():
    sessions = [_session(n, ServiceCategory.INDIVIDUAL_THERAPY, "individual", day=n) for n in (1, 2, 3)]
    confirmed = _confirmed(
        categories=[{"category": "individual_therapy", "visit_limit": {"visits": 2, "period": "week"}}]
    )
    result = _estimate(sessions, confirmed)
    assert [line.item.participant_pays for line in result.lines if line.item] == [3000, 3000, 3000]
    assert any("has 3 visits; the plan allows 2 a week" in note for note in result.notes)


def test_a_procedure_the_271_names_keeps_its_own_line_and_says_so():
    # The 271 names a $15 copay for group psychotherapy (90853); the SBC confirms groups are
    # deductible then 10 % coinsurance. The 271's procedure line still prices 90853: $15.
    group_line = BenefitLineOut(line=9, segment="EB*B*IND*MH***27*15*****Y*HC:90853")
    named = ProcedureBenefitsOut(
        qualifier="HC",
        code="90853",
        in_network=SHARE.model_copy(update={"copay_cents": 1500, "sources": {"copay": [group_line]}}),
    )
    confirmed = _confirmed(
        categories=[
            {"category": "group_therapy", "order": "deductible_then_coinsurance", "coinsurance_percent": "10"}
        ]
    )
    result = _estimate([GROUP], confirmed, procedures=[named])
    assert result.lines[0].item is not None
    assert result.lines[0].item.participant_pays == 1500
    found = _sources(result)
    assert (found["copay"].source, found["copay"].lines) == ("271", (group_line,))
    assert found["order"].source == "assumption"
    # A procedure line saying what its category says is no rule of its own: the SBC prices it
    same = ProcedureBenefitsOut(qualifier="HC", code="90853", in_network=SHARE)
    result = _estimate([GROUP], confirmed, procedures=[same])
    assert _sources(result)["order"].source == "confirmed_terms"


# --- per diem or per service ---------------------------------------------------------------------

IOP_DAY = [
    _session(11, ServiceCategory.GROUP_THERAPY, "cbt_skills", hour=9),
    _session(12, ServiceCategory.INDIVIDUAL_THERAPY, "individual", hour=11),
    _session(13, ServiceCategory.GROUP_THERAPY, "psychoeducation", hour=13),
]


def test_the_sbc_saying_per_diem_bills_a_program_day_per_diem():
    # The fee schedule bills per service; the SBC says the plan pays IOP per diem. Three hours:
    # one S9480 line, allowed $300: $100 to the deductible, 20 % of $200 = $40: $140.
    per_service = _estimate(IOP_DAY)
    assert [line.item.service.code.value for line in per_service.lines if line.item] == [
        "90853",
        "90837",
        "90853",
    ]
    result = _estimate(IOP_DAY, _confirmed(iop_billing="per_diem"))
    [line] = result.lines
    assert line.item is not None
    assert line.item.service.code.value == "S9480"
    assert line.item.participant_pays == 14000
    assert result.per_diem
    billing = _sources(result)["billing"]
    assert (billing.source, billing.detail) == ("confirmed_terms", "billed a program day per diem")
    # and attendance is claimed as the day, as the estimate prices it
    coverage = Coverage(
        PLAN.person_id, [PLAN], {}, confirmed={PLAN.plan_id: _confirmed(iop_billing="per_diem")}
    )
    assert per_diem_rule(coverage, _reference(), MONDAY) is not None


def test_the_sbc_saying_per_service_overrides_a_per_diem_fee_schedule():
    result = _estimate(
        IOP_DAY, _confirmed(iop_billing="per_service"), reference=_reference(BillingModel.PER_DIEM)
    )
    assert [line.item.service.code.value for line in result.lines if line.item] == ["90853", "90837", "90853"]
    coverage = Coverage(
        PLAN.person_id, [PLAN], {}, confirmed={PLAN.plan_id: _confirmed(iop_billing="per_service")}
    )
    assert per_diem_rule(coverage, _reference(BillingModel.PER_DIEM), MONDAY) is None


def test_per_diem_without_a_per_diem_rate_is_priced_per_service_and_says_why():
    result = _estimate(IOP_DAY, _confirmed(iop_billing="per_diem"), reference=_reference(per_diem_rate=False))
    assert len(result.lines) == 3
    billing = _sources(result)["billing"]
    assert billing.source == "assumption"
    assert "no per-diem rate" in billing.detail


# --- the coverage summary -------------------------------------------------------------------------


def _summary(confirmed: terms.ConfirmedTermsRecord | None) -> dict[str, tuple[str, bool]]:
    coverage = Coverage(
        PLAN.person_id,
        [PLAN],
        {PLAN.plan_id: _record()},
        confirmed={PLAN.plan_id: confirmed} if confirmed else {},
    )
    _, _, items = summarise(coverage, _reference(), on=MONDAY)
    return {item.category: (item.your_share, item.confirmed_terms) for item in items}


def test_the_coverage_summary_says_the_confirmed_order():
    before = _summary(None)
    assert before["individual_therapy"] == ("$30.00 copay per visit", False)
    after = _summary(
        _confirmed(
            categories=[
                {"category": "individual_therapy", "order": "deductible_then_copay", "copay": "30"},
                {"category": "couples_therapy", "order": "copay_then_coinsurance", "copay": "40"},
                {"category": "group_therapy", "coinsurance_percent": "10"},
            ]
        )
    )
    assert after["individual_therapy"] == (
        "the deductible first ($100.00 of it left), then $30.00 copay per visit",
        True,
    )
    assert after["couples_therapy"] == ("$40.00 copay, then 20% coinsurance on the rest", True)
    assert after["group_therapy"] == ("10% coinsurance after the deductible ($100.00 of it left)", True)
    assert after["medication_management"] == before["medication_management"]
