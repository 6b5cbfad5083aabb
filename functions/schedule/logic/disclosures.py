"""Who saw a participant's Part 2 items (42 CFR 2.24, 2.13(d)): what a read disclosed to whom,
and the bounds of a listing. No boto3.

A read that shows a Part 2 item in full to someone who does not attend it (exactly the reads
that carry the redisclosure notice, see `sensitivity.py`) records, per participant whose items
it showed, an entry in that participant's disclosure list on the audit trail
(`functions.common.audit.Disclosure`): who, their role, when, through which action, which items
(ids only). A participant reading their own items records nothing; a facilitator's own week of
a Part 2 group names no participant, so it records nothing either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from functions.common.audit import stamp
from functions.common.auth import Principal
from functions.common.errors import BadRequest, FieldError, InvalidInput
from functions.schedule import keys
from functions.schedule.logic.sensitivity import Part2Policy, session_discloses
from functions.schedule.models import ScheduleEntry, SessionRecord
from functions.schedule.vocabulary import Sensitivity

Shown = dict[str, list[str]]
"""Participant id -> the ids of their Part 2 items a response shows in full to its reader."""


def _add(shown: Shown, subject: str, item_id: str | None) -> None:
    items = shown.setdefault(subject, [])
    if item_id is not None and item_id not in items:
        items.append(item_id)


def of_entries(entries: Iterable[ScheduleEntry], viewer_id: str) -> Shown:
    """What a projected week (`sensitivity.project`'s items) discloses to `viewer_id`."""
    shown: Shown = {}
    for entry in entries:
        if entry.visibility != "full" or entry.sensitivity is not Sensitivity.PART2:
            continue
        if viewer_id in entry.attendee_ids:
            continue
        for attendee in entry.attendee_ids:
            _add(shown, attendee, entry.session_id)
    return shown


def of_session(session: SessionRecord, viewer: Principal, policy: Part2Policy) -> Shown:
    """What showing `session` to `viewer` discloses (its attendees' record of it, or nothing)."""
    if not session_discloses(session, viewer, policy):
        return {}
    return {attendee: [session.session_id] for attendee in session.attendee_ids}


# --- listing: dates and cursors ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A listing's sort-key bounds: entries at or after `since`, before `before` (None: open)."""

    since: str | None
    before: str | None

    def holds(self, sort_key: str) -> bool:
        return (self.since is None or sort_key >= self.since) and (
            self.before is None or sort_key < self.before
        )


def window(since: date | None, until: date | None, zone: ZoneInfo) -> Window:
    """The dates `since` through `until` (both included) in the participant's zone."""
    if since is not None and until is not None and since > until:
        raise InvalidInput(
            "`from` is after `to`", errors=[FieldError("query.from", "must not be after `to`")]
        )

    def midnight(day: date) -> str:
        return stamp(datetime.combine(day, time(0), tzinfo=zone))

    return Window(
        since=midnight(since) if since is not None else None,
        before=midnight(until + timedelta(days=1)) if until is not None else None,
    )


def checked_start(start: dict[str, str] | None, subject_id: str, bounds: Window) -> dict[str, str] | None:
    """A cursor's key is only good for the list it came from: this participant's, these dates."""
    if start is None:
        return None
    if not keys.is_disclosure_start(start, subject_id) or not bounds.holds(keys.audit_sort_key(start)):
        raise BadRequest("the cursor is not valid", errors=[FieldError("query.cursor", "not a cursor")])
    return start
