"""Scheduling's shapes: input (requests), output (responses) and stored (items), mapped
explicitly so a stored attribute never leaks into a response by accident."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from functions.common.models import (
    ISO_WEEK_PATTERN,
    SCHEDULING_AHEAD,
    SCHEDULING_PAST,
    DisplayName,
    Email,
    LocalTime,
    MultiLine,
    PhoneE164,
    ResourceId,
    SchedulingInstant,
    SingleLine,
    StoredRecord,
    TimeZone,
    UsState,
    iso,
    utc_now,
)
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
    EnrolmentStatus,
    GroupType,
    JoinMode,
    MakeupKind,
    PersonKind,
    Sensitivity,
    SessionEvent,
    SessionStatus,
    SessionType,
)

# --- people: input --------------------------------------------------------------------------


class TreatmentPlan(BaseModel):
    """A participant's weekly intensity: sessions and hours (ASAM level 2.1 bounds apply)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sessions_per_week_min: int = Field(ge=1, le=14)
    sessions_per_week_max: int = Field(ge=1, le=14)
    hours_per_week_min: float = Field(ge=0, le=40)
    hours_per_week_max: float = Field(ge=0, le=40)
    needs_substance_use_counseling: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> TreatmentPlan:
        if self.sessions_per_week_min > self.sessions_per_week_max:
            raise ValueError("sessions_per_week_min is above sessions_per_week_max")
        if self.hours_per_week_min > self.hours_per_week_max:
            raise ValueError("hours_per_week_min is above hours_per_week_max")
        return self


class TreatmentPlanOut(TreatmentPlan):
    """A treatment plan as a reader sees it: that the participant needs substance-use counseling
    is Part 2 (42 CFR Part 2), so it is null to readers who do not see their Part 2 items."""

    needs_substance_use_counseling: bool | None = Field(  # type: ignore[assignment]
        default=False,
        description="Null when the reader may not see the participant's Part 2 records "
        "(see `functions/schedule/logic/sensitivity.py`).",
    )


ClinicianRoles = Annotated[list[ClinicianRole], Field(min_length=1, max_length=len(ClinicianRole))]
LicensedStates = Annotated[list[UsState], Field(min_length=1, max_length=60)]


class PersonCreate(BaseModel):
    """A person joining the program: participant, clinician or coordinator."""

    model_config = ConfigDict(extra="forbid")

    kind: PersonKind
    display_name: DisplayName
    email: Email
    phone: PhoneE164 | None = None
    time_zone: TimeZone
    state: UsState | None = Field(
        default=None, description="Participants: the state they are located in (telehealth licensure)."
    )
    age_group: AgeGroup | None = Field(default=None, description="Participants only.")
    treatment_plan: TreatmentPlan | None = Field(
        default=None, description="Participants only; the program default for the age group when left out."
    )
    roles: ClinicianRoles | None = Field(default=None, description="Clinicians only (at least one).")
    licensed_states: LicensedStates | None = Field(
        default=None, description="Clinicians only: the states they may treat participants located in."
    )

    @model_validator(mode="after")
    def _fields_of_kind(self) -> PersonCreate:
        participant_only = ("state", "age_group", "treatment_plan")
        clinician_only = ("roles", "licensed_states")
        if self.kind is PersonKind.PARTICIPANT:
            missing = [name for name in ("state", "age_group") if getattr(self, name) is None]
            if missing:
                raise ValueError("participants need " + " and ".join(missing))
        if self.kind is PersonKind.CLINICIAN:
            missing = [name for name in clinician_only if getattr(self, name) is None]
            if missing:
                raise ValueError("clinicians need " + " and ".join(missing))
        allowed = {
            PersonKind.PARTICIPANT: participant_only,
            PersonKind.CLINICIAN: clinician_only,
            PersonKind.COORDINATOR: (),
        }[self.kind]
        stray = [n for n in (*participant_only, *clinician_only) if n not in allowed and getattr(self, n)]
        # `state` is also the home state of staff, so only the clinical fields are refused.
        stray = [n for n in stray if n != "state"]
        if stray:
            raise ValueError(f"{', '.join(stray)} do not apply to a {self.kind.value}")
        return self


