"""Prior authorizations drawn by uses: only the claim's own payer's authorizations, never by
self-pay claims; the one ending first; flags for uses outside the dates or beyond units."""

from __future__ import annotations

from datetime import UTC, date, datetime

from functions.coverage.logic.authorizations import AuthorizationRecord, UnitKind, apply_uses, uses_from
from functions.coverage.logic.costshare import BillingCode

DAY = date(2027, 2, 1)


def auth(
    auth_id: str, *, payer: str = "LSM01", units: int = 3, end: date = date(2027, 3, 1)
) -> AuthorizationRecord:
    return AuthorizationRecord(
        person_id="per_a",
        authorization_id=auth_id,
        authorization_number="PA-1",
        payer_id=payer,
        billing_codes=[BillingCode.PSYCHOTHERAPY_60],
        unit_kind=UnitKind.UNITS,
        authorized=units,
        start=date(2027, 1, 1),
        end=end,
        updated_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


def claim(source: str, plan_id: str, basis: str = "insured") -> dict[str, object]:
    return {
        "source_id": source,
        "plan_id": plan_id,
        "basis": basis,
        "service_date": DAY.isoformat(),
        "codes": ["90837"],
        "units": [1],
    }


def test_claims_draw_only_on_their_payers_authorizations():
    # Given an authorization with Lone Star, and claims under Lone Star, another payer and self-pay
    claims = [claim("s1", "pln_lsm"), claim("s2", "pln_other"), claim("s3", "pln_self", basis="self_pay")]
    uses = uses_from(
        claims, [], today=DAY, payers={"pln_lsm": "LSM01", "pln_other": "PCP22", "pln_self": None}
    )
    [standing], flags = apply_uses([auth("aut_1")], uses)
    # Then only the Lone Star claim is consumed, and the others are not flagged against it
    assert standing.consumed == 1
    assert flags == []


def test_the_authorization_ending_first_is_drawn_and_the_excess_flagged():
    uses = uses_from(
        [claim(f"s{i}", "pln_lsm") for i in range(4)], [], today=DAY, payers={"pln_lsm": "LSM01"}
    )
    standings, flags = apply_uses(
        [auth("aut_late", units=2), auth("aut_soon", units=1, end=date(2027, 2, 15))], uses
    )
    by_id = {s.record.authorization_id: s for s in standings}
    assert (by_id["aut_soon"].consumed, by_id["aut_late"].consumed) == (1, 2)
    assert [f.reason for f in flags] == ["beyond the authorized units"]


def _booked_per_diem(session_id: str, day: date, minutes: int, category: str = "individual_therapy") -> dict:
    return {
        "source_id": session_id,
        "service_date": day.isoformat(),
        "codes": ["90837"],
        "units": [1],
        "category": category,
        "minutes": minutes,
        "per_diem": {"minimum_hours": "3", "below_minimum": "per_service", "program": "mental_health"},
    }


def test_a_per_diem_day_booked_to_its_hours_projects_one_day_of_s9480():
    day = date(2026, 12, 8)
    booked = [_booked_per_diem(f"ses_{n}", day, 60) for n in range(3)]
    uses = uses_from([], booked, today=date(2026, 12, 1))
    assert [(u.source_id, u.code, u.units, u.consumed) for u in uses] == [
        ("DAY#2026-12-08", BillingCode.PSYCHIATRIC_IOP_PER_DIEM, 1, False)
    ]


def test_a_per_diem_day_below_its_hours_projects_its_sessions_and_nothing_once_claimed():
    day = date(2026, 12, 8)
    booked = [_booked_per_diem(f"ses_{n}", day, 60) for n in range(2)]
    below = uses_from([], booked, today=date(2026, 12, 1))
    assert [(u.source_id, u.code) for u in below] == [("DAY#2026-12-08", BillingCode("90837"))] * 2
    claim = {
        "source_id": "DAY#2026-12-08",
        "service_date": day.isoformat(),
        "codes": ["90837"],
        "units": [1],
        "basis": "insured",
    }
    assert [u.consumed for u in uses_from([claim], booked, today=date(2026, 12, 1))] == [True]
