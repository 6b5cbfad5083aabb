"""42 CFR Part 2 on every schedule read: the visibility matrix (readers x routes x sensitivity x
consent) on the seeded program, through the schedule handler (moto).

The routes come from the resolver (the generated OpenAPI document), not from a list here: a new
schedule read fails `test_every_schedule_read_is_classified` until it is placed in one of the
sets below, and every read in them is called as every reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from icalendar import Calendar

from functions.openapi import FUNCTION_KEY, generate
from functions.schedule.logic.sensitivity import REDISCLOSURE_HEADER, REDISCLOSURE_NOTICE
from tests.integration.conftest import audit_entries
from tests.integration.scheduling import ALEX, COORDINATOR, JAMIE, PRIYA, SAM, call, seeded_week
from tests.support import Reply, claims

pytestmark = pytest.mark.usefixtures("program")

COUNSELOR = claims("per_democounselor", "clinician")  # delivers Alex's substance-use counseling
PART2_SESSION = "ses_demorivera04"  # Alex's substance-use counseling, the seeded week
STANDARD_SESSION = "ses_demorivera02"  # Alex's individual therapy, the same week
PART2_TYPE = "substance_use_counseling"

# Reads that carry Part 2 records (schedule items, the counselor on a care team): each is
# checked reader by reader below.
ITEM_READS = {
    "/people/{person_id}/schedule",
    "/me/schedule",
    "/sessions/{session_id}",
    "/calendar/{token}",
    "/participants/{participant_id}/care-team",
    "/clinicians/{clinician_id}/caseload",  # who is on a substance-use counselor's caseload
    "/people/{person_id}",  # the treatment plan's substance-use need
    "/people",
}
# Who was shown a participant's Part 2 items (ids of Part 2 items, from the audit trail): the
# participant's own list and a coordinator's copy of it, checked in `test_part2_access.py`.
ACCESS_READS = {
    "/me/part2-access",
    "/participants/{participant_id}/part2-access",
}
# Reads whose bodies hold no schedule item (profiles, offerings, figures, consents, rooms): each
# is still called as every reader, and none may name the Part 2 session or its type.
OTHER_READS = {
    "/clinicians/{clinician_id}/availability",
    "/couples/{couple_id}",
    "/groups",
    "/groups/{group_id}",
    "/groups/{group_id}/roster",
    "/health",
    "/health/ready",
    "/intensity",
    "/me",
    "/me/makeups",
    "/me/part2-consents",
    "/participants/{participant_id}/intensity",
    "/participants/{participant_id}/part2-consents",
    "/sessions/{session_id}/join",
}
PATH_VALUES = {
    "person_id": "per_demoalex",
    "participant_id": "per_demoalex",
    "session_id": PART2_SESSION,
    "clinician_id": "per_democounselor",
    "couple_id": "cpl_demorivera",
    "group_id": "grp_democbtevening",
}


def schedule_reads() -> list[str]:
    document = generate()
    return sorted(
        path
        for path, operations in document["paths"].items()
        if operations.get("get", {}).get(FUNCTION_KEY) == "schedule"
    )


def test_every_schedule_read_is_classified():
    reads = set(schedule_reads())
    known = ITEM_READS | ACCESS_READS | OTHER_READS
    assert reads == known, f"unclassified: {sorted(reads - known)}; gone: {sorted(known - reads)}"


def values(data: Any) -> Iterator[Any]:
    """Every value in a JSON document (not its keys)."""
    if isinstance(data, dict):
        for value in data.values():
            yield from values(value)
    elif isinstance(data, list):
        for value in data:
            yield from values(value)
    else:
        yield data


def week_path(path: str) -> str:
    return f"{path}?week={seeded_week()}"


def the_session(reply: Reply) -> dict[str, Any]:
    """The Part 2 session's entry in a week, by its time (whatever else it shows)."""
    start = datetime.fromisoformat(call("GET", f"/sessions/{PART2_SESSION}", caller=ALEX).json["start"])
    found: list[dict[str, Any]] = [
        i for i in reply.json["items"] if datetime.fromisoformat(i["start"]) == start
    ]
    assert len(found) == 1, found
    return found[0]