class PersonPatch(BaseModel):
    """A partial update; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName | None = None
    email: Email | None = None
    phone: PhoneE164 | None = None
    time_zone: TimeZone | None = None
    state: UsState | None = None
    age_group: AgeGroup | None = None
    treatment_plan: TreatmentPlan | None = None
    roles: ClinicianRoles | None = None
    licensed_states: LicensedStates | None = None

    @field_validator(
        "display_name",
        "email",
        "time_zone",
        "state",
        "age_group",
        "treatment_plan",
        "roles",
        "licensed_states",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Only `phone` may be cleared; the others can be changed but never removed.
        if value is None:
            raise ValueError("may be changed but not cleared")
        return value

    def changed_fields(self) -> set[str]:
        return set(self.model_dump(exclude_unset=True))


# --- people: output -------------------------------------------------------------------------


class AccountOut(BaseModel):
    """A person's sign-in account."""

    status: Literal["none", "invited", "deactivated"] = Field(
        description="`none`: no account yet (send the invitation); `invited`: the account exists "
        "and its invitation went out at `invited_at` (whether or not they have signed in since); "
        "`deactivated`: sign-in disabled at `deactivated_at`, records kept."
    )
    invited_at: datetime | None = None
    deactivated_at: datetime | None = None


class PersonOut(BaseModel):
    person_id: str
    kind: PersonKind
    display_name: str
    email: str
    phone: str | None = None
    time_zone: str
    state: str | None = None
    age_group: AgeGroup | None = None
    treatment_plan: TreatmentPlanOut | None = None
    roles: list[ClinicianRole] | None = None
    licensed_states: list[str] | None = None
    account: AccountOut
    created_at: datetime
    updated_at: datetime


class PeoplePage(BaseModel):
    items: list[PersonOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")


class Health(BaseModel):
    status: str


# --- people: stored -------------------------------------------------------------------------


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
        return {"pk": f"PERSON#{person_id}", "sk": "PROFILE"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.person_id),
            "entity": ENTITY_PERSON,
            "gsi1pk": f"KIND#{self.kind.value}",
            "gsi1sk": f"{self.display_name.casefold()}#{self.person_id}",
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

Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday (ISO order, from 0).")]


class WeeklyWindow(BaseModel):
    """A recurring window of availability in the clinician's own time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: Weekday
    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyWindow:
        if self.end <= self.start:
            raise ValueError("end must be after start (windows do not cross midnight; split them)")
        return self


class TimeOff(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: SchedulingInstant
    end: SchedulingInstant

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekly: list[WeeklyWindow] = Field(max_length=70)
    time_off: list[TimeOff] = Field(default_factory=list, max_length=200)


class AvailabilityOut(AvailabilityIn):
    clinician_id: str
    time_zone: str
    updated_at: datetime | None = None


class AvailabilityRecord(StoredRecord):
    model_config = ConfigDict(frozen=True)

    clinician_id: str
    weekly: list[WeeklyWindow]
    time_off: list[TimeOff]
    updated_at: datetime
    version: int

    @staticmethod
    def key(clinician_id: str) -> dict[str, str]:
        return {"pk": f"PERSON#{clinician_id}", "sk": "AVAILABILITY"}

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


class CareTeamIn(BaseModel):
    """A participant's own clinicians (the couples therapist is set on the couple)."""

    model_config = ConfigDict(extra="forbid")

    individual_therapist_id: ResourceId | None = None
    substance_use_counselor_id: ResourceId | None = None
    prescriber_id: ResourceId | None = None

    def assignments(self) -> dict[CareRole, str]:
        pairs = {
            CareRole.INDIVIDUAL_THERAPIST: self.individual_therapist_id,
            CareRole.SUBSTANCE_USE_COUNSELOR: self.substance_use_counselor_id,
            CareRole.PRESCRIBER: self.prescriber_id,
        }
        return {role: clinician for role, clinician in pairs.items() if clinician}


class CareTeamOut(BaseModel):
    participant_id: str
    individual_therapist_id: str | None = None
    couples_therapist_id: str | None = None
    substance_use_counselor_id: str | None = None
    prescriber_id: str | None = None
    couple_id: str | None = None
    partner_id: str | None = None


class CareAssignment(BaseModel):
    """One clinician's position on one participant's care team (one item each: caseload index)."""

    model_config = ConfigDict(frozen=True)

    participant_id: str
    role: CareRole
    clinician_id: str

    @staticmethod
    def key(participant_id: str, role: CareRole) -> dict[str, str]:
        return {"pk": f"PERSON#{participant_id}", "sk": f"CARE#{role.value}"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.participant_id, self.role),
            "entity": ENTITY_CARE_TEAM,
            "gsi1pk": f"CASELOAD#{self.clinician_id}",
            "gsi1sk": f"PERSON#{self.participant_id}#{self.role.value}",
            "participant_id": self.participant_id,
            "role": self.role.value,
            "clinician_id": self.clinician_id,
        }


class CoupleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    partner_ids: Annotated[list[ResourceId], Field(min_length=2, max_length=2)]
    couples_therapist_id: ResourceId
    join_mode: JoinMode = JoinMode.ONE_LOCATION

    @field_validator("partner_ids")
    @classmethod
    def _two_people(cls, value: list[str]) -> list[str]:
        if value[0] == value[1]:
            raise ValueError("a couple is two different participants")
        return value


class CoupleUpdate(BaseModel):
    """Change a couple's couples therapist or how they usually join (PATCH: only what is sent)."""

    model_config = ConfigDict(extra="forbid")

    couples_therapist_id: ResourceId | None = None
    join_mode: JoinMode | None = Field(
        default=None, description="Applies to every session joined from now on, booked or not."
    )

    @model_validator(mode="after")
    def _something(self) -> CoupleUpdate:
        if self.couples_therapist_id is None and self.join_mode is None:
            raise ValueError("send couples_therapist_id, join_mode or both")
        return self


class CoupleOut(BaseModel):
    couple_id: str
    partner_ids: list[str]
    couples_therapist_id: str
    join_mode: JoinMode
    created_at: datetime


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
        return {"pk": f"COUPLE#{couple_id}", "sk": "PROFILE"}

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
            "pk": f"PERSON#{participant_id}",
            "sk": "COUPLE",
            "entity": ENTITY_COUPLE_MEMBERSHIP,
            "gsi1pk": f"CASELOAD#{self.couples_therapist_id}",
            "gsi1sk": f"PERSON#{participant_id}#{CareRole.COUPLES_THERAPIST.value}",
            "participant_id": participant_id,
            "couple_id": self.couple_id,
            "partner_id": partner,
            "couples_therapist_id": self.couples_therapist_id,
            "join_mode": self.join_mode.value,
        }


# --- sessions -------------------------------------------------------------------------------


