"""Group attendance and makeups: a missed occurrence brings its recording, the next
occurrence of the same kind of group with a seat, and a check-in."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from functions.common.models import iso
from functions.schedule import events
from functions.schedule.routes import groups as group_routes
from functions.schedule.routes import sessions as session_routes
from tests.clock import controlled_now
from tests.integration.conftest import ScheduleChanges
from tests.integration.scheduling import ALEX, CHICAGO, COORDINATOR, SAM, call

pytestmark = pytest.mark.usefixtures("program")
COUNSELOR = {"custom:person_id": "per_democounselor", "cognito:groups": "clinician", "token_use": "id"}
TODAY = controlled_now(CHICAGO).date()
MONDAY = TODAY - timedelta(days=TODAY.weekday()) + timedelta(days=14)


@pytest.fixture
def clock(monkeypatch):
    state = {"now": datetime.combine(MONDAY - timedelta(days=7), time(9), tzinfo=CHICAGO)}
    for module in (session_routes, group_routes, events):
        monkeypatch.setattr(module, "utc_now", lambda: state["now"])
    return state


@pytest.fixture
def stream(moto_env):
    return ScheduleChanges(moto_env)


def new_group(weekday_offset: int, **extra: Any) -> Any:
    first = datetime.combine(MONDAY + timedelta(days=weekday_offset), time(18), tzinfo=CHICAGO)
    body = {
        "type": "psychoeducation",
        "title": "Workshop",
        "facilitator_id": "per_democounselor",
        "rrule": "FREQ=WEEKLY",
        "first_start": first.isoformat(),
        "time_zone": "America/Chicago",
        "duration_minutes": 120,
        "capacity": 6,
        **extra,
    }
    reply = call("POST", "/groups", caller=COORDINATOR, body=body)
    assert reply.status == 201, reply
    return reply.json


def attendance(group_id: str, start: datetime, records: list[dict[str, str]], caller=COUNSELOR):
    return call(
        "POST",
        f"/groups/{group_id}/occurrences/{start.isoformat()}/attendance",
        caller=caller,
        body={"records": records},
    )


def test_a_missed_occurrence_brings_recording_next_seat_and_check_in(clock, stream):
    # Given Alex in a recorded Monday workshop, and a Wednesday workshop of the same kind
    monday = new_group(0, recording=True)
    wednesday = new_group(2)
    assert (
        call(
            "POST",
            f"/groups/{monday['group_id']}/enrolments",
            caller=ALEX,
            body={"participant_ids": ["per_demoalex"]},
        ).json["status"]
        == "enrolled"
    )
    occurrence = datetime.combine(MONDAY, time(18), tzinfo=CHICAGO)
    # When the facilitator records Alex as a no-show after it began
    clock["now"] = occurrence + timedelta(hours=3)
    reply = attendance(monday["group_id"], occurrence, [{"person_id": "per_demoalex", "status": "no_show"}])
    assert reply.status == 200, reply
    assert reply.json["attendance"] == {"per_demoalex": "no_show"}
    stream.step()
    # Then Alex is offered the recording, Wednesday's workshop and a check-in with Sam
    [offer] = [
        o
        for o in call("GET", "/me/makeups", caller=ALEX).json["items"]
        if o["missed_type"] == "psychoeducation"
    ]
    kinds = {o["kind"]: o for o in offer["options"]}
    assert kinds["recording"]["group_id"] == monday["group_id"]
    assert kinds["group_occurrence"]["group_id"] == wednesday["group_id"]
    assert datetime.fromisoformat(kinds["group_occurrence"]["start"]).astimezone(CHICAGO).weekday() == 2
    # A group option is taken up by joining that group, not booked as a session
    index = offer["options"].index(kinds["group_occurrence"])
    taken = call(
        "POST", f"/me/makeups/{offer['missed_session_id']}/accept", caller=ALEX, body={"option": index}
    )
    assert taken.status == 422
    assert taken.json["errors"] == [
        {"field": "body.option", "message": "a group_occurrence option is not a booking"}
    ]
    assert kinds["check_in"]["clinician_id"] == "per_demotherapist1"


def test_only_real_occurrences_and_enrolled_people(clock):
    group = new_group(0)
    occurrence = datetime.combine(MONDAY, time(18), tzinfo=CHICAGO)
    clock["now"] = occurrence + timedelta(hours=3)
    wrong_time = attendance(
        group["group_id"],
        occurrence + timedelta(hours=1),
        [{"person_id": "per_demoalex", "status": "attended"}],
    )
    assert wrong_time.status == 422
    assert wrong_time.json["errors"][0]["field"] == "path.occurrence_start"
    not_enrolled = attendance(
        group["group_id"], occurrence, [{"person_id": "per_demoalex", "status": "attended"}]
    )
    assert not_enrolled.status == 422
    assert not_enrolled.json["errors"][0]["field"] == "body.records.0.person_id"


def test_not_before_it_starts_and_only_by_its_facilitator(clock):
    group = new_group(0)
    call(
        "POST",
        f"/groups/{group['group_id']}/enrolments",
        caller=ALEX,
        body={"participant_ids": ["per_demoalex"]},
    )
    occurrence = datetime.combine(MONDAY, time(18), tzinfo=CHICAGO)
    early = attendance(group["group_id"], occurrence, [{"person_id": "per_demoalex", "status": "attended"}])
    assert early.status == 422
    clock["now"] = occurrence + timedelta(hours=3)
    assert (
        attendance(
            group["group_id"], occurrence, [{"person_id": "per_demoalex", "status": "attended"}], caller=SAM
        ).status
        == 404
    )
    assert (
        attendance(
            group["group_id"], occurrence, [{"person_id": "per_demoalex", "status": "attended"}]
        ).status
        == 200
    )


def test_attended_group_hours_count_in_the_participants_intensity(clock, stream, program):
    # Given Alex in a two-hour Monday workshop
    monday = new_group(0)
    enrolled = call(
        "POST",
        f"/groups/{monday['group_id']}/enrolments",
        caller=ALEX,
        body={"participant_ids": ["per_demoalex"]},
    )
    assert enrolled.json["status"] == "enrolled"
    stream.step()
    occurrence = datetime.combine(MONDAY, time(18), tzinfo=CHICAGO)
    year, number, _ = MONDAY.isocalendar()
    week = f"{year}-W{number:02d}"
    before = call("GET", f"/participants/per_demoalex/intensity?week={week}", caller=ALEX).json
    # (the week's group occurrences are filed in Alex's week for the coverage function)
    [filed] = [i for i in program.week("per_demoalex", week) if i["entity"] == "GROUP_WEEK"]
    assert {
        "group_id": monday["group_id"],
        "type": "psychoeducation",
        "start": iso(occurrence),
        "end": iso(occurrence + timedelta(hours=2)),
    } in filed["occurrences"]
    # When the facilitator records Alex as attended, and the stream is processed
    clock["now"] = occurrence + timedelta(hours=3)
    assert (
        attendance(
            monday["group_id"], occurrence, [{"person_id": "per_demoalex", "status": "attended"}]
        ).status
        == 200
    )
    stream.step()
    # Then the group's two hours count as attended, in the report and the program-wide figures
    after = call("GET", f"/participants/per_demoalex/intensity?week={week}", caller=ALEX).json
    assert after["attended"]["sessions"] == before["attended"]["sessions"] + 1
    assert after["attended"]["hours"] == pytest.approx(before["attended"]["hours"] + 2.0)
    assert after["scheduled"] == before["scheduled"]
    program = call("GET", f"/intensity?week={week}", caller=COORDINATOR).json
    listed = {p["participant_id"]: p for p in program["under"] + program["over"]}
    assert listed["per_demoalex"]["attended"] == after["attended"]  # under plan: one group in the week
    # And Alex's week still lists the occurrence once, as a group entry
    schedule = call("GET", f"/me/schedule?week={week}", caller=ALEX).json["items"]
    assert [i["group_id"] for i in schedule].count(monday["group_id"]) == 1
