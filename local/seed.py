"""The demo program behind `make serve`: a coordinator, a care team, two couples and their
plans, written through the functions' own stores so stored shapes never drift. Idempotent:
records and users that exist are left as they are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.coverage.models import PlanRecord
from functions.coverage.store import CoverageStore
from functions.coverage.vocabulary import PlanStatus, PlanType, SubscriberRelationship
from functions.schedule.logic import people
from functions.schedule.models import PersonCreate, PersonRecord
from functions.schedule.store import ScheduleStore
from functions.schedule.vocabulary import AgeGroup, PersonKind
from local import provision

DEMO_PASSWORD = "Tandem-demo-2026!"  # noqa: S105 - local demo logins only; meets the pool's policy
SEED_ACTOR = Principal(person_id="system-seed", role=Role.COORDINATOR, username="seed")
SEEDED_AT = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


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
        login=Role.CLINICIAN,
    ),
    DemoPerson(
        "per_demotherapist1",
        PersonKind.CLINICIAN,
        "Sam Okafor, LPC",
        "sam.okafor@tandem.example",
        "America/Chicago",
    ),
    DemoPerson(
        "per_demotherapist2",
        PersonKind.CLINICIAN,
        "Lee Park, LMFT",
        "lee.park@tandem.example",
        "America/Los_Angeles",
    ),
    DemoPerson(
        "per_democounselor",
        PersonKind.CLINICIAN,
        "Jordan Ellis, LCDC",
        "jordan.ellis@tandem.example",
        "America/Denver",
    ),
    DemoPerson(
        "per_demoprescriber",
        PersonKind.CLINICIAN,
        "Dr. Ana Costa",
        "ana.costa@tandem.example",
        "America/New_York",
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

PLANS: tuple[PlanRecord, ...] = (
    # The Riveras share one family PPO (Alex subscribes; embedded individual deductibles).
    PlanRecord(
        person_id="per_demoalex",
        plan_id="pln_demorivera01",
        payer_name="Lone Star Mutual PPO",
        payer_id="LSM01",
        plan_type=PlanType.PPO,
        member_id="LSM884201-01",
        subscriber_relationship=SubscriberRelationship.SELF,
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
        subscriber_relationship=SubscriberRelationship.SPOUSE,
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


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    person_id: str
    display_name: str


def person_record(person: DemoPerson) -> PersonRecord:
    """The stored record of a demo person, validated by the same input model the API uses."""
    data = PersonCreate(
        kind=person.kind,
        display_name=person.display_name,
        email=person.email,
        phone=person.phone,
        time_zone=person.time_zone,
        state=person.state,
        age_group=person.age_group,
    )
    return people.new_person(data, person_id=person.person_id, now=SEEDED_AT)


def seed(clients: dict[str, Any], resources: provision.Resources) -> list[DemoLogin]:
    dynamodb = clients["dynamodb"]
    schedule = ScheduleStore(resources.tables["schedule"], dynamodb)
    coverage = CoverageStore(resources.tables["coverage"], dynamodb)
    audit = AuditWriter(resources.tables["audit"], dynamodb, request_id="seed")
    logins: list[DemoLogin] = []
    for person in PEOPLE:
        if schedule.get_person(person.person_id) is None:
            record = person_record(person)
            entry = audit.entry(SEED_ACTOR, "person.create", f"person/{person.person_id}", "success")
            schedule.create_person(record, audit.transact_put(entry))
        if person.login is not None:
            provision.ensure_user(
                clients["cognito-idp"],
                resources.user_pool_id,
                email=person.email,
                password=DEMO_PASSWORD,
                role=person.login,
                person_id=person.person_id,
            )
            logins.append(
                DemoLogin(
                    person.email, DEMO_PASSWORD, person.login.value, person.person_id, person.display_name
                )
            )
    for plan in PLANS:
        if plan.plan_id not in {p.plan_id for p in coverage.plans_of(plan.person_id)}:
            coverage.put_plan(plan)
    return logins
