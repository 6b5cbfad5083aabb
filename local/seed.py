"""The demo program behind `make serve`: a coordinator, a care team of five clinicians with
availability, two couples with their care teams and plans, and next week's sessions for
the Riveras. Everything is written through the functions' own models, rules and stores,
so stored shapes never drift. Idempotent: what exists is left as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.common.models import utc_now
from functions.common.streams import to_change
from functions.coverage import copies as coverage_copies
from functions.coverage import prices
from functions.coverage.billing import (
    ChargemasterIn,
    ChargemasterRecord,
    FeeScheduleIn,
    FeeScheduleRecord,
)
from functions.coverage.models import InsuredPerson, PlanRecord
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import NetworkStatus, PlanStatus, PlanType, SubscriberRelationship
from functions.notify.logic import preferences
from functions.notify.models import PreferencesIn
from functions.notify.store import NotifyStore
from functions.notify.vocabulary import ConsentSource
from functions.schedule import publish
from functions.schedule.events import refresh_intensity
from functions.schedule.logic import booking, groups, people, teams
from functions.schedule.models import (
    AvailabilityRecord,
    CareTeamIn,
    CoupleCreate,
    GroupCreate,
    PersonCreate,
    PersonRecord,
    SessionCreate,
    TreatmentPlan,
    WeeklyWindow,
)
from functions.schedule.store import GroupStore, ScheduleStore
from functions.schedule.vocabulary import (
    AgeGroup,
    ClinicianRole,
    GroupType,
    JoinMode,
    PersonKind,
    SessionType,
)
from local import provision, token

DEMO_PASSWORD = "Tandem-demo-2026!"  # noqa: S105 - local demo logins only; meets the pool's policy
SEED_ACTOR = Principal(person_id="system-seed", role=Role.COORDINATOR, username="seed")
WEEKDAYS = range(5)


@dataclass(frozen=True)
class DemoPerson:
    person_id: str
    kind: PersonKind
    display_name: str
    email: str
    time_zone: str
    state: str | None = None
    age_group: AgeGroup | None = None
    phone: str | None = None
    login: Role | None = None
    """When set, a Cognito user with this role exists for the person."""
    roles: tuple[ClinicianRole, ...] = ()
    licensed_states: tuple[str, ...] = ()
    hours: dict[int, tuple[time, time]] = field(default_factory=dict)
    """Clinicians: weekday (0 = Monday) -> local working hours."""
    plan: TreatmentPlan | None = None


def _hours(
    days: range | tuple[int, ...], start: int, end: int, **extra: tuple[int, int]
) -> dict[int, tuple[time, time]]:
    found = {day: (time(start), time(end)) for day in days}
    for day, (s, e) in extra.items():
        found[int(day.removeprefix("d"))] = (time(s), time(e))
    return found


SUD_PLAN = TreatmentPlan(
    sessions_per_week_min=4,
    sessions_per_week_max=5,
    hours_per_week_min=9,
    hours_per_week_max=12,
    needs_substance_use_counseling=True,
)

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "per_democoordinator",
        PersonKind.COORDINATOR,
        "Morgan Reyes",
        "coordinator@tandem.example",
        "America/Chicago",
        login=Role.COORDINATOR,
    ),
    DemoPerson(
        "per_democouplestherapist",
        PersonKind.CLINICIAN,
        "Dr. Priya Natarajan",
        "clinician@tandem.example",
        "America/Chicago",
        state="TX",
        login=Role.CLINICIAN,
        roles=(ClinicianRole.COUPLES_THERAPIST, ClinicianRole.INDIVIDUAL_THERAPIST),
        licensed_states=("TX", "CA"),
        hours=_hours(WEEKDAYS, 9, 18, d5=(10, 14)),
    ),
    DemoPerson(
        "per_demotherapist1",
        PersonKind.CLINICIAN,
        "Sam Okafor, LPC",
        "sam.okafor@tandem.example",
        "America/Chicago",
        state="TX",
        roles=(ClinicianRole.INDIVIDUAL_THERAPIST,),
        licensed_states=("TX", "CA"),
        hours=_hours(WEEKDAYS, 8, 17, d1=(8, 20), d3=(8, 20)),
    ),
    DemoPerson(
        "per_demotherapist2",
        PersonKind.CLINICIAN,
        "Lee Park, LMFT",
        "lee.park@tandem.example",
        "America/Los_Angeles",
        state="CA",
        roles=(ClinicianRole.INDIVIDUAL_THERAPIST, ClinicianRole.COUPLES_THERAPIST),
        licensed_states=("CA", "TX"),
        hours=_hours(WEEKDAYS, 8, 19),
    ),
    DemoPerson(
        "per_democounselor",
        PersonKind.CLINICIAN,
        "Jordan Ellis, LCDC",
        "jordan.ellis@tandem.example",
        "America/Denver",
        state="CO",
        roles=(ClinicianRole.SUBSTANCE_USE_COUNSELOR, ClinicianRole.GROUP_FACILITATOR),
        licensed_states=("TX", "CA", "CO"),
        hours=_hours(WEEKDAYS, 9, 17, d5=(9, 13)),
    ),
    DemoPerson(
        "per_demoprescriber",
        PersonKind.CLINICIAN,
        "Dr. Ana Costa",
        "ana.costa@tandem.example",
        "America/New_York",
        state="NY",
        roles=(ClinicianRole.PRESCRIBER,),
        licensed_states=("TX", "CA", "NY"),
        hours=_hours((0, 2, 4), 9, 16),
    ),
    DemoPerson(
        "per_demoalex",
        PersonKind.PARTICIPANT,
        "Alex Rivera",
        "alex@tandem.example",
        "America/Chicago",
        state="TX",
        age_group=AgeGroup.ADULT,
        phone="+15125550101",
        login=Role.PARTICIPANT,
        plan=SUD_PLAN,
    ),
    DemoPerson(
        "per_demojamie",
        PersonKind.PARTICIPANT,
        "Jamie Rivera",
        "jamie@tandem.example",
        "America/Chicago",
        state="TX",
        age_group=AgeGroup.ADULT,
        phone="+15125550102",
        login=Role.PARTICIPANT,
    ),
    DemoPerson(
        "per_demotaylor",
        PersonKind.PARTICIPANT,
        "Taylor Brooks",
        "taylor@tandem.example",
        "America/Los_Angeles",
        state="CA",
        age_group=AgeGroup.ADULT,
        phone="+14155550103",
    ),
    DemoPerson(
        "per_democasey",
        PersonKind.PARTICIPANT,
        "Casey Brooks",
        "casey@tandem.example",
        "America/Los_Angeles",
        state="CA",
        age_group=AgeGroup.ADULT,
        phone="+14155550104",
    ),
)

CARE_TEAMS: dict[str, CareTeamIn] = {
    "per_demoalex": CareTeamIn(
        individual_therapist_id="per_demotherapist1",
        substance_use_counselor_id="per_democounselor",
        prescriber_id="per_demoprescriber",
    ),
    "per_demojamie": CareTeamIn(
        individual_therapist_id="per_demotherapist2", prescriber_id="per_demoprescriber"
    ),
    "per_demotaylor": CareTeamIn(individual_therapist_id="per_democouplestherapist"),
    "per_democasey": CareTeamIn(individual_therapist_id="per_demotherapist1"),
}

COUPLES: dict[str, CoupleCreate] = {
    "cpl_demorivera": CoupleCreate(
        partner_ids=["per_demoalex", "per_demojamie"],
        couples_therapist_id="per_democouplestherapist",
        join_mode=JoinMode.ONE_LOCATION,
    ),
    "cpl_demobrooks": CoupleCreate(
        partner_ids=["per_demotaylor", "per_democasey"],
        couples_therapist_id="per_demotherapist2",
        join_mode=JoinMode.TWO_LOCATIONS,
    ),
}


@dataclass(frozen=True)
class DemoSession:
    session_id: str
    type: SessionType
    weekday: int
    """The day (0 = Monday) of the attendees' next ISO week, in the first attendee's zone: the
    week the participant's own week view, plan and estimates call "next week"."""
    at: time
    """The time of day on that date, on the clinician's wall clock."""
    clinician_id: str
    attendee_ids: tuple[str, ...]
    couple_id: str | None = None


