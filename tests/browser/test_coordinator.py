"""A coordinator in the web app: adds people and forms a couple, plans and books a couple's
week, reads who is under or over plan, checks eligibility and reads failed messages, in English
and Spanish, every page passing axe-core."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from functions.common.dynamo import to_item
from functions.notify.models import FailureRecord
from functions.notify.vocabulary import Channel, MessageKind
from local import seed
from tests.browser.conftest import App
from tests.clock import controlled_now

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def open_page(page: Page, link: str, heading: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


def api_post(app: App, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """The API called as the demo coordinator, outside the page."""
    headers = {"Authorization": app.runtime.id_token("coordinator")}
    reply = requests.post(app.runtime.api + path, json=body, headers=headers, timeout=30)
    assert reply.ok, reply.text
    result: dict[str, Any] = reply.json()
    return result


def add_person(form: Locator, kind: str, name: str, email: str) -> None:
    form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Name").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("State (optional)").select_option("TX")


def test_a_coordinator_adds_two_partners_and_a_therapist_and_forms_the_couple(app: App):
    # Given the demo coordinator, signed in (password and TOTP code)
    app.open()
    app.sign_in_as("coordinator")
    page = app.page
    # Then the app opens on People: the demo participants with their sign-in accounts
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    people = page.get_by_role("table")
    expect(people.get_by_role("row", name=re.compile("Alex Rivera"))).to_contain_text("Invited")
    expect(people.get_by_role("row", name=re.compile("Casey Brooks"))).to_contain_text("No account")
    app.check("people")

    # When a new participant's email is not an email address
    form = page.get_by_role("form", name="Add a person")
    add_person(form, "participant", "Robin Vega", "robin.vega-at-example.com")
    form.get_by_role("button", name="Add person").click()
    # Then the API's problem is shown at the email field, which is marked invalid and focused
    email = form.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(email).to_have_accessible_description(
        re.compile("Enter an email address such as name@example.com")
    )
    expect(form.get_by_role("alert")).to_have_text("Check the marked fields.")
    app.check("people-invalid-email")

    # When the email is corrected, with a treatment plan
    email.fill("robin.vega@example.com")
    form.get_by_label("Sessions a week, at least").fill("3")
    form.get_by_label("Sessions a week, at most").fill("5")
    form.get_by_label("Hours a week, at least").fill("9")
    form.get_by_label("Hours a week, at most").fill("12")
    form.get_by_role("button", name="Add person").click()
    # Then Robin is listed, selected, and invited to sign in
    details = page.get_by_role("region", name="Robin Vega")
    expect(details).to_contain_text("Invited")
    expect(details).to_contain_text("3\u20135 sessions, 9\u201312 hours a week")
    expect(people.get_by_role("row", name=re.compile("Robin Vega"))).to_contain_text("Invited")

    # When the partner and a couples therapist are added too
    add_person(form, "participant", "Sky Vega", "sky.vega@example.com")
    form.get_by_role("button", name="Add person").click()
    expect(people.get_by_role("row", name=re.compile("Sky Vega"))).to_contain_text("Invited")
    add_person(form, "clinician", "Dr. Kim Lee", "kim.lee@example.com")
    form.get_by_label("Licensed in").fill("tx, ca")
    form.get_by_role("button", name="Add person").click()
    # (a clinician needs a role: the checkboxes have no one field, so the summary names it)
    expect(form.get_by_role("alert")).to_contain_text("roles:")
    form.get_by_label("Couples therapist").check()
    form.get_by_label("Individual therapist").check()
    form.get_by_role("button", name="Add person").click()
    # Then the list shows clinicians, the new one invited
    expect(page.get_by_label("Show")).to_have_value("clinician")
    expect(people.get_by_role("row", name=re.compile("Dr. Kim Lee"))).to_contain_text("Invited")
    expect(page.get_by_role("region", name="Dr. Kim Lee")).to_contain_text("TX, CA")

    # When the coordinator forms the couple
    open_page(page, "Couples", "Couples")
    couple = page.get_by_role("form", name="Form a couple")
    couple.get_by_label("First partner").select_option(label="Robin Vega · robin.vega@example.com")
    couple.get_by_label("Second partner").select_option(label="Sky Vega · sky.vega@example.com")
    couple.get_by_label("Couples therapist").select_option(label="Dr. Kim Lee · kim.lee@example.com")
    couple.get_by_label("Joint sessions").select_option("two_locations")
    couple.get_by_role("button", name="Form couple").click()
    # Then the couple is formed, and the week plan looks it up through Robin
    expect(couple).to_contain_text(
        "Robin Vega and Sky Vega are a couple, with Dr. Kim Lee as their couples therapist."
    )
    expect(
        page.get_by_text("Couple: Robin Vega and Sky Vega; couples therapist Dr. Kim Lee.")
    ).to_be_visible()
    # And Robin's individual therapist is set on the care team
    team = page.get_by_role("form", name="A participant's care team")
    team.get_by_label("Participant").select_option(label="Robin Vega · robin.vega@example.com")
    team.get_by_label("Individual therapist").select_option(label="Dr. Kim Lee · kim.lee@example.com")
    team.get_by_role("button", name="Save care team").click()
    expect(team).to_contain_text("The care team of Robin Vega is saved.")
    app.check("couples")

    # When Sky leaves the program: deactivated, after a confirmation
    open_page(page, "People", "People")
    expect(page.get_by_label("Show")).to_have_value("clinician")  # the page remembers what it showed
    page.get_by_label("Show").select_option("participant")
    people.get_by_role("button", name="Sky Vega").click()
    sky = page.get_by_role("region", name="Sky Vega")
    expect(sky.get_by_role("heading", name="Sky Vega")).to_be_focused()
    sky.get_by_role("button", name="Deactivate").click()
    confirm = sky.get_by_role("group", name="Deactivate Sky Vega?")
    expect(confirm).to_contain_text("Their records are kept")
    app.check("people-deactivate-confirm")
    confirm.get_by_role("button", name="Yes, deactivate").click()
    # Then the account says so, and Sky can be reactivated
    expect(people.get_by_role("row", name=re.compile("Sky Vega"))).to_contain_text("Deactivated")
    page.get_by_role("region", name="Sky Vega").get_by_role("button", name="Reactivate").click()
    expect(people.get_by_role("row", name=re.compile("Sky Vega"))).to_contain_text("Invited")
    # When Casey, who has no account yet, is sent the invitation
    people.get_by_role("button", name="Casey Brooks").click()
    page.get_by_role("region", name="Casey Brooks").get_by_role("button", name="Send invitation").click()
    # Then Casey's account is invited
    expect(people.get_by_role("row", name=re.compile("Casey Brooks"))).to_contain_text("Invited")
    # When Alex, who has chosen a password, would be invited again
    people.get_by_role("button", name="Alex Rivera").click()
    alex = page.get_by_role("region", name="Alex Rivera")
    alex.get_by_role("button", name="Re-send invitation").click()
    # Then the API's answer is shown: there is no invitation to resend
    expect(alex.get_by_role("alert")).to_contain_text("already chosen a password")
    # When Dr. Kim has lost her authenticator
    page.get_by_label("Show").select_option("clinician")
    people.get_by_role("button", name="Dr. Kim Lee").click()
    kim = page.get_by_role("region", name="Dr. Kim Lee")
    kim.get_by_role("button", name="Reset lost authenticator").click()
    kim.get_by_role("group", name="Reset the authenticator of Dr. Kim Lee?").get_by_role(
        "button", name="Yes, reset it"
    ).click()
    # Then the coordinator is told it is done
    expect(page.get_by_role("status")).to_have_text("The authenticator of Dr. Kim Lee is reset.")
    # And nothing about whom the coordinator looked at is in the URL
    assert page.url.endswith("/app/#/people"), page.url


def test_a_coordinator_plans_the_riveras_week_leaves_a_session_out_and_books_it(app: App):
    # Given the Riveras (the demo couple) with nothing booked the week after the demo's
    monday = seed.next_week_monday(app.runtime.started_at, "America/Chicago") + timedelta(days=7)
    year, number, _ = monday.isocalendar()
    week = f"{year}-W{number:02d}"
    app.open()
    app.sign_in_as("coordinator")
    page = app.page
    open_page(page, "Couples", "Couples")
    planner = page.get_by_role("form", name="A couple's week plan")
    # When the coordinator picks the couple through Alex and proposes that week
    planner.get_by_label("Couple (choose either partner)").select_option(
        label="Alex Rivera · alex@tandem.example"
    )
    expect(planner).to_contain_text(
        "Couple: Alex Rivera and Jamie Rivera; couples therapist Dr. Priya Natarajan."
    )
    planner.get_by_label("Week", exact=True).fill(week)
    planner.get_by_role("button", name="Propose a week").click()
    # Then the proposal lists sessions, times in the participants' zone, and each partner's week
    proposal = page.get_by_role("region", name=f"Proposed week {week}")
    expect(proposal.get_by_role("heading", level=2)).to_be_focused()
    sessions = proposal.get_by_role("table").first
    expect(sessions).to_contain_text("Couples therapy")
    expect(sessions).to_contain_text("America/Chicago")
    rows = sessions.locator("tbody tr")
    proposed = rows.count()
    assert proposed >= 2
    partners = proposal.get_by_role("table", name=re.compile("With the sessions and seats you keep"))
    counts = [
        partners.get_by_role("row", name=re.compile(name)).locator("td").first for name in ("Alex", "Jamie")
    ]
    before = [int(cell.inner_text().split()[0]) for cell in counts]  # "5 (4-5)": sessions (the plan's range)
    app.check("week-plan")
    # When the coordinator leaves the couples session out
    left_out = rows.filter(has_text="Couples therapy").get_by_role("checkbox")
    left_out.uncheck()
    # Then both partners' weeks count one session less
    for cell, count in zip(counts, before, strict=True):
        expect(cell).to_have_text(re.compile(rf"^{count - 1} \("))
    # When the rest is booked
    proposal.get_by_role("button", name="Book the kept sessions").click()
    # Then the booking names what was booked, the left-out session not among it
    expect(proposal).to_contain_text(f"Booked for {week}: {proposed - 1} session(s)")
    expect(left_out).to_be_disabled()
    expect(proposal.get_by_role("listitem").filter(has_text="Couples therapy")).to_have_count(0)
    app.check("week-plan-booked")

    # Given a proposal for the week after, booked elsewhere before the coordinator books it
    later = monday + timedelta(days=7)
    year, number, _ = later.isocalendar()
    week2 = f"{year}-W{number:02d}"
    planner.get_by_label("Week", exact=True).fill(week2)
    planner.get_by_role("button", name="Propose a week").click()
    proposal = page.get_by_role("region", name=f"Proposed week {week2}")
    expect(proposal.get_by_role("table").first).to_contain_text("Couples therapy")
    plan = api_post(app, "/couples/cpl_demorivera/week-plan", {"week": week2})
    api_post(
        app,
        "/couples/cpl_demorivera/week-plan/book",
        {"week": week2, "sessions": plan["sessions"], "groups": plan["groups"]},
    )
    # When the coordinator books the page's proposal
    proposal.get_by_role("button", name="Book the kept sessions").click()
    # Then the clash is shown, and nothing was booked
    expect(proposal.get_by_role("alert")).to_contain_text("Nothing was booked")
    app.check("week-plan-clash")

    # When the coordinator opens the under/over-plan list and moves a week on
    open_page(page, "Under/over plan", "Under and over plan")
    this_week = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text(this_week)
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    # Then the demo participants under plan are listed by name, with their plan
    expect(page.get_by_role("region", name=re.compile("Under plan"))).to_contain_text("Casey Brooks")
    expect(page.get_by_text(re.compile(r"\d+ participant\(s\) are within their plan\."))).to_be_visible()
    app.check("intensity")


def test_a_coordinator_checks_eligibility_reads_failed_messages_and_works_in_spanish(app: App):
    # Given 26 messages to Jamie that failed for good this month, one more than a page
    now = controlled_now()
    notify = app.runtime.client("dynamodb")
    for n in range(26):
        failure = FailureRecord(
            message_id=f"msg.browser.{now.timestamp():.0f}.{n:02d}",
            person_id="per_demojamie",
            channel=Channel.SMS,
            kind=MessageKind.REMINDER,
            reason="UNREACHABLE_DESTINATION",
            failed_at=now - timedelta(seconds=n),
            attempts=3,
        )
        notify.put_item(
            TableName=app.runtime.state["tables"]["notify"], Item=to_item(failure.to_attributes())
        )
    # And a plan of Casey's whose member the payer does not know (the local clearinghouse's SIM-NOTFOUND)
    casey = {"first_name": "Casey", "last_name": "Brooks", "birth_date": "1991-05-14"}
    plan = {"payer_name": "Harbor Health HMO", "payer_id": "HHH01", "plan_type": "HMO", "patient": casey}
    api_post(app, "/participants/per_democasey/plans", {**plan, "member_id": "SIM-NOTFOUND-0042"})
    app.open()
    app.sign_in_as("coordinator")
    page = app.page
    # When the coordinator checks Alex's plan with the payer
    open_page(page, "Eligibility", "Eligibility")
    page.get_by_label("Participant").select_option(label="Alex Rivera · alex@tandem.example")
    plans = page.get_by_role("region", name="Insurance plans")
    expect(plans).to_contain_text("Lone Star Mutual PPO")
    app.check("eligibility-plans")
    plans.get_by_role("button", name="Check eligibility with Lone Star Mutual PPO").click()
    # Then the latest result shows the status, the payer's message, the plan dates and benefits
    result = page.get_by_role("region", name="Latest result: Lone Star Mutual PPO")
    expect(result).to_contain_text("Active")
    expect(result).to_contain_text("Coverage is active")
    expect(result.get_by_role("table")).to_contain_text("Mental health, in network")
    expect(result.get_by_role("table")).to_contain_text("copay")
    app.check("eligibility-result")
    # When the coordinator checks Casey's new plan
    page.get_by_label("Participant").select_option(label="Casey Brooks · casey@tandem.example")
    expect(plans.get_by_role("row", name=re.compile("Self-pay"))).to_contain_text(
        "Self-pay: nothing to check"
    )
    plans.get_by_role("button", name="Check eligibility with Harbor Health HMO").click()
    # Then the result is a rejection, with the payer's code and what to do about it
    rejected = page.get_by_role("region", name="Latest result: Harbor Health HMO")
    expect(rejected).to_contain_text("Rejected")
    rejection = rejected.get_by_role("row", name=re.compile("^75"))
    expect(rejection).to_contain_text("Subscriber/insured not found")
    expect(rejection).to_contain_text("Correct the inquiry and check again")
    app.check("eligibility-rejected")

    # When the coordinator opens the failed messages
    open_page(page, "Failed messages", "Failed messages")
    # Then a page of Jamie's failed reminders is listed, by name
    rows = page.get_by_role("row", name=re.compile("Jamie Rivera"))
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("Reminder")
    expect(rows.first).to_contain_text("Text message")
    expect(rows.first).to_contain_text("UNREACHABLE_DESTINATION")
    app.check("failures")
    # And "More" brings the rest
    page.get_by_role("button", name="More").click()
    expect(rows).to_have_count(26)
    expect(page.get_by_role("button", name="More")).to_have_count(0)
    # And the month before has its own list
    page.get_by_role("button", name="Previous month").click()
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    # When the coordinator switches to Spanish
    page.get_by_label("Language").select_option("es")
    # Then the pages speak Spanish
    open_page(page, "Personas", "Personas")
    expect(page.get_by_role("form", name="Agregar una persona")).to_contain_text("Zona horaria")
    app.check("personas")
    open_page(page, "Parejas", "Parejas")
    expect(page.get_by_role("form", name="Formar una pareja")).to_contain_text("Terapeuta de pareja")
    app.check("parejas")
