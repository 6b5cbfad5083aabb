"""A clinician in the web app: enrols TOTP at their first sign-in, reads their week and their
caseload by name, records attendance (a no-show's makeup offer reaches the participant), leads
a group's attendance from its roster, in English and Spanish, every page passing axe-core.

Sessions and group seats "booked last week" are written through the functions' own rules and
stores, with the instant they were booked a week before, as the demo seed writes its program:
the API books nothing in the past, and attendance is only taken once a session has begun. Last
week is in the past at any instant, so these tests hold whenever they run."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import App
from tests.browser.support import (
    CHOSEN,
    PRIYA,
    booked_a_week_before,
    coordinator,
    invitation,
    iso_week,
    last_week_day,
    makeup_for,
    new_clinician,
    new_participant,
    participant_token,
    seated_a_week_before,
    staff_enrolled,
)
from tests.e2e.support import eventually, post

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

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
