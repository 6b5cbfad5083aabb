"""Scheduling's shapes: input (requests), output (responses) and stored (items), mapped
explicitly so a stored attribute never leaks into a response by accident.

The API models sit one module per feature, the stored items apart:

- `people`: treatment plans, creating and changing a person, a person and their account as
  shown, the page of people
- `health`: the liveness probe's answer
- `availability`: clinicians' weekly windows and time off
- `teams`: care teams, couples and caseloads
- `sessions`: booking, rescheduling, cancelling, privacy, attendance, joining the room
- `week`: a person's week (`ScheduleEntry`, in full or busy time)
- `makeups`: makeup offers and their acceptance
- `groups`: group series, enrolment, rosters, attendance at an occurrence
- `intensity`: a participant's week against their plan, and the program's
- `calendar`: the calendar feed link
- `planner`: coordinated week plans (and the ISO week types they take)
- `consents`: Part 2 consents and the disclosures of a participant's Part 2 items
- `records`: the table's stored items (a record class per entity, with its key) and a
  person's copy of a session for their week

Every name importers use is re-exported here: import from `functions.schedule.models`.
"""

from functions.schedule.models.availability import (
    AvailabilityIn,
    AvailabilityOut,
    TimeOff,
    Weekday,
    WeeklyWindow,
)
from functions.schedule.models.calendar import FeedOut
from functions.schedule.models.consents import (
    ConsentPurpose,
    PaperPart2ConsentIn,
    Part2AccessOut,
    Part2AccessPage,
    Part2ConsentIn,
    Part2ConsentList,
    Part2ConsentOut,
)
from functions.schedule.models.groups import (
    EnrolIn,
    EnrolOut,
    GroupAttendanceIn,
    GroupAttendanceOut,
    GroupCreate,
    GroupList,
    GroupOut,
    RosterEntry,
    RosterOut,
)
from functions.schedule.models.health import Health
from functions.schedule.models.intensity import (
    IntensityFigures,
    IntensityOut,
    ProgramIntensityEntry,
    ProgramIntensityOut,
)
from functions.schedule.models.makeups import MakeupAccept, MakeupOfferList, MakeupOfferOut, MakeupOption
from functions.schedule.models.people import (
    AccountOut,
    ClinicianRoles,
    LicensedStates,
    PeoplePage,
    PersonCreate,
    PersonOut,
    PersonPatch,
    TreatmentPlan,
    TreatmentPlanOut,
)
from functions.schedule.models.planner import (
    IsoWeek,
    PartnerWeek,
    PlannedGroup,
    PlannedSession,
    SchedulingWeek,
    UnmetRequirement,
    WeekPlanBook,
    WeekPlanBooked,
    WeekPlanOut,
    WeekPlanRequest,
)
from functions.schedule.models.records import (
    AvailabilityRecord,
    CareAssignment,
    CoupleRecord,
    GroupRecord,
    MakeupOfferRecord,
    Part2ConsentRecord,
    PersonRecord,
    SessionRecord,
    member_attributes,
)
from functions.schedule.models.sessions import (
    AttendanceEntry,
    AttendanceIn,
    JoinOut,
    SessionCancel,
    SessionCreate,
    SessionOut,
    SessionPrivacy,
    SessionReschedule,
)
from functions.schedule.models.teams import (
    CareTeamIn,
    CareTeamOut,
    CaseloadEntry,
    CaseloadOut,
    CoupleCreate,
    CoupleOut,
    CoupleUpdate,
)
from functions.schedule.models.week import ScheduleEntry, Visibility, WeekSchedule

__all__ = [
    "AccountOut",
    "AttendanceEntry",
    "AttendanceIn",
    "AvailabilityIn",
    "AvailabilityOut",
    "AvailabilityRecord",
    "CareAssignment",
    "CareTeamIn",
    "CareTeamOut",
    "CaseloadEntry",
    "CaseloadOut",
    "ClinicianRoles",
    "ConsentPurpose",
    "CoupleCreate",
    "CoupleOut",
    "CoupleRecord",
    "CoupleUpdate",
    "EnrolIn",
    "EnrolOut",
    "FeedOut",
    "GroupAttendanceIn",
    "GroupAttendanceOut",
    "GroupCreate",
    "GroupList",
    "GroupOut",
    "GroupRecord",
    "Health",
    "IntensityFigures",
    "IntensityOut",
    "IsoWeek",
    "JoinOut",
    "LicensedStates",
    "MakeupAccept",
    "MakeupOfferList",
    "MakeupOfferOut",
    "MakeupOfferRecord",
    "MakeupOption",
    "PaperPart2ConsentIn",
    "Part2AccessOut",
    "Part2AccessPage",
    "Part2ConsentIn",
    "Part2ConsentList",
    "Part2ConsentOut",
    "Part2ConsentRecord",
    "PartnerWeek",
    "PeoplePage",
    "PersonCreate",
    "PersonOut",
    "PersonPatch",
    "PersonRecord",
    "PlannedGroup",
    "PlannedSession",
    "ProgramIntensityEntry",
    "ProgramIntensityOut",
    "RosterEntry",
    "RosterOut",
    "ScheduleEntry",
    "SchedulingWeek",
    "SessionCancel",
    "SessionCreate",
    "SessionOut",
    "SessionPrivacy",
    "SessionRecord",
    "SessionReschedule",
    "TimeOff",
    "TreatmentPlan",
    "TreatmentPlanOut",
    "UnmetRequirement",
    "Visibility",
    "WeekPlanBook",
    "WeekPlanBooked",
    "WeekPlanOut",
    "WeekPlanRequest",
    "WeekSchedule",
    "Weekday",
    "WeeklyWindow",
    "member_attributes",
]
