"""Scheduling's domain vocabulary: the one place these words are spelt."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from functions.common.part2 import Sensitivity as Sensitivity  # shared with coverage


class PersonKind(StrEnum):
    PARTICIPANT = "participant"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"


class AgeGroup(StrEnum):
    """ASAM level 2.1 intensity differs: adults 9-19 h/week, adolescents 6-19 h/week."""

    ADULT = "adult"
    ADOLESCENT = "adolescent"


class ClinicianRole(StrEnum):
    INDIVIDUAL_THERAPIST = "individual_therapist"
    COUPLES_THERAPIST = "couples_therapist"
    SUBSTANCE_USE_COUNSELOR = "substance_use_counselor"
    PRESCRIBER = "prescriber"
    GROUP_FACILITATOR = "group_facilitator"


class SessionType(StrEnum):
    INDIVIDUAL = "individual"
    COUPLES = "couples"
    SUBSTANCE_USE_COUNSELING = "substance_use_counseling"
    MEDICATION_MANAGEMENT = "medication_management"
    MEDICAL_CONSULTATION = "medical_consultation"
    CHECK_IN = "check_in"


class GroupType(StrEnum):
    PSYCHOEDUCATION = "psychoeducation"
    CBT_SKILLS = "cbt_skills"
    MINDFULNESS = "mindfulness"
    PEER_SUPPORT = "peer_support"
    ART_THERAPY = "art_therapy"
    SOBER_ACTIVITY = "sober_activity"


PART2_TYPES: frozenset[SessionType | GroupType] = frozenset(
    {SessionType.SUBSTANCE_USE_COUNSELING, GroupType.SOBER_ACTIVITY}
)
"""Part 2 whatever the program says; `PART2_EXTRA_TYPES` adds to these, never removes."""


class ConsentSource(StrEnum):
    """How a Part 2 consent reached Tandem."""

    ELECTRONIC = "electronic"
    """Signed by the participant in the app (their attestation, timed by the server)."""
    PAPER = "paper"
    """Signed on paper and recorded by a coordinator, with the document's reference."""


class ConsentScope(StrEnum):
    """What a Part 2 consent lets its recipients see."""

    PART2_SCHEDULE = "part2_schedule"
    """The participant's Part 2 schedule items in full (type, clinician, time)."""


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"


EVENING_FROM_HOUR = 17
"""An occurrence starting at or after this local hour is an evening group."""


class SessionStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    LATE_CANCELLED = "late_cancelled"


class SessionEvent(StrEnum):
    """The lifecycle change a session item's latest write stands for (read off the stream)."""

    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    ATTENDANCE_RECORDED = "attendance_recorded"


class AttendanceStatus(StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"
    EXCUSED = "excused"


MISSED = frozenset({AttendanceStatus.NO_SHOW, AttendanceStatus.LATE_CANCEL})


class MakeupKind(StrEnum):
    MAKEUP_SESSION = "makeup_session"
    """A slot the same ISO week with the same clinician (individual and couples work)."""
    CHECK_IN = "check_in"
    """A one-on-one check-in, offered for every miss."""
    RECORDING = "recording"
    """A group workshop's recording."""
    GROUP_OCCURRENCE = "group_occurrence"
    """The next occurrence of a group of the same type that has a free seat."""


class JoinMode(StrEnum):
    """Whether a couple usually joins joint sessions from one place (one join) or two."""

    ONE_LOCATION = "one_location"
    TWO_LOCATIONS = "two_locations"


class CareRole(StrEnum):
    """A participant's care team positions (the couples therapist comes from the couple)."""

    INDIVIDUAL_THERAPIST = "individual_therapist"
    SUBSTANCE_USE_COUNSELOR = "substance_use_counselor"
    PRESCRIBER = "prescriber"
    COUPLES_THERAPIST = "couples_therapist"


# Which clinician role may lead each session type.
REQUIRED_ROLE: dict[SessionType, frozenset[ClinicianRole]] = {
    SessionType.INDIVIDUAL: frozenset({ClinicianRole.INDIVIDUAL_THERAPIST}),
    SessionType.COUPLES: frozenset({ClinicianRole.COUPLES_THERAPIST}),
    SessionType.SUBSTANCE_USE_COUNSELING: frozenset({ClinicianRole.SUBSTANCE_USE_COUNSELOR}),
    SessionType.MEDICATION_MANAGEMENT: frozenset({ClinicianRole.PRESCRIBER}),
    SessionType.MEDICAL_CONSULTATION: frozenset({ClinicianRole.PRESCRIBER}),
    SessionType.CHECK_IN: frozenset(ClinicianRole),
}

# Usual lengths (the billing codes the payers contract per service assume these).
DEFAULT_DURATION: dict[SessionType, timedelta] = {
    SessionType.INDIVIDUAL: timedelta(minutes=60),
    SessionType.COUPLES: timedelta(minutes=60),
    SessionType.SUBSTANCE_USE_COUNSELING: timedelta(minutes=60),
    SessionType.MEDICATION_MANAGEMENT: timedelta(minutes=30),
    SessionType.MEDICAL_CONSULTATION: timedelta(minutes=30),
    SessionType.CHECK_IN: timedelta(minutes=20),
}

# Program intensity defaults (ASAM level 2.1 IOP).
PROGRAM_SESSIONS_PER_WEEK = (3, 5)
ASAM_HOURS_PER_WEEK: dict[AgeGroup, tuple[int, int]] = {
    AgeGroup.ADULT: (9, 19),
    AgeGroup.ADOLESCENT: (6, 19),
}

# Entity type names, stored as `entity` on every item (stream consumers filter on them).
ENTITY_PERSON = "PERSON"
ENTITY_EMAIL = "EMAIL"
ENTITY_SESSION = "SESSION"
ENTITY_SESSION_MEMBER = "SESSION_MEMBER"
ENTITY_RESERVATION = "RESERVATION"
ENTITY_AVAILABILITY = "AVAILABILITY"
ENTITY_CARE_TEAM = "CARE_TEAM"
ENTITY_COUPLE = "COUPLE"
ENTITY_COUPLE_MEMBERSHIP = "COUPLE_MEMBERSHIP"
ENTITY_ROOM = "ROOM"
ENTITY_MAKEUP_OFFER = "MAKEUP_OFFER"
ENTITY_GROUP = "GROUP"
ENTITY_GROUP_MEMBER = "GROUP_MEMBER"
ENTITY_GROUP_WAIT = "GROUP_WAIT"
ENTITY_GROUP_ENROLMENT = "GROUP_ENROLMENT"
ENTITY_GROUP_FACILITATION = "GROUP_FACILITATION"
ENTITY_INTENSITY = "INTENSITY"
ENTITY_FEED = "CALENDAR_FEED"
ENTITY_GROUP_ATTENDANCE = "GROUP_ATTENDANCE"
ENTITY_COMMITMENTS = "GROUP_COMMITMENTS"
ENTITY_GROUP_WEEK = "GROUP_WEEK"
"""A participant's group occurrences of one week, filed in their week for the coverage
function (which reads only the participant/week index)."""
ENTITY_PART2_CONSENT = "PART2_CONSENT"
"""A participant's consent to share their Part 2 records, in their own partition (so the
read of their profile and care team also reads it)."""
ENTITY_GROUP_ATTENDEE = "GROUP_ATTENDEE"
"""A participant's attendance at one group occurrence, in their week (intensity)."""