# The Riveras' next week: a couples session, and each partner's individual session the
# same day, back to back; Alex's substance-use counseling on Wednesday.
SESSIONS: tuple[DemoSession, ...] = (
    DemoSession(
        "ses_demorivera01",
        SessionType.COUPLES,
        1,
        time(17),
        "per_democouplestherapist",
        ("per_demoalex", "per_demojamie"),
        "cpl_demorivera",
    ),
    DemoSession(
        "ses_demorivera02", SessionType.INDIVIDUAL, 1, time(15, 45), "per_demotherapist1", ("per_demoalex",)
    ),
    DemoSession(
        "ses_demorivera03", SessionType.INDIVIDUAL, 1, time(13, 45), "per_demotherapist2", ("per_demojamie",)
    ),
    DemoSession(
        "ses_demorivera04",
        SessionType.SUBSTANCE_USE_COUNSELING,
        2,
        time(10),
        "per_democounselor",
        ("per_demoalex",),
    ),
)


@dataclass(frozen=True)
class DemoGroup:
    group_id: str
    type: GroupType
    title: str
    rrule: str
    weekday: int
    """The day (0 = Monday) of the seeding week on which the series starts, in its zone."""
    hour: int
    time_zone: str
    duration_minutes: int
    capacity: int
    recording: bool = False
    facilitator_id: str = "per_democounselor"
    members: tuple[str, ...] = ()
    """Enrolled together (partners) when two."""

    def request(self, now: datetime) -> GroupCreate:
        """The series as created at `now`: it starts on `weekday` of the week `now` is in (in
        the series' zone), so the coming weeks hold its occurrences."""
        zone = ZoneInfo(self.time_zone)
        today = now.astimezone(zone).date()
        day = today - timedelta(days=today.weekday()) + timedelta(days=self.weekday)
        return GroupCreate(
            type=self.type,
            title=self.title,
            facilitator_id=self.facilitator_id,
            rrule=self.rrule,
            first_start=datetime.combine(day, time(self.hour), tzinfo=zone),
            time_zone=self.time_zone,
            duration_minutes=self.duration_minutes,
            capacity=self.capacity,
            recording=self.recording,
        )


