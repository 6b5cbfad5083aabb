"""Per-diem payers bill a day, not a session: once a day's attended program sessions reach the
payer's hours it is one S9480 claim, its authorization use is one day, and redelivered or
corrected attendance leaves exactly the one right claim for the day."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.clock import controlled_now
from tests.integration.scheduling import SAM, at, book, next_week_day
from tests.integration.scheduling import call as schedule_call
from tests.integration.test_authorizations import clock, stream  # noqa: F401
from tests.integration.test_estimates import (  # noqa: F401
    ALEX,
    COORDINATOR,
    call,
    coverage,
    lone_star_271,
    put_271,
)


@pytest.fixture
def per_diem(coverage):  # noqa: F811
    """Lone Star bills the program per diem: S9480 for a day with three attended hours."""
    return bill_per_diem(coverage)


def bill_per_diem(coverage: Any) -> Any:  # noqa: F811
    """Lone Star's fee schedule moved to per-diem billing (S9480 at $450, three hours)."""
    current = call("GET", "/billing/fee-schedules/LSM01", caller=COORDINATOR)
    body = {k: v for k, v in current.json.items() if k not in ("payer_id", "updated_at", "version")}
    body.update(
        billing_model="per_diem",
        per_diem_minimum_hours="3",
        in_network_allowed={**body["in_network_allowed"], "S9480": "450.00"},
    )
    reply = call(
        "PUT", "/billing/fee-schedules/LSM01", caller=COORDINATOR, body=body, headers={"If-Match": '"1"'}
    )
    assert reply.status == 200, reply
    # Alex's verified PPO: no office copay, $1,000 of the $1,500 deductible left
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01", deductible_met=50000, copay=None))
    return coverage


def authorize_days(days: int) -> None:
    monday = next_week_day(0)
    reply = call(
        "POST",
        "/participants/per_demoalex/authorizations",
        caller=COORDINATOR,
        body={
            "authorization_number": "LSM-IOP-4410",
            "payer_id": "LSM01",
            "billing_codes": ["S9480"],
            "unit_kind": "days",
            "authorized": days,
            "start": (monday - timedelta(days=7)).isoformat(),
            "end": (monday + timedelta(days=30)).isoformat(),
        },
    )
    assert reply.status == 201, reply


def standing() -> dict[str, Any]:
    reply = call("GET", "/participants/per_demoalex/authorizations", caller=ALEX)
    assert reply.status == 200, reply
    [auth] = reply.json["items"]
    result: dict[str, Any] = auth
    return result


def claims(store: Any) -> dict[str, dict[str, Any]]:
    return {str(i["sk"]): i for i in store.person_items("per_demoalex") if str(i["sk"]).startswith("CLAIM#")}


def record(session_id: str, status: str, version: str) -> None:
    reply = schedule_call(
        "POST",
        f"/sessions/{session_id}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": status}]},
        headers={"If-Match": version},
    )
    assert reply.status == 200, reply


def test_a_day_of_program_sessions_is_one_per_diem_claim_and_one_authorized_day(
    per_diem,
    clock,  # noqa: F811
    stream,  # noqa: F811
):
    # Given an authorization of two IOP days, and three one-hour sessions booked on one day
    authorize_days(2)
    tuesday = next_week_day(1)
    clock["now"] = datetime.fromisoformat(at(tuesday, 7))
    sessions = [book(start=at(tuesday, hour), duration_minutes=60).json["session_id"] for hour in (9, 11, 13)]
    stream.step()
    # Then the booked day projects one day of S9480, not three sessions
    assert (standing()["consumed"], standing()["projected"]) == (0, 1)

    # When the first session is attended: an hour, below the per diem's three
    clock["now"] = datetime.fromisoformat(at(tuesday, 15))
    record(sessions[0], "attended", '"1"')
    stream.step()
    # Then the day's claim bills that session on its own
    day = f"CLAIM#DAY#{tuesday.isoformat()}"
    assert list(claims(per_diem)) == [day]
    assert claims(per_diem)[day]["codes"] == ["90837"]

    # When the other two are attended too
    record(sessions[1], "attended", '"1"')
    record(sessions[2], "attended", '"1"')
    mark = stream.mark("CoverageEvents")
    stream.step()
    # Then the day is one S9480 claim, priced through the deductible, covering all three
    [claim] = claims(per_diem).values()
    assert (claim["codes"], claim["units"]) == (["S9480"], [1])
    assert claim["allowed_cents"] == 45000
    assert claim["deductible_cents"] == 45000
    assert sorted(claim["covers"]) == sorted(sessions)
    # And the authorization counts one consumed day, nothing projected
    assert (standing()["consumed"], standing()["projected"]) == (1, 0)

    # When coverage is handed those events twice more
    before = claims(per_diem)
    for _ in range(2):
        stream.redeliver("CoverageEvents", since=mark)
    # Then nothing moves: the one claim, the same figures
    after = claims(per_diem)
    assert list(after) == [day]
    assert {k: v for k, v in after[day].items() if k != "recorded_at"} == {
        k: v for k, v in before[day].items() if k != "recorded_at"
    }

    # When the first is corrected to a no-show: two hours, below the per diem again
    record(sessions[0], "no_show", '"2"')
    stream.step()
    # Then the day's claim is priced again from the two attended sessions
    [claim] = claims(per_diem).values()
    assert claim["codes"] == ["90837", "90837"]
    assert sorted(claim["covers"]) == sorted(sessions[1:])


