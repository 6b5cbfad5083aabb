"""Calendar feeds on the seeded program: an unguessable, revocable link whose events say
nothing but "Appointment"."""

from __future__ import annotations

from datetime import datetime

import pytest
from icalendar import Calendar

from tests.integration.conftest import audit_entries
from tests.integration.scheduling import ALEX, JAMIE, SAM, at, book, call, next_week_day

pytestmark = pytest.mark.usefixtures("program")
SENSITIVE = (
    "Alex",
    "Rivera",
    "individual",
    "couples",
    "substance",
    "counsel",
    "Tandem",
    "skills",
    "cbt",
    "therap",
)


def new_feed(caller=ALEX) -> str:
    reply = call(
        "POST",
        "/me/calendar-feed",
        caller=caller,
        headers={"Host": "api.example.org", "X-Forwarded-Proto": "https"},
    )
    assert reply.status == 201, reply
    assert reply.json["url"] == "https://api.example.org" + reply.json["path"]
    return str(reply.json["path"])


def fetch(path: str):
    return call("GET", path)  # no token: calendar apps cannot sign in


def test_the_feed_lists_sessions_and_group_occurrences_without_phi(moto_env):
    path = new_feed()
    reply = fetch(path)
    assert reply.status == 200, reply
    assert reply.content_type.startswith("text/calendar")
    calendar = Calendar.from_ical(reply.text)
    events = [c for c in calendar.walk("VEVENT")]
    # The seeded week: three sessions and the evening group twice (and its later occurrences)
    uids = [str(e["uid"]) for e in events]
    assert {
        "ses_demorivera02@appointments",
        "ses_demorivera01@appointments",
        "ses_demorivera04@appointments",
    } <= set(uids)
    assert any(uid.startswith("grp_democbtevening-") for uid in uids)
    assert len(uids) == len(set(uids))
    assert {str(e["summary"]) for e in events} == {"Appointment"}
    # (UIDs are opaque ids; the demo seed's happen to be readable, so they are left out here)
    text = "\n".join(line for line in reply.text.splitlines() if not line.startswith("UID:")).lower()
    for word in SENSITIVE:
        assert word.lower() not in text, word
    # Reading the feed is audited as its owner's read
    assert any(
        e["action"] == "calendar_feed.read"
        for e in audit_entries(moto_env, "person/per_demoalex/calendar-feed")
    )


def test_a_partners_feed_does_not_hold_the_other_partners_own_sessions():
    alex_path = new_feed(ALEX)
    jamie_path = new_feed(JAMIE)
    alex = {str(e["uid"]) for e in Calendar.from_ical(fetch(alex_path).text).walk("VEVENT")}
    jamie = {str(e["uid"]) for e in Calendar.from_ical(fetch(jamie_path).text).walk("VEVENT")}
    assert "ses_demorivera02@appointments" in alex  # Alex's individual session
    assert "ses_demorivera02@appointments" not in jamie
    assert "ses_demorivera01@appointments" in jamie  # the joint one


def test_rotating_kills_the_old_link_and_revoking_kills_the_new():
    first = new_feed()
    second = new_feed()
    assert fetch(first).status == 404
    assert fetch(second).status == 200
    assert call("DELETE", "/me/calendar-feed", caller=ALEX).status == 204
    assert fetch(second).status == 404
    assert call("DELETE", "/me/calendar-feed", caller=ALEX).status == 404


def test_a_cancelled_session_stays_as_cancelled():
    session = book(start=at(next_week_day(0), 10)).json
    call(
        "POST", f"/sessions/{session['session_id']}/cancel", caller=SAM, body={}, headers={"If-Match": '"1"'}
    )
    events = {str(e["uid"]): e for e in Calendar.from_ical(fetch(new_feed()).text).walk("VEVENT")}
    cancelled = events[f"{session['session_id']}@appointments"]
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled.decoded("dtstart") == datetime.fromisoformat(session["start"])


def test_unknown_or_malformed_tokens_are_404_or_422():
    assert fetch("/calendar/" + "x" * 43).status == 404
    assert fetch("/calendar/short").status == 422
