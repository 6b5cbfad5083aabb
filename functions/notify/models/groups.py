"""A person's place in a group series as notify keeps it (participants' and facilitators')."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from functions.common.models import StoredRecord, iso
from functions.notify import keys
from functions.notify.vocabulary import ENTITY_GROUP_SERIES, SeriesRole, SeriesStatus


class GroupSeries(StoredRecord):
    """One person's place in one group series, as notify keeps it from the participant's
    GROUP_ENROLMENT stream records: what it takes to expand the occurrences (rule, first
    start, zone, length), when they joined and left, and the group reminders planned for
    them (id -> occurrence start), which is what a withdrawal retires and what the sender
    checks a group reminder against. While enrolled it sits in gsi1 `GSERIES` (sort:
    group#person), the bucket the hourly group-reminder job reads.

    The group's facilitator has one too (`role` facilitator, under the facilitator's person
    id: schedule enrols participants only, so it never meets a participant's item), kept
    from the participants' items: `participants` lists who is enrolled under them, and it
    is enrolled exactly while that list is not empty (`logic.groups.facilitator_joined` /
    `facilitator_left`)."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    group_id: str
    group_type: str | None = None
    title: str | None = None
    facilitator_id: str | None = None
    rrule: str
    first_start: datetime
    time_zone: str
    duration_minutes: int
    status: SeriesStatus
    since: str
    """The enrolment's `since` (when schedule last changed it): older stream records lose."""
    joined_at: datetime | None = None
    left_at: datetime | None = None
    revision: int = 0
    """Bumped by every write; the group-reminder job writes only over the revision it read."""
    reminders: dict[str, str] = Field(default_factory=dict)
    role: SeriesRole = SeriesRole.PARTICIPANT
    participants: tuple[str, ...] = ()
    """A facilitator's item: the ids of the participants enrolled under them, sorted (never
    put on a message). Empty on a participant's item."""

    @property
    def active(self) -> bool:
        return self.status is SeriesStatus.ENROLLED

    def to_attributes(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            **keys.group_series_key(self.person_id, self.group_id),
            "entity": ENTITY_GROUP_SERIES,
            **self.model_dump(mode="json"),
            "first_start": self.first_start.isoformat(),
            "joined_at": iso(self.joined_at) if self.joined_at else None,
            "left_at": iso(self.left_at) if self.left_at else None,
        }
        if self.active:
            data |= keys.group_series_index(self.group_id, self.person_id)
        return data
