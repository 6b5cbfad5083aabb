"""What the e2e tests share beyond starting the runtime: waiting on a condition (never on a
fixed sleep: the suite runs on loaded 2-core machines), and the HTTP steps that set up people
and sessions through the API."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import requests

from tests.clock import controlled_now
from tests.e2e.conftest import LocalRuntime

T = TypeVar("T")
PATIENCE_SECONDS = 90.0
"""How long a test waits for the background loops to deliver something: generous, since a
condition met returns at once and only a failing test waits it out."""
CHICAGO = ZoneInfo("America/Chicago")


def eventually(probe: Callable[[], T], *, within: float = PATIENCE_SECONDS, every: float = 0.2) -> T:
    """`probe()` until it returns something truthy (returned), or its last answer after `within`."""
    deadline = time.monotonic() + within
    result = probe()
    while not result and time.monotonic() < deadline:
        time.sleep(every)
        result = probe()
    return result


def post(runtime: LocalRuntime, path: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = requests.post(runtime.api + path, json=body, headers={"Authorization": token}, timeout=30)
    assert reply.status_code in (200, 201), reply.text
    result: dict[str, Any] = reply.json()
    return result


def put(runtime: LocalRuntime, path: str, token: str, body: dict[str, Any]) -> None:
    """Read, then replace with the ETag read; a 412 (someone else wrote in between) reads again,
    as a client should. A person created a moment ago is 404 to notify until schedule's
    `person.changed` reaches it: the read waits for that."""
    for _ in range(5):
        current = eventually(lambda: runtime.get(path, token))  # a Response is truthy when 2xx
        assert current.status_code == 200, current.text
        reply = requests.put(
            runtime.api + path,
            json=body,
            headers={"Authorization": token, "If-Match": current.headers["ETag"]},
            timeout=30,
        )
        if reply.status_code != 412:
            break
    assert reply.status_code == 200, reply.text


def history(runtime: LocalRuntime, person_id: str) -> list[dict[str, Any]]:
    """The person's finished messages, as their history reads them (gsi1 HIST#<person>)."""
    items = runtime.client("dynamodb").query(
        TableName=runtime.state["tables"]["notify"],
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :b",
        ExpressionAttributeValues={":b": {"S": f"HIST#{person_id}"}},
    )["Items"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


def new_participant(runtime: LocalRuntime, coordinator: str, *, email_changes: bool = False) -> str:
    """A participant in Texas of their own (no other test books them); with `email_changes`,
    notices of bookings and changes go to their email at any hour."""
    tag = uuid.uuid4().hex[:8]
    email = f"pat-{tag}@example.com"
    person = post(
        runtime,
        "/people",
        coordinator,
        {
            "kind": "participant",
            "display_name": "Pat Example",
            "email": email,
            "time_zone": "America/Chicago",
            "state": "TX",
            "age_group": "adult",
        },
    )["person_id"]
    if email_changes:
        put(
            runtime,
            f"/people/{person}/notification-preferences",
            coordinator,
            {
                "email": email,
                "time_zone": "America/Chicago",
                "quiet_hours_start": "00:00:00",
                "quiet_hours_end": "00:00:00",
                "reminder_offsets_minutes": [1440],
                "channels": {"reminders": ["email"], "changes": ["email"]},
            },
        )
    return str(person)


def new_clinician(runtime: LocalRuntime, coordinator: str, time_zone: str = "America/Chicago") -> str:
    """An individual therapist licensed in Texas, available 06:00-20:00 every day in `time_zone`."""
    tag = uuid.uuid4().hex[:8]
    clinician = post(
        runtime,
        "/people",
        coordinator,
        {
            "kind": "clinician",
            "display_name": "Quinn Example, LPC",
            "email": f"quinn-{tag}@example.com",
            "time_zone": time_zone,
            "roles": ["individual_therapist"],
            "licensed_states": ["TX"],
        },
    )["person_id"]
    put(
        runtime,
        f"/clinicians/{clinician}/availability",
        coordinator,
        {"weekly": [{"weekday": d, "start": "06:00:00", "end": "20:00:00"} for d in range(7)]},
    )
    return str(clinician)


def chicago_slot(weeks_ahead: int, weekday: int, hour: int) -> str:
    """A wall-clock time in Chicago `weeks_ahead` ISO weeks from now (always in the future)."""
    today = controlled_now(CHICAGO).date()
    day = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=weeks_ahead, days=weekday)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHICAGO).isoformat()


def booking(clinician: str, participant: str, start: str) -> dict[str, Any]:
    return {"type": "individual", "start": start, "clinician_id": clinician, "attendee_ids": [participant]}


def children(pid: int) -> list[int]:
    """The process's children (the runtime's function workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
