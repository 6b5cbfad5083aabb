"""A clinician in the web app: enrols TOTP at their first sign-in, reads their week and their
caseload by name, records attendance (a no-show's makeup offer reaches the participant), leads
a group's attendance from its roster, in English and Spanish, every page passing axe-core.

Sessions and group seats "booked last week" are written through the functions' own rules and
stores, with the instant they were booked a week before, as the demo seed writes its program:
the API books nothing in the past, and attendance is only taken once a session has begun. Last
week is in the past at any instant, so these tests hold whenever they run."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests
from playwright.sync_api import expect

from functions.common.audit import AuditWriter
from functions.common.auth import Principal, Role
from functions.schedule.logic import booking
from functions.schedule.models import SessionCreate
from functions.schedule.store import GroupStore, ScheduleStore
from functions.schedule.vocabulary import SessionType
from tests.browser.conftest import App
from tests.clock import controlled_now
from tests.e2e.conftest import LocalRuntime
from tests.e2e.support import eventually, post

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHICAGO = ZoneInfo("America/Chicago")
PRIYA = "per_democouplestherapist"  # the demo clinician
COORDINATOR = Principal(person_id="per_democoordinator", role=Role.COORDINATOR, username="coordinator")
CHOSEN = "Clinician-own-2026!"


# --- what the tests set up through the API (and, for the past, the stores) --------------------


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


def iso_week(moment: datetime) -> str:
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


# --- the tests ---------------------------------------------------------------------------------


def test_a_new_clinician_sets_up_totp_at_the_first_sign_in_and_is_asked_for_a_code_after(app: App):
    # Given a coordinator created a clinician through the API (Cognito invited them)
    _, email = new_clinician(app.runtime, "Dr. Robin Hale", "individual_therapist")
    temporary = invitation(app.runtime, email)["temporary_password"]
    page = app.open()
    app.check("sign-in")
    # When they sign in as staff with the invitation's temporary password
    page.get_by_label("Staff (clinician or coordinator)").check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(temporary)
    page.get_by_role("button", name="Sign in").click()
    # Then they choose a password of their own
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    app.check("new-password")
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("New password again").fill(CHOSEN)
    page.get_by_role("button", name="Save password").click()
    # And set up two-step sign-in: the key on the page, in an authenticator app
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    app.check("totp-setup")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    # And land on their week
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")
    expect(page.get_by_text("Dr. Robin Hale")).to_be_visible()
    app.check("first-week")

    # When they sign out and sign in again with their own password
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Tandem")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(CHOSEN)
    page.get_by_role("button", name="Sign in").click()
    # Then Tandem asks for the code from the app they set up, and nothing else opens without it
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    app.check("totp-code")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")


def test_the_clinician_records_a_no_show_and_the_participant_is_offered_a_makeup(app: App):
    # Given Robin, on Dr. Natarajan's caseload, had a session with her last Tuesday
    participant, email = new_participant(app.runtime, "Robin Vega", PRIYA)
    start = last_week_day(1, 10)
    session = booked_a_week_before(app.runtime, PRIYA, participant, start)
    app.open()
    app.sign_in_as("clinician")
    page = app.page
    # When she opens last week
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")
    page.get_by_role("button", name="Previous week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(iso_week(start))
    # Then the session shows Robin by name, and attendance can be recorded (it has begun)
    line = page.locator("li.entry").filter(has_text="Robin Vega")
    expect(line).to_contain_text("Individual therapy")
    app.check("last-week")
    line.get_by_role("button", name=re.compile("^Record attendance for Individual therapy")).click()
    # When she records Robin as a no-show
    form = page.get_by_role("form", name=re.compile("^Attendance: Individual therapy"))
    robin = form.get_by_role("group", name="Robin Vega")
    for status in ("Attended", "No-show", "Late cancel", "Excused"):
        expect(robin.get_by_label(status)).to_be_visible()
    robin.get_by_label("No-show").check()
    app.check("attendance")
    form.get_by_role("button", name="Save attendance").click()
    # Then the page says it is saved, and that Robin will be offered a makeup
    expect(page.get_by_role("heading", name="Attendance saved")).to_be_visible()
    expect(page.get_by_text("Robin Vega: No-show. A makeup will be offered.")).to_be_visible()
    app.check("attendance-saved")
    # And Robin, signed in, finds the makeup offer for that session
    token = participant_token(app.runtime, email)
    offer = eventually(lambda: makeup_for(app.runtime, token, session))
    assert offer is not None, "no makeup offer reached the participant"
    assert offer["missed_type"] == "individual"
    # And the session says so to the clinician's API too
    recorded = app.runtime.get(f"/sessions/{session}", app.runtime.id_token("clinician")).json()
    assert recorded["attendance"] == {participant: "no_show"}


def test_a_facilitator_takes_a_groups_attendance_from_its_roster_by_name(app: App):
    # Given a group facilitator (their first sign-in done), whose Tuesday group met last week
    # with Sky, seated the week before
    facilitator, email = new_clinician(app.runtime, "Dana Whitfield, LPC", "group_facilitator")
    secret = staff_enrolled(app.runtime, email)
    participant, _ = new_participant(app.runtime, "Sky Moreno", PRIYA)
    start = last_week_day(1, 12)
    group = post(
        app.runtime,
        "/groups",
        coordinator(app.runtime),
        {
            "type": "psychoeducation",
            "title": "Tuesday workshop",
            "facilitator_id": facilitator,
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "first_start": start.isoformat(),
            "time_zone": "America/Chicago",
            "duration_minutes": 60,
            "capacity": 6,
        },
    )["group_id"]
    seated_a_week_before(app.runtime, group, participant, start)
    app.open()
    app.sign_in(email, CHOSEN, staff=True, totp_secret=secret)
    page = app.page
    # When the facilitator opens last week's meeting
    page.get_by_role("button", name="Previous week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(iso_week(start))
    line = page.locator("li.entry").filter(has_text="Psychoeducation group")
    expect(line).to_contain_text("A group you lead")
    line.get_by_role("button", name=re.compile("^Record attendance")).click()
    # Then who was enrolled then is listed by name; Sky attended
    form = page.get_by_role("form", name=re.compile("^Attendance: Psychoeducation group"))
    form.get_by_role("group", name="Sky Moreno").get_by_label("Attended").check()
    app.check("group-attendance")
    form.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Sky Moreno: Attended.")).to_be_visible()
    app.check("group-attendance-saved")


def test_the_caseload_and_the_week_name_her_participants_in_english_and_spanish(app: App):
    # Given Dr. Natarajan, the Riveras' couples therapist and Taylor's individual therapist
    app.open()
    app.sign_in_as("clinician")
    page = app.page
    # When she opens her caseload
    page.get_by_role("link", name="My caseload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    # Then each participant is named, with her role in their care
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("Alex Rivera"))).to_contain_text("Couples therapist")
    expect(table.get_by_role("row", name=re.compile("Jamie Rivera"))).to_contain_text("Couples therapist")
    expect(table.get_by_role("row", name=re.compile("Taylor Brooks"))).to_contain_text("Individual therapist")
    app.check("caseload")
    # When she switches to Spanish, Then the page is in Spanish
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis pacientes")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(table.get_by_role("row", name=re.compile("Alex Rivera"))).to_contain_text("Terapeuta de pareja")
    app.check("pacientes")
    # And her week: the demo's week holds the Riveras' couples session, both partners named,
    # not yet begun (so no attendance to take)
    page.get_by_role("link", name="Mi semana").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mi semana")
    page.get_by_role("button", name="Semana siguiente").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(app.runtime.seeded_week())
    couples = page.locator("li.entry").filter(has_text="Terapia de pareja")
    expect(couples).to_contain_text("Alex Rivera, Jamie Rivera")
    expect(couples.get_by_role("button", name=re.compile("^Registrar asistencia"))).to_be_hidden()
    app.check("semana")