GROUPS: tuple[DemoGroup, ...] = (
    DemoGroup(
        "grp_democbtevening",
        type=GroupType.CBT_SKILLS,
        title="Evening skills group",
        rrule="FREQ=WEEKLY;BYDAY=TU,TH",
        weekday=1,
        hour=18,
        time_zone="America/Chicago",
        duration_minutes=180,
        capacity=8,
        recording=True,
        members=("per_demoalex", "per_demojamie"),
    ),
    DemoGroup(
        "grp_demomindfulsat",
        type=GroupType.MINDFULNESS,
        title="Saturday mindfulness",
        rrule="FREQ=WEEKLY;BYDAY=SA",
        weekday=5,
        hour=10,
        time_zone="America/Chicago",
        duration_minutes=60,
        capacity=12,
        recording=True,
    ),
    DemoGroup(
        "grp_demopeerwed",
        type=GroupType.PEER_SUPPORT,
        title="Peer support circle",
        rrule="FREQ=WEEKLY;BYDAY=WE",
        weekday=2,
        hour=19,
        time_zone="America/Los_Angeles",
        duration_minutes=60,
        capacity=2,
        members=("per_demotaylor", "per_democasey"),
    ),
)

PLANS: tuple[PlanRecord, ...] = (
    # The Riveras share one family PPO (Alex subscribes; embedded individual deductibles).
    PlanRecord(
        person_id="per_demoalex",
        plan_id="pln_demorivera01",
        payer_name="Lone Star Mutual PPO",
        payer_id="LSM01",
        plan_type=PlanType.PPO,
        member_id="LSM884201-01",
        group_number="TX-20417",
        subscriber_relationship=SubscriberRelationship.SELF,
        patient=InsuredPerson(first_name="Alex", last_name="Rivera", birth_date=date(1988, 9, 30)),
        network_status=NetworkStatus.IN_NETWORK,
        effective_from=date(2026, 1, 1),
        status=PlanStatus.ACTIVE,
    ),
    PlanRecord(
        person_id="per_demojamie",
        plan_id="pln_demorivera02",
        payer_name="Lone Star Mutual PPO",
        payer_id="LSM01",
        plan_type=PlanType.PPO,
        member_id="LSM884201-02",
        group_number="TX-20417",
        subscriber_relationship=SubscriberRelationship.SPOUSE,
        patient=InsuredPerson(first_name="Jamie", last_name="Rivera", birth_date=date(1990, 4, 12)),
        subscriber=InsuredPerson(first_name="Alex", last_name="Rivera", birth_date=date(1988, 9, 30)),
        network_status=NetworkStatus.IN_NETWORK,
        effective_from=date(2026, 1, 1),
        status=PlanStatus.ACTIVE,
    ),
    PlanRecord(
        person_id="per_demotaylor",
        plan_id="pln_demobrooks01",
        payer_name="Pacific Crest PPO",
        payer_id="PCP22",
        plan_type=PlanType.PPO,
        member_id="PCX-55120934",
        subscriber_relationship=SubscriberRelationship.SELF,
        patient=InsuredPerson(first_name="Taylor", last_name="Brooks", birth_date=date(1993, 1, 22)),
        network_status=NetworkStatus.IN_NETWORK,
        effective_from=date(2026, 7, 1),
        status=PlanStatus.PENDING_VERIFICATION,
    ),
    PlanRecord(
        person_id="per_democasey",
        plan_id="pln_demobrooks02",
        payer_name="Self-pay",
        plan_type=PlanType.SELF_PAY,
        subscriber_relationship=SubscriberRelationship.SELF,
        status=PlanStatus.ACTIVE,
    ),
)


