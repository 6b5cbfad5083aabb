"""A family plan whose subscriber is the other partner: what the subscriber reads of coverage
(their plan, eligibility, estimates, summary, authorizations) carries the family figures a
partner's claim moved, never the partner's services, substance-use counseling least of all."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from functions.coverage.models import InsuredPerson, PlanRecord
from functions.coverage.vocabulary import NetworkStatus, PlanStatus, PlanType, SubscriberRelationship
from tests.integration.scheduling import at, book, next_week_day
from tests.integration.scheduling import call as schedule_call
from tests.integration.test_authorizations import clock, stream  # noqa: F401
from tests.integration.test_estimates import (  # noqa: F401
    JAMIE,
    call,
    coverage,
    lone_star_271,
    put_271,
)
from tests.support import claims

COUNSELOR = claims("per_democounselor", "clinician")
JAMIE_PERSON = InsuredPerson(first_name="Jamie", last_name="Rivera", birth_date=date(1990, 4, 12))
ALEX_PERSON = InsuredPerson(first_name="Alex", last_name="Rivera", birth_date=date(1988, 9, 30))


def _plan(person_id: str, plan_id: str, member: str, relationship: SubscriberRelationship) -> PlanRecord:
    dependent = relationship is not SubscriberRelationship.SELF
    return PlanRecord(
        person_id=person_id,
        plan_id=plan_id,
        payer_name="Lone Star Mutual PPO",
        payer_id="LSM01",
        plan_type=PlanType.PPO,
        member_id=member,
        group_number="TX-20417",
        subscriber_relationship=relationship,
        patient=ALEX_PERSON if dependent else JAMIE_PERSON,
        subscriber=JAMIE_PERSON if dependent else None,
        network_status=NetworkStatus.IN_NETWORK,
        effective_from=date(2026, 1, 1),
        status=PlanStatus.ACTIVE,
    )


def jamies_reads(week: str) -> dict[str, Any]:
    """Every coverage read Jamie may make of her own records."""
    paths = [
        "/me/coverage",
        "/participants/per_demojamie/plans",
        "/participants/per_demojamie/plans/pln_demorivera02",
        "/participants/per_demojamie/eligibility",
        f"/participants/per_demojamie/estimates/week?week={week}",
        f"/participants/per_demojamie/estimates/program?weeks=2&week={week}",
        "/participants/per_demojamie/coverage-summary",
        "/participants/per_demojamie/authorizations",
    ]
    replies = {path: call("GET", path, caller=JAMIE) for path in paths}
    for path, reply in replies.items():
        assert reply.status in (200, 403), (path, reply)  # plans: coordinators only
    return {path: reply for path, reply in replies.items() if reply.status == 200}


def test_the_subscriber_partner_never_reads_the_dependents_services(coverage, clock, stream):  # noqa: F811
    # Given Jamie subscribing to the Lone Star family plan and Alex on it as her spouse, the
    # family $100 short of its deductible
    coverage.put_plan(_plan("per_demojamie", "pln_demorivera02", "LSM884201-01", SubscriberRelationship.SELF))
    coverage.put_plan(
        _plan("per_demoalex", "pln_demorivera01", "LSM884201-02", SubscriberRelationship.SPOUSE)
    )
    for person, plan in (("per_demoalex", "pln_demorivera01"), ("per_demojamie", "pln_demorivera02")):
        put_271(coverage, lone_star_271(person, plan, deductible_met=0, copay=None, family_met=290000))
    # And Alex's substance-use counseling, which he attends, the stream delivering it
    monday = next_week_day(0)
    clock["now"] = datetime.fromisoformat(at(monday, 7))
    booked = book(
        type="substance_use_counseling",
        clinician_id="per_democounselor",
        start=at(monday, 11),
        duration_minutes=60,
    )
    assert booked.status == 201, booked
    session_id = booked.json["session_id"]
    year, number, _ = monday.isocalendar()
    week = f"{year}-W{number:02d}"
    before = jamies_reads(week)
    clock["now"] = datetime.fromisoformat(at(monday, 12, 30))
    reply = schedule_call(
        "POST",
        f"/sessions/{session_id}/attendance",
        caller=COUNSELOR,
        body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply
    stream.step()
    # Then the claim's family figures reached Jamie's partition (figures only) ...
    [share] = [i for i in coverage.person_items("per_demojamie") if str(i["sk"]).startswith("FAMSHARE#")]
    assert share["deductible_cents"] > 0
    assert not {"codes", "kind", "type", "units"} & set(share)
    # ... and moved what Jamie's week puts toward the family deductible
    after = jamies_reads(week)
    path = f"/participants/per_demojamie/estimates/week?week={week}"
    assert after[path].json["totals"]["you_pay"] != before[path].json["totals"]["you_pay"]
    # But nothing Jamie reads names Alex's counseling: not the session, its type, code or counselor
    for path, reply in after.items():
        for name in (session_id, "substance_use", "H0004", "per_democounselor", "counsel"):
            assert name not in reply.text, (path, name)
        assert "tandem-redisclosure-notice" not in reply.headers, path
    # And Alex's own estimates stay his: Jamie may not read them at all
    assert call("GET", f"/participants/per_demoalex/estimates/week?week={week}", caller=JAMIE).status == 404
