"""The couple boundary on the seeded program, through the schedule handler (moto): what a
partner marks private in their individual work never shows in a joint view (the couples
therapist reading their week, the couple, a week plan, the joint session, the other partner);
the week plan shows the couples therapist a partner's Part 2 care as busy time only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.schedule.logic.sensitivity import REDISCLOSURE_HEADER, REDISCLOSURE_NOTICE
from tests.clock import controlled_now
from tests.integration.conftest import audit_entries
from tests.integration.scheduling import (
    ALEX,
    CHICAGO,
    COORDINATOR,
    JAMIE,
    PRIYA,
    SAM,
    at,
    book,
    call,
    next_week_day,
    seeded_week,
)
from tests.integration.test_part2_visibility import values
from tests.support import Reply, claims

pytestmark = pytest.mark.usefixtures("program")

COUNSELOR = claims("per_democounselor", "clinician")
PRIVATE = "ses_demorivera02"  # Alex's individual therapy with Sam, the seeded week
JOINT = "ses_demorivera01"  # the Riveras' couples session with Priya, the same day
PART2 = "ses_demorivera04"  # Alex's substance-use counseling, the same week
ALEX_WEEK = "/people/per_demoalex/schedule"


def instants(reply: Reply) -> set[datetime]:
    """Every time a JSON body holds, as an instant."""
    found = set()
    for value in values(reply.json):
        if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
            try:
                found.add(datetime.fromisoformat(value))
            except ValueError:
                continue
    return found


def mark(caller: dict[str, str], private: bool, session_id: str = PRIVATE) -> Reply:
    current = call("GET", f"/sessions/{session_id}", caller=caller)
    return call(
        "PUT",
        f"/sessions/{session_id}/privacy",
        caller=caller,
        body={"private": private},
        headers={"If-Match": current.headers.get("etag", '"0"')},
    )


def changes(moto_env: dict[str, Any]) -> list[str]:
    """The successful privacy changes of the session on the audit trail."""
    return [
        e["action"]
        for e in audit_entries(moto_env, f"session/{PRIVATE}")
        if e["action"].startswith("session.") and "private" in e["action"] and e["outcome"] == "success"
    ]


def entry_at(reply: Reply, start: datetime) -> dict[str, Any]:
    assert reply.status == 200, reply
    found: list[dict[str, Any]] = [
        i for i in reply.json["items"] if datetime.fromisoformat(i["start"]) == start
    ]
    assert len(found) == 1, found
    return found[0]


def week(caller: dict[str, str], path: str = ALEX_WEEK) -> Reply:
    return call("GET", f"{path}?week={seeded_week()}", caller=caller)


def assert_nothing_of(reply: Reply, session_id: str, start: datetime, end: datetime) -> None:
    """The reply names neither the session nor its times."""
    assert reply.status == 200, reply
    assert session_id not in reply.text
    assert not {start, end} & instants(reply), reply.text


def test_a_private_session_stays_out_of_every_joint_view(moto_env: dict[str, Any]):
    private = call("GET", f"/sessions/{PRIVATE}", caller=ALEX).json
    start, end = datetime.fromisoformat(private["start"]), datetime.fromisoformat(private["end"])
    assert private["private"] is False
    part2_start = datetime.fromisoformat(call("GET", f"/sessions/{PART2}", caller=ALEX).json["start"])
    # Before: the couples therapist sees Alex's individual session in full
    assert entry_at(week(PRIYA), start)["session_id"] == PRIVATE

    # Given Alex marks their individual session private (If-Match, like every change)
    assert call("PUT", f"/sessions/{PRIVATE}/privacy", caller=ALEX, body={"private": True}).status == 428
    marked = mark(ALEX, True)
    assert marked.status == 200, marked
    assert marked.json["private"] is True
    assert changes(moto_env) == ["session.private"]

    # Then Alex, Alex's individual therapist (its clinician) and coordinators see it in full
    for reader in (ALEX, SAM, COORDINATOR):
        shown = entry_at(week(reader), start)
        assert (shown["session_id"], shown["type"], shown["private"]) == (PRIVATE, "individual", True)
        assert call("GET", f"/sessions/{PRIVATE}", caller=reader).json["private"] is True
    # The couples therapist (and the counselor, also on Alex's team) reading Alex's week: busy
    # time, the very block a Part 2 item is
    part2_busy = entry_at(week(PRIYA), part2_start)
    for reader in (PRIYA, COUNSELOR):
        reply = week(reader)
        assert PRIVATE not in reply.text
        busy = entry_at(reply, start)
        assert busy["visibility"] == "busy"
        same_shape = {k: v for k, v in busy.items() if k not in ("start", "end")}
        assert same_shape == {k: v for k, v in part2_busy.items() if k not in ("start", "end")}
        assert call("GET", f"/sessions/{PRIVATE}", caller=reader).status == 404
    # Part 2 consent to the couples therapist's position opens the Part 2 item, never the private one
    consent = call(
        "POST",
        "/me/part2-consents",
        caller=ALEX,
        body={
            "recipient_roles": ["couples_therapist"],
            "purpose": "coordinate my couples work",
            "expiry_event": "my discharge",
            "attest": True,
        },
    )
    assert consent.status == 201, consent
    consented = week(PRIYA)
    assert entry_at(consented, part2_start)["visibility"] == "full"
    assert entry_at(consented, start)["visibility"] == "busy"
    assert PRIVATE not in consented.text

    # The joint views carry nothing of it: the couple, the joint session, a week plan
    for reader in (PRIYA, ALEX, JAMIE):
        assert_nothing_of(call("GET", "/couples/cpl_demorivera", caller=reader), PRIVATE, start, end)
        joint = call("GET", f"/sessions/{JOINT}", caller=reader)
        assert_nothing_of(joint, PRIVATE, start, end)
        assert joint.json["private"] is False
    plan = call("POST", "/couples/cpl_demorivera/week-plan", caller=PRIYA, body={"week": seeded_week()})
    assert_nothing_of(plan, PRIVATE, start, end)

    # The partner sees nothing of it anywhere: not in their own week, not through Alex's
    # (Jamie's own individual session runs at the same time, by design: only Jamie's items are there)
    jamie_week = week(JAMIE, "/me/schedule")
    assert jamie_week.status == 200, jamie_week
    assert PRIVATE not in jamie_week.text
    assert all("per_demojamie" in i["attendee_ids"] for i in jamie_week.json["items"])
    assert week(JAMIE).status == 404
    assert call("GET", f"/sessions/{PRIVATE}", caller=JAMIE).status == 404
    assert mark(JAMIE, False).status == 404

    # Only the participant and the session's clinician change it; a couples session is never private
    assert mark(COORDINATOR, False).status == 403
    assert mark(PRIYA, False).status == 404
    refused = mark(PRIYA, True, JOINT)
    assert refused.status == 422
    assert [e["field"] for e in refused.json["errors"]] == ["body.private"]

    # When Alex unmarks it, the couples therapist sees it in full again
    assert mark(ALEX, False).json["private"] is False
    restored = entry_at(week(PRIYA), start)
    assert (restored["session_id"], restored["visibility"], restored["private"]) == (PRIVATE, "full", False)
    # And Sam marks it again, at Alex's request: busy for the couples therapist once more
    assert mark(SAM, True).json["private"] is True
    assert entry_at(week(PRIYA), start)["visibility"] == "busy"
    assert sorted(changes(moto_env)) == ["session.not_private", "session.private", "session.private"]

    # A session may be booked private; a couples session never is
    day = next_week_day(2)
    booked = book(start=at(day, 9), private=True)
    assert booked.status == 201, booked
    assert booked.json["private"] is True
    assert (
        entry_at(
            call("GET", f"{ALEX_WEEK}?week={day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}", caller=PRIYA),
            datetime.fromisoformat(booked.json["start"]),
        )["visibility"]
        == "busy"
    )
    couples = book(
        type="couples",
        clinician_id="per_democouplestherapist",
        attendee_ids=["per_demoalex", "per_demojamie"],
        couple_id="cpl_demorivera",
        start=at(day, 11),
        private=True,
    )
    assert couples.status == 422, couples
    assert "body.private" in [e["field"] for e in couples.json["errors"]]


def plan_week() -> str:
    """Two weeks ahead: the planner proposes Alex's substance-use counseling there."""
    year, number, _ = (controlled_now(CHICAGO).date() + timedelta(days=14)).isocalendar()
    return f"{year}-W{number:02d}"