def test_the_next_estimate_starts_after_the_day_claim_once(
    per_diem,
    clock,  # noqa: F811
    stream,  # noqa: F811
):
    # Given three attended one-hour sessions on one day: one S9480 day toward the deductible
    tuesday = next_week_day(1)
    clock["now"] = datetime.fromisoformat(at(tuesday, 7))
    sessions = [book(start=at(tuesday, hour), duration_minutes=60).json["session_id"] for hour in (9, 11, 13)]
    clock["now"] = datetime.fromisoformat(at(tuesday, 15))
    for session_id in sessions:
        record(session_id, "attended", '"1"')
    stream.step()
    year, number, _ = tuesday.isocalendar()
    week = f"{year}-W{number:02d}"
    # When the week is estimated (the day itself, and a session booked on Thursday)
    thursday = tuesday + timedelta(days=2)
    clock["now"] = datetime.fromisoformat(at(tuesday, 16))
    book(start=at(thursday, 9), duration_minutes=60)
    estimate = call("GET", f"/participants/per_demoalex/estimates/week?week={week}", caller=ALEX).json
    by_day = {line["day"]: line for line in estimate["lines"] if line["code"]}
    assert set(by_day) == {tuesday.isoformat(), thursday.isoformat()}  # one line per day
    # Then Tuesday is one S9480 line for its sessions and the evening group
    assert (by_day[tuesday.isoformat()]["code"], len(by_day[tuesday.isoformat()]["sources"])) == ("S9480", 4)
    assert by_day[tuesday.isoformat()]["you_pay"] == "450.00"
    # And Thursday (with its evening group, a per-diem day too) starts from the $550 of the
    # deductible left after Tuesday counted once, not twice (its claim and its line)
    thursday_line = by_day[thursday.isoformat()]
    assert thursday_line["code"] == "S9480"
    assert [part["reason"] for part in thursday_line["parts"]] == ["$450.00 toward the remaining deductible"]


def test_a_redelivered_day_after_a_fresh_271_is_not_counted_again(
    per_diem,
    clock,  # noqa: F811
    stream,  # noqa: F811
):
    # Given a per-diem day claimed: three attended hours, $450 toward Alex's deductible
    tuesday = next_week_day(1)
    clock["now"] = datetime.fromisoformat(at(tuesday, 7))
    sessions = [book(start=at(tuesday, hour), duration_minutes=60).json["session_id"] for hour in (9, 11, 13)]
    stream.step()
    clock["now"] = datetime.fromisoformat(at(tuesday, 15))
    for session_id in sessions:
        record(session_id, "attended", '"1"')
    mark = stream.mark("CoverageEvents")
    stream.step()
    [before] = claims(per_diem).values()
    # And a fresh 271 that already counts the day ($500 met before it, $950 now)
    time.sleep(1.1)  # stamps are to the second: a claim priced again now would show it
    fresh = lone_star_271("per_demoalex", "pln_demorivera01", deductible_met=95000, copay=None)
    put_271(per_diem, fresh.model_copy(update={"checked_at": controlled_now()}))
    time.sleep(1.1)
    # When coverage is handed the day's attendance again
    stream.redeliver("CoverageEvents", since=mark)
    # Then the day's claim stands as it was (not priced again, not re-stamped)
    assert list(claims(per_diem).values()) == [before]
    # And the next per-diem day starts from the 271's $550 left, not $100
    following = tuesday + timedelta(days=7)
    clock["now"] = datetime.fromisoformat(at(following, 7))
    for hour in (9, 11, 13):
        book(start=at(following, hour), duration_minutes=60)
    year, number, _ = following.isocalendar()
    week = call("GET", f"/participants/per_demoalex/estimates/week?week={year}-W{number:02d}", caller=ALEX)
    [line] = [ln for ln in week.json["lines"] if ln["day"] == following.isoformat()]
    assert [p["reason"] for p in line["parts"]] == ["$450.00 toward the remaining deductible"]


def test_a_session_claimed_before_the_payer_billed_per_diem_is_corrected_away(
    coverage,  # noqa: F811
    clock,  # noqa: F811
    stream,  # noqa: F811
):
    # Given Alex's session attended while Lone Star billed per service: claimed on its own
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01", deductible_met=50000, copay=None))
    tuesday = next_week_day(1)
    clock["now"] = datetime.fromisoformat(at(tuesday, 7))
    session = book(start=at(tuesday, 9), duration_minutes=60).json["session_id"]
    clock["now"] = datetime.fromisoformat(at(tuesday, 15))
    record(session, "attended", '"1"')
    stream.step()
    assert list(claims(coverage)) == [f"CLAIM#{session}"]
    # When Lone Star moves to per-diem billing, and Sam then corrects Alex to a no-show
    bill_per_diem(coverage)
    record(session, "no_show", '"2"')
    stream.step()
    # Then the old per-session claim is gone, and no day claim stands in for it
    assert claims(coverage) == {}
