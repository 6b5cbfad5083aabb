"""What the browser tests set up outside the page: people a coordinator creates through the API
(and so invites), first sign-ins outside the browser, and sessions or group seats "booked last
week", written through the functions' own rules and stores with the instant they were booked a
week before, as the demo seed writes its program (the API books nothing in the past, and
attendance is only taken once a session has begun; last week is in the past at any instant)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import requests

from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.schedule.logic import booking
from functions.schedule.models import SessionCreate
from functions.schedule.store import GroupStore, ScheduleStore
from functions.schedule.vocabulary import SessionType
from tests.clock import controlled_now
from tests.e2e.conftest import LocalRuntime
from tests.e2e.support import post

CHICAGO = ZoneInfo("America/Chicago")
PRIYA = "per_democouplestherapist"  # the demo clinician
COORDINATOR = Principal(person_id="per_democoordinator", role=Role.COORDINATOR, username="coordinator")
CHOSEN = "Clinician-own-2026!"


def coordinator(runtime: LocalRuntime) -> str:
    return runtime.id_token("coordinator")


def invitation(runtime: LocalRuntime, email: str) -> dict[str, str]:
    """Cognito's invitation to `email` (what their inbox would hold), with its temporary password."""
    sent = requests.get(f"{runtime.api}/_local/invitations", timeout=10).json()["items"]
    (found,) = [m for m in sent if m["to"] == email]
    return dict(found)


def new_person(runtime: LocalRuntime, body: dict[str, Any]) -> tuple[str, str]:
    """A person a coordinator creates (and so invites): their id and email."""
    email = f"{body['kind']}-{uuid.uuid4().hex[:8]}@example.com"
    person = post(
        runtime, "/people", coordinator(runtime), {"time_zone": "America/Chicago", **body, "email": email}
    )
    return str(person["person_id"]), email


def new_clinician(runtime: LocalRuntime, name: str, role: str) -> tuple[str, str]:
    """A clinician licensed in Texas, in one role."""
    return new_person(
        runtime, {"kind": "clinician", "display_name": name, "roles": [role], "licensed_states": ["TX"]}
    )


def new_participant(runtime: LocalRuntime, name: str, therapist: str) -> tuple[str, str]:
    """A participant in Texas whose individual therapist is `therapist`."""
    person, email = new_person(
        runtime, {"kind": "participant", "display_name": name, "state": "TX", "age_group": "adult"}
    )
    reply = requests.put(
        f"{runtime.api}/participants/{person}/care-team",
        json={"individual_therapist_id": therapist},
        headers={"Authorization": coordinator(runtime)},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    return person, email


def first_sign_in(runtime: LocalRuntime, email: str, client: str) -> dict[str, Any]:
    """A first sign-in from the invitation: its temporary password, then one of their own
    (`CHOSEN`). Cognito's answer to that: tokens, or the next challenge."""
    started = runtime.cognito().initiate_auth(
        ClientId=client,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": invitation(runtime, email)["temporary_password"]},
    )
    return dict(
        runtime.cognito().respond_to_auth_challenge(
            ClientId=client,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=started["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": CHOSEN},
        )
    )


def participant_token(runtime: LocalRuntime, email: str) -> str:
    """A participant's first sign-in (no second factor): their ID token."""
    done = first_sign_in(runtime, email, runtime.state["user_pool_client_id"])
    return str(done["AuthenticationResult"]["IdToken"])


def staff_enrolled(runtime: LocalRuntime, email: str) -> str:
    """A new staff member's first sign-in done outside the browser (new password, TOTP set up, as
    the TOTP test does in it): their TOTP secret."""
    cognito, client = runtime.cognito(), runtime.state["staff_user_pool_client_id"]
    chosen = first_sign_in(runtime, email, client)
    association = cognito.associate_software_token(Session=chosen["Session"])
    secret = str(association["SecretCode"])
    verified = cognito.verify_software_token(
        Session=association["Session"], UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="phone"
    )
    cognito.respond_to_auth_challenge(
        ClientId=client,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": email},
    )
    return secret


def last_week_day(weekday: int, hour: int) -> datetime:
    """`hour` o'clock in Chicago on `weekday` (0 = Monday) of last ISO week: always past."""
    today = controlled_now(CHICAGO).date()
    day: date = today - timedelta(days=today.weekday() + 7 - weekday)
    return datetime.combine(day, time(hour), tzinfo=CHICAGO)


def iso_week(moment: date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def stores(runtime: LocalRuntime) -> tuple[ScheduleStore, AuditWriter]:
    dynamodb = runtime.client("dynamodb")
    tables = runtime.state["tables"]
    return ScheduleStore(tables["schedule"], dynamodb), AuditWriter(
        tables["audit"], dynamodb, request_id="test"
    )


def booked_a_week_before(runtime: LocalRuntime, clinician: str, participant: str, start: datetime) -> str:
    """An individual session at `start`, booked (by the coordinator) a week before it began."""
    store, audit = stores(runtime)
    people, _ = store.people([clinician, participant])
    session = booking.plan_session(
        SessionCreate(
            type=SessionType.INDIVIDUAL, start=start, clinician_id=clinician, attendee_ids=[participant]
        ),
        session_id=booking.new_session_id(),
        principal=COORDINATOR,
        people=people,
        couple=None,
        availability=store.get_availability(clinician),
        policy=booking.Policy(buffer=timedelta(minutes=10), cancel_cutoff=timedelta(hours=24)),
        now=start - timedelta(days=7),
    )
    entry = audit.entry(COORDINATOR, "session.book", f"session/{session.session_id}", "success")
    store.book(session, audit.transact_put(entry))
    return session.session_id


def seated_a_week_before(runtime: LocalRuntime, group_id: str, participant: str, start: datetime) -> None:
    """The participant enrolled in the group a week before `start` (its first meeting)."""
    store, audit = stores(runtime)
    groups = GroupStore(store)
    group = groups.get(group_id)
    assert group is not None
    entry = audit.entry(COORDINATOR, "group.enrol", f"person/{participant}/group/{group_id}", "success")
    groups.enrol(
        group,
        [participant],
        couple_id=None,
        now=start - timedelta(days=7),
        audit_puts=[audit.transact_put(entry)],
    )


def makeup_for(runtime: LocalRuntime, token: str, missed: str) -> dict[str, Any] | None:
    reply = runtime.get("/me/makeups", token)
    assert reply.status_code == 200, reply.text
    return next((o for o in reply.json()["items"] if o["missed_session_id"] == missed), None)
