"""Recurring groups: RRULE expansion on the facilitator's wall clock, seats, waitlists.
No boto3.

Occurrences are never stored: they are expanded from the series' RRULE (python-dateutil)
in the series' zone, so 18:00 stays 18:00 local across DST changes. A participant's
enrolment carries the series' schedule, so their week is read without the series.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from functions.common.auth import Principal, Role
from functions.common.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from functions.common.models import iso
from functions.schedule.models import GroupCreate, GroupRecord, PersonRecord, ScheduleEntry
from functions.schedule.vocabulary import (
    EVENING_FROM_HOUR,
    ClinicianRole,
    GroupType,
    PersonKind,
    SessionStatus,
)

HORIZON = timedelta(days=366)
"""How far ahead an unbounded series is expanded."""


def new_group_id() -> str:
    return "grp_" + uuid.uuid4().hex


def parse_rule(rule: str, first_start: datetime) -> rrule:
    """The series' rule anchored at its first local start (naive wall-clock time)."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    if parts.get("FREQ") not in {"DAILY", "WEEKLY"}:
        raise InvalidInput(
            "groups recur daily or weekly", errors=[FieldError("body.rrule", "FREQ=DAILY or WEEKLY")]
        )
    if "DTSTART" in rule.upper():
        raise InvalidInput(
            "the first start is `first_start`", errors=[FieldError("body.rrule", "no DTSTART here")]
        )
    try:
        parsed = rrulestr(f"RRULE:{rule}", dtstart=first_start.replace(tzinfo=None), forceset=False)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            "the recurrence rule is not valid", errors=[FieldError("body.rrule", str(exc))]
        ) from exc
    if not isinstance(parsed, rrule):
        raise InvalidInput("one RRULE only", errors=[FieldError("body.rrule", "not a single rule")])
    return parsed


