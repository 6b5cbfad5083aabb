"""Every key of the schedule table: the one module that spells them (nothing else in
`functions/schedule/` formats a key or reads one apart). Pure: no boto3.

The table has `pk`/`sk` and two indexes: `gsi1` (`gsi1pk`/`gsi1sk`) and the participant/week
index (`pw_pk`/`pw_sk`). Items by partition (sort key; index attributes where an item has them):

Partition `PERSON#<person>`: everything kept for one person.

    PROFILE                     the person          gsi1 KIND#<kind> / <name casefolded>#<person>:
                                                    people by kind, by name (lists, all participants)
    AVAILABILITY                a clinician's weekly windows and time off
    CARE#<role>                 a clinician's position on the participant's care team
                                                    gsi1 CASELOAD#<clinician> / PERSON#<participant>#<role>
    COUPLE                      the partner's pointer to their couple
                                                    gsi1 as CARE# (the couples therapist's caseload)
    CONSENT#<consent>           a Part 2 consent
    COMMITMENTS                 the groups the person attends or leads (one attribute per series)
    FEED                        the pointer to the person's calendar feed token
    GROUP#<group>               a participant's enrolment in a group series
                                                    gsi1 SCHED#<person> / ~GROUP#<group>
    FACILITATES#<group>         a clinician leading a group series   (gsi1 as GROUP#)
    GROUPWEEK#<week>            the participant's group occurrences of one ISO week
                                                    pw PW#<person>#<week> / ~GROUPS#<week>
    MAKEUP#<missed session>     a makeup offer

One Query of `CARE#`..`COUPLE` reads a care team; `CARE#`..`PROFILE` a reader's context (care,
consents, couple, enrolments, profile).

Partition `COUPLE#<couple>`: `PROFILE`, the couple.

Partition `SESSION#<session>`: `SESSION` (the session), `ROOM` (its video room) and
`MEMBER#<person>`, each person's copy for their week (pw PW#<person>#<week> / <start>#<session>;
gsi1 SCHED#<person> / <start>#<session>: a person's sessions by time, their calendar feed).

Partition `BUSY#<person>`: `SLOT#<quarter-hour start>`, the quarter-hours a person holds
(double booking is a failed condition).

Partition `GROUP#<group>`: `SERIES` (gsi1 GROUPS / <type>#<group>: every series),
`MEMBER#<participant>` (a seat), `WAIT#<queued at>#<first participant>` (a waitlist entry, in
order), `OCC#<start>` (an occurrence's attendance) and `ATTENDEE#<start>#<participant>` (a
participant's attendance at one occurrence, pw PW#<participant>#<week> / <start>#<group>).

Partition `INTENSITY#<week>`: `PERSON#<participant>`, a participant's figures for the week.
Partition `FEED#<token hash>`: `FEED`, whose feed a secret link opens.
Partition `EMAIL#<email>`: `EMAIL`, the address's uniqueness claim.

Times in keys are `functions.common.models.iso` (UTC, to the second), so they sort.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from functions.common.models import iso
from functions.common.tables import DISCLOSURE_PARTITION
from functions.schedule.vocabulary import CareRole, GroupType, PersonKind

PK: Final = "pk"
SK: Final = "sk"
GSI1_PK: Final = "gsi1pk"
GSI1_SK: Final = "gsi1sk"
PW_PK: Final = "pw_pk"
PW_SK: Final = "pw_sk"
GSI1_PAGE_ATTRIBUTES: Final = frozenset({PK, SK, GSI1_PK, GSI1_SK})
"""A start key of a gsi1 Query (what a cursor over one carries)."""

Key = dict[str, str]
Ident = tuple[str, str]
"""An item's (pk, sk): how a batch read's items are found."""


class ItemKind(StrEnum):
    """The schedule table's items (see the module docstring), told apart by their key."""

    PERSON = "person"
    AVAILABILITY = "availability"
    CARE = "care"
    COUPLE_MEMBERSHIP = "couple_membership"
    CONSENT = "consent"
    COMMITMENTS = "commitments"
    FEED_POINTER = "feed_pointer"
    ENROLMENT = "enrolment"
    FACILITATION = "facilitation"
    GROUP_WEEK = "group_week"
    MAKEUP_OFFER = "makeup_offer"
    COUPLE = "couple"
    SESSION = "session"
    ROOM = "room"
    SESSION_MEMBER = "session_member"
    RESERVATION = "reservation"
    GROUP = "group"
    GROUP_MEMBER = "group_member"
    GROUP_WAIT = "group_wait"
    OCCURRENCE = "occurrence"
    GROUP_ATTENDEE = "group_attendee"
    INTENSITY = "intensity"
    FEED = "feed"
    EMAIL = "email"