def assert_full(reply: Reply, *, notice: bool) -> None:
    assert reply.status == 200, reply
    assert PART2_SESSION in reply.text
    assert PART2_TYPE in reply.text
    assert reply.headers.get(REDISCLOSURE_HEADER.lower()) == (REDISCLOSURE_NOTICE if notice else None)
    if reply.content_type.startswith("application/json") and "items" in reply.json:
        assert reply.json["redisclosure_notice"] == (REDISCLOSURE_NOTICE if notice else None)
        entry = the_session(reply)
        assert (entry["visibility"], entry["sensitivity"], entry["type"]) == ("full", "part2", PART2_TYPE)
        assert entry["clinician_ids"] == ["per_democounselor"]


def assert_busy(reply: Reply) -> None:
    assert reply.status == 200, reply
    assert PART2_SESSION not in reply.text
    assert PART2_TYPE not in list(values(reply.json))
    assert REDISCLOSURE_HEADER.lower() not in reply.headers
    assert reply.json["redisclosure_notice"] is None
    entry = the_session(reply)
    assert entry["visibility"] == "busy"
    assert {k: v for k, v in entry.items() if k not in ("start", "end", "status", "visibility")} == {
        "session_id": None,
        "type": None,
        "group_id": None,
        "role": None,
        "clinician_ids": [],
        "attendee_ids": [],
        "authorization_flags": [],
        "sensitivity": None,
        "private": None,
    }
    # Standard items stay as they were: the rule hides Part 2 only
    assert STANDARD_SESSION in reply.text


def give_consent(**terms: Any) -> str:
    body = {
        "purpose": "coordinate my couples work",
        "expires_on": None,
        "expiry_event": "my discharge",
        "attest": True,
    }
    reply = call("POST", "/me/part2-consents", caller=ALEX, body={**body, **terms})
    assert reply.status == 201, reply
    return str(reply.json["consent_id"])


def revoke(consent_id: str) -> None:
    reply = call("POST", f"/me/part2-consents/{consent_id}/revoke", caller=ALEX)
    assert reply.status == 200, reply
    assert reply.json["status"] == "revoked"


def assert_counselor(caller: dict[str, str], *, shown: bool, notice: bool) -> None:
    """The care team names Alex's substance-use counselor only to whom sees Part 2 in full."""
    reply = call("GET", "/participants/per_demoalex/care-team", caller=caller)
    assert reply.status == 200, reply
    assert reply.json["substance_use_counselor_id"] == ("per_democounselor" if shown else None)
    assert reply.json["couples_therapist_id"] == "per_democouplestherapist"  # the rest stays
    assert reply.headers.get(REDISCLOSURE_HEADER.lower()) == (REDISCLOSURE_NOTICE if notice else None)