def test_the_week_plan_shows_the_couples_therapist_part2_care_as_busy_time():
    propose = "/couples/cpl_demorivera/week-plan"
    # A coordinator sees the proposed counseling in full, with the redisclosure notice
    full = call("POST", propose, caller=COORDINATOR, body={"week": plan_week()})
    assert full.status == 200, full
    [counseling] = [s for s in full.json["sessions"] if s["type"] == "substance_use_counseling"]
    assert full.json["busy"] == []
    assert full.headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    # The couples therapist: the same proposal, the counseling as busy time only, no notice
    shown = call("POST", propose, caller=PRIYA, body={"week": plan_week()})
    assert shown.status == 200, shown
    assert "substance_use_counseling" not in list(values(shown.json))
    assert "per_democounselor" not in shown.text
    assert REDISCLOSURE_HEADER.lower() not in shown.headers
    [busy] = shown.json["busy"]
    assert (busy["start"], busy["end"], busy["visibility"]) == (
        counseling["start"],
        counseling["end"],
        "busy",
    )
    assert (busy["session_id"], busy["type"], busy["clinician_ids"], busy["attendee_ids"]) == (
        None,
        None,
        [],
        [],
    )
    # Nor does a partner's plan say who needs substance-use counseling (null to the couples therapist)
    needs = {p["participant_id"]: p["plan"]["needs_substance_use_counseling"] for p in shown.json["partners"]}
    assert needs == {"per_demoalex": None, "per_demojamie": None}
    assert {
        p["participant_id"]: p["plan"]["needs_substance_use_counseling"] for p in full.json["partners"]
    } == {
        "per_demoalex": True,
        "per_demojamie": False,
    }
    others = [s for s in full.json["sessions"] if s != counseling]
    assert shown.json["sessions"] == others