CHARGEMASTER = ChargemasterIn.model_validate(
    {
        "prices": {
            "90837": "250.00",
            "90834": "190.00",
            "90832": "130.00",
            "90847": "240.00",
            "90853": "95.00",
            "H0004": "45.00",
            "H0005": "85.00",
            "99214": "220.00",
            "90833": "110.00",
            "S9480": "650.00",
            "H0015": "550.00",
        },
        "self_pay_prices": {
            "90837": "160.00",
            "90834": "125.00",
            "90832": "90.00",
            "90847": "170.00",
            "90853": "60.00",
            "H0004": "30.00",
            "H0005": "55.00",
            "99214": "150.00",
            "90833": "75.00",
            "S9480": "425.00",
            "H0015": "375.00",
        },
    }
)
FEE_SCHEDULES: dict[str, FeeScheduleIn] = {
    # Lone Star Mutual contracts per service.
    "LSM01": FeeScheduleIn.model_validate(
        {
            "payer_name": "Lone Star Mutual PPO",
            "billing_model": "per_service",
            "in_network_allowed": {
                "90837": "142.50",
                "90834": "108.20",
                "90832": "74.00",
                "90847": "131.00",
                "90853": "42.75",
                "H0004": "24.60",
                "H0005": "48.00",
                "99214": "128.40",
                "90833": "68.90",
            },
            "out_of_network_allowed": {
                "90837": "110.00",
                "90834": "84.00",
                "90847": "100.00",
                "90853": "33.00",
                "99214": "98.00",
            },
        }
    ),
    # Pacific Crest pays a psychiatric IOP per diem for days of three attended hours or more.
    "PCP22": FeeScheduleIn.model_validate(
        {
            "payer_name": "Pacific Crest PPO",
            "billing_model": "per_diem",
            "per_diem_minimum_hours": "3",
            "in_network_allowed": {
                "S9480": "375.00",
                "90837": "135.00",
                "90834": "101.00",
                "90847": "125.00",
                "90853": "40.00",
                "99214": "121.00",
                "90833": "64.00",
            },
        }
    ),
}