def test_the_visibility_matrix(monkeypatch: pytest.MonkeyPatch, moto_env: dict[str, Any]):
    alex_week = week_path("/people/per_demoalex/schedule")
    session = f"/sessions/{PART2_SESSION}"
    assert_counselor(ALEX, shown=True, notice=False)
    assert_counselor(COUNSELOR, shown=True, notice=True)
    assert_counselor(COORDINATOR, shown=True, notice=True)
    assert_counselor(PRIYA, shown=False, notice=False)
    assert_counselor(SAM, shown=False, notice=False)
    assert call("GET", "/participants/per_demoalex/care-team", caller=JAMIE).status == 404

    # The participant: everything, no notice (it is their own)
    assert_full(call("GET", alex_week, caller=ALEX), notice=False)
    assert_full(call("GET", week_path("/me/schedule"), caller=ALEX), notice=False)
    assert_full(call("GET", session, caller=ALEX), notice=False)
    # The counselor who delivers it: in full, with the notice, on every read
    assert_full(call("GET", alex_week, caller=COUNSELOR), notice=True)
    assert_full(call("GET", week_path("/me/schedule"), caller=COUNSELOR), notice=True)
    assert_full(call("GET", session, caller=COUNSELOR), notice=True)
    # Coordinators (every coordinator by default): in full, with the notice
    assert_full(call("GET", alex_week, caller=COORDINATOR), notice=True)
    assert_full(call("GET", session, caller=COORDINATOR), notice=True)
    # The rest of the care team: busy time; a session they are not in stays unknown (404)
    for clinician in (PRIYA, SAM):
        assert_busy(call("GET", alex_week, caller=clinician))
        assert call("GET", session, caller=clinician).status == 404
        own = call("GET", week_path("/me/schedule"), caller=clinician)
        assert own.status == 200
        assert PART2_SESSION not in own.text
    # The partner never reads the other's schedule or sessions at all
    assert call("GET", alex_week, caller=JAMIE).status == 404
    assert call("GET", session, caller=JAMIE).status == 404

    # A coordinator the program does not name (PART2_COORDINATORS) sees busy time, and the
    # session is unknown to them, until Alex consents to them by name
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    assert_busy(call("GET", alex_week, caller=COORDINATOR))
    assert call("GET", session, caller=COORDINATOR).status == 404
    assert_counselor(COORDINATOR, shown=False, notice=False)
    to_coordinator = give_consent(recipient_ids=["per_democoordinator"])
    assert_full(call("GET", alex_week, caller=COORDINATOR), notice=True)
    assert_full(call("GET", session, caller=COORDINATOR), notice=True)
    revoke(to_coordinator)
    assert_busy(call("GET", alex_week, caller=COORDINATOR))
    assert call("GET", session, caller=COORDINATOR).status == 404
    monkeypatch.delenv("PART2_COORDINATORS")

    # Consent to the couples therapist's position: Priya sees it in full at once (with the
    # notice); Sam, whom it does not name, still sees busy; revoking ends it at once
    to_couples_therapist = give_consent(recipient_roles=["couples_therapist"])
    assert_full(call("GET", alex_week, caller=PRIYA), notice=True)
    assert_counselor(PRIYA, shown=True, notice=True)
    assert_busy(call("GET", alex_week, caller=SAM))
    assert_counselor(SAM, shown=False, notice=False)
    assert call("GET", session, caller=PRIYA).status == 404  # consent widens the week, not session access
    revoke(to_couples_therapist)
    assert_busy(call("GET", alex_week, caller=PRIYA))
    assert_counselor(PRIYA, shown=False, notice=False)
    # Both consents and their revocations are on the audit trail
    for consent_id in (to_coordinator, to_couples_therapist):
        actions = [
            e["action"] for e in audit_entries(moto_env, f"person/per_demoalex/part2-consent/{consent_id}")
        ]
        assert sorted(actions) == ["part2_consent.create", "part2_consent.revoke"]


def feed_of(caller: dict[str, str]) -> Reply:
    path = call("POST", "/me/calendar-feed", caller=caller).json["path"]
    return call("GET", path)


def test_calendar_feeds_carry_the_notice_to_staff_only():
    # The counselor's feed holds the Part 2 session: its event and the response carry the notice
    counselor = feed_of(COUNSELOR)
    assert counselor.status == 200
    assert counselor.headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    events = {str(e["uid"]): e for e in Calendar.from_ical(counselor.text).walk("VEVENT")}
    part2 = events[f"{PART2_SESSION}@appointments"]
    assert REDISCLOSURE_NOTICE in str(part2["description"])
    assert str(part2["comment"]) == REDISCLOSURE_NOTICE
    assert {str(e["summary"]) for e in events.values()} == {"Appointment"}
    assert not any("comment" in e for uid, e in events.items() if uid != f"{PART2_SESSION}@appointments")
    # Alex's own feed: the event, without the notice (it would name the care on a lock screen)
    alex = feed_of(ALEX)
    assert REDISCLOSURE_HEADER.lower() not in alex.headers
    assert "42 CFR" not in alex.text
    assert f"{PART2_SESSION}@appointments" in alex.text
    # The couples therapist's feed does not hold it at all
    priya = feed_of(PRIYA)
    assert PART2_SESSION not in priya.text
    assert REDISCLOSURE_HEADER.lower() not in priya.headers


