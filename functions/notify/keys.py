"""Every key of the notify table: the one module that spells them (partition and sort keys,
gsi1's, `begins_with` prefixes, and reading a key back). Nothing else in `functions/notify/`
formats a key; the stores and records pass these. Functions of their arguments alone (no I/O).

The table has `pk`/`sk` and one index, `gsi1` (`gsi1pk`/`gsi1sk`). Items (pk / sk, and the
gsi1 bucket / sort key where an item has them):

- PERSON#<person> / PREFERENCES: preferences, contact data and SMS consent; every person
  notify heard of (schedule's `person.changed`) has one. With a zone: gsi1 ZONE#<IANA zone> /
  <person>, which the hourly digest job reads for the zones where it is Sunday evening.
- PHONE#<e164> / PERSONS: the ids of the people with that mobile number on file (a string
  set, kept in the preferences write), so an inbound text finds its sender in one read.
- PERSON#<person> / UPCOMING#<session>: the person's place in a booked session still ahead,
  gsi1 NEXT#<person> / <start>#<session>, so their next session is one Query; a texted C
  records its confirmation here (TTL after the session).
- PERSON#<person> / SMSCAP#D#<local day> and SMSCAP#W#<ISO week>: the SMS reminder limits,
  each holding the ids of the reminders it admitted (TTL `expires_at`).
- SESSION#<session> / NOTICES: the session version notify last applied for the session and
  the reminders it holds (TTL after the session).
- MESSAGE#<message> / MESSAGE: one outgoing message. While pending: gsi1 DUE#<UTC day> /
  <due time>#<message>; while claimed and not yet picked up by the sender: LEASE#<UTC day> /
  <claim time>#<message>, so a claim lost between the sweep's update and its SQS call is
  found again. Once final (sent, skipped, failed ...) it joins its person's history: gsi1
  HIST#<person> / <finished time>#<message>.
- FAILED#<UTC month> / <failed time>#<message>: a message that failed for good, for the
  coordinators' list of failures (newest first, one Query).
- PERSON#<person> / GSERIES#<group>: the person's place in a group series and the group
  reminders planned for it; while enrolled, gsi1 GSERIES / <group>#<person>, which the hourly
  group-reminder job reads. The group's facilitator has one as well (role `facilitator`).
- JOB#<job> / HOUR#<UTC hour>: an hourly job finished that hour's work (TTL).
- ALERT#DLQ#<queue> / INCIDENT: the send queue's DLQ holds messages and the coordinators
  were alerted (open until a sweep finds the queue empty).

Times in keys are `functions.common.models.iso` (UTC, so they sort); a UTC day is its first
ten characters, a UTC month its first seven.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from functions.common.models import iso

PK: Final = "pk"
SK: Final = "sk"
GSI1_PK: Final = "gsi1pk"
GSI1_SK: Final = "gsi1sk"
TABLE_PAGE: Final = frozenset({PK, SK})
"""The attributes of a start key paging the table (a cursor of one partition)."""
INDEX_PAGE: Final = frozenset({PK, SK, GSI1_PK, GSI1_SK})
"""The attributes of a start key paging gsi1."""

GROUP_SERIES_BUCKET: Final = "GSERIES"
"""The gsi1 bucket of every series item while enrolled."""

_LATEST: Final = "#~"
"""Sorts after every `<time>#<id>` of the same time: `<time>#~` ends a range at that time."""


def _join(*parts: str) -> str:
    return "#".join(parts)


def _key(pk: str, sk: str) -> dict[str, str]:
    return {PK: pk, SK: sk}


def _index(bucket: str, sort: str) -> dict[str, str]:
    return {GSI1_PK: bucket, GSI1_SK: sort}


def _utc_day(moment: datetime) -> str:
    return iso(moment)[:10]


def _timed(moment: datetime, ident: str) -> str:
    """`<time>#<id>`: the sort key of something at a moment, in time order."""
    return _join(iso(moment), ident)


# --- a person's partition -------------------------------------------------------------------------


def person_pk(person_id: str) -> str:
    return _join("PERSON", person_id)


def preferences_key(person_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), "PREFERENCES")


def upcoming_key(person_id: str, session_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), _join("UPCOMING", session_id))


def sms_cap_day(day: date) -> str:
    """The sort key of the person's counter of SMS reminders on one local day."""
    return _join("SMSCAP", "D", day.isoformat())


def sms_cap_week(year: int, week: int) -> str:
    """The sort key of the person's counter of SMS reminders in one ISO week."""
    return _join("SMSCAP", "W", f"{year}-W{week:02d}")


