"""The calendar invitation (.ics, RFC 5545 / iTIP) a session's email carries. No boto3.

The event's words stay neutral: calendars are shared, synced and shown on lock screens, so
the summary names the sender and nothing about the care. One UID per session and the
session version as SEQUENCE, so a calendar updates (or, with CANCEL, removes) the entry a
previous invitation made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from icalendar import Calendar, Event, vCalAddress

from functions.notify.vocabulary import SENDER_NAME

Method = Literal["REQUEST", "CANCEL"]
UID_DOMAIN = "tandem.health"


def session_invite(
    *,
    session_id: str,
    sequence: int,
    start: datetime,
    end: datetime,
    method: Method,
    organizer_email: str,
    url: str,
    now: datetime,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Tandem Care//Notifications//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", f"{session_id}@{UID_DOMAIN}")
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{SENDER_NAME} appointment")
    event.add("description", f"Join from the {SENDER_NAME} app: {url}")
    event.add("url", url)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = SENDER_NAME
    event.add("organizer", organizer)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