def seed_billing(coverage: CoverageStore, audit: AuditWriter, *, now: datetime) -> None:
    """The program's chargemaster and the demo payers' fee schedules (idempotent)."""
    present = {str(i["sk"]) for i in coverage.billing_items()}
    if "CHARGEMASTER" not in present:
        record = ChargemasterRecord.build(CHARGEMASTER, now=now, version=1)
        coverage.save(
            record.to_attributes(),
            _audit_put(audit, "billing.chargemaster.update", "billing/chargemaster"),
            expected_version=None,
        )
    for payer_id, fees in FEE_SCHEDULES.items():
        if f"FEES#{payer_id}" in present:
            continue
        schedule = FeeScheduleRecord.build(payer_id, fees, now=now, version=1)
        coverage.save(
            schedule.to_attributes(),
            _audit_put(audit, "billing.fee_schedule.update", f"billing/fee-schedule/{payer_id}"),
            expected_version=None,
        )


DEMO_EMAIL_REMINDERS_MINUTES = [1440, 10]
"""The demo's email reminders: a day before, and ten minutes before so that a session booked
a quarter of an hour ahead shows its reminder going out within minutes (`make serve`)."""


def seed_notify(notify: NotifyStore, *, now: datetime) -> None:
    """Every demo person's notification choices in notify, with the contact details of their
    profile (which the schedule stream mirrors too). Participants with a mobile number consented
    to texts, recorded as by a coordinator from the intake form."""
    for person in PEOPLE:
        if notify.get_preferences(person.person_id) is not None:
            continue
        body = PreferencesIn.model_validate(
            {
                "email": person.email,
                "mobile_phone": person.phone,
                "time_zone": person.time_zone,
                "reminder_offsets_minutes": DEMO_EMAIL_REMINDERS_MINUTES,
                "sms_consent": bool(person.phone),
            }
        )
        record = preferences.replace(
            person.person_id, body, current=None, now=now, source=ConsentSource.COORDINATOR
        )
        notify.put_preferences(record, expected_version=0)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    person_id: str
    display_name: str
    user_pool_client_id: str = ""
    """The app client of the pool this login signs in to (staff or participants)."""
    totp_secret: str | None = None
    """Staff: the TOTP secret their (demo) authenticator app holds; new each time the demo is seeded."""

    def state(self) -> dict[str, str]:
        """How `.tandem/local.json` lists this login (`local.token` signs in with it)."""
        found = {
            "username": self.username,
            "password": self.password,
            "role": self.role,
            "person_id": self.person_id,
            "user_pool_client_id": self.user_pool_client_id,
        }
        if self.totp_secret:
            found["totp_secret"] = self.totp_secret
        return found

    def describe(self) -> str:
        """One line of the printed demo logins."""
        line = f"  {self.role:<12} {self.username:<28} {self.display_name}"
        return line + (f"   (TOTP secret {self.totp_secret})" if self.totp_secret else "")


def person_record(person: DemoPerson, *, now: datetime) -> PersonRecord:
    """The stored record of a demo person, validated by the same input model the API uses."""
    clinician = person.kind is PersonKind.CLINICIAN
    data = PersonCreate(
        kind=person.kind,
        display_name=person.display_name,
        email=person.email,
        phone=person.phone,
        time_zone=person.time_zone,
        state=person.state,
        age_group=person.age_group,
        treatment_plan=person.plan,
        roles=list(person.roles) if clinician else None,
        licensed_states=list(person.licensed_states) if clinician else None,
    )
    record = people.new_person(data, person_id=person.person_id, now=now)
    # A demo login is made with the seed (`demo_login`), already past its invitation
    return record.model_copy(update={"invited_at": now}) if person.login else record