_PERSON: Final = "PERSON"
_COUPLE: Final = "COUPLE"
_SESSION: Final = "SESSION"
_BUSY: Final = "BUSY"
_GROUP: Final = "GROUP"
_INTENSITY: Final = "INTENSITY"
_FEED: Final = "FEED"
_EMAIL: Final = "EMAIL"

_CARE: Final = "CARE"
_CONSENT: Final = "CONSENT"
_MAKEUP: Final = "MAKEUP"
_FACILITATES: Final = "FACILITATES"
_GROUPWEEK: Final = "GROUPWEEK"
_MEMBER: Final = "MEMBER"
_SLOT: Final = "SLOT"
_WAIT: Final = "WAIT"
_OCCURRENCE: Final = "OCC"
_ATTENDEE: Final = "ATTENDEE"

_PROFILE: Final = "PROFILE"
_AVAILABILITY: Final = "AVAILABILITY"
_COMMITMENTS: Final = "COMMITMENTS"
_SERIES: Final = "SERIES"
_ROOM: Final = "ROOM"
_GROUPS: Final = "GROUPS"

_WHOLE: Final[dict[tuple[str, str], ItemKind]] = {
    (_PERSON, _PROFILE): ItemKind.PERSON,
    (_PERSON, _AVAILABILITY): ItemKind.AVAILABILITY,
    (_PERSON, _COUPLE): ItemKind.COUPLE_MEMBERSHIP,
    (_PERSON, _COMMITMENTS): ItemKind.COMMITMENTS,
    (_PERSON, _FEED): ItemKind.FEED_POINTER,
    (_COUPLE, _PROFILE): ItemKind.COUPLE,
    (_SESSION, _SESSION): ItemKind.SESSION,
    (_SESSION, _ROOM): ItemKind.ROOM,
    (_GROUP, _SERIES): ItemKind.GROUP,
    (_FEED, _FEED): ItemKind.FEED,
    (_EMAIL, _EMAIL): ItemKind.EMAIL,
}
"""Kinds whose sort key is a word of its own, by (partition prefix, sort key)."""
_PREFIXED: Final[dict[tuple[str, str], ItemKind]] = {
    (_PERSON, _CARE): ItemKind.CARE,
    (_PERSON, _CONSENT): ItemKind.CONSENT,
    (_PERSON, _GROUP): ItemKind.ENROLMENT,
    (_PERSON, _FACILITATES): ItemKind.FACILITATION,
    (_PERSON, _GROUPWEEK): ItemKind.GROUP_WEEK,
    (_PERSON, _MAKEUP): ItemKind.MAKEUP_OFFER,
    (_SESSION, _MEMBER): ItemKind.SESSION_MEMBER,
    (_BUSY, _SLOT): ItemKind.RESERVATION,
    (_GROUP, _MEMBER): ItemKind.GROUP_MEMBER,
    (_GROUP, _WAIT): ItemKind.GROUP_WAIT,
    (_GROUP, _OCCURRENCE): ItemKind.OCCURRENCE,
    (_GROUP, _ATTENDEE): ItemKind.GROUP_ATTENDEE,
    (_INTENSITY, _PERSON): ItemKind.INTENSITY,
}
"""Kinds whose sort key is `<PREFIX>#<parts>`, by (partition prefix, sort key prefix)."""


def _join(*parts: str) -> str:
    return "#".join(parts)


def _key(pk: str, sk: str) -> Key:
    return {PK: pk, SK: sk}


def _prefix(word: str) -> str:
    return _join(word, "")


# --- partitions --------------------------------------------------------------------------------


def person_pk(person_id: str) -> str:
    return _join(_PERSON, person_id)


def couple_pk(couple_id: str) -> str:
    return _join(_COUPLE, couple_id)


def session_pk(session_id: str) -> str:
    return _join(_SESSION, session_id)


def busy_pk(person_id: str) -> str:
    return _join(_BUSY, person_id)


def group_pk(group_id: str) -> str:
    return _join(_GROUP, group_id)


def intensity_pk(week: str) -> str:
    return _join(_INTENSITY, week)


# --- a person's items --------------------------------------------------------------------------


def person_key(person_id: str) -> Key:
    return _key(person_pk(person_id), _PROFILE)


def availability_key(clinician_id: str) -> Key:
    return _key(person_pk(clinician_id), _AVAILABILITY)


def care_key(participant_id: str, role: CareRole) -> Key:
    return _key(person_pk(participant_id), _join(_CARE, role.value))


