"""What schedule publishes: its domain events, version 1.

Schedule's translator (`functions/schedule/publish.py`) turns the changes of its table into
these events and publishes them on the schedule-events topic (SNS FIFO: per `subject` in
order, each consumer's SQS FIFO queue subscribed with a filter on `type`). Coverage and notify
subscribe to them and keep, in their own tables, whatever projection of schedule data they
need: they never read schedule's items.

Every event is an envelope (`id`, `type`, `version`, `source`, `subject`, `occurred_at`) around
the `data` of its type. Rules of the contract:
- `id` is the same on every delivery of one change (consumers may see an event twice);
- `subject` names the thing that changed (`session/<id>`, `person/<id>` ...): events of one
  subject arrive in the order schedule wrote them; events of different subjects in any order;
- `data.revision`, where a thing has one, grows with each change of it: a consumer that keeps
  the revision it applied can tell a stale or repeated event from a new one;
- `data` carries ids, times, types and statuses; never names, clinical notes or member ids.
  A person's contact details travel in `person.changed` alone (notify sends with them);
- a change that only adds an optional field keeps the version; anything else is a new
  version of that event, published beside the old one until every consumer has moved.
  Consumers therefore ignore fields they do not know.
The JSON Schema of each event type is committed under `contracts/schedule/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

SOURCE: Final = "tandem.schedule"
VERSION: Final = 1

Id = Annotated[str, Field(min_length=1, max_length=128)]
Kind = Literal["participant", "clinician", "coordinator"]
SessionStatus = Literal["booked", "cancelled", "late_cancelled"]
Attendance = Literal["attended", "no_show", "late_cancel", "excused"]
EnrolmentStatus = Literal["enrolled", "waitlisted", "withdrawn"]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
"""A session or group type (`individual`, `couples`, `cbt_skills` ...): schedule may add types,
so consumers handle one they do not know (coverage bills nothing for it)."""
Week = Annotated[str, Field(pattern=r"^[0-9]{4}-W[0-9]{2}$")]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class PersonData(_Data):
    """A person's profile as the other domains may know it: kind, zone, and the contact details
    notify sends with."""

    person_id: Id
    kind: Kind
    revision: int = Field(ge=1)
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164, as the profile holds it")
    time_zone: str
    active: bool = Field(description="False once the person is deactivated (discharged, departed)")


class CoupleData(_Data):
    couple_id: Id
    revision: int = Field(ge=1)
    partner_ids: tuple[Id, Id]


class SessionBefore(_Data):
    """The session as it was before this change."""

    status: SessionStatus
    start: AwareDatetime
    end: AwareDatetime
    attendance: dict[str, Attendance] = Field(default_factory=dict)
    weeks: dict[str, Week] = Field(
        default_factory=dict, description="Each person's ISO week of the session as it was, in their zone"
    )


class SessionData(_Data):
    session_id: Id
    revision: int = Field(ge=1)
    type: Code
    status: SessionStatus
    start: AwareDatetime
    end: AwareDatetime
    clinician_ids: tuple[Id, ...]
    attendee_ids: tuple[Id, ...]
    couple_id: Id | None = None
    time_zones: dict[str, str] = Field(description="Each person's IANA zone at booking")
    weeks: dict[str, Week] = Field(description="Each person's ISO week of the session, in their zone")
    attendance: dict[str, Attendance] = Field(default_factory=dict)
    private: bool = False
    previous: SessionBefore | None = Field(default=None, description="None when the session is new")

    @property
    def people(self) -> tuple[str, ...]:
        """Attendees (both partners of a couples session) and clinicians, each once."""
        return tuple(dict.fromkeys((*self.attendee_ids, *self.clinician_ids)))


class MakeupOptionData(_Data):
    kind: Code
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None


class MakeupData(_Data):
    """A makeup offer made for a missed session or group occurrence."""

    person_id: Id
    missed_session_id: Annotated[str, Field(min_length=1, max_length=200)]
    missed_type: Code
    week: Week
    options: tuple[MakeupOptionData, ...]
    revision: int = Field(ge=1)


class EnrolmentData(_Data):
    """A participant's place in a recurring group: enrolled, waitlisted or withdrawn."""

    participant_id: Id
    group_id: Id
    group_type: Code
    title: Annotated[str, Field(max_length=200)]
    facilitator_id: Id
    rrule: Annotated[str, Field(max_length=500, description="RFC 5545 RRULE of the series")]
    first_start: AwareDatetime
    time_zone: str
    duration_minutes: int = Field(ge=1, le=24 * 60)
    status: EnrolmentStatus
    previous_status: EnrolmentStatus | None = None
    since: AwareDatetime = Field(description="When the status was entered: grows with each change")
    joined_at: AwareDatetime | None = None
    left_at: AwareDatetime | None = None


