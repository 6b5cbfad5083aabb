"""Visit and day limits: which one the engine enforces, and what was used before a week."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from functions.coverage.logic import eligibility
from functions.coverage.logic.costshare import (
    Accumulators,
    BenefitTerms,
    BillingCode,
    CategoryRule,
    NetworkTier,
    PartKind,
    PlanBenefits,
    Service,
    ServiceCategory,
    apply,
)
from functions.coverage.logic.eligibility import CostShareOut, LimitOut
from functions.coverage.logic.limits import (
    Allowance,
    Counted,
    Expected,
    allowance,
    booked_expected,
    limit_notes,
    used_before,
)
from functions.coverage.x12.codes import TimePeriod
from functions.coverage.x12.parser import parse_271
from tests.unit.x12_corpus import CASES

CHECKED = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # a Monday's 271


def _mh_in(name: str) -> CostShareOut:
    case = next(c for c in CASES if c.name == name)
    (mh,) = [b for b in eligibility.benefits_of(parse_271(case.text)) if b.category == "mental_health"]
    return mh.in_network


def _claim(source: str, day: str, recorded: datetime, codes: tuple[str, ...] = ("90837",)) -> dict[str, Any]:
    return {
        "source_id": source,
        "plan_id": "pln_1",
        "basis": "insured",
        "codes": list(codes),
        "service_date": day,
        "recorded_at": recorded.isoformat(),
    }


def test_days_per_admission_are_an_allowance_over_the_stay():
    # Given the corpus's intensive-outpatient plan: 30 days per admission (EB09 DY, period 36)
    limit = allowance(_mh_in("iop_days_per_admission"))
    # Then the engine counts days over the stay, and says so as the payer did
    assert limit == Allowance(30, "day", "stay", TimePeriod.ADMISSION, "30 days per admission", None)


def test_a_yearly_visit_limit_with_what_remains_counts_from_the_271():
    share = CostShareOut(
        visit_limit=30, visit_limit_period=TimePeriod.SERVICE_YEAR, visits_remaining=5, limits=[]
    )
    assert allowance(share) == Allowance(
        30, "visit", "year", TimePeriod.SERVICE_YEAR, "30 visits per service year", 25
    )


def test_only_what_remains_is_an_allowance_from_the_271_on():
    share = CostShareOut(visits_remaining=7)
    assert allowance(share) == Allowance(7, "visit", "remaining", None, "7 visits left")


def test_remaining_days_per_admission_give_the_271s_count():
    share = CostShareOut(
        limits=[
            LimitOut(
                kind="limit", quantity=Decimal(20), unit="days", unit_code="DY", period=TimePeriod.EPISODE
            ),
            LimitOut(
                kind="remaining",
                quantity=Decimal(12),
                unit="days",
                unit_code="DY",
                period=TimePeriod.REMAINING,
            ),
        ]
    )
    limit = allowance(share)
    assert limit is not None
    assert (limit.scope, limit.used_by_271) == ("stay", 8)


def test_weekly_and_procedure_limits_are_not_the_plans_allowance():
    share = CostShareOut(
        limits=[
            LimitOut(
                kind="limit", quantity=Decimal(3), unit="visits", unit_code="VS", period=TimePeriod.WEEK
            ),
            LimitOut(
                kind="limit",
                quantity=Decimal(10),
                unit="visits",
                unit_code="VS",
                period=TimePeriod.ADMISSION,
                procedure="HC:90853",
            ),
        ]
    )
    assert allowance(share) is None


def test_a_day_limit_counts_each_day_once_however_many_sessions_it_had():
    # Given 30 days per admission, no count from the payer, and since admission: a day with
    # two attended sessions (claimed before the 271) and a day with one booked after it
    limit = Allowance(30, "day", "stay", TimePeriod.ADMISSION, "30 days per admission")
    claims = [
        _claim("ses_a", "2026-10-27", datetime(2026, 10, 27, 18, tzinfo=UTC)),
        _claim("ses_b", "2026-10-27", datetime(2026, 10, 27, 19, tzinfo=UTC), ("99214", "90833")),
    ]
    expected = [Expected("ses_c", date(2026, 11, 4)), Expected("ses_d", date(2026, 11, 4))]
    # When the week of 9 November is estimated
    used = used_before(
        limit, plan_id="pln_1", checked_at=CHECKED, claims=claims, expected=expected, before=date(2026, 11, 9)
    )
    # Then two days are used (the stay's claims count: the 271 gave no count of its own)
    assert used == 2
    # And as visits the same would be four (the add-on code is part of its visit)
    as_visits = Allowance(30, "visit", "stay", TimePeriod.ADMISSION, "30 visits per admission")
    assert (
        used_before(
            as_visits,
            plan_id="pln_1",
            checked_at=CHECKED,
            claims=claims,
            expected=expected,
            before=date(2026, 11, 9),
        )
        == 4
    )


def test_the_271s_count_stands_for_what_it_has_seen():
    # Given the 271 counted 25 used, a claim recorded before it (already counted) and one after
    limit = Allowance(30, "visit", "year", TimePeriod.SERVICE_YEAR, "30 visits per service year", 25)
    claims = [
        _claim("ses_a", "2026-10-30", datetime(2026, 10, 30, 18, tzinfo=UTC)),
        _claim("ses_b", "2026-11-03", datetime(2026, 11, 3, 18, tzinfo=UTC)),
        {**_claim("ses_x", "2026-11-03", datetime(2026, 11, 3, 18, tzinfo=UTC)), "plan_id": "pln_other"},
        {**_claim("ses_y", "2026-11-03", datetime(2026, 11, 3, 18, tzinfo=UTC)), "basis": "self_pay"},
    ]
    used = used_before(
        limit, plan_id="pln_1", checked_at=CHECKED, claims=claims, expected=[], before=date(2026, 11, 9)
    )
    assert used == 26


def test_group_occurrences_and_booked_sessions_between_the_271_and_the_week_count_once():
    # Given only 5 visits left, a booked session and a group occurrence before the week, the
    # group's earlier occurrence already claimed, and the week's own services being priced
    limit = Allowance(5, "visit", "remaining", None, "5 visits left")
    booked = booked_expected(
        [{"source_id": "ses_b", "service_date": "2026-11-05", "codes": ["90837"], "units": [1]}]
    )
    group = [
        Expected("grp_1@2026-11-03T18:00:00+00:00", date(2026, 11, 3)),
        Expected("grp_1@2026-11-05T18:00:00+00:00", date(2026, 11, 5)),
        Expected("grp_1@2026-11-10T18:00:00+00:00", date(2026, 11, 10)),  # in the week: priced
        Expected("ses_b", date(2026, 11, 5)),  # the same booking seen on the schedule too
    ]
    claims = [_claim("grp_1@2026-11-03T18:00:00+00:00", "2026-11-03", datetime(2026, 11, 3, 20, tzinfo=UTC))]
    used = used_before(
        limit,
        plan_id="pln_1",
        checked_at=CHECKED,
        claims=claims,
        expected=[*booked, *group],
        before=date(2026, 11, 9),
        pricing=frozenset({"grp_1@2026-11-10T18:00:00+00:00"}),
    )
    # Then: the claimed occurrence, the booked session and the later occurrence: 3
    assert used == 3


def test_a_calendar_year_limit_counts_that_year_only():
    # Given 20 visits per calendar year and a 271 from December that counted 18
    limit = Allowance(20, "visit", "year", TimePeriod.CALENDAR_YEAR, "20 visits per calendar year", 18)
    checked = datetime(2026, 12, 28, 15, tzinfo=UTC)
    expected = [Expected("ses_dec", date(2026, 12, 30)), Expected("ses_jan", date(2027, 1, 5))]
    # When a January week is estimated: December's count and bookings are last year's
    assert (
        used_before(
            limit, plan_id="pln_1", checked_at=checked, claims=[], expected=expected, before=date(2027, 1, 11)
        )
        == 1
    )
    # And a December week counts the 271's 18 and the booking after it
    assert (
        used_before(
            limit,
            plan_id="pln_1",
            checked_at=checked,
            claims=[],
            expected=expected,
            before=date(2026, 12, 31),
        )
        == 19
    )


def test_the_notes_name_the_limit_as_the_payer_stated_it():
    limit = Allowance(30, "day", "stay", TimePeriod.ADMISSION, "30 days per admission")
    lines = [Counted(date(2026, 11, 10), False, True), Counted(date(2026, 11, 11), True, True)]
    (note,) = limit_notes(CostShareOut(), limit, lines)
    assert note == (
        "the week of 2026-11-09 crosses the plan's day limit (30 days per admission): from 2026-11-11 "
        "sessions are beyond it and shown at the full charge"
    )


# --- what the engine counted before (ported from the yearly-limit tests of test_estimate_limits) ---

DECEMBER = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)
YEARLY = CostShareOut(visit_limit=30, visits_remaining=5, visit_limit_period=TimePeriod.CALENDAR_YEAR)
CLAIM = {
    "plan_id": "pln_1",
    "basis": "insured",
    "source_id": "ses_1",
    "codes": ["90837"],
    "service_date": "2026-12-21",
    "recorded_at": "2026-12-21T18:00:00+00:00",
}
BOOKED = [
    {"source_id": "ses_2", "service_date": "2026-12-23", "codes": ["99214", "90833"]},
    {"source_id": "ses_3", "service_date": "2027-01-02", "codes": ["90837"]},
    {"source_id": "ses_1", "service_date": "2026-12-21", "codes": ["90837"]},  # attended: its claim counts
]


def _used(
    share: CostShareOut, claims: list[dict[str, Any]], booked: list[dict[str, Any]], before: date, **kw: Any
) -> int:
    limit = allowance(share)
    assert limit is not None
    return used_before(
        limit,
        plan_id="pln_1",
        checked_at=DECEMBER,
        claims=claims,
        expected=booked_expected(booked),
        before=before,
        **kw,
    )


def test_the_271s_count_then_attended_then_booked_visits():
    # 25 used per the 271, one attended since, one booked before the 28th (an add-on is no visit)
    assert _used(YEARLY, [CLAIM], BOOKED, date(2026, 12, 28)) == 25 + 1 + 1


def test_a_calendar_year_limit_starts_again_in_january():
    # The week estimated is in 2027: December's visits (the 271's and since) do not count
    assert _used(YEARLY, [CLAIM], BOOKED, date(2027, 1, 4)) == 1  # the booking of January 2


def test_a_service_year_limit_counts_across_new_year():
    share = YEARLY.model_copy(update={"visit_limit_period": TimePeriod.SERVICE_YEAR})
    assert _used(share, [CLAIM], BOOKED, date(2027, 1, 4)) == 25 + 1 + 2


def test_sessions_being_priced_are_not_counted_twice():
    assert _used(YEARLY, [CLAIM], BOOKED, date(2026, 12, 28), pricing=frozenset({"ses_1", "ses_2"})) == 25


def test_a_per_diem_day_booked_is_one_visit():
    per_diem = {"minimum_hours": "3", "below_minimum": "per_service", "program": "mental_health"}
    booked = [
        {"source_id": "ses_4", "service_date": "2026-12-22", "codes": ["90853"], "per_diem": per_diem},
        {"source_id": "ses_5", "service_date": "2026-12-22", "codes": ["90837"], "per_diem": per_diem},
    ]
    assert _used(YEARLY, [], booked, date(2026, 12, 28)) == 25 + 1


# --- the engine counting days ------------------------------------------------------------------


def _iop_day(on: date, code: BillingCode, charge: int = 20000) -> Service:
    return Service(
        on=on,
        category=ServiceCategory.GROUP_THERAPY
        if code is BillingCode.GROUP_PSYCHOTHERAPY
        else ServiceCategory.INDIVIDUAL_THERAPY,
        code=code,
        units=1,
        charge=charge,
        allowed=charge,
        network=NetworkTier.IN_NETWORK,
        member_id="per_a",
    )


def test_a_day_limit_lets_a_counted_days_other_sessions_through_and_stops_at_a_new_day():
    # Given 30 days per admission, 29 used before the week, and no cost share but the limit
    rule = CategoryRule(
        deductible_applies=False, coinsurance_applies=False, visit_limit=30, visit_pool="mh", visit_unit="day"
    )
    plan = PlanBenefits(in_network=BenefitTerms(default_rule=rule), out_of_network=None)
    monday, tuesday = date(2026, 11, 9), date(2026, 11, 10)
    services = [
        _iop_day(monday, BillingCode.GROUP_PSYCHOTHERAPY),
        _iop_day(monday, BillingCode.PSYCHOTHERAPY_60),
        _iop_day(tuesday, BillingCode.GROUP_PSYCHOTHERAPY),
    ]
    start = Accumulators(pooled_visits={"per_a": {"mh": 29}})
    # When the week is shared
    result = apply(services, plan, start)
    # Then Monday is the 30th day: both its sessions are covered; Tuesday is beyond the limit
    kinds = [[p.kind for p in line.parts] for line in result.lines]
    assert [line.covered for line in result.lines] == [True, True, False]
    assert kinds[2] == [PartKind.VISIT_LIMIT]
    assert result.lines[2].participant_pays == 20000
    assert "day limit of 30 reached" in result.lines[2].parts[0].reason
    assert result.accumulators.pooled_visits == {"per_a": {"mh": 30}}


def test_a_visit_limit_counts_each_session():
    rule = CategoryRule(deductible_applies=False, coinsurance_applies=False, visit_limit=30, visit_pool="mh")
    plan = PlanBenefits(in_network=BenefitTerms(default_rule=rule), out_of_network=None)
    monday = date(2026, 11, 9)
    services = [
        _iop_day(monday, BillingCode.GROUP_PSYCHOTHERAPY),
        _iop_day(monday, BillingCode.PSYCHOTHERAPY_60),
    ]
    result = apply(services, plan, Accumulators(pooled_visits={"per_a": {"mh": 29}}))
    assert [line.covered for line in result.lines] == [True, False]


def test_a_day_limit_needs_a_pool():
    with pytest.raises(ValueError, match="visit pool"):
        CategoryRule(visit_limit=3, visit_unit="day")
