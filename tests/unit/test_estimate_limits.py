"""Visits counted against a 271's visit limit before an estimate (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions.coverage.logic.eligibility import BenefitsOut, CostShareOut, EligibilityRecord
from functions.coverage.logic.estimates import visit_limit, visits_before
from functions.coverage.logic.x12 import TimePeriod

CHECKED = datetime(2026, 12, 20, 15, 0, tzinfo=UTC)
YEARLY = CostShareOut(visit_limit=30, visits_remaining=5, visit_limit_period=TimePeriod.CALENDAR_YEAR)


def _record(share: CostShareOut) -> EligibilityRecord:
    return EligibilityRecord(
        person_id="per_a",
        plan_id="pln_a",
        check_id="elg_a",
        payer_name="P",
        checked_at=CHECKED,
        status="active",
        benefits=[BenefitsOut(category="mental_health", service_types=["MH"], in_network=share)],
        requested_by="per_c",
    )


CLAIM = {
    "plan_id": "pln_a",
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


def test_the_271s_count_then_attended_then_booked_visits():
    # 25 used per the 271, one attended since, one booked before the 28th (an add-on is no visit)
    used = visits_before(_record(YEARLY), YEARLY, [CLAIM], BOOKED, before=date(2026, 12, 28))
    assert used == 25 + 1 + 1


def test_a_calendar_year_limit_starts_again_in_january():
    # The week estimated is in 2027: December's visits (the 271's and since) do not count
    used = visits_before(_record(YEARLY), YEARLY, [CLAIM], BOOKED, before=date(2027, 1, 4))
    assert used == 1  # the booking of January 2


def test_a_service_year_limit_counts_across_new_year():
    share = YEARLY.model_copy(update={"visit_limit_period": TimePeriod.SERVICE_YEAR})
    used = visits_before(_record(share), share, [CLAIM], BOOKED, before=date(2027, 1, 4))
    assert used == 25 + 1 + 2


def test_sessions_being_priced_are_not_counted_twice():
    used = visits_before(
        _record(YEARLY),
        YEARLY,
        [CLAIM],
        BOOKED,
        before=date(2026, 12, 28),
        pricing=frozenset({"ses_1", "ses_2"}),
    )
    assert used == 25


def test_only_yearly_limits_are_enforced_and_remaining_alone_is_a_limit():
    assert visit_limit(YEARLY) == 30
    assert visit_limit(YEARLY.model_copy(update={"visit_limit_period": TimePeriod.EPISODE})) is None
    assert visit_limit(CostShareOut(visits_remaining=7)) == 7


def test_a_per_diem_day_booked_is_one_visit():
    per_diem = {"minimum_hours": "3", "below_minimum": "per_service", "program": "mental_health"}
    booked = [
        {"source_id": "ses_4", "service_date": "2026-12-22", "codes": ["90853"], "per_diem": per_diem},
        {"source_id": "ses_5", "service_date": "2026-12-22", "codes": ["90837"], "per_diem": per_diem},
    ]
    assert visits_before(_record(YEARLY), YEARLY, [], booked, before=date(2026, 12, 28)) == 25 + 1
