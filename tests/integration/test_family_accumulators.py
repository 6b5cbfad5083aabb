"""Partners on one family plan share its family deductible: what one partner's attended
session puts toward it lowers what the other's next estimate starts from, until their next
271 (which then counts it itself)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.integration.scheduling import SAM, at, book, next_week_day
from tests.integration.scheduling import call as schedule_call
from tests.integration.test_authorizations import clock, stream  # noqa: F401
from tests.integration.test_estimates import (  # noqa: F401
    COORDINATOR,
    JAMIE,
    call,
    coverage,
    lone_star_271,
    put_271,
)


def jamies_week(week: str) -> dict[str, Any]:
    reply = call("GET", f"/participants/per_demojamie/estimates/week?week={week}", caller=JAMIE)
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.json
    return body


def toward_deductible(estimate: dict[str, Any]) -> int:
    """Cents the week puts toward the family deductible, read from the parts' reasons."""
    total = 0
    for line in estimate["lines"]:
        for part in line["parts"]:
            if "toward the remaining family deductible" in part["reason"]:
                total += int(part["reason"].split(" ")[0].lstrip("$").replace(".", ""))
    return total


def shares(store: Any) -> list[dict[str, Any]]:
    return [i for i in store.person_items("per_demojamie") if str(i["sk"]).startswith("FAMSHARE#")]


def test_a_partners_claim_lowers_the_family_deductible_the_other_starts_from(
    coverage,  # noqa: F811
    clock,  # noqa: F811
    stream,  # noqa: F811
):
    # Given Alex and Jamie on Alex's Lone Star family plan, with no office copay: neither has
    # met their own $1,500, and the family has $200 of its $3,000 left
    for person, plan in (("per_demoalex", "pln_demorivera01"), ("per_demojamie", "pln_demorivera02")):
        put_271(coverage, lone_star_271(person, plan, deductible_met=0, copay=None, family_met=280000))
    allowed = int(
        call("GET", "/billing/fee-schedules/LSM01", caller=COORDINATOR)
        .json["in_network_allowed"]["90837"]
        .replace(".", "")
    )
    assert allowed < 20000
    # And a session for each of them in the same week: Alex on Monday, Jamie on Wednesday
    monday = next_week_day(0)
    clock["now"] = datetime.fromisoformat(at(monday, 7))
    alex = book(start=at(monday, 9), duration_minutes=60).json["session_id"]
    booked = book(
        start=at(monday + timedelta(days=2), 13),
        duration_minutes=60,
        attendee_ids=["per_demojamie"],
        clinician_id="per_demotherapist2",
    )
    assert booked.status == 201, booked
    year, number, _ = monday.isocalendar()
    week = f"{year}-W{number:02d}"
    # Then before Alex attends, Jamie's week (her session and her groups) meets the family's $200
    assert toward_deductible(jamies_week(week)) == 20000

    # When Alex attends his, and the stream delivers it
    clock["now"] = datetime.fromisoformat(at(monday, 10, 30))
    reply = schedule_call(
        "POST",
        f"/sessions/{alex}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply
    stream.step()
    # Then Jamie's partition holds Alex's share of the family figures (figures only)
    [share] = shares(coverage)
    assert (share["plan_id"], share["deductible_cents"]) == ("pln_demorivera02", allowed)
    assert "codes" not in share
    # And Jamie's week now meets only what Alex left of the family deductible, then 20%
    week_after = jamies_week(week)
    assert toward_deductible(week_after) == 20000 - allowed
    assert any("20% coinsurance" in p["reason"] for line in week_after["lines"] for p in line["parts"])

    # When Sam corrects Alex's attendance to a no-show
    reply = schedule_call(
        "POST",
        f"/sessions/{alex}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "no_show"}]},
        headers={"If-Match": '"2"'},
    )
    assert reply.status == 200, reply
    stream.step()
    # Then the share is withdrawn with the claim
    assert shares(coverage) == []
