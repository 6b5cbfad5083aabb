"""The schedule table's stored items: one record class per entity, each with its key and
its attributes (mapped explicitly, so a stored attribute never leaks into a response by
accident), and a person's copy of a session for their week."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from functions.common.models import StoredRecord, iso
from functions.schedule import keys
from functions.schedule.models.availability import TimeOff, WeeklyWindow
from functions.schedule.models.makeups import MakeupOfferOut, MakeupOption
from functions.schedule.models.people import TreatmentPlan
from functions.schedule.vocabulary import (
    ENTITY_AVAILABILITY,
    ENTITY_CARE_TEAM,
    ENTITY_COUPLE,
    ENTITY_COUPLE_MEMBERSHIP,
    ENTITY_GROUP,
    ENTITY_MAKEUP_OFFER,
    ENTITY_PART2_CONSENT,
    ENTITY_PERSON,
    ENTITY_SESSION,
    ENTITY_SESSION_MEMBER,
    AgeGroup,
    AttendanceStatus,
    CareRole,
    ClinicianRole,
    ConsentScope,
    ConsentSource,
    GroupType,
    JoinMode,
    PersonKind,
    SessionEvent,
    SessionStatus,
    SessionType,
)

# --- people ---------------------------------------------------------------------------------


class PersonRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    person_id: str
    kind: PersonKind
    display_name: str
    email: str
    phone: str | None = None
    time_zone: str
    state: str | None = None
    age_group: AgeGroup | None = None
    treatment_plan: TreatmentPlan | None = None
    roles: list[ClinicianRole] | None = None
    licensed_states: list[str] | None = None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    invited_at: datetime | None = None
    """When their sign-in account was created and the invitation last sent; None: no account yet."""
    deactivated_at: datetime | None = None
    """Discharged or departed: sign-in disabled, records kept; None while active."""

    @staticmethod
    def key(person_id: str) -> dict[str, str]:
        return keys.person_key(person_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id),
            "entity": ENTITY_PERSON,
            **keys.person_index(self.kind, self.display_name, self.person_id),
            "person_id": self.person_id,
            "kind": self.kind.value,
            "display_name": self.display_name,
            "email": self.email,
            "phone": self.phone,
            "time_zone": self.time_zone,
            "state": self.state,
            "age_group": self.age_group.value if self.age_group else None,
            "treatment_plan": self.treatment_plan.model_dump(mode="json") if self.treatment_plan else None,
            "roles": [r.value for r in self.roles] if self.roles else None,
            "licensed_states": self.licensed_states,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "version": self.version,
            "invited_at": iso(self.invited_at) if self.invited_at else None,
            "deactivated_at": iso(self.deactivated_at) if self.deactivated_at else None,
        }


# --- clinician availability -----------------------------------------------------------------


class AvailabilityRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    clinician_id: str
    weekly: list[WeeklyWindow]
    time_off: list[TimeOff]
    updated_at: datetime
    version: int

    @staticmethod
    def key(clinician_id: str) -> dict[str, str]:
        return keys.availability_key(clinician_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.clinician_id),
            "entity": ENTITY_AVAILABILITY,
            "clinician_id": self.clinician_id,
            "weekly": [w.model_dump(mode="json") for w in self.weekly],
            "time_off": [t.model_dump(mode="json") for t in self.time_off],
            "updated_at": iso(self.updated_at),
            "version": self.version,
        }


# --- care teams and couples -----------------------------------------------------------------


class CareAssignment(BaseModel):
    """One clinician's position on one participant's care team (one item each: caseload index)."""

    model_config = ConfigDict(frozen=True)

    participant_id: str
    role: CareRole
    clinician_id: str

    @staticmethod
    def key(participant_id: str, role: CareRole) -> dict[str, str]:
        return keys.care_key(participant_id, role)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.participant_id, self.role),
            "entity": ENTITY_CARE_TEAM,
            **keys.caseload_index(self.clinician_id, self.participant_id, self.role),
            "participant_id": self.participant_id,
            "role": self.role.value,
            "clinician_id": self.clinician_id,
        }


class CoupleRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    couple_id: str
    partner_ids: tuple[str, str]
    couples_therapist_id: str
    join_mode: JoinMode
    created_at: datetime
    version: int = 1

    @staticmethod
    def key(couple_id: str) -> dict[str, str]:
        return keys.couple_key(couple_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.couple_id),
            "entity": ENTITY_COUPLE,
            "couple_id": self.couple_id,
            "partner_ids": list(self.partner_ids),
            "couples_therapist_id": self.couples_therapist_id,
            "join_mode": self.join_mode.value,
            "created_at": iso(self.created_at),
            "version": self.version,
        }

    def membership_attributes(self, participant_id: str) -> dict[str, Any]:
        """The partner's pointer to the couple: one per partner, and the couples therapist's
        caseload entry for them."""
        partner = next(p for p in self.partner_ids if p != participant_id)
        return {
            **keys.couple_membership_key(participant_id),
            "entity": ENTITY_COUPLE_MEMBERSHIP,
            **keys.caseload_index(self.couples_therapist_id, participant_id, CareRole.COUPLES_THERAPIST),
            "participant_id": participant_id,
            "couple_id": self.couple_id,
            "partner_id": partner,
            "couples_therapist_id": self.couples_therapist_id,
            "join_mode": self.join_mode.value,
        }


# --- sessions -------------------------------------------------------------------------------


class SessionRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    session_id: str
    type: SessionType
    status: SessionStatus = SessionStatus.BOOKED
    event: SessionEvent = SessionEvent.BOOKED
    start: datetime
    end: datetime
    clinician_ids: tuple[str, ...]
    attendee_ids: tuple[str, ...]
    couple_id: str | None = None
    join_mode: JoinMode | None = None
    """Couples sessions: whether the partners share one join (one location) or have two."""
    time_zones: dict[str, str] = Field(default_factory=dict, description="person id -> IANA zone at booking")
    buffer_minutes: int = 0
    cancel_reason: str | None = None
    attendance: dict[str, AttendanceStatus] = Field(default_factory=dict)
    private: bool = False
    """Individual work the participant keeps out of joint views (`logic/sensitivity.py`)."""
    created_by: str
    updated_at: datetime
    version: int = 1

    @property
    def people(self) -> tuple[str, ...]:
        return (*self.clinician_ids, *self.attendee_ids)

    @staticmethod
    def key(session_id: str) -> dict[str, str]:
        return keys.session_key(session_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.session_id),
            "entity": ENTITY_SESSION,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            "updated_at": iso(self.updated_at),
        }


def member_attributes(session: SessionRecord, person_id: str, week: str) -> dict[str, Any]:
    """A person's copy of a session for their week (the participant/week index)."""
    return {
        **keys.session_member_key(session.session_id, person_id),
        "entity": ENTITY_SESSION_MEMBER,
        **keys.session_week_index(person_id, week, session.start, session.session_id),
        # A person's sessions by time, across weeks (their calendar feed).
        **keys.schedule_session_index(person_id, session.start, session.session_id),
        "person_id": person_id,
        "role": "clinician" if person_id in session.clinician_ids else "attendee",
        "session_id": session.session_id,
        "type": session.type.value,
        "status": session.status.value,
        "start": iso(session.start),
        "end": iso(session.end),
        "time_zone": session.time_zones.get(person_id, "UTC"),
        "attendance": session.attendance.get(person_id),
        "clinician_ids": list(session.clinician_ids),
        "attendee_ids": list(session.attendee_ids),
        "couple_id": session.couple_id,
        "private": session.private,
    }