READERS = {
    "alex": ALEX,
    "jamie": JAMIE,
    "counselor": COUNSELOR,
    "priya": PRIYA,
    "sam": SAM,
    "coordinator": COORDINATOR,
}


def test_no_other_read_names_the_part2_session_to_anyone():
    for path in sorted(OTHER_READS):
        concrete = path
        for name, value in PATH_VALUES.items():
            concrete = concrete.replace("{" + name + "}", value)
        if "week" in path or "intensity" in path:
            concrete = week_path(concrete)
        for name, reader in READERS.items():
            reply = call("GET", concrete, caller=reader)
            assert reply.status != 500, (path, name, reply)  # (readiness may be 503 here: no queues)
            # (a problem's `instance` echoes the path asked for, which names the session)
            assert reply.status >= 400 or PART2_SESSION not in reply.text, (path, name)
            if "json" in reply.content_type:
                assert PART2_TYPE not in list(values(reply.json)), (path, name)
            assert REDISCLOSURE_HEADER.lower() not in reply.headers, (path, name)


def need_shown(caller: dict[str, str]) -> tuple[bool | None, str | None]:
    """What `caller` reads of Alex's substance-use need on his profile, and the notice."""
    reply = call("GET", "/people/per_demoalex", caller=caller)
    assert reply.status == 200, reply
    assert reply.json["treatment_plan"]["sessions_per_week_min"] == 4  # the intensity always shows
    return reply.json["treatment_plan"]["needs_substance_use_counseling"], reply.headers.get(
        REDISCLOSURE_HEADER.lower()
    )


def listed_need(caller: dict[str, str]) -> tuple[bool | None, str | None]:
    reply = call("GET", "/people?kind=participant&limit=100", caller=caller)
    assert reply.status == 200, reply
    (alex,) = [p for p in reply.json["items"] if p["person_id"] == "per_demoalex"]
    return alex["treatment_plan"]["needs_substance_use_counseling"], reply.headers.get(
        REDISCLOSURE_HEADER.lower()
    )


def test_a_profile_says_someone_needs_substance_use_counseling_only_to_part2_readers(
    monkeypatch: pytest.MonkeyPatch,
):
    # Given Alex's treatment plan needs substance-use counseling (which says he is in
    # substance-use treatment: a Part 2 record)
    # Then Alex sees it without a notice; his counselor and the coordinators with it
    assert need_shown(ALEX) == (True, None)
    assert need_shown(COUNSELOR) == (True, REDISCLOSURE_NOTICE)
    assert need_shown(COORDINATOR) == (True, REDISCLOSURE_NOTICE)
    assert listed_need(COORDINATOR) == (True, REDISCLOSURE_NOTICE)
    # And the rest of his care team sees the intensity, the need left null
    assert need_shown(PRIYA) == (None, None)
    assert need_shown(SAM) == (None, None)
    assert call("GET", "/people/per_demoalex", caller=JAMIE).status == 404

    # A coordinator the program does not name: null, in the list too, until Alex consents
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    assert need_shown(COORDINATOR) == (None, None)
    assert listed_need(COORDINATOR) == (None, None)
    consent = give_consent(recipient_ids=["per_democoordinator"])
    assert need_shown(COORDINATOR) == (True, REDISCLOSURE_NOTICE)
    revoke(consent)
    assert need_shown(COORDINATOR) == (None, None)

    # When that coordinator changes Alex's intensity, sending the plan as they read it (the
    # need left out), Then the need they could not see is kept, not cleared
    current = call("GET", "/people/per_demoalex", caller=COORDINATOR)
    plan = {k: v for k, v in current.json["treatment_plan"].items() if v is not None}
    changed = call(
        "PATCH",
        "/people/per_demoalex",
        caller=COORDINATOR,
        body={"treatment_plan": {**plan, "sessions_per_week_max": 4}},
        headers={"If-Match": current.headers["etag"]},
    )
    assert changed.status == 200, changed
    assert changed.json["treatment_plan"]["needs_substance_use_counseling"] is None
    assert REDISCLOSURE_HEADER.lower() not in changed.headers
    monkeypatch.delenv("PART2_COORDINATORS")
    assert need_shown(ALEX) == (True, None)
    assert call("GET", "/me", caller=ALEX).json["treatment_plan"]["sessions_per_week_max"] == 4