class SessionCreate(BaseModel):
    """Book one session. `start` is RFC 3339 with an offset, on a quarter-hour."""

    model_config = ConfigDict(extra="forbid")

    type: SessionType
    start: SchedulingInstant
    duration_minutes: int | None = Field(
        default=None,
        ge=10,
        le=180,
        multiple_of=5,
        description="Defaults to the usual length of the session type.",
    )
    clinician_id: ResourceId
    attendee_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)]
    couple_id: ResourceId | None = Field(default=None, description="Required for couples sessions.")
    private: bool = Field(
        default=False,
        description="Individual work the participant keeps private (not couples sessions): "
        "see `PUT /sessions/{session_id}/privacy`.",
    )

    @field_validator("attendee_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("attendees must be different people")
        return value


class SessionPrivacy(BaseModel):
    """Mark a participant's individual session private, or no longer private."""

    model_config = ConfigDict(extra="forbid")

    private: bool = Field(
        description="True: only the participant, the session's clinicians and coordinators see it "
        "in full; the rest of the care team (the couples therapist) sees busy time, and no "
        "joint view shows it."
    )


class SessionReschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: SchedulingInstant
    duration_minutes: int | None = Field(default=None, ge=10, le=180, multiple_of=5)


class SessionCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[MultiLine, Field(max_length=200)] | None = Field(
        default=None, description="Free text kept with the session; never sent in notifications."
    )


class SessionOut(BaseModel):
    session_id: str
    type: SessionType
    status: SessionStatus
    start: datetime
    end: datetime
    clinician_ids: list[str]
    attendee_ids: list[str]
    couple_id: str | None = None
    late_cancel: bool = False
    attendance: dict[str, AttendanceStatus] = Field(
        default_factory=dict, description="Per attendee; a participant sees only their own entry."
    )
    private: bool = Field(
        default=False, description="The participant keeps this individual session out of joint views."
    )


class AttendanceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: ResourceId
    status: AttendanceStatus


class AttendanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: Annotated[list[AttendanceEntry], Field(min_length=1, max_length=2)]

    @field_validator("records")
    @classmethod
    def _one_each(cls, value: list[AttendanceEntry]) -> list[AttendanceEntry]:
        if len({r.person_id for r in value}) != len(value):
            raise ValueError("one record per attendee")
        return value


class MakeupOption(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MakeupKind
    clinician_id: str | None = None
    session_type: SessionType | None = None
    attendee_ids: list[str] = Field(default_factory=list)
    couple_id: str | None = None
    group_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class MakeupOfferOut(BaseModel):
    missed_session_id: str
    missed_type: str
    week: str
    status: str
    options: list[MakeupOption]
    accepted_session_id: str | None = None
    created_at: datetime


class MakeupOfferList(BaseModel):
    items: list[MakeupOfferOut]


class MakeupAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    option: int = Field(ge=0, le=20, description="Index of the chosen option in `options`.")


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
        return {"pk": f"PERSON#{person_id}", "sk": f"MAKEUP#{missed_session_id}"}

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


class GroupCreate(BaseModel):
    """A recurring group. `first_start` is the first occurrence's local time (with offset);
    the RRULE (RFC 5545, FREQ=DAILY or WEEKLY) repeats it on that zone's wall clock."""

    model_config = ConfigDict(extra="forbid")

    type: GroupType
    title: Annotated[
        SingleLine, Field(min_length=1, max_length=80, description="Neutral, no clinical detail.")
    ]
    facilitator_id: ResourceId
    rrule: Annotated[
        SingleLine, Field(min_length=8, max_length=300, examples=["FREQ=WEEKLY;BYDAY=TU,TH;COUNT=16"])
    ]
    first_start: SchedulingInstant
    time_zone: TimeZone
    duration_minutes: int = Field(ge=15, le=240, multiple_of=5)
    capacity: int = Field(ge=1, le=50)
    recording: bool = Field(
        default=False, description="Sessions are recorded for participants who miss them."
    )


class GroupOut(BaseModel):
    group_id: str
    type: GroupType
    title: str
    facilitator_id: str
    rrule: str
    first_start: datetime
    time_zone: str
    duration_minutes: int
    capacity: int
    seats_left: int
    waitlisted: int
    evening: bool
    weekend: bool
    recording: bool
    next_occurrences: list[datetime] = Field(default_factory=list)


class GroupList(BaseModel):
    items: list[GroupOut]


class EnrolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)] = Field(
        description="One participant, or both partners of a couple (seated together or waitlisted together)."
    )

    @field_validator("participant_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("participants must be different people")
        return value


class EnrolOut(BaseModel):
    group_id: str
    participant_ids: list[str]
    status: EnrolmentStatus
    waitlist_position: int | None = None


class RosterEntry(BaseModel):
    participant_id: str
    display_name: str | None = Field(
        default=None,
        description="The participant's name, for whom runs the group (null if their profile is gone).",
    )
    status: EnrolmentStatus
    since: datetime
    waitlist_position: int | None = None


class RosterOut(BaseModel):
    group_id: str
    capacity: int
    enrolled: list[RosterEntry]
    waitlist: list[RosterEntry]


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
        return {"pk": f"GROUP#{group_id}", "sk": "SERIES"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.group_id),
            "entity": ENTITY_GROUP,
            "gsi1pk": "GROUPS",
            "gsi1sk": f"{self.type.value}#{self.group_id}",
            **self.model_dump(mode="json"),
            "first_start": self.first_start.isoformat(),
            "created_at": iso(self.created_at),
        }

    def commitment(self) -> dict[str, Any]:
        """What a person's commitments item keeps of the series: enough to expand it."""
        attributes = self.schedule_attributes()
        del attributes["gsi1sk"]
        return attributes

    def schedule_attributes(self) -> dict[str, Any]:
        """What a participant's enrolment carries so their week is read without the series."""
        return {
            "gsi1sk": f"~GROUP#{self.group_id}",  # after every session time in SCHED#<person>
            "group_id": self.group_id,
            "group_type": self.type.value,
            "title": self.title,
            "facilitator_id": self.facilitator_id,
            "rrule": self.rrule,
            "first_start": self.first_start.isoformat(),
            "time_zone": self.time_zone,
            "duration_minutes": self.duration_minutes,
        }