def couple_membership_key(participant_id: str) -> Key:
    return _key(person_pk(participant_id), _COUPLE)


def consent_key(participant_id: str, consent_id: str) -> Key:
    return _key(person_pk(participant_id), _join(_CONSENT, consent_id))


def commitments_key(person_id: str) -> Key:
    """The person's group commitments: one attribute per series they attend or lead, so a
    booking sees every group hour it must avoid in the batch read it already makes."""
    return _key(person_pk(person_id), _COMMITMENTS)


def commitment_attribute(group_id: str) -> str:
    """The commitments item's attribute for one series (an attribute name, not a key)."""
    return f"g_{group_id}"


def feed_pointer_key(person_id: str) -> Key:
    return _key(person_pk(person_id), _FEED)


def enrolment_key(participant_id: str, group_id: str) -> Key:
    return _key(person_pk(participant_id), _join(_GROUP, group_id))


def facilitation_key(clinician_id: str, group_id: str) -> Key:
    return _key(person_pk(clinician_id), _join(_FACILITATES, group_id))


def group_week_key(person_id: str, week: str) -> Key:
    return _key(person_pk(person_id), _join(_GROUPWEEK, week))


def makeup_offer_key(person_id: str, missed_session_id: str) -> Key:
    return _key(person_pk(person_id), _join(_MAKEUP, missed_session_id))


CONSENT_PREFIX: Final = _prefix(_CONSENT)
"""`begins_with` of a participant's consents."""
MAKEUP_PREFIX: Final = _prefix(_MAKEUP)
"""`begins_with` of a person's makeup offers."""
RELATIONS_RANGE: Final = (_prefix(_CARE), _COUPLE)
"""Sort keys BETWEEN these: a participant's care positions and couple pointer."""
READER_RANGE: Final = (_prefix(_CARE), _PROFILE)
"""Sort keys BETWEEN these: care, consents, couple, enrolments, facilitations, feed pointer,
group weeks, makeup offers and the profile (a reader's context in one Query)."""


GROUP_POINTERS: Final = frozenset({ItemKind.ENROLMENT, ItemKind.FACILITATION})
"""A person's items pointing at the group series they attend or lead (their weeks, their feed)."""


# --- couples, sessions, reservations -----------------------------------------------------------


def couple_key(couple_id: str) -> Key:
    return _key(couple_pk(couple_id), _PROFILE)


def session_key(session_id: str) -> Key:
    return _key(session_pk(session_id), _SESSION)


def room_key(session_id: str) -> Key:
    return _key(session_pk(session_id), _ROOM)


def session_member_key(session_id: str, person_id: str) -> Key:
    return _key(session_pk(session_id), _join(_MEMBER, person_id))


def reservation_key(person_id: str, slot: datetime) -> Key:
    return _key(busy_pk(person_id), _join(_SLOT, iso(slot)))


def reservation_range(start: datetime, end: datetime) -> tuple[str, str]:
    """Sort keys BETWEEN these: a person's reservations from `start` to `end`."""
    return _join(_SLOT, iso(start)), _join(_SLOT, iso(end))


def reservation_slot(key: Mapping[str, Any]) -> datetime:
    """The quarter-hour a reservation holds, read back from its key."""
    return datetime.fromisoformat(str(key[SK]).removeprefix(_prefix(_SLOT)))


# --- groups ------------------------------------------------------------------------------------


def group_key(group_id: str) -> Key:
    return _key(group_pk(group_id), _SERIES)


def group_member_key(group_id: str, participant_id: str) -> Key:
    return _key(group_pk(group_id), _join(_MEMBER, participant_id))


def wait_sort_key(queued_at: str, first_participant_id: str) -> str:
    """A waitlist entry's sort key: entries sort in the order they queued."""
    return _join(_WAIT, queued_at, first_participant_id)


def wait_key(group_id: str, wait_sk: str) -> Key:
    """A waitlist entry, from the sort key its participants' enrolments keep (`wait_sk`)."""
    return _key(group_pk(group_id), wait_sk)


def occurrence_key(group_id: str, start: datetime) -> Key:
    return _key(group_pk(group_id), _join(_OCCURRENCE, iso(start)))


def group_attendee_key(group_id: str, occurrence_start: datetime, participant_id: str) -> Key:
    return _key(group_pk(group_id), _join(_ATTENDEE, iso(occurrence_start), participant_id))


ROSTER_RANGE: Final = (_prefix(_MEMBER), _join(_WAIT, "~"))
"""Sort keys BETWEEN these: a group's seats, its series and its waitlist (SERIES sorts between)."""


# --- intensity, feeds, emails ------------------------------------------------------------------


