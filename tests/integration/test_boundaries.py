"""Every date and time a client can send is bounded, and whatever is stored can be read back:
each create/update route that takes one is written through with the earliest and latest
values allowed (then read back) and with one past each (422 naming the field, nothing
stored). The scheduling window moves with the clock, so its bounds are computed from it
with a minute's (or a day's) margin."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from functions.common.models import SCHEDULING_AHEAD, SCHEDULING_PAST, utc_now
from functions.coverage.handler import lambda_handler as coverage_handler
from functions.notify.handler import lambda_handler as notify_handler
from tests.integration.conftest import caller_of, copy_schedule_into_coverage
from tests.integration.scheduling import ALEX, COORDINATOR, call

coverage = caller_of(coverage_handler, before=copy_schedule_into_coverage)
notify = caller_of(notify_handler)
CHICAGO = ZoneInfo("America/Chicago")
ANY = {"If-Match": "*"}


def fields(reply: Any) -> set[str]:
    return {e["field"] for e in reply.json.get("errors") or []}


def refused(reply: Any, field: str) -> None:
    assert reply.status == 422, reply.json
    assert field in fields(reply), reply.json


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def window_days() -> tuple[date, date]:
    """The first and last whole local days inside the scheduling window."""
    now = utc_now().astimezone(CHICAGO)
    return (now - SCHEDULING_PAST).date() + timedelta(days=2), (now + SCHEDULING_AHEAD).date() - timedelta(
        days=2
    )


def local(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour), tzinfo=CHICAGO).isoformat()


def open_all_week(clinician_id: str = "per_demotherapist1") -> None:
    weekly = [{"weekday": d, "start": "00:00", "end": "23:59:59"} for d in range(7)]
    reply = call(
        "PUT",
        f"/clinicians/{clinician_id}/availability",
        caller=COORDINATOR,
        body={"weekly": weekly},
        headers=ANY,
    )
    assert reply.status == 200, reply.json


def test_availability_time_off_and_weekly_windows_at_their_bounds(program):
    path = "/clinicians/per_demotherapist1/availability"
    now, minute = utc_now(), timedelta(minutes=1)
    earliest, latest = now - SCHEDULING_PAST + 2 * minute, now + SCHEDULING_AHEAD - 2 * minute
    body = {
        "weekly": [{"weekday": 0, "start": "00:00", "end": "23:59:59"}],
        "time_off": [
            {"start": earliest.isoformat(), "end": (earliest + minute).isoformat()},
            {"start": (latest - minute).isoformat(), "end": latest.isoformat()},
        ],
    }
    # When the earliest and latest allowed values are written, they read back as written
    assert call("PUT", path, caller=COORDINATOR, body=body, headers=ANY).status == 200
    read = call("GET", path, caller=COORDINATOR).json
    assert read["weekly"] == [{"weekday": 0, "start": "00:00:00", "end": "23:59:59"}]
    assert [moment(t["start"]) for t in read["time_off"]] == [earliest, latest - minute]
    assert moment(read["time_off"][1]["end"]) == latest
    # And one past each is refused, naming the field
    past = {"start": (now - SCHEDULING_PAST - 2 * minute).isoformat(), "end": now.isoformat()}
    ahead = {"start": now.isoformat(), "end": (now + SCHEDULING_AHEAD + 2 * minute).isoformat()}
    refused(
        call("PUT", path, caller=COORDINATOR, body={"weekly": [], "time_off": [past]}, headers=ANY),
        "body.time_off.0.start",
    )
    refused(
        call("PUT", path, caller=COORDINATOR, body={"weekly": [], "time_off": [ahead]}, headers=ANY),
        "body.time_off.0.end",
    )
    late = {"weekly": [{"weekday": 0, "start": "00:00", "end": "24:00"}]}
    refused(call("PUT", path, caller=COORDINATOR, body=late, headers=ANY), "body.weekly.0.end")
    offset = {"weekly": [{"weekday": 0, "start": "09:00Z", "end": "10:00"}]}
    refused(call("PUT", path, caller=COORDINATOR, body=offset, headers=ANY), "body.weekly.0.start")
    assert call("GET", path, caller=COORDINATOR).json == read


@pytest.mark.parametrize("edge", ["earliest", "latest"])
def test_a_group_starting_at_either_end_of_the_window_reads_back(program, edge):
    first, last = window_days()
    start = local(first if edge == "earliest" else last)
    group = {
        "type": "mindfulness",
        "title": "Boundary group",
        "facilitator_id": "per_democounselor",
        "rrule": "FREQ=WEEKLY;COUNT=2",
        "first_start": start,
        "time_zone": "America/Chicago",
        "duration_minutes": 60,
        "capacity": 5,
    }
    created = call("POST", "/groups", caller=COORDINATOR, body=group)
    assert created.status == 201, created.json
    read = call("GET", f"/groups/{created.json['group_id']}", caller=COORDINATOR)
    assert read.status == 200, read.json
    assert moment(read.json["first_start"]) == moment(start)
    assert call("GET", "/groups", caller=COORDINATOR).status == 200


@pytest.mark.parametrize(
    "first_start",
    ["1800-01-07T10:00:00-06:00", "9999-12-31T23:45:00-06:00", "past", "ahead"],
)
def test_a_group_starting_outside_the_window_is_refused_and_the_listing_still_reads(program, first_start):
    first, last = window_days()
    value = {"past": local(first - timedelta(days=4)), "ahead": local(last + timedelta(days=4))}.get(
        first_start, first_start
    )
    group = {
        "type": "mindfulness",
        "title": "Too early or too late",
        "facilitator_id": "per_democounselor",
        "rrule": "FREQ=WEEKLY;COUNT=2",
        "first_start": value,
        "time_zone": "America/Chicago",
        "duration_minutes": 60,
        "capacity": 5,
    }
    before = call("GET", "/groups", caller=COORDINATOR).json
    refused(call("POST", "/groups", caller=COORDINATOR, body=group), "body.first_start")
    assert call("GET", "/groups", caller=COORDINATOR).json == before


def test_a_session_booked_and_rescheduled_at_the_latest_start_reads_back(program):
    open_all_week()
    _, last = window_days()
    start = local(last - timedelta(days=1))
    body = {"type": "individual", "clinician_id": "per_demotherapist1", "attendee_ids": ["per_demoalex"]}
    booked = call("POST", "/sessions", caller=COORDINATOR, body={**body, "start": start})
    assert booked.status == 201, booked.json
    session_path = f"/sessions/{booked.json['session_id']}"
    assert moment(call("GET", session_path, caller=COORDINATOR).json["start"]) == moment(start)
    later = local(last, hour=11)
    moved = call("POST", f"{session_path}/reschedule", caller=COORDINATOR, body={"start": later}, headers=ANY)
    assert moved.status == 200, moved.json
    assert moment(call("GET", session_path, caller=COORDINATOR).json["start"]) == moment(later)
    # One past the window (and far past it: once an OverflowError) is refused, naming the field
    beyond = local(last + timedelta(days=4))
    for start_at in (beyond, "9999-12-31T23:45-06:00", "1899-12-31T10:00-06:00"):
        refused(call("POST", "/sessions", caller=COORDINATOR, body={**body, "start": start_at}), "body.start")
        refused(
            call(
                "POST",
                f"{session_path}/reschedule",
                caller=COORDINATOR,
                body={"start": start_at},
                headers=ANY,
            ),
            "body.start",
        )
    assert moment(call("GET", session_path, caller=COORDINATOR).json["start"]) == moment(later)


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59-23:59", "1899-12-31T10:00:00Z"])
def test_a_group_occurrence_outside_the_window_is_refused(program, start):
    body = {"records": [{"person_id": "per_demoalex", "status": "attended"}]}
    reply = call(
        "POST", f"/groups/grp_democbtevening/occurrences/{start}/attendance", caller=COORDINATOR, body=body
    )
    refused(reply, "path.occurrence_start")


def test_week_plans_inside_the_window_and_not_past_it(program):
    _, last = window_days()
    latest_monday = last - timedelta(days=last.weekday() + 7)
    year, week, _ = latest_monday.isocalendar()
    inside = call(
        "POST", "/couples/cpl_demorivera/week-plan", caller=COORDINATOR, body={"week": f"{year}-W{week:02d}"}
    )
    assert inside.status == 200, inside.json
    for week_name in ("2199-W01", "1900-W01", "0001-W01"):
        refused(
            call("POST", "/couples/cpl_demorivera/week-plan", caller=COORDINATOR, body={"week": week_name}),
            "body.week",
        )
        booked = call(
            "POST",
            "/couples/cpl_demorivera/week-plan/book",
            caller=COORDINATOR,
            body={"week": week_name, "sessions": []},
        )
        refused(booked, "body.week")


PLAN = {
    "payer_name": "Lone Star Mutual PPO",
    "payer_id": "LSM01",
    "plan_type": "PPO",
    "member_id": "LSM884201",
}


def test_a_plan_with_dates_at_the_bounds_reads_back_and_one_past_is_refused(program):
    base = "/participants/per_demoalex/plans"
    patient = {"first_name": "Alex", "last_name": "Rivera", "birth_date": "1900-01-01"}
    edges: dict[str, Any] = {
        **PLAN,
        "effective_from": "1900-01-01",
        "effective_to": "2199-12-31",
        "patient": patient,
    }
    created = coverage("POST", base, caller=COORDINATOR, body=edges)
    assert created.status == 201, created.json
    path = f"{base}/{created.json['plan_id']}"
    read = coverage("GET", path, caller=COORDINATOR).json
    assert (read["effective_from"], read["effective_to"]) == ("1900-01-01", "2199-12-31")
    assert read["patient"]["birth_date"] == "1900-01-01"
    today = utc_now().date().isoformat()
    replaced = coverage(
        "PUT",
        path,
        caller=COORDINATOR,
        body={**edges, "patient": {**patient, "birth_date": today}},
        headers=ANY,
    )
    assert replaced.status == 200, replaced.json
    tomorrow = (utc_now().date() + timedelta(days=1)).isoformat()
    for bad, field in (
        ({"effective_from": "1899-12-31"}, "body.effective_from"),
        ({"effective_to": "2200-01-01"}, "body.effective_to"),
        ({"patient": {**patient, "birth_date": tomorrow}}, "body.patient.birth_date"),
    ):
        refused(coverage("POST", base, caller=COORDINATOR, body={**edges, **bad}), field)
        refused(coverage("PUT", path, caller=COORDINATOR, body={**edges, **bad}, headers=ANY), field)
    assert coverage("GET", path, caller=COORDINATOR).json["patient"]["birth_date"] == today
    assert len(coverage("GET", base, caller=COORDINATOR).json["items"]) == 1


def test_an_authorization_with_dates_at_the_bounds_reads_back_and_one_past_is_refused(program):
    base = "/participants/per_demoalex/authorizations"
    body = {
        "authorization_number": "LSM-PA-1",
        "payer_id": "LSM01",
        "billing_codes": ["90837"],
        "authorized": 10,
        "start": "1900-01-01",
        "end": "2199-12-31",
    }
    created = coverage("POST", base, caller=COORDINATOR, body=body)
    assert created.status == 201, created.json
    [item] = coverage("GET", base, caller=COORDINATOR).json["items"]
    assert (item["start"], item["end"]) == ("1900-01-01", "2199-12-31")
    path = f"{base}/{item['authorization_id']}"
    for bad, field in (({"start": "1899-12-31"}, "body.start"), ({"end": "2200-01-01"}, "body.end")):
        refused(coverage("POST", base, caller=COORDINATOR, body={**body, **bad}), field)
        refused(coverage("PUT", path, caller=COORDINATOR, body={**body, **bad}, headers=ANY), field)
    assert coverage("GET", base, caller=COORDINATOR).json["items"] == [item]


def test_quiet_hours_at_the_bounds_read_back_and_offsets_are_refused(program):
    path = "/me/notification-preferences"
    saved = notify(
        "PUT",
        path,
        caller=ALEX,
        body={"quiet_hours_start": "23:59:59", "quiet_hours_end": "00:00"},
        headers=ANY,
    )
    assert saved.status == 200, saved.json
    read = notify("GET", path, caller=ALEX).json
    assert (read["quiet_hours_start"], read["quiet_hours_end"]) == ("23:59:59", "00:00:00")
    for bad in ("24:00", "21:00Z", "21:00:00+01:00"):
        refused(
            notify("PUT", path, caller=ALEX, body={"quiet_hours_start": bad}, headers=ANY),
            "body.quiet_hours_start",
        )
    assert notify("GET", path, caller=ALEX).json == read
