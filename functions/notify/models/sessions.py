"""What notify keeps of booked sessions: each person's upcoming ones and its marker of each
session (the version applied, the reminders held)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import ConfigDict

from functions.common.models import StoredRecord, iso
from functions.notify import keys
from functions.notify.vocabulary import ENTITY_SESSION_NOTICES, ENTITY_UPCOMING


class UpcomingSession(StoredRecord):
    """One person's place in one booked session, kept while it is ahead: their next session
    is the first of their items in gsi1 `NEXT#<person>` (sorted by start), which is what a
    texted C confirms. Written, moved and removed with the session's reminders."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    session_id: str
    start: datetime
    end: datetime
    session_version: int
    """The session version whose times this is."""
    time_zone: str | None = None
    """The person's zone at booking (what a confirmation's reply states the time in)."""
    session_type: str | None = None
    """What the weekly digest's email names it (never an SMS)."""
    confirmed_at: datetime | None = None
    confirmed_via: str | None = None

    RETAIN_AFTER_END: ClassVar[timedelta] = timedelta(days=35)

    def to_attributes(self) -> dict[str, Any]:
        data = {
            **keys.upcoming_key(self.person_id, self.session_id),
            "entity": ENTITY_UPCOMING,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            **keys.upcoming_index(self.person_id, self.start, self.session_id),
            "expires_at": int((self.end.astimezone(UTC) + self.RETAIN_AFTER_END).timestamp()),
        }
        if self.confirmed_at is not None:
            data["confirmed_at"] = iso(self.confirmed_at)
        return data


class SessionNotices(StoredRecord):
    """Notify's marker of one session: the stream version it last applied and the reminders
    it holds for it. Every change is conditioned on the marker, so a redelivered or stale
    stream record never creates, moves or resurrects a reminder."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    version: int
    """The session version last applied."""
    times_version: int
    """The session version whose times the current reminders were planned for."""
    status: str
    start: datetime
    end: datetime
    reminder_ids: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    """Who holds an upcoming-session item of it (attendees and clinicians of `times_version`)."""

    RETAIN_AFTER_END: ClassVar[timedelta] = timedelta(days=35)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **keys.session_notices_key(self.session_id),
            "entity": ENTITY_SESSION_NOTICES,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            "expires_at": int((self.end.astimezone(UTC) + self.RETAIN_AFTER_END).timestamp()),
        }