def intensity_key(week: str, participant_id: str) -> Key:
    return _key(intensity_pk(week), person_pk(participant_id))


def feed_key(token_hash: str) -> Key:
    return _key(_join(_FEED, token_hash), _FEED)


def email_key(email: str) -> Key:
    return _key(_join(_EMAIL, email), _EMAIL)


# --- index attributes --------------------------------------------------------------------------


def kind_bucket(kind: PersonKind) -> str:
    """gsi1: every person of a kind."""
    return _join("KIND", kind.value)


def person_index(kind: PersonKind, display_name: str, person_id: str) -> Key:
    """A profile's gsi1 attributes: people by kind, by name."""
    return {GSI1_PK: kind_bucket(kind), GSI1_SK: _join(display_name.casefold(), person_id)}


def caseload_pk(clinician_id: str) -> str:
    """gsi1: a clinician's caseload (care positions and couples they treat)."""
    return _join("CASELOAD", clinician_id)


def caseload_index(clinician_id: str, participant_id: str, role: CareRole) -> Key:
    return {GSI1_PK: caseload_pk(clinician_id), GSI1_SK: _join(_PERSON, participant_id, role.value)}


GROUPS_BUCKET: Final = _GROUPS
"""gsi1: every group series."""


def groups_index(group_type: GroupType, group_id: str) -> Key:
    return {GSI1_PK: GROUPS_BUCKET, GSI1_SK: _join(group_type.value, group_id)}


def schedule_pk(person_id: str) -> str:
    """gsi1: a person's sessions by time, then their groups (their calendar feed)."""
    return _join("SCHED", person_id)


def schedule_session_index(person_id: str, start: datetime, session_id: str) -> Key:
    return {GSI1_PK: schedule_pk(person_id), GSI1_SK: _join(iso(start), session_id)}


def schedule_group_sk(group_id: str) -> str:
    """After every session time in `SCHED#<person>`: a feed from any time reads the groups."""
    return _join("~GROUP", group_id)


def schedule_from(since: datetime) -> str:
    """gsi1 sort keys from this one on: a person's sessions from `since` (and their groups)."""
    return iso(since)


def week_pk(person_id: str, week: str) -> str:
    """The participant/week index: a person's ISO week (in their zone)."""
    return _join("PW", person_id, week)


def session_week_index(person_id: str, week: str, start: datetime, session_id: str) -> Key:
    return {PW_PK: week_pk(person_id, week), PW_SK: _join(iso(start), session_id)}


def group_week_index(person_id: str, week: str) -> Key:
    """After the week's sessions."""
    return {PW_PK: week_pk(person_id, week), PW_SK: _join("~GROUPS", week)}


def group_attendance_week_index(person_id: str, week: str, occurrence_start: datetime, group_id: str) -> Key:
    return {PW_PK: week_pk(person_id, week), PW_SK: _join(iso(occurrence_start), group_id)}


# --- reading keys back -------------------------------------------------------------------------


def ident(key: Mapping[str, Any]) -> Ident:
    """An item's or key's (pk, sk)."""
    return str(key[PK]), str(key[SK])


def primary_key(item: Mapping[str, Any]) -> Key:
    """An item's key alone (its other attributes dropped)."""
    return _key(str(item[PK]), str(item[SK]))


def sort_key(item: Mapping[str, Any]) -> str:
    return str(item[SK])


def kind_of(key: Mapping[str, Any]) -> ItemKind | None:
    """What an item (or a key) is, from its key; None for a key of no schedule item."""
    partition, _, _ = str(key.get(PK, "")).partition("#")
    sort = str(key.get(SK, ""))
    whole = _WHOLE.get((partition, sort))
    if whole is not None:
        return whole
    prefix, hash_, _ = sort.partition("#")
    return _PREFIXED.get((partition, prefix)) if hash_ else None


def owner_of(key: Mapping[str, Any]) -> str:
    """The id a partition belongs to (`PERSON#<person>` -> the person; `BUSY#<person>` ...)."""
    return str(key[PK]).partition("#")[2]


def in_person_partition(item: Mapping[str, Any], person_id: str) -> bool:
    return item.get(PK) == person_pk(person_id)


def is_disclosure_start(start: Mapping[str, Any], subject_id: str) -> bool:
    """Whether a start key is in the subject's disclosure list of the audit table (whose layout
    is `functions/common/audit.py`'s: only its partition is checked here)."""
    return start.get(PK) == DISCLOSURE_PARTITION + subject_id


def audit_sort_key(start: Mapping[str, Any]) -> str:
    """The sort key (the entry's time) of an audit table start key."""
    return str(start[SK])
