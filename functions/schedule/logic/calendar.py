"""iCalendar (RFC 5545) feeds of a person's sessions, built with the `icalendar` library.

Calendars live on phones and lock screens, so the text is PHI-minimal: no program name,
no session type, no names; every event says "Appointment" and points to the app. Times
are UTC; cancelled sessions stay in the feed as CANCELLED so subscribed calendars drop them.

A feed is its owner's own calendar (what they attend, deliver or facilitate), and its events
say no more than a busy block does, so Part 2 items need no projection here. A Part 2 event
in the feed of someone who does not attend it (the counselor's, a sober group's facilitator's)
carries the 42 CFR 2.32 notice in its description and as a COMMENT; a participant's own feed
never does (it would name the care on their lock screen).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from functions.schedule import keys
from functions.schedule.logic.groups import week_entries
from functions.schedule.logic.sensitivity import REDISCLOSURE_NOTICE, Part2Policy
from functions.schedule.vocabulary import SessionStatus

PAST = timedelta(weeks=4)
AHEAD = timedelta(weeks=12)
SUMMARY = "Appointment"
DESCRIPTION = "Open the app for details and to join."
PRODUCT = "-//Appointments//Calendar feed//EN"  # neutral: the program is never named


def new_token() -> str:
    """256 random bits, URL-safe: the feed's only credential."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored: a leaked table never yields a working feed URL."""
    return hashlib.sha256(token.encode()).hexdigest()


def _event(
    uid: str, start: datetime, end: datetime, *, cancelled: bool, stamp: datetime, notice: bool = False
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", SUMMARY)
    event.add("description", f"{DESCRIPTION} {REDISCLOSURE_NOTICE}" if notice else DESCRIPTION)
    if notice:
        event.add("comment", REDISCLOSURE_NOTICE)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


class Feed(NamedTuple):
    ical: bytes
    discloses: bool
    """It carries Part 2 events of someone else (so the redisclosure notice)."""
    shown: dict[str, list[str]]
    """Whose Part 2 sessions it carries (participant id -> session ids): their disclosure lists.
    A facilitator's group occurrences name no participant."""


def feed(person_id: str, items: Iterable[dict[str, Any]], *, now: datetime, policy: Part2Policy) -> Feed:
    """The person's calendar from PAST ago to AHEAD from now (sessions and group occurrences)."""
    discloses = False
    shown: dict[str, list[str]] = {}
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Appointments")
    start, end = now - PAST, now + AHEAD
    utc = ZoneInfo("UTC")
    for item in items:
        kind = keys.kind_of(item)
        if kind is keys.ItemKind.SESSION_MEMBER:
            begins = datetime.fromisoformat(item["start"]).astimezone(utc)
            if not start <= begins < end:
                continue
            status = item.get("status")
            notice = policy.is_part2(item.get("type")) and item.get("role") != "attendee"
            discloses = discloses or notice
            if notice:
                for attendee in item.get("attendee_ids") or []:
                    shown.setdefault(attendee, []).append(item["session_id"])
            calendar.add_component(
                _event(
                    f"{item['session_id']}@appointments",
                    begins,
                    datetime.fromisoformat(item["end"]).astimezone(utc),
                    cancelled=status != SessionStatus.BOOKED.value,
                    stamp=now,
                    notice=notice,
                )
            )
        elif kind in keys.GROUP_POINTERS:
            for entry in week_entries(item, person_id, start, end, utc):
                uid = f"{entry.group_id}-{entry.start.strftime('%Y%m%dT%H%M%SZ')}@appointments"
                notice = policy.is_part2(entry.type) and entry.role != "attendee"
                discloses = discloses or notice
                calendar.add_component(
                    _event(uid, entry.start, entry.end, cancelled=False, stamp=now, notice=notice)
                )
    return Feed(bytes(calendar.to_ical()), discloses, shown)