class GroupAttendanceData(_Data):
    group_id: Id
    group_type: Code
    occurrence_start: AwareDatetime
    occurrence_end: AwareDatetime
    revision: int = Field(ge=1)
    attendance: dict[str, Attendance]
    previous_attendance: dict[str, Attendance] = Field(default_factory=dict)


class GroupOccurrenceData(_Data):
    group_id: Id
    type: Code | None = None
    start: AwareDatetime
    end: AwareDatetime


class GroupWeekData(_Data):
    """A participant's group occurrences of one ISO week (their zone), whole each time."""

    person_id: Id
    week: Week
    occurrences: tuple[GroupOccurrenceData, ...]


class ConsentData(_Data):
    """A 42 CFR Part 2 consent: who it names, until when, whether revoked (no purpose, no document)."""

    participant_id: Id
    consent_id: Id
    revision: int = Field(ge=1)
    recipient_ids: tuple[Id, ...]
    expires_on: date | None = None
    revoked: bool


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=128, description="The same on every delivery")]
    version: Literal[1]
    source: Literal["tandem.schedule"]
    subject: Annotated[
        str,
        Field(
            min_length=1,
            max_length=128,
            pattern=r"^[a-z-]+/[!-~]+$",
            description="What changed; events of one subject arrive in order",
        ),
    ]
    occurred_at: AwareDatetime


class PersonChanged(_Envelope):
    type: Literal["person.changed"]
    data: PersonData


class CoupleChanged(_Envelope):
    type: Literal["couple.changed"]
    data: CoupleData


class SessionBooked(_Envelope):
    type: Literal["session.booked"]
    data: SessionData


class SessionRescheduled(_Envelope):
    type: Literal["session.rescheduled"]
    data: SessionData


class SessionCancelled(_Envelope):
    type: Literal["session.cancelled"]
    data: SessionData


class AttendanceRecorded(_Envelope):
    type: Literal["attendance.recorded"]
    data: SessionData


class MakeupOffered(_Envelope):
    type: Literal["makeup.offered"]
    data: MakeupData


class EnrolmentChanged(_Envelope):
    type: Literal["enrolment.changed"]
    data: EnrolmentData


class GroupAttendanceRecorded(_Envelope):
    type: Literal["group_attendance.recorded"]
    data: GroupAttendanceData


class GroupWeekPlanned(_Envelope):
    type: Literal["group_week.planned"]
    data: GroupWeekData


class ConsentChanged(_Envelope):
    type: Literal["consent.changed"]
    data: ConsentData


SessionEvent = SessionBooked | SessionRescheduled | SessionCancelled | AttendanceRecorded
AnyEvent = (
    PersonChanged
    | CoupleChanged
    | SessionEvent
    | MakeupOffered
    | EnrolmentChanged
    | GroupAttendanceRecorded
    | GroupWeekPlanned
    | ConsentChanged
)
EVENTS: Final[tuple[type[_Envelope], ...]] = (
    PersonChanged,
    CoupleChanged,
    SessionBooked,
    SessionRescheduled,
    SessionCancelled,
    AttendanceRecorded,
    MakeupOffered,
    EnrolmentChanged,
    GroupAttendanceRecorded,
    GroupWeekPlanned,
    ConsentChanged,
)


def type_of(event: type[_Envelope]) -> str:
    """The `type` an envelope class stands for (`session.booked` ...)."""
    (value,) = get_args(event.model_fields["type"].annotation)
    return str(value)


TYPES: Final[tuple[str, ...]] = tuple(type_of(e) for e in EVENTS)
"""Every event type schedule publishes (what a consumer's subscription may name)."""
SESSION_TYPES: Final[tuple[str, ...]] = tuple(type_of(e) for e in get_args(SessionEvent))
_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(Annotated[AnyEvent, Field(discriminator="type")])


class UnknownEvent(ValueError):
    """An event of a type this contract does not know (a consumer acknowledges and skips it)."""


def parse(raw: Mapping[str, Any]) -> AnyEvent:
    """One event, validated against the contract: pydantic's ValidationError when it breaks
    it, `UnknownEvent` when its type is not one schedule publishes."""
    kind = raw.get("type")
    if kind not in TYPES:
        raise UnknownEvent(str(kind)[:64])
    return _ADAPTER.validate_python(raw)


def schema_of(event: type[_Envelope]) -> dict[str, Any]:
    """The JSON Schema of one event type, as committed under `contracts/schedule/`."""
    schema = event.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://tandem.example/contracts/schedule/{type_of(event)}.v{VERSION}.json"
    return schema