def _audit_put(audit: AuditWriter, action: str, resource: str) -> dict[str, Any]:
    return audit.transact_put(audit.entry(SEED_ACTOR, action, resource, "success"))


def next_week_monday(now: datetime, zone: str) -> date:
    """The Monday of the ISO week after the one `now` is in, in `zone`."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return today - timedelta(days=today.weekday()) + timedelta(days=7)


def seed_schedule(store: ScheduleStore, audit: AuditWriter, *, now: datetime) -> None:
    for person in PEOPLE:
        if store.get_person(person.person_id) is None:
            store.create_person(
                person_record(person, now=now),
                _audit_put(audit, "person.create", f"person/{person.person_id}"),
            )
        if person.hours and store.get_availability(person.person_id) is None:
            windows = [WeeklyWindow(weekday=d, start=s, end=e) for d, (s, e) in sorted(person.hours.items())]
            record = AvailabilityRecord(
                clinician_id=person.person_id, weekly=windows, time_off=[], updated_at=now, version=1
            )
            store.put_availability(
                record,
                expected_version=0,
                audit_put=_audit_put(audit, "availability.update", f"person/{person.person_id}/availability"),
            )
    everyone, _ = store.people([p.person_id for p in PEOPLE])
    for participant_id, team in CARE_TEAMS.items():
        if not store.relations(participant_id).care:
            teams.check_care_team(team, everyone[participant_id], everyone)
            store.set_care_team(
                participant_id,
                team.assignments(),
                _audit_put(audit, "care_team.update", f"person/{participant_id}/care-team"),
            )
    for couple_id, request in COUPLES.items():
        if store.get_couple(couple_id) is None:
            couple = teams.new_couple(request, couple_id=couple_id, people=everyone, now=now)
            store.create_couple(couple, _audit_put(audit, "couple.create", f"couple/{couple_id}"))
    group_store = GroupStore(store)
    for demo_group in GROUPS:
        if group_store.get(demo_group.group_id) is None:
            group = groups.new_group(
                demo_group.request(now),
                group_id=demo_group.group_id,
                facilitator=everyone[demo_group.facilitator_id],
                now=now,
            )
            group_store.create(group, _audit_put(audit, "group.create", f"group/{group.group_id}"))
            if demo_group.members:
                together = (
                    store.relations(demo_group.members[0]).couple_id if len(demo_group.members) == 2 else None
                )
                group_store.enrol(
                    group,
                    list(demo_group.members),
                    couple_id=together,
                    now=now,
                    audit_puts=[
                        _audit_put(audit, "group.enrol", f"person/{member}/group/{group.group_id}")
                        for member in demo_group.members
                    ],
                )
    policy = booking.Policy(buffer=timedelta(minutes=10), cancel_cutoff=timedelta(hours=24))
    for demo in SESSIONS:
        if store.get_session(demo.session_id) is not None:
            continue
        clinician = everyone[demo.clinician_id]
        day = next_week_monday(now, everyone[demo.attendee_ids[0]].time_zone) + timedelta(days=demo.weekday)
        start = datetime.combine(day, demo.at, tzinfo=ZoneInfo(clinician.time_zone))
        session_request = SessionCreate(
            type=demo.type,
            start=start,
            clinician_id=demo.clinician_id,
            attendee_ids=list(demo.attendee_ids),
            couple_id=demo.couple_id,
        )
        session = booking.plan_session(
            session_request,
            session_id=demo.session_id,
            principal=SEED_ACTOR,
            people=everyone,
            couple=store.get_couple(demo.couple_id) if demo.couple_id else None,
            availability=store.get_availability(demo.clinician_id),
            policy=policy,
            now=now,
        )
        store.book(session, _audit_put(audit, "session.book", f"session/{demo.session_id}"))
    # What the stream consumer keeps current from now on, computed once for the seeded weeks.
    for person in PEOPLE:
        if person.kind is PersonKind.PARTICIPANT:
            refresh_intensity(store, person.person_id, [now + timedelta(weeks=n) for n in range(3)])


def demo_login(cognito: Any, resources: provision.Resources, person: DemoPerson) -> DemoLogin:
    """The person's Cognito user in their role's pool; staff set up TOTP as at a first sign-in (a
    second seeding resets it first, as an administrator resets a lost device, and sets it up anew)."""
    assert person.login is not None
    pool_id, client_id = resources.pool_of(person.login)
    provision.ensure_user(
        cognito,
        pool_id,
        email=person.email,
        password=DEMO_PASSWORD,
        role=person.login,
        person_id=person.person_id,
    )
    secret = None
    if person.login in provision.STAFF_ROLES:
        cognito.admin_set_user_mfa_preference(
            UserPoolId=pool_id, Username=person.email, SoftwareTokenMfaSettings={"Enabled": False}
        )
        secret = token.enrol_totp(cognito, client_id, person.email, DEMO_PASSWORD)
    return DemoLogin(
        person.email,
        DEMO_PASSWORD,
        person.login.value,
        person.person_id,
        person.display_name,
        user_pool_client_id=client_id,
        totp_secret=secret,
    )


PROGRAM_TIME_ZONE = "America/Chicago"
"""The program's zone (the functions' `PROGRAM_TIME_ZONE` default), for someone without one."""


def seed_coverage_copies(dynamodb: Any, streams: Any, resources: provision.Resources) -> int:
    """Coverage's copy of the seeded schedule: what its subscriber makes of the events the
    seed's writes publish, written directly (the runtime's stream poller starts after the seed,
    at the stream's end, as a new deployment's would after a backfill). Every later change goes
    through the publisher, the topic and the subscriber's queue. Returns the events copied."""
    arn = dynamodb.describe_table(TableName=resources.tables["schedule"])["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if len(page["Records"]) < 1000:
                break
            iterator = page.get("NextShardIterator")
    store = CoverageStore(resources.tables["coverage"], dynamodb)
    events = [e for r in records for e in publish.translate(to_change(r)) if e.type in coverage_copies.COPIED]
    for event in events:
        coverage_copies.apply(store, coverage_copies.copies_of(event, store, PROGRAM_TIME_ZONE))
    return len(events)


def seed(
    clients: dict[str, Any], resources: provision.Resources, *, now: datetime | None = None
) -> list[DemoLogin]:
    dynamodb = clients["dynamodb"]
    schedule = ScheduleStore(resources.tables["schedule"], dynamodb)
    coverage = CoverageStore(resources.tables["coverage"], dynamodb)
    audit = AuditWriter(resources.tables["audit"], dynamodb, request_id="seed")
    now = now or utc_now()  # one instant for the whole seed, so its parts agree on the week
    # Notify's demo preferences (SMS consent, reminder offsets) first: the profiles' stream
    # records then find them, and mirror the same contact details without touching the choices
    seed_notify(NotifyStore(resources.tables["notify"], dynamodb), now=now)
    seed_schedule(schedule, audit, now=now)
    if "dynamodbstreams" in clients:
        seed_coverage_copies(dynamodb, clients["dynamodbstreams"], resources)
    logins = [demo_login(clients["cognito-idp"], resources, person) for person in PEOPLE if person.login]
    for plan in PLANS:
        if plan.plan_id not in {p.plan_id for p in coverage.plans_of(plan.person_id)}:
            coverage.put_plan(plan)
    seed_billing(coverage, audit, now=now)
    for person_id in sorted({plan.person_id for plan in PLANS}):
        prices.copy_for(coverage, person_id)  # as saving a plan through the API does
    return logins
