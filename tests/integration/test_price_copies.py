"""Each participant's copy of the program's prices: what lets every estimate route stay
within two reads on a cold container. Written with the participant's plan or first booked
session, rewritten for every holder when a coordinator changes the prices (through the
program bus), and never replaced by an older one."""

from __future__ import annotations

from typing import Any

from functions.common import aws
from functions.coverage import prices
from functions.coverage.billing import prices_item, reference_of
from functions.coverage.routes.estimates import forget_reference
from tests.integration.conftest import ScheduleChanges
from tests.integration.scheduling import at, book, next_week_day
from tests.integration.test_authorizations import alerts, seen  # noqa: F401
from tests.integration.test_estimates import (  # noqa: F401
    ALEX,
    COORDINATOR,
    call,
    coverage,
    lone_star_271,
    next_week,
    put_271,
)
from tests.support import context

ALEX_KEY = {"pk": "PERSON#per_demoalex", "sk": "PRICES"}


def allowed_90837(store: Any, person_id: str = "per_demoalex") -> int:
    copy = store.get_item({"pk": f"PERSON#{person_id}", "sk": "PRICES"})
    assert copy is not None
    return reference_of(copy).fee_schedules["LSM01"].in_network_cents["90837"]


def raise_90837(to_dollars: str) -> None:
    current = call("GET", "/billing/fee-schedules/LSM01", caller=COORDINATOR)
    body = {k: v for k, v in current.json.items() if k not in ("payer_id", "updated_at", "version")}
    body["in_network_allowed"] = {**body["in_network_allowed"], "90837": to_dollars}
    reply = call(
        "PUT",
        "/billing/fee-schedules/LSM01",
        caller=COORDINATOR,
        body=body,
        headers={"If-Match": current.headers["etag"]},
    )
    assert reply.status == 200, reply


def test_a_fee_schedule_change_reaches_every_copy_through_the_bus(coverage, alerts):  # noqa: F811
    # Given Alex's verified PPO and his copy of the prices
    put_271(coverage, lone_star_271("per_demoalex", "pln_demorivera01"))
    before = allowed_90837(coverage)
    # When a coordinator raises what Lone Star allows for 90837
    raise_90837("200.00")
    # Then the change is announced once on the bus, and the copies wait for it
    [event] = seen(alerts)
    assert (event["source"], event["detail-type"]) == ("tandem.coverage", "billing.reference.changed")
    assert allowed_90837(coverage) == before
    # When the CoveragePrices rule delivers it (twice, as EventBridge may)
    prices.lambda_handler(event, context("prices"))
    prices.lambda_handler(event, context("prices"))
    # Then every holder's copy has the new amount
    for person_id in ("per_demoalex", "per_demojamie", "per_demotaylor"):
        assert allowed_90837(coverage, person_id) == 20000
    # And Alex's next estimate, on a cold container, prices with it
    forget_reference()
    week = call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX).json
    allowed = {line["code"]: line["allowed"] for line in week["lines"] if line.get("code")}
    assert allowed["90837"] == "200.00"


def test_an_older_copy_never_replaces_a_newer_one(coverage):  # noqa: F811
    # Given Alex's copy of the current prices
    items = coverage.billing_items(consistent=True)
    current = coverage.get_item(ALEX_KEY)
    assert current is not None
    # When a copy made from an older reference (one version behind) arrives late
    older = [dict(i, version=int(i["version"]) - 1) if i["sk"] == "CHARGEMASTER" else i for i in items]
    # Then it is refused, and the copy there stays as it was
    assert coverage.put_prices(prices_item("per_demoalex", older)) is False
    assert coverage.get_item(ALEX_KEY) == current


def test_saving_a_plan_gives_the_participant_a_copy(coverage):  # noqa: F811
    # Given Alex has no copy of the prices (say, from before copies existed)
    aws.client("dynamodb").delete_item(
        TableName=coverage.table, Key={"pk": {"S": ALEX_KEY["pk"]}, "sk": {"S": ALEX_KEY["sk"]}}
    )
    # When a coordinator updates his plan
    plan = call("GET", "/participants/per_demoalex/plans/pln_demorivera01", caller=COORDINATOR)
    body = {k: v for k, v in plan.json.items() if k in _PLAN_FIELDS}
    reply = call(
        "PUT",
        "/participants/per_demoalex/plans/pln_demorivera01",
        caller=COORDINATOR,
        body=body,
        headers={"If-Match": plan.headers["etag"]},
    )
    assert reply.status == 200, reply
    # Then he has a copy of the current prices
    copy = coverage.get_item(ALEX_KEY)
    assert copy is not None
    assert copy["revision"] == reference_of(copy).revision > 0


def test_a_first_booked_session_gives_the_participant_a_copy_and_estimates_work_without_one(
    coverage,  # noqa: F811
    moto_env,
):
    # Given Alex has no copy of the prices
    aws.client("dynamodb").delete_item(
        TableName=coverage.table, Key={"pk": {"S": ALEX_KEY["pk"]}, "sk": {"S": ALEX_KEY["sk"]}}
    )
    # Then his estimate still prices (from the program's reference, read on the side)
    forget_reference()
    assert (
        call("GET", f"/participants/per_demoalex/estimates/week?week={next_week()}", caller=ALEX).status
        == 200
    )
    # When a session booked for him reaches coverage through the schedule stream
    stream = ScheduleChanges(moto_env)
    book(start=at(next_week_day(2), 9))
    stream.step()
    # Then he has a copy
    assert coverage.get_item(ALEX_KEY) is not None


_PLAN_FIELDS = {
    "payer_name",
    "payer_id",
    "plan_type",
    "member_id",
    "group_number",
    "subscriber_relationship",
    "subscriber",
    "patient",
    "network_status",
    "effective_from",
    "effective_to",
    "status",
}