def test_a_sober_activity_roster_names_its_members_only_to_part2_readers(monkeypatch: pytest.MonkeyPatch):
    from tests.integration.test_groups import enrol, new_group

    # Given a sober-activity group (Part 2) the counselor leads, Alex enrolled, and a
    # psychoeducation group (standard) with him too
    sober = new_group(type="sober_activity", title="Peer support")["group_id"]
    standard = new_group(title="Communication")["group_id"]
    for group in (sober, standard):
        assert enrol(group, "per_demoalex").status == 201
    sober_roster, standard_roster = f"/groups/{sober}/roster", f"/groups/{standard}/roster"
    # Then its facilitator and the coordinators read the sober roster with the notice
    for reader in (COUNSELOR, COORDINATOR):
        reply = call("GET", sober_roster, caller=reader)
        assert reply.status == 200, reply
        assert [m["participant_id"] for m in reply.json["enrolled"]] == ["per_demoalex"]
        assert reply.headers[REDISCLOSURE_HEADER.lower()] == REDISCLOSURE_NOTICE
    # And the standard roster carries no notice
    reply = call("GET", standard_roster, caller=COORDINATOR)
    assert reply.status == 200
    assert REDISCLOSURE_HEADER.lower() not in reply.headers
    # When the program names other coordinators for Part 2, Then this one finds no sober roster,
    # and still reads the standard one
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    assert call("GET", sober_roster, caller=COORDINATOR).status == 404
    assert call("GET", standard_roster, caller=COORDINATOR).status == 200
    # And other clinicians never read it
    assert call("GET", sober_roster, caller=SAM).status == 404


def counselor_caseload(caller: dict[str, str]) -> tuple[dict[str, tuple[str, list[str]]], str | None]:
    """The counselor's caseload as `caller` reads it (id -> name, positions), and the notice."""
    reply = call("GET", "/clinicians/per_democounselor/caseload", caller=caller)
    assert reply.status == 200, reply
    items = {i["participant_id"]: (i["display_name"], i["roles"]) for i in reply.json["items"]}
    return items, reply.headers.get(REDISCLOSURE_HEADER.lower())


def test_a_counselors_caseload_names_its_participants_only_to_part2_readers(
    monkeypatch: pytest.MonkeyPatch, moto_env: dict[str, Any]
):
    # Given Alex, on the counselor's caseload for substance-use counseling only (being there
    # says he is in substance-use treatment: a Part 2 record)
    alex = {"per_demoalex": ("Alex Rivera", ["substance_use_counselor"])}
    # Then the counselor reads it by name, with the notice, and so do the coordinators
    assert counselor_caseload(COUNSELOR) == (alex, REDISCLOSURE_NOTICE)
    assert counselor_caseload(COORDINATOR) == (alex, REDISCLOSURE_NOTICE)
    # And the read is on Alex's disclosure list (as the counselor on his care team is)
    readers = {
        e["actor_id"]
        for e in audit_entries(moto_env, "part2-access/person/per_demoalex")
        if e.get("via") == "person/per_democounselor/caseload"
    }
    assert readers == {"per_democounselor", "per_democoordinator"}
    # When the program names other coordinators for Part 2, Then this one finds nobody on the
    # counselor's caseload: neither Alex's id nor his name, and no notice
    monkeypatch.setenv("PART2_COORDINATORS", "per_somebodyelse")
    assert counselor_caseload(COORDINATOR) == ({}, None)
    # And other clinicians read no one's caseload but their own
    assert call("GET", "/clinicians/per_democounselor/caseload", caller=PRIYA).status == 404
