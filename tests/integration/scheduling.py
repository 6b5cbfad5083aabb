"""Helpers of the scheduling tests: callers from the seeded demo program, times in the
clinicians' zones, booking shortcuts. (The `program` and `atomic_dynamodb` fixtures are
in conftest.py.)"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.schedule.handler import lambda_handler
from functions.schedule.store import ScheduleStore
from local import seed
from tests.clock import controlled_now
from tests.integration.conftest import caller_of
from tests.support import claims

call = caller_of(lambda_handler)

COORDINATOR = claims("per_democoordinator", "coordinator")
PRIYA = claims("per_democouplestherapist", "clinician")  # the Riveras' couples therapist
SAM = claims("per_demotherapist1", "clinician")  # Alex's individual therapist
LEE = claims("per_demotherapist2", "clinician")  # Jamie's individual therapist
ALEX = claims("per_demoalex", "participant")
JAMIE = claims("per_demojamie", "participant")
TAYLOR = claims("per_demotaylor", "participant")
CHICAGO = ZoneInfo("America/Chicago")


def seeded_week(zone: ZoneInfo = CHICAGO) -> str:
    """The ISO week the seed booked the demo sessions in: the demo participants' next week, in
    their zone (never UTC's: early on a Monday in UTC it is still Sunday in Chicago)."""
    year, week, _ = seed.next_week_monday(controlled_now(), zone.key).isocalendar()
    return f"{year}-W{week:02d}"


def next_week_day(weekday: int, zone: ZoneInfo = CHICAGO, weeks_ahead: int = 2) -> date:
    """A day `weeks_ahead` weeks from now (two by default: clear of the seeded sessions)."""
    today = controlled_now(zone).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=7 * weeks_ahead + weekday)


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = CHICAGO) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).isoformat()


def book(caller: dict[str, str] = COORDINATOR, **body: Any):
    payload = {
        "type": "individual",
        "clinician_id": "per_demotherapist1",
        "attendee_ids": ["per_demoalex"],
        **body,
    }
    return call("POST", "/sessions", caller=caller, body=payload)


def busy(store: ScheduleStore, person_id: str) -> list[dict[str, Any]]:
    from functions.common.dynamo import from_item, to_item

    response = store._client.query(
        TableName=store.table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=to_item({":pk": f"BUSY#{person_id}"}),
    )
    return [from_item(i) for i in response["Items"]]
