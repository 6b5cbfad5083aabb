"""A session outside the participant's prior authorizations is flagged on the schedule, not
only on the estimate: coverage announces its verdicts on the program bus and the schedule
function marks the participant's copy of the session; a verdict that no longer holds is
cleared, and an older verdict arriving late changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from functions.schedule import authorization_flags
from tests.integration.scheduling import ALEX, JAMIE, SAM, at, book, next_week_day
from tests.integration.scheduling import call as schedule_call
from tests.integration.test_authorizations import alerts, authorize, clock, seen, stream  # noqa: F401
from tests.integration.test_estimates import COORDINATOR, call, coverage  # noqa: F401
from tests.support import context


def flags_events(queue_url: str) -> list[dict[str, Any]]:
    return [e for e in seen(queue_url) if e["detail-type"] == "authorization.flags"]


def week_flags(caller: dict[str, str], week: str) -> dict[str, list[str]]:
    reply = schedule_call("GET", f"/me/schedule?week={week}", caller=caller)
    assert reply.status == 200, reply
    return {item["session_id"]: item["authorization_flags"] for item in reply.json["items"]}


def test_a_session_beyond_the_units_is_flagged_on_the_schedule_until_more_are_authorized(
    coverage,  # noqa: F811
    stream,  # noqa: F811
    alerts,  # noqa: F811
):
    # Given two units of 90837 for the month, and three individual sessions booked with Sam
    monday = next_week_day(0)
    auth = authorize(2, monday - timedelta(days=14), monday + timedelta(days=30))
    booked = [book(start=at(monday + timedelta(days=d), 9)).json["session_id"] for d in range(3)]
    # When the bookings reach coverage
    stream.step()
    # Then coverage announces the third as beyond the units, for the schedule
    [event] = flags_events(alerts)
    assert event["detail"]["participant_id"] == "per_demoalex"
    assert event["detail"]["flags"] == {booked[2]: ["beyond the authorized units"]}
    # When the schedule function receives it (twice, as EventBridge may deliver)
    assert authorization_flags.lambda_handler(event, context("flags")) == {"changed": 1}
    assert authorization_flags.lambda_handler(event, context("flags")) == {"changed": 0}
    # Then Alex's week shows the flag on that session only (and none on his groups)
    year, number, _ = monday.isocalendar()
    week = f"{year}-W{number:02d}"
    shown = week_flags(ALEX, week)
    assert {s: shown[s] for s in booked} == {
        booked[0]: [],
        booked[1]: [],
        booked[2]: ["beyond the authorized units"],
    }
    assert all(flags == [] for s, flags in shown.items() if s not in booked)

    # When a coordinator raises the authorization to five units
    body = {
        "authorization_number": auth["authorization_number"],
        "payer_id": "LSM01",
        "billing_codes": ["90837"],
        "authorized": 5,
        "start": (monday - timedelta(days=14)).isoformat(),
        "end": (monday + timedelta(days=30)).isoformat(),
    }
    raised = call(
        "PUT",
        f"/participants/per_demoalex/authorizations/{auth['authorization_id']}",
        caller=COORDINATOR,
        body=body,
        headers={"If-Match": '"1"'},
    )
    assert raised.status == 200, raised
    # Then coverage announces the flag cleared, and the schedule clears it
    [cleared] = flags_events(alerts)
    assert cleared["detail"]["flags"] == {booked[2]: []}
    authorization_flags.lambda_handler(cleared, context("flags"))
    assert week_flags(ALEX, week)[booked[2]] == []

    # When the older verdict is delivered again, late
    assert authorization_flags.lambda_handler(event, context("flags")) == {"changed": 0}
    # Then the session stays unflagged
    assert week_flags(ALEX, week)[booked[2]] == []


def test_a_verdict_names_only_the_participants_own_copy(coverage, stream):  # noqa: F811
    # Given a joint session of Alex and Jamie flagged for Alex
    monday = next_week_day(0)
    session = book(
        type="couples",
        couple_id="cpl_demorivera",
        clinician_id="per_democouplestherapist",
        attendee_ids=["per_demoalex", "per_demojamie"],
        start=at(monday, 12),
    )
    assert session.status == 201, session
    session_id = session.json["session_id"]
    event = {
        "source": "tandem.coverage",
        "detail-type": "authorization.flags",
        "detail": {
            "participant_id": "per_demoalex",
            "flags": {session_id: ["outside every authorization's dates"]},
            "computed_at": "2026-11-28T10:00:00.000001+00:00",
        },
    }
    authorization_flags.lambda_handler(json.loads(json.dumps(event)), context("flags"))
    year, number, _ = monday.isocalendar()
    week = f"{year}-W{number:02d}"
    # Then Alex's week shows it, and Jamie's copy of the same session does not
    assert week_flags(ALEX, week)[session_id] == ["outside every authorization's dates"]
    assert week_flags(JAMIE, week)[session_id] == []


def test_recording_attendance_keeps_the_flag_on_the_schedule(
    coverage,  # noqa: F811
    stream,  # noqa: F811
    alerts,  # noqa: F811
    clock,  # noqa: F811
):
    # Given a session after the authorization ends, flagged on Alex's schedule
    monday = next_week_day(0)
    authorize(5, monday - timedelta(days=14), monday + timedelta(days=1))
    booked = [book(start=at(monday + timedelta(days=d), 9)).json["session_id"] for d in range(3)]
    stream.step()
    for event in flags_events(alerts):
        authorization_flags.lambda_handler(event, context("flags"))
    year, number, _ = monday.isocalendar()
    week = f"{year}-W{number:02d}"
    assert week_flags(ALEX, week)[booked[2]] == ["outside every authorization's dates"]
    # When Sam records Alex's attendance (which rewrites the schedule's copies of the session)
    clock["now"] = datetime.fromisoformat(at(monday + timedelta(days=2), 11))
    reply = schedule_call(
        "POST",
        f"/sessions/{booked[2]}/attendance",
        caller=SAM,
        body={"records": [{"person_id": "per_demoalex", "status": "attended"}]},
        headers={"If-Match": '"1"'},
    )
    assert reply.status == 200, reply
    stream.step()
    for event in flags_events(alerts):
        authorization_flags.lambda_handler(event, context("flags"))
    # Then the flag is still shown
    assert week_flags(ALEX, week)[booked[2]] == ["outside every authorization's dates"]