def commitments_key(person_id: str) -> dict[str, str]:
    """The person's group commitments: one attribute per series they attend or lead, so a
    booking sees every group hour it must avoid in the batch read it already makes."""
    return {"pk": f"PERSON#{person_id}", "sk": "COMMITMENTS"}


def commitment_attribute(group_id: str) -> str:
    return f"g_{group_id}"


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
        return {"pk": f"SESSION#{session_id}", "sk": "SESSION"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.session_id),
            "entity": ENTITY_SESSION,
            **self.model_dump(mode="json"),
            "start": iso(self.start),
            "end": iso(self.end),
            "updated_at": iso(self.updated_at),
        }


class JoinOut(BaseModel):
    """What the caller's video client needs to join the session's room (theirs alone)."""

    session_id: str
    provider: str
    meeting_id: str
    attendee_id: str
    join_token: str
    media_placement: dict[str, str]
    shared: bool = Field(description="True when both partners join as one attendee (one location).")
    opens_at: datetime
    closes_at: datetime


def room_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": "ROOM"}


Visibility = Literal["full", "busy"]


class ScheduleEntry(BaseModel):
    """One session or group occurrence in a person's week, in that person's own time zone.

    A `busy` entry is a Part 2 item, or a private individual session, the caller may not see
    in full (see `logic/sensitivity.py`): its time only, every other field empty."""

    session_id: str | None = Field(
        description="A session id, or `<group_id>@<start>` for a group occurrence; null when busy."
    )
    type: SessionType | GroupType | None = Field(description="Null when busy.")
    group_id: str | None = None
    status: SessionStatus
    start: datetime
    end: datetime
    role: str | None = Field(description="`attendee` or `clinician`; null when busy.")
    clinician_ids: list[str]
    attendee_ids: list[str]
    authorization_flags: list[str] = Field(
        default_factory=list,
        description="For a participant's own session: outside every prior authorization's dates, "
        "or beyond its units (from coverage).",
    )
    visibility: Visibility = Field(
        default="full",
        description="`busy`: a Part 2 item or a private session shown as time only to this caller.",
    )
    sensitivity: Sensitivity | None = Field(
        default=None, description="`part2` or `standard` for a full entry; null when busy."
    )
    private: bool | None = Field(
        default=None,
        description="A full session entry: whether the participant keeps it private; null when "
        "busy and for group occurrences.",
    )


class WeekSchedule(BaseModel):
    person_id: str
    week: str
    time_zone: str
    items: list[ScheduleEntry]
    redisclosure_notice: str | None = Field(
        default=None,
        description="The 42 CFR 2.32 notice, present when the week shows Part 2 items in full to "
        "someone other than the participant (also in the `Tandem-Redisclosure-Notice` header).",
    )


def member_attributes(session: SessionRecord, person_id: str, week: str) -> dict[str, Any]:
    """A person's copy of a session for their week (the participant/week index)."""
    return {
        "pk": f"SESSION#{session.session_id}",
        "sk": f"MEMBER#{person_id}",
        "entity": ENTITY_SESSION_MEMBER,
        "pw_pk": f"PW#{person_id}#{week}",
        "pw_sk": f"{iso(session.start)}#{session.session_id}",
        # A person's sessions by time, across weeks (their calendar feed).
        "gsi1pk": f"SCHED#{person_id}",
        "gsi1sk": f"{iso(session.start)}#{session.session_id}",
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


# --- intensity ------------------------------------------------------------------------------


class IntensityFigures(BaseModel):
    sessions: int
    hours: float


class IntensityOut(BaseModel):
    participant_id: str
    week: str
    plan: TreatmentPlan
    scheduled: IntensityFigures
    attended: IntensityFigures
    sessions_standing: str = Field(description="`under`, `within` or `over` the plan's sessions per week.")
    hours_standing: str = Field(description="`under`, `within` or `over` the plan's hours per week.")


class ProgramIntensityEntry(BaseModel):
    participant_id: str
    scheduled: IntensityFigures
    attended: IntensityFigures
    sessions_standing: str
    hours_standing: str


class ProgramIntensityOut(BaseModel):
    week: str
    under: list[ProgramIntensityEntry]
    over: list[ProgramIntensityEntry]
    within: int = Field(description="How many participants are within plan.")


def intensity_key(week: str, person_id: str) -> dict[str, str]:
    return {"pk": f"INTENSITY#{week}", "sk": f"PERSON#{person_id}"}


# --- calendar feeds -------------------------------------------------------------------------


class FeedOut(BaseModel):
    url: str = Field(
        description="Subscribe to this in a calendar app. Shown once; rotate or revoke it any time."
    )
    path: str
    created_at: datetime


def feed_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"FEED#{token_hash}", "sk": "FEED"}


