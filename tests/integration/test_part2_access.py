"""Who saw a participant's Part 2 items (42 CFR 2.24): every schedule read that shows them in full
to someone else files an entry in the participant's list, which they (and the coordinators the
program names) can read. On the seeded program, through the schedule handler (moto)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from functions.schedule.logic.sensitivity import REDISCLOSURE_HEADER, REDISCLOSURE_NOTICE
from tests.clock import controlled_now
from tests.integration.conftest import audit_entries
from tests.integration.scheduling import ALEX, CHICAGO, COORDINATOR, JAMIE, PRIYA, SAM, call, seeded_week
from tests.support import Reply, claims

pytestmark = pytest.mark.usefixtures("program")

COUNSELOR = claims("per_democounselor", "clinician")
PART2_SESSION = "ses_demorivera04"  # Alex's substance-use counseling, the seeded week
COUPLES_SESSION = "ses_demorivera01"  # the Riveras' couples session, with Priya
ALEX_WEEK = "/people/per_demoalex/schedule"
MINE = "/me/part2-access"
COORDINATORS_COPY = "/participants/per_demoalex/part2-access"


def week(path: str) -> str:
    return f"{path}?week={seeded_week()}"


def listed(path: str = MINE, caller: dict[str, str] = ALEX) -> list[dict[str, Any]]:
    reply = call("GET", path, caller=caller)
    assert reply.status == 200, reply
    return list(reply.json["items"])


def part2_ids(reply: Reply) -> list[str]:
    """The Part 2 items a week shows in full (whatever the seed holds)."""
    assert reply.status == 200, reply
    return [i["session_id"] for i in reply.json["items"] if i["sensitivity"] == "part2"]


def summary(items: list[dict[str, Any]]) -> list[tuple[str, str, str, list[str]]]:
    return [(i["actor_id"], i["actor_role"], i["action"], i["item_ids"]) for i in items]


def test_alexs_list_names_who_saw_their_part2_items_and_when(
    monkeypatch: pytest.MonkeyPatch, moto_env: dict[str, Any]
):
    began = controlled_now()
    # Alex's own reads, the partner's refused read and the busy-only reads file nothing
    assert call("GET", week(ALEX_WEEK), caller=ALEX).status == 200
    assert call("GET", week("/me/schedule"), caller=ALEX).status == 200
    assert call("GET", f"/sessions/{PART2_SESSION}", caller=ALEX).status == 200
    assert call("GET", "/participants/per_demoalex/care-team", caller=ALEX).status == 200
    assert call("GET", week(ALEX_WEEK), caller=JAMIE).status == 404
    for clinician in (PRIYA, SAM):
        busy = call("GET", week(ALEX_WEEK), caller=clinician)
        assert part2_ids(busy) == []  # (part2_ids checks the status)
        assert call("GET", "/participants/per_demoalex/care-team", caller=clinician).status == 200
    assert listed() == []

    # When the counselor reads Alex's week and a coordinator consented to by name reads it too
    counselor_read = call("GET", week(ALEX_WEEK), caller=COUNSELOR)
    assert PART2_SESSION in part2_ids(counselor_read)
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    given = call(
        "POST",
        "/me/part2-consents",
        caller=ALEX,
        body={
            "recipient_ids": ["per_democoordinator"],
            "purpose": "billing",
            "expiry_event": "discharge",
            "attest": True,
        },
    )
    assert given.status == 201, given
    coordinator_read = call("GET", week(ALEX_WEEK), caller=COORDINATOR)
    assert PART2_SESSION in part2_ids(coordinator_read)

    # ...and, once Alex revokes that consent, the coordinator's reads are busy time again
    revoked = call("POST", f"/me/part2-consents/{given.json['consent_id']}/revoke", caller=ALEX)
    assert revoked.status == 200, revoked
    assert part2_ids(call("GET", week(ALEX_WEEK), caller=COORDINATOR)) == []
    assert call("GET", f"/sessions/{PART2_SESSION}", caller=COORDINATOR).status == 404
    monkeypatch.delenv("PART2_COORDINATORS")
    ended = controlled_now()

    # Then Alex's list shows both reads, newest first, with their times and the items shown
    items = listed()
    assert summary(items) == [
        ("per_democoordinator", "coordinator", "schedule.read", part2_ids(coordinator_read)),
        ("per_democounselor", "clinician", "schedule.read", part2_ids(counselor_read)),
    ]
    times = [datetime.fromisoformat(i["at"]) for i in items]
    assert began <= times[1] <= times[0] <= ended
    # The entries hold identifiers only: the entry's whole shape
    assert set(items[0]) == {"actor_id", "actor_role", "at", "action", "item_ids"}
    # Each sits on the audit trail with the read's request and route
    filed = audit_entries(moto_env, "part2-access/person/per_demoalex")
    assert {e["via"] for e in filed} == {"person/per_demoalex/schedule"}
    assert all(e["outcome"] == "success" and e["request_id"] for e in filed)

    # Jamie's list is Jamie's: nothing of Alex's
    assert listed(caller=JAMIE) == []


def test_every_disclosing_read_is_listed_and_one_entry_per_patient(monkeypatch: pytest.MonkeyPatch):
    # The counselor's own week, the session, the care team and the calendar feed
    assert PART2_SESSION in part2_ids(call("GET", week("/me/schedule"), caller=COUNSELOR))
    assert call("GET", f"/sessions/{PART2_SESSION}", caller=COUNSELOR).status == 200
    assert call("GET", "/participants/per_demoalex/care-team", caller=COUNSELOR).status == 200
    path = call("POST", "/me/calendar-feed", caller=COUNSELOR).json["path"]
    assert call("GET", path).headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    # Alex's own feed holds it too, but it is Alex's
    alex_feed = call("POST", "/me/calendar-feed", caller=ALEX).json["path"]
    assert call("GET", alex_feed).status == 200
    entries = summary(listed())
    assert entries[0] == ("per_democounselor", "clinician", "calendar_feed.read", [PART2_SESSION])
    assert entries[1] == ("per_democounselor", "clinician", "care_team.read", [])
    assert entries[2] == ("per_democounselor", "clinician", "session.read", [PART2_SESSION])
    assert entries[3][:3] == ("per_democounselor", "clinician", "schedule.read")
    assert PART2_SESSION in entries[3][3]
    assert len(entries) == 4

    # Given the program treats couples work as Part 2 too: Priya's own week holds both partners'
    # couples session, so her read files one entry in each partner's list
    monkeypatch.setenv("PART2_EXTRA_TYPES", "couples")
    assert COUPLES_SESSION in part2_ids(call("GET", week("/me/schedule"), caller=PRIYA))
    for partner in (ALEX, JAMIE):
        newest = listed(caller=partner)[0]
        assert summary([newest]) == [
            ("per_democouplestherapist", "clinician", "schedule.read", [COUPLES_SESSION])
        ]
    assert len(listed(caller=JAMIE)) == 1


def test_a_read_that_fails_files_nothing():
    # A malformed week is refused before anything is shown; a session nobody has is unknown
    assert call("GET", f"{ALEX_WEEK}?week=2026-W99", caller=COUNSELOR).status == 422
    assert call("GET", "/sessions/ses_nosuchsession", caller=COUNSELOR).status == 404
    assert listed() == []


def test_coordinators_produce_the_list_for_a_request_and_that_read_is_audited(
    monkeypatch: pytest.MonkeyPatch, moto_env: dict[str, Any]
):
    assert call("GET", week(ALEX_WEEK), caller=COUNSELOR).status == 200
    assert call("GET", f"/sessions/{PART2_SESSION}", caller=COUNSELOR).status == 200
    # The coordinator's copy is Alex's list, with the redisclosure notice (it is Part 2 itself)
    reply = call("GET", COORDINATORS_COPY, caller=COORDINATOR)
    assert reply.status == 200, reply
    assert reply.json["items"] == listed()
    assert len(reply.json["items"]) == 2
    assert reply.headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    assert REDISCLOSURE_HEADER.lower() not in call("GET", MINE, caller=ALEX).headers
    # Both reads of the list are on the audit trail, not in the list
    reads = audit_entries(moto_env, "person/per_demoalex/part2-access")
    assert sorted((e["actor_id"], e["action"], e["outcome"]) for e in reads) == [
        ("per_demoalex", "part2_access.list", "success"),
        ("per_demoalex", "part2_access.list", "success"),
        ("per_democoordinator", "part2_access.list", "success"),
    ]
    assert len(listed()) == 2
    # An empty list for someone nobody disclosed anything about carries no notice
    empty = call("GET", "/participants/per_demojamie/part2-access", caller=COORDINATOR)
    assert (empty.status, empty.json["items"]) == (200, [])
    assert REDISCLOSURE_HEADER.lower() not in empty.headers

    # Nobody else may read it: another participant, the clinicians, Alex through this route, a
    # coordinator the program does not name; an unknown participant is unknown
    for caller in (JAMIE, ALEX, COUNSELOR, PRIYA):
        assert call("GET", COORDINATORS_COPY, caller=caller).status == 404
    assert call("GET", "/participants/per_nosuchperson/part2-access", caller=COORDINATOR).status == 404
    assert call("GET", "/participants/per_democounselor/part2-access", caller=COORDINATOR).status == 404
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    assert call("GET", COORDINATORS_COPY, caller=COORDINATOR).status == 404
    # Staff have no list of their own
    assert call("GET", MINE, caller=COUNSELOR).status == 403
    denied = audit_entries(moto_env, "person/per_demoalex/part2-access")
    assert sum(e["outcome"] == "not_found" for e in denied) == 5


def test_the_list_pages_newest_first_and_filters_by_date():
    for _ in range(3):
        assert call("GET", f"/sessions/{PART2_SESSION}", caller=COUNSELOR).status == 200
    everything = listed()
    assert len(everything) == 3
    assert [i["at"] for i in everything] == sorted((i["at"] for i in everything), reverse=True)

    # Pages of one, by the opaque cursor, add up to the whole list
    pages: list[dict[str, Any]] = []
    cursor = None
    for _ in range(5):
        reply = call("GET", f"{MINE}?limit=1" + (f"&cursor={cursor}" if cursor else ""), caller=ALEX)
        assert reply.status == 200, reply
        pages += reply.json["items"]
        cursor = reply.json["next_cursor"]
        if cursor is None:
            break
    assert pages == everything

    # A cursor is good for its own list only
    first = call("GET", f"{MINE}?limit=1", caller=ALEX).json["next_cursor"]
    for caller, path in ((JAMIE, MINE), (ALEX, f"{MINE}?to=2020-01-01")):
        refused = call("GET", f"{path}{'&' if '?' in path else '?'}limit=1&cursor={first}", caller=caller)
        assert refused.status == 400, refused
        assert [e["field"] for e in refused.json["errors"]] == ["query.cursor"]
    assert call("GET", f"{MINE}?cursor=not-a-cursor", caller=ALEX).status == 400

    # Dates are Alex's (Chicago): the days the reads happened on list them, the days around
    # them do not (from the entries' own times: the clock ticks, and may pass midnight)
    days = sorted({datetime.fromisoformat(i["at"]).astimezone(CHICAGO).date() for i in everything})
    first, last, day = days[0], days[-1], timedelta(days=1)
    assert listed(f"{MINE}?from={first}&to={last}") == everything
    assert listed(f"{MINE}?from={last + day}") == []
    assert listed(f"{MINE}?to={first - day}") == []
    backwards = call("GET", f"{MINE}?from={last}&to={first - day}", caller=ALEX)
    assert backwards.status == 422, backwards
    assert [e["field"] for e in backwards.json["errors"]] == ["query.from"]
    out_of_range = call("GET", f"{MINE}?from=1899-12-31", caller=ALEX)
    assert out_of_range.status == 422, out_of_range
    assert [e["field"] for e in out_of_range.json["errors"]] == ["query.from"]


def test_profiles_and_part2_rosters_that_carry_the_notice_are_listed_too():
    from tests.integration.test_groups import enrol, new_group

    # Given a sober-activity group (Part 2) with Alex enrolled and Jamie waiting for the one
    # seat, and a standard group with Alex in it
    sober = new_group(type="sober_activity", title="Peer support", capacity=1)["group_id"]
    standard = new_group(title="Communication")["group_id"]
    for group in (sober, standard):
        assert enrol(group, "per_demoalex").status == 201
    assert enrol(sober, "per_demojamie").status == 201
    # When the counselor reads Alex's profile (it says Alex needs substance-use counseling) and
    # the couples therapist reads it (it does not say so to them)
    shown = call("GET", "/people/per_demoalex", caller=COUNSELOR)
    assert shown.json["treatment_plan"]["needs_substance_use_counseling"] is True
    hidden = call("GET", "/people/per_demoalex", caller=PRIYA)
    assert hidden.json["treatment_plan"]["needs_substance_use_counseling"] is None
    # ...and a coordinator lists participants, and reads both rosters
    listing = call("GET", "/people?kind=participant&limit=100", caller=COORDINATOR)
    assert listing.headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    needing = {
        p["person_id"]
        for p in listing.json["items"]
        if (p["treatment_plan"] or {}).get("needs_substance_use_counseling")
    }
    assert "per_demoalex" in needing
    assert call("GET", f"/groups/{standard}/roster", caller=COORDINATOR).status == 200
    sober_roster = call("GET", f"/groups/{sober}/roster", caller=COORDINATOR)
    assert sober_roster.headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    # Then Alex's list holds the sober roster (by group), the list and the counselor's profile read
    assert summary(listed()) == [
        ("per_democoordinator", "coordinator", "group.roster.read", [sober]),
        ("per_democoordinator", "coordinator", "person.list", []),
        ("per_democounselor", "clinician", "person.read", []),
    ]
    # ...and Jamie's, waiting for a seat, the sober roster alone
    assert summary(listed(caller=JAMIE)) == [
        ("per_democoordinator", "coordinator", "group.roster.read", [sober])
    ]