def occurrences(group: GroupRecord, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The series' [start, end) pairs that begin within [start, end), as aware datetimes."""
    zone = ZoneInfo(group.time_zone)
    rule = parse_rule(group.rrule, group.first_start)
    duration = timedelta(minutes=group.duration_minutes)
    local_from = start.astimezone(zone).replace(tzinfo=None)
    local_to = end.astimezone(zone).replace(tzinfo=None)
    for local in rule.between(local_from, local_to, inc=True):
        begins = local.replace(tzinfo=zone)
        if start <= begins < end:
            yield begins, begins + duration


def new_group(
    request: GroupCreate, *, group_id: str, facilitator: PersonRecord | None, now: datetime
) -> GroupRecord:
    errors = []
    if facilitator is None or facilitator.kind is not PersonKind.CLINICIAN:
        errors.append(FieldError("body.facilitator_id", "not a clinician"))
    elif ClinicianRole.GROUP_FACILITATOR not in (facilitator.roles or ()):
        errors.append(FieldError("body.facilitator_id", "not a group_facilitator"))
    local_first = request.first_start.replace(tzinfo=None)
    rule = parse_rule(request.rrule, local_first)
    first = next(iter(rule), None)
    if first is None:
        errors.append(FieldError("body.rrule", "the rule has no occurrence"))
    if errors:
        raise InvalidInput("the group cannot be created as asked", errors=errors)
    assert first is not None
    zone = ZoneInfo(request.time_zone)
    weekdays = {
        d.weekday() for d in rule.between(local_first, local_first + timedelta(days=14), inc=True)
    } or {first.weekday()}
    return GroupRecord(
        group_id=group_id,
        type=request.type,
        title=request.title,
        facilitator_id=request.facilitator_id,
        rrule=request.rrule,
        first_start=local_first.replace(tzinfo=zone),
        time_zone=request.time_zone,
        duration_minutes=request.duration_minutes,
        capacity=request.capacity,
        evening=first.hour >= EVENING_FROM_HOUR,
        weekend=bool(weekdays & {5, 6}),
        recording=request.recording,
        created_at=now,
    )


def check_can_enrol(principal: Principal, participant_ids: list[str], caseload: set[str]) -> None:
    """Participants enrol themselves; clinicians their caseload; coordinators anyone."""
    if principal.role is Role.COORDINATOR:
        return
    if principal.role is Role.PARTICIPANT and participant_ids == [principal.person_id]:
        return
    if principal.role is Role.CLINICIAN:
        if all(p in caseload for p in participant_ids):
            return
        raise NotFound("no such participant on your caseload")
    raise Forbidden("participants enrol themselves; partners enrol together through their team")


def check_members(
    group: GroupRecord, facilitator: PersonRecord | None, people: dict[str, PersonRecord], ids: list[str]
) -> None:
    errors = []
    licensed = set(facilitator.licensed_states or ()) if facilitator else set()
    for index, person_id in enumerate(ids):
        person = people.get(person_id)
        if person is None or person.kind is not PersonKind.PARTICIPANT:
            errors.append(FieldError(f"body.participant_ids.{index}", "not a participant"))
        elif person.state not in licensed:
            errors.append(
                FieldError(
                    f"body.participant_ids.{index}", f"the facilitator is not licensed in {person.state}"
                )
            )
    if errors:
        raise InvalidInput("cannot enrol as asked", errors=errors)


def group_series(enrolment: dict[str, object]) -> GroupRecord:
    """The series as an enrolment item carries it (enough to expand its occurrences)."""
    return GroupRecord(
        group_id=str(enrolment["group_id"]),
        type=GroupType(str(enrolment["group_type"])),
        title=str(enrolment["title"]),
        facilitator_id=str(enrolment["facilitator_id"]),
        rrule=str(enrolment["rrule"]),
        first_start=datetime.fromisoformat(str(enrolment["first_start"])),
        time_zone=str(enrolment["time_zone"]),
        duration_minutes=int(str(enrolment["duration_minutes"])),
        capacity=0,
        evening=False,
        weekend=False,
        recording=False,
        created_at=datetime.fromisoformat(str(enrolment["first_start"])),
    )


def week_entries(
    enrolment: dict[str, object], person_id: str, start: datetime, end: datetime, zone: ZoneInfo
) -> list[ScheduleEntry]:
    """A series' occurrences in [start, end) while the person was (or is) enrolled (or, for
    its facilitator, leads it): roster changes apply from the change on, earlier
    occurrences stay as they were."""
    joined = enrolment.get("joined_at")
    if not isinstance(joined, str):
        return []  # waitlisted only
    left = enrolment.get("left_at")
    series = group_series(enrolment)
    found = []
    for begins, ends in occurrences(series, start, end):
        if begins < datetime.fromisoformat(joined) or (
            isinstance(left, str) and begins >= datetime.fromisoformat(left)
        ):
            continue
        found.append(
            ScheduleEntry(
                session_id=f"{series.group_id}@{iso(begins)}",
                type=series.type,
                group_id=series.group_id,
                status=SessionStatus.BOOKED,
                start=begins.astimezone(zone),
                end=ends.astimezone(zone),
                role="clinician" if person_id == series.facilitator_id else "attendee",
                clinician_ids=[series.facilitator_id],
                attendee_ids=[] if person_id == series.facilitator_id else [person_id],
            )
        )
    return found


def occurrence_at(group: GroupRecord, start: datetime) -> tuple[datetime, datetime]:
    """The occurrence of `group` that starts at `start`, or InvalidInput naming the path."""
    for begins, ends in occurrences(group, start - timedelta(minutes=1), start + timedelta(minutes=1)):
        if begins == start:
            return begins, ends
    raise InvalidInput(
        "the group does not meet then", errors=[FieldError("path.occurrence_start", "not an occurrence")]
    )


def members_at(members: list[dict[str, object]], moment: datetime) -> set[str]:
    """Who was enrolled when an occurrence began (roster changes apply from then on)."""
    present = set()
    for member in members:
        since = datetime.fromisoformat(str(member["since"]))
        left = member.get("left_at")
        if since <= moment and (not isinstance(left, str) or moment < datetime.fromisoformat(left)):
            present.add(str(member["participant_id"]))
    return present


def next_open_occurrence(
    offerings: list[GroupRecord], group_type: GroupType, after: datetime, *, exclude: tuple[str, datetime]
) -> tuple[GroupRecord, datetime, datetime] | None:
    """The earliest occurrence after `after` of a group of `group_type` with a free seat."""
    best: tuple[GroupRecord, datetime, datetime] | None = None
    for group in offerings:
        if group.type is not group_type or group.capacity - group.seats_taken - group.waitlisted <= 0:
            continue
        for begins, ends in occurrences(group, after, after + timedelta(days=28)):
            if (group.group_id, begins) == exclude:
                continue
            if best is None or begins < best[1]:
                best = (group, begins, ends)
            break
    return best


@dataclass(frozen=True)
class GroupClash:
    person_id: str
    group_id: str
    start: datetime
    end: datetime

    def conflict(self, field: str) -> Conflict:
        """The 409 for a session over this occurrence, naming the field and the interval."""
        return Conflict(
            f"{self.person_id} has a group from {iso(self.start)} to {iso(self.end)}",
            errors=[FieldError(field, "overlaps a group occurrence")],
            conflict={
                "person_id": self.person_id,
                "group_id": self.group_id,
                "start": iso(self.start),
                "end": iso(self.end),
            },
        )


def commitment_clash(
    commitments: dict[str, dict[str, object]], start: datetime, end: datetime
) -> GroupClash | None:
    """The first group occurrence any of the people attends or leads that overlaps
    [start, end). `commitments` maps a person to their commitments item."""
    for person_id, item in commitments.items():
        for name, value in sorted(item.items()):
            if not name.startswith("g_") or not isinstance(value, dict):
                continue
            series = group_series(value)
            earliest = start - timedelta(minutes=series.duration_minutes)
            for begins, ends in occurrences(series, earliest, end):
                if begins < end and ends > start:
                    return GroupClash(person_id, series.group_id, begins, ends)
    return None
