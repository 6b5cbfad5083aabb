"""Through `make serve`: a session booked over HTTP gets its reminder, and once it is due the
minute sweep and the sender deliver it (moto's SES), at the offset the person chose."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from tests.clock import controlled_now
from tests.e2e.conftest import LocalRuntime
from tests.e2e.support import history, post, put

UTC = dt.UTC


def _midday_zone(now: dt.datetime) -> str:
    """An IANA zone where it is now between 10:00 and 14:00 (the clinician's working day,
    whatever time the test runs at). Etc/GMT+N is N hours behind UTC."""
    behind = (now.hour - 12) % 24
    if behind > 12:
        behind -= 24
    return "Etc/GMT" if behind == 0 else f"Etc/GMT{'+' if behind > 0 else '-'}{abs(behind)}"


def test_a_reminder_booked_over_http_is_sent_once_due(local_runtime: LocalRuntime) -> None:
    coordinator = local_runtime.id_token("coordinator")
    now = controlled_now()
    tag = uuid.uuid4().hex[:8]
    # Given a new participant, and a clinician whose working day it is now
    person = post(
        local_runtime,
        "/people",
        coordinator,
        {
            "kind": "participant",
            "display_name": "Riley Example",
            "email": f"riley-{tag}@example.com",
            "time_zone": "America/Chicago",
            "state": "TX",
            "age_group": "adult",
        },
    )["person_id"]
    clinician = post(
        local_runtime,
        "/people",
        coordinator,
        {
            "kind": "clinician",
            "display_name": "Quinn Example, LPC",
            "email": f"quinn-{tag}@example.com",
            "time_zone": _midday_zone(now),
            "roles": ["individual_therapist"],
            "licensed_states": ["TX"],
        },
    )["person_id"]
    put(
        local_runtime,
        f"/clinicians/{clinician}/availability",
        coordinator,
        {"weekly": [{"weekday": d, "start": "06:00:00", "end": "20:00:00"} for d in range(7)]},
    )
    # And a session on the next quarter-hour at least 16 minutes away
    start = (now + dt.timedelta(minutes=16)).replace(second=0, microsecond=0)
    start += dt.timedelta(minutes=-start.minute % 15)
    # And the participant's email reminder set to fall a minute or two from now, no quiet hours
    offset = int((start - now).total_seconds() // 60) - 1
    put(
        local_runtime,
        f"/people/{person}/notification-preferences",
        coordinator,
        {
            "email": f"riley-{tag}@example.com",
            "time_zone": "America/Chicago",
            "quiet_hours_start": "00:00:00",
            "quiet_hours_end": "00:00:00",
            "reminder_offsets_minutes": [offset],
            "channels": {"reminders": ["email"], "changes": ["email"]},
        },
    )
    sent_before = int(local_runtime.client("ses").get_send_quota()["SentLast24Hours"])
    # When a coordinator books it over HTTP
    session = post(
        local_runtime,
        "/sessions",
        coordinator,
        {
            "type": "individual",
            "start": start.isoformat(),
            "duration_minutes": 30,
            "clinician_id": clinician,
            "attendee_ids": [person],
        },
    )
    # Then the booked notice goes out at once, and the reminder once it is due
    deadline = time.monotonic() + 180
    sent: dict[str, list[dict[str, Any]]] = {}
    while time.monotonic() < deadline and not ("booked" in sent and "reminder" in sent):
        time.sleep(1)
        sent = {}
        for item in history(local_runtime, person):
            if item.get("status") == "sent" and item.get("channel") == "email":
                sent.setdefault(str(item["kind"]), []).append(item)
    assert session["session_id"]
    assert len(sent.get("booked", [])) == 1, sent
    assert len(sent.get("reminder", [])) == 1, sent
    # And it was sent no earlier than its time: the session start less the chosen offset
    due = start - dt.timedelta(minutes=offset)
    [reminder] = sent["reminder"]
    finished = dt.datetime.fromisoformat(str(reminder.get("finished_at") or reminder["gsi1sk"].split("#")[0]))
    assert finished >= due.replace(microsecond=0)
    # And both went through SES (moto's records)
    assert int(local_runtime.client("ses").get_send_quota()["SentLast24Hours"]) >= sent_before + 2