def sms_cap_key(person_id: str, counter_sort_key: str) -> dict[str, str]:
    """A counter item (`counter_sort_key`: `sms_cap_day` or `sms_cap_week`)."""
    return _key(person_pk(person_id), counter_sort_key)


GROUP_SERIES_PREFIX: Final = _join("GSERIES", "")
"""What the sort key of every series item of a person begins with (`begins_with`)."""


def group_series_key(person_id: str, group_id: str) -> dict[str, str]:
    return _key(person_pk(person_id), GROUP_SERIES_PREFIX + group_id)


# --- the other partitions -------------------------------------------------------------------------


def phone_key(phone: str) -> dict[str, str]:
    return _key(_join("PHONE", phone), "PERSONS")


def session_notices_key(session_id: str) -> dict[str, str]:
    return _key(_join("SESSION", session_id), "NOTICES")


def message_key(message_id: str) -> dict[str, str]:
    return _key(_join("MESSAGE", message_id), "MESSAGE")


def failures_pk(month: str) -> str:
    """The partition of the messages that failed for good in one UTC month (`YYYY-MM`)."""
    return _join("FAILED", month)


def failure_key(failed_at: datetime, message_id: str) -> dict[str, str]:
    return _key(failures_pk(iso(failed_at)[:7]), _timed(failed_at, message_id))


def job_run_key(job: str, hour: str) -> dict[str, str]:
    return _key(_join("JOB", job), _join("HOUR", hour))


def dlq_incident_key(queue: str) -> dict[str, str]:
    return _key(_join("ALERT", "DLQ", queue), "INCIDENT")


# --- gsi1 -----------------------------------------------------------------------------------------


def zone_bucket(zone: str) -> str:
    """Everyone whose saved preferences name this zone."""
    return _join("ZONE", zone)


def zone_index(zone: str, person_id: str) -> dict[str, str]:
    return _index(zone_bucket(zone), person_id)


def next_bucket(person_id: str) -> str:
    """The person's booked sessions ahead, by start."""
    return _join("NEXT", person_id)


def upcoming_sort_key(start: datetime, session_id: str) -> str:
    return _timed(start, session_id)


def upcoming_index(person_id: str, start: datetime, session_id: str) -> dict[str, str]:
    return _index(next_bucket(person_id), upcoming_sort_key(start, session_id))


def due_bucket(moment: datetime) -> str:
    """The pending messages due on `moment`'s UTC day."""
    return _join("DUE", _utc_day(moment))


def due_sort_key(due: datetime, message_id: str) -> str:
    return _timed(due, message_id)


def due_index(due: datetime, message_id: str) -> dict[str, str]:
    return _index(due_bucket(due), due_sort_key(due, message_id))


def due_bucket_of(due_sort_key: str) -> str:
    """The due bucket a `due_sort_key` belongs in (read back from the key)."""
    due = due_sort_key.split("#", 1)[0]
    return _join("DUE", due[:10])


def lease_bucket(moment: datetime) -> str:
    """The messages claimed on `moment`'s UTC day and not yet picked up by the sender."""
    return _join("LEASE", _utc_day(moment))


def lease_sort_key(claimed: datetime, message_id: str) -> str:
    return _timed(claimed, message_id)


def since(moment: datetime) -> str:
    """Sorts before every `<time>#<id>` sort key at `moment` and after every earlier one (a
    range starting there)."""
    return iso(moment)


def up_to(moment: datetime) -> str:
    """The greatest `<time>#<id>` sort key at `moment` (a range ending there)."""
    return iso(moment) + _LATEST


def history_bucket(person_id: str) -> str:
    """The person's finished messages."""
    return _join("HIST", person_id)


def history_sort_key(finished: datetime, message_id: str) -> str:
    return _timed(finished, message_id)


def history_index(person_id: str, finished: datetime, message_id: str) -> dict[str, str]:
    return _index(history_bucket(person_id), history_sort_key(finished, message_id))


def group_series_index(group_id: str, person_id: str) -> dict[str, str]:
    return _index(GROUP_SERIES_BUCKET, _join(group_id, person_id))


# --- reading keys back ----------------------------------------------------------------------------


def index_sort_key(item: Mapping[str, Any]) -> str:
    """The gsi1 sort key of an item read from the index."""
    return str(item[GSI1_SK])


def in_partition(start: Mapping[str, Any], partition: str, *, index: bool) -> bool:
    """Whether a start key (a cursor's) lies in `partition` (gsi1's bucket with `index`)."""
    return start.get(GSI1_PK if index else PK) == partition