# --- makeups --------------------------------------------------------------------------------


class MakeupOfferRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    person_id: str
    missed_session_id: str
    missed_type: str
    week: str
    options: list[MakeupOption]
    status: str = "open"
    accepted_session_id: str | None = None
    created_at: datetime
    version: int = 1
    private: bool = False
    """The missed session was private: the makeup or check-in booked from this offer is too."""

    @staticmethod
    def key(person_id: str, missed_session_id: str) -> dict[str, str]:
        return keys.makeup_offer_key(person_id, missed_session_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id, self.missed_session_id),
            "entity": ENTITY_MAKEUP_OFFER,
            **self.model_dump(mode="json"),
            "created_at": iso(self.created_at),
        }

    def out(self) -> MakeupOfferOut:
        return MakeupOfferOut(
            missed_session_id=self.missed_session_id,
            missed_type=self.missed_type,
            week=self.week,
            status=self.status,
            options=self.options,
            accepted_session_id=self.accepted_session_id,
            created_at=self.created_at,
        )


# --- groups ---------------------------------------------------------------------------------


class GroupRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    group_id: str
    type: GroupType
    title: str
    facilitator_id: str
    rrule: str
    first_start: datetime
    time_zone: str
    duration_minutes: int
    capacity: int
    seats_taken: int = 0
    waitlisted: int = 0
    evening: bool
    weekend: bool
    recording: bool
    created_at: datetime
    version: int = 1

    @staticmethod
    def key(group_id: str) -> dict[str, str]:
        return keys.group_key(group_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.group_id),
            "entity": ENTITY_GROUP,
            **keys.groups_index(self.type, self.group_id),
            **self.model_dump(mode="json"),
            "first_start": self.first_start.isoformat(),
            "created_at": iso(self.created_at),
        }

    def commitment(self) -> dict[str, Any]:
        """What a person's commitments item keeps of the series: enough to expand it."""
        attributes = self.schedule_attributes()
        del attributes[keys.GSI1_SK]
        return attributes

    def schedule_attributes(self) -> dict[str, Any]:
        """What a participant's enrolment carries so their week is read without the series."""
        return {
            keys.GSI1_SK: keys.schedule_group_sk(self.group_id),
            "group_id": self.group_id,
            "group_type": self.type.value,
            "title": self.title,
            "facilitator_id": self.facilitator_id,
            "rrule": self.rrule,
            "first_start": self.first_start.isoformat(),
            "time_zone": self.time_zone,
            "duration_minutes": self.duration_minutes,
        }


# --- Part 2 consents ------------------------------------------------------------------------


class Part2ConsentRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    consent_id: str
    participant_id: str
    recipient_ids: list[str]
    recipient_roles: list[CareRole]
    scope: ConsentScope
    purpose: str
    expires_on: date | None = None
    expiry_event: str | None = None
    source: ConsentSource
    document_reference: str | None = None
    signed_on: date | None = None
    attested_at: datetime
    recorded_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    version: int = 1

    @staticmethod
    def key(participant_id: str, consent_id: str) -> dict[str, str]:
        return keys.consent_key(participant_id, consent_id)

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.participant_id, self.consent_id),
            "entity": ENTITY_PART2_CONSENT,
            **self.model_dump(mode="json"),
            "attested_at": iso(self.attested_at),
            "revoked_at": iso(self.revoked_at) if self.revoked_at else None,
        }
