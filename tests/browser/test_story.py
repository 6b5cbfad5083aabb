"""The program's first days, as its people live them in the browser (issue 11's story): a
coordinator adds a couple and their therapist (each invited), forms the couple and books their
week; the therapist signs in for the first time, sets up TOTP and records that one partner missed
that morning's session; that partner signs in for the first time, sees the week, accepts the makeup
offered and reads what the week will cost. Every page on the way passes axe-core."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyotp
import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from local import seed
from tests.browser.conftest import App, new_app
from tests.browser.support import CHOSEN, booked_a_week_before, invitation, iso_week
from tests.clock import controlled_now
from tests.e2e.conftest import LocalRuntime

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CHICAGO = ZoneInfo("America/Chicago")


def quarter_hour_before(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


@pytest.fixture
def another_context(browser: Browser, web_runtime: LocalRuntime) -> Iterator[BrowserContext]:
    """A second browser (another person's computer: nothing shared with the first)."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def add_person(page: Page, kind: str, name: str, email: str, *, roles: tuple[str, ...] = ()) -> None:
    form = page.get_by_role("form", name="Add a person")
    form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Name").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("State (optional)").select_option("TX")
    if kind == "clinician":
        form.get_by_label("Licensed in").fill("TX")
        for role in roles:
            form.get_by_label(role).check()
    form.get_by_role("button", name="Add person").click()
    row = page.get_by_role("table").get_by_role("row", name=re.compile(re.escape(name)))
    expect(row).to_contain_text("Invited")


def give_availability(runtime: LocalRuntime, clinician: str) -> None:
    """The therapist's hours (around the clock, every day), as a coordinator sets them: so a session
    missed earlier this week has makeup times left in it, whatever the hour the test runs at."""
    token = runtime.id_token("coordinator")
    path = f"{runtime.api}/clinicians/{clinician}/availability"
    current = requests.get(path, headers={"Authorization": token}, timeout=30)
    assert current.status_code == 200, current.text
    body: dict[str, Any] = {
        "weekly": [{"weekday": d, "start": "00:00", "end": "23:45"} for d in range(7)],
        "time_off": [],
    }
    reply = requests.put(
        path, json=body, headers={"Authorization": token, "If-Match": current.headers["ETag"]}, timeout=30
    )
    assert reply.status_code == 200, reply.text


def person_id(runtime: LocalRuntime, email: str, kind: str) -> str:
    token = runtime.id_token("coordinator")
    cursor = ""
    while True:
        params = {"kind": kind, "limit": "100", **({"cursor": cursor} if cursor else {})}
        page = requests.get(
            f"{runtime.api}/people",
            params=params,
            headers={"Authorization": token},
            timeout=30,
        ).json()
        found = [p for p in page["items"] if p["email"] == email]
        if found:
            return str(found[0]["person_id"])
        cursor = page.get("next_cursor")
        assert cursor, f"no {kind} {email}"


def first_sign_in(app: App, email: str, *, staff: bool) -> str | None:
    """Sign in with the invitation's temporary password, choose `CHOSEN`; for staff, set up TOTP
    from the key the page shows. Returns that TOTP secret (staff)."""
    page = app.open()
    page.get_by_label("Staff (clinician or coordinator)" if staff else "A participant").check()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(invitation(app.runtime, email)["temporary_password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("New password again").fill(CHOSEN)
    page.get_by_role("button", name="Save password").click()
    secret = None
    if staff:
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
        app.check("totp-setup")
        secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
        page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")
    return secret


def test_a_couple_joins_their_therapist_records_a_miss_and_a_partner_takes_up_the_makeup(
    app: App, another_context: BrowserContext, request: pytest.FixtureRequest
):
    tag = uuid.uuid4().hex[:6]
    casey, jordan, ellis = (f"{n}.{tag}@example.com" for n in ("casey", "jordan", "ellis"))
    runtime = app.runtime
    # Given the coordinator, signed in
    app.open()
    app.sign_in_as("coordinator")
    page = app.page
    # When they add Casey and Jordan Lane and their therapist, Dr. Ellis Park
    add_person(page, "participant", "Casey Lane", casey)
    add_person(page, "participant", "Jordan Lane", jordan)
    add_person(
        page, "clinician", "Dr. Ellis Park", ellis, roles=("Couples therapist", "Individual therapist")
    )
    app.check("people-added")
    # Then each was invited: Cognito's invitation, with a temporary password, is in their inbox
    for email in (casey, jordan, ellis):
        assert invitation(runtime, email)["temporary_password"]
    # When the coordinator forms the couple, with Dr. Park as their couples and Casey's own therapist
    page.get_by_role("link", name="Couples", exact=True).click()
    form = page.get_by_role("form", name="Form a couple")
    form.get_by_label("First partner").select_option(label=f"Casey Lane · {casey}")
    form.get_by_label("Second partner").select_option(label=f"Jordan Lane · {jordan}")
    form.get_by_label("Couples therapist").select_option(label=f"Dr. Ellis Park · {ellis}")
    form.get_by_role("button", name="Form couple").click()
    expect(form).to_contain_text("Casey Lane and Jordan Lane are a couple")
    team = page.get_by_role("form", name="A participant's care team")
    team.get_by_label("Participant").select_option(label=f"Casey Lane · {casey}")
    team.get_by_label("Individual therapist").select_option(label=f"Dr. Ellis Park · {ellis}")
    team.get_by_role("button", name="Save care team").click()
    expect(team).to_contain_text("The care team of Casey Lane is saved.")
    # And Dr. Park's hours are set, and Casey had a session with Dr. Park three hours ago (booked
    # the week before: the API books nothing in the past), early enough in the week for makeup
    # times to be left in it (makeups are offered in the missed session's week)
    therapist, partner = person_id(runtime, ellis, "clinician"), person_id(runtime, casey, "participant")
    give_availability(runtime, therapist)
    missed_at = quarter_hour_before(controlled_now(CHICAGO) - timedelta(hours=3))
    assert iso_week(missed_at) == iso_week(controlled_now(CHICAGO)), "the test needs a weekday clock"
    missed = booked_a_week_before(runtime, therapist, partner, missed_at)
    # When the coordinator proposes the couple's next week and books it
    monday = seed.next_week_monday(runtime.started_at, "America/Chicago")
    week = iso_week(monday)
    planner = page.get_by_role("form", name="A couple's week plan")
    planner.get_by_label("Couple (choose either partner)").select_option(label=f"Casey Lane · {casey}")
    planner.get_by_label("Week", exact=True).fill(week)
    planner.get_by_role("button", name="Propose a week").click()
    proposal = page.get_by_role("region", name=f"Proposed week {week}")
    expect(proposal.get_by_role("table").first).to_contain_text("Couples therapy")
    app.check("week-plan")
    proposal.get_by_role("button", name="Book the kept sessions").click()
    expect(proposal).to_contain_text(f"Booked for {week}")

    # When Dr. Park signs in for the first time (another computer): a password, then TOTP
    therapist_app = new_app(another_context, runtime, request)
    first_sign_in(therapist_app, ellis, staff=True)
    therapist_page = therapist_app.page
    # And records that Casey did not come to this morning's session
    expect(therapist_page.get_by_role("heading", level=1)).to_contain_text(iso_week(missed_at))
    line = therapist_page.locator("li.entry").filter(has_text="Casey Lane")
    line.get_by_role("button", name=re.compile("^Record attendance for Individual therapy")).click()
    attendance = therapist_page.get_by_role("form", name=re.compile("^Attendance: Individual therapy"))
    attendance.get_by_role("group", name="Casey Lane").get_by_label("No-show").check()
    therapist_app.check("attendance")
    attendance.get_by_role("button", name="Save attendance").click()
    # Then it is saved, and Casey will be offered a makeup
    expect(therapist_page.get_by_text("Casey Lane: No-show. A makeup will be offered.")).to_be_visible()
    assert not therapist_app.watch.errors, therapist_app.watch.errors

    # When Casey signs in for the first time (the coordinator's browser, signed out first)
    page.get_by_role("button", name="Sign out").click()
    first_sign_in(app, casey, staff=False)
    # Then Casey sees the week the coordinator booked
    go_to_week(page, week)
    expect(page.get_by_text("Couples therapy").first).to_be_visible()
    expect(page.get_by_text("Individual therapy").first).to_be_visible()
    app.check("casey-week")
    # When Casey opens the makeups and accepts the first time offered for the missed session
    page.get_by_role("link", name="Makeups").click()
    offer = page.get_by_role("region", name=re.compile("missed Individual therapy"))
    expect(offer).to_contain_text("Open")
    app.check("makeups")
    offer.get_by_role("button", name=re.compile("^Accept")).first.click()
    # Then it is booked, and the offer says so
    expect(page.get_by_role("status")).to_have_text("Your makeup is booked.")
    expect(page.get_by_role("region", name=re.compile("missed Individual therapy"))).to_contain_text(
        "Accepted"
    )
    token = runtime.tokens(casey, CHOSEN)["IdToken"]
    offers = runtime.get("/me/makeups", token).json()["items"]
    (taken,) = [o for o in offers if o["missed_session_id"] == missed]
    assert taken["status"] == "accepted"
    assert taken["accepted_session_id"]
    # When Casey reads what the booked week will cost
    page.get_by_role("link", name="My costs").click()
    go_to_week(page, week)
    # Then the week's total is stated, with the reason for every line
    expect(page.get_by_text(re.compile(r"You can expect to pay \$[0-9,]+\.[0-9]{2}\."))).to_be_visible()
    estimate = runtime.get(f"/participants/{partner}/estimates/week?week={week}", token).json()
    expect(page.get_by_text(re.compile(r"You can expect to pay"))).to_contain_text(
        f"${float(estimate['totals']['you_pay']):,.2f}"
    )
    assert estimate["lines"], "the booked week has priced lines"
    expect(page.get_by_role("table").first.locator("tbody tr")).to_have_count(len(estimate["lines"]))
    app.check("casey-costs")


def go_to_week(page: Page, week: str) -> None:
    """From the page's week (this week), to `week` (this week or the next)."""
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"\d{4}-W\d{2}"))
    if week not in heading.inner_text():
        page.get_by_role("button", name="Next week").click()
    expect(heading).to_contain_text(week)