# --- coordinated week plans -----------------------------------------------------------------


def _real_week(value: str) -> str:
    year, number = value.split("-W")
    try:
        date.fromisocalendar(int(year), int(number), 1)
    except ValueError as exc:
        raise ValueError("no such ISO week") from exc
    return value


IsoWeek = Annotated[str, StringConstraints(pattern=ISO_WEEK_PATTERN), AfterValidator(_real_week)]


def _schedulable_week(value: str) -> str:
    """A week all of whose days (in any zone) are inside the scheduling window."""
    year, number = value.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    now = utc_now()
    if not (now - SCHEDULING_PAST).date() < monday <= (now + SCHEDULING_AHEAD).date() - timedelta(days=8):
        raise ValueError("must be between a year ago and two years from now")
    return value


SchedulingWeek = Annotated[IsoWeek, AfterValidator(_schedulable_week)]
"""A week sessions may be planned in (see `SchedulingInstant`)."""


class WeekPlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    week: SchedulingWeek
    evenings: bool = Field(default=True, description="Sessions may start at 17:00 or later (couple's zone).")
    weekends: bool = Field(default=True, description="Sessions may fall on Saturday or Sunday.")


class PlannedSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: SessionType
    clinician_id: ResourceId
    attendee_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)]
    start: SchedulingInstant
    end: SchedulingInstant
    couple_id: ResourceId | None = None

    @model_validator(mode="after")
    def _bookable_shape(self) -> PlannedSession:
        minutes = (self.end - self.start).total_seconds() / 60
        if not 10 <= minutes <= 180 or minutes % 5:
            raise ValueError("a session lasts 10 to 180 minutes, in steps of 5")
        if len(set(self.attendee_ids)) != len(self.attendee_ids):
            raise ValueError("attendees must be different people")
        return self


class PlannedGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: ResourceId
    participant_ids: Annotated[list[ResourceId], Field(min_length=1, max_length=2)]
    occurrences: list[SchedulingInstant] = Field(
        default_factory=list, max_length=14, description="This week's, for reading."
    )

    @field_validator("participant_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("participants must be different people")
        return value


class UnmetRequirement(BaseModel):
    requirement: str
    participant_id: str | None = None
    detail: str


class PartnerWeek(BaseModel):
    participant_id: str
    sessions: int
    hours: float
    plan: TreatmentPlanOut


class WeekPlanOut(BaseModel):
    couple_id: str
    week: str
    sessions: list[PlannedSession]
    groups: list[PlannedGroup]
    unmet: list[UnmetRequirement]
    partners: list[PartnerWeek] = Field(description="Each partner's week with the proposal taken up.")
    complete: bool = Field(description="True when the proposal meets every requirement.")
    busy: list[ScheduleEntry] = Field(
        default_factory=list,
        description="Proposed sessions the caller may not see in full (a partner's Part 2 care): "
        "their time only. Whoever may see them (a coordinator) books them.",
    )


class WeekPlanBook(BaseModel):
    """A proposal (as returned, or trimmed) to book as a whole: all of it or none of it."""

    model_config = ConfigDict(extra="forbid")

    week: SchedulingWeek
    sessions: Annotated[list[PlannedSession], Field(max_length=6)]
    groups: Annotated[list[PlannedGroup], Field(max_length=4)] = Field(default_factory=list)

    @field_validator("groups")
    @classmethod
    def _each_group_once(cls, value: list[PlannedGroup]) -> list[PlannedGroup]:
        if len({g.group_id for g in value}) != len(value):
            raise ValueError("each group once")
        return value


class WeekPlanBooked(BaseModel):
    couple_id: str
    week: str
    session_ids: list[str]
    group_ids: list[str]


class GroupAttendanceIn(AttendanceIn):
    """As for a session, for everyone enrolled at one group occurrence."""

    records: Annotated[list[AttendanceEntry], Field(min_length=1, max_length=50)]


class GroupAttendanceOut(BaseModel):
    group_id: str
    occurrence_start: datetime
    attendance: dict[str, AttendanceStatus]


def occurrence_key(group_id: str, start: datetime) -> dict[str, str]:
    return {"pk": f"GROUP#{group_id}", "sk": f"OCC#{iso(start)}"}


class CaseloadEntry(BaseModel):
    participant_id: str
    display_name: str | None = Field(
        default=None, description="The participant's name (null if their profile is gone)."
    )
    roles: list[CareRole] = Field(
        description="The clinician's positions on this participant's team; the substance-use "
        "counselor's only to whom may see Part 2 items (the counselor, the coordinators the "
        "program names)."
    )


class CaseloadOut(BaseModel):
    clinician_id: str
    items: list[CaseloadEntry]


# --- Part 2 consents ------------------------------------------------------------------------

ConsentPurpose = Annotated[SingleLine, StringConstraints(min_length=3, max_length=300)]


class _ConsentTerms(BaseModel):
    """The elements 42 CFR 2.31 asks of a consent: who may receive, what, why, until when."""

    model_config = ConfigDict(extra="forbid")

    recipient_ids: Annotated[list[ResourceId], Field(max_length=10)] = Field(
        default_factory=list, description="Named staff (clinicians or coordinators) who may see them."
    )
    recipient_roles: Annotated[list[CareRole], Field(max_length=4)] = Field(
        default_factory=list,
        description="Positions on the participant's care team (whoever holds them when a read happens).",
    )
    scope: ConsentScope = Field(
        default=ConsentScope.PART2_SCHEDULE, description="What they may see: the Part 2 schedule items."
    )
    purpose: ConsentPurpose = Field(description="Why, in the participant's words (e.g. to coordinate care).")
    expires_on: date | None = Field(
        default=None,
        description="The last day it holds (the participant's zone); at most two years ahead. "
        "`expires_on`, `expiry_event` or both are required.",
    )
    expiry_event: Annotated[SingleLine, StringConstraints(min_length=3, max_length=200)] | None = Field(
        default=None,
        description="An event it ends with (e.g. discharge). Tandem cannot observe it: revoke the "
        "consent when it happens.",
    )


class Part2ConsentIn(_ConsentTerms):
    """A participant's own consent, signed in the app."""

    attest: Literal[True] = Field(
        description="The participant's signature: they have read these terms and consent to them. "
        "The server records the time."
    )


class PaperPart2ConsentIn(_ConsentTerms):
    """A consent the participant signed on paper, recorded by a coordinator."""

    document_reference: Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Where the signed document is kept (an id in the document system)."
    )
    signed_on: date = Field(description="The date on the signed document (not in the future).")


class Part2ConsentOut(BaseModel):
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
    attested_at: datetime = Field(description="When Tandem recorded the signature (server clock).")
    recorded_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    status: Literal["active", "expired", "revoked"]


class Part2ConsentList(BaseModel):
    items: list[Part2ConsentOut]


class Part2AccessOut(BaseModel):
    """One read that showed the participant's Part 2 items in full to someone else (42 CFR 2.24)."""

    actor_id: str = Field(description="Who was shown them (a person id).")
    actor_role: str = Field(description="Their role then: `clinician` or `coordinator`.")
    at: datetime
    action: str = Field(
        description="The read, e.g. `schedule.read`, `session.read`, `calendar_feed.read`, `person.read`."
    )
    item_ids: list[str] = Field(
        description="The Part 2 items shown: session ids, `<group_id>@<start>` for group occurrences, "
        "a group id for a Part 2 group's roster; empty when the read names no item (a care team "
        "naming the substance-use counselor, a profile saying the participant needs that counseling)."
    )


class Part2AccessPage(BaseModel):
    items: list[Part2AccessOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next (older) page.")


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
        return {"pk": f"PERSON#{participant_id}", "sk": f"CONSENT#{consent_id}"}

    def to_attributes(self) -> dict[str, Any]:
        return {
            **self.key(self.participant_id, self.consent_id),
            "entity": ENTITY_PART2_CONSENT,
            **self.model_dump(mode="json"),
            "attested_at": iso(self.attested_at),
            "revoked_at": iso(self.revoked_at) if self.revoked_at else None,
        }
