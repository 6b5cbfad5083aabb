"""A participant in the web app: signs in, reads their week, costs and settings, in English and
Spanish, every page passing axe-core."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import App

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_participant_signs_in_and_reads_the_seeded_week_costs_and_settings(app: App):
    # Given the demo participant Alex, whose next week the demo booked
    week = app.runtime.seeded_week()
    app.open()
    app.check("sign-in")
    # When Alex signs in
    app.sign_in_as("participant")
    page = app.page
    # Then the app opens on this week, in Alex's own zone
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")
    expect(page.get_by_text("America/Chicago")).to_be_visible()
    # When Alex goes to the demo's week
    page.get_by_role("button", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(week)
    # Then the booked sessions are listed by day
    expect(page.get_by_text("Individual therapy").first).to_be_visible()
    expect(page.get_by_text("Couples therapy").first).to_be_visible()
    app.check("week")
    # And the week's cost says what Alex pays and why
    page.get_by_role("link", name="My costs").click()
    page.get_by_role("button", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(week)
    expect(page.get_by_text(re.compile(r"You can expect to pay \$[0-9,]+\.[0-9]{2}\."))).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("Why")
    app.check("costs")
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Email me")).to_be_visible()
    app.check("settings")


def test_the_app_speaks_spanish_and_keeps_the_choice(app: App):
    # Given Alex signed in
    app.open()
    app.sign_in_as("participant")
    page = app.page
    # When Spanish is chosen
    page.get_by_label("Language").select_option("es")
    # Then the page and the document's language are Spanish
    expect(page.get_by_role("link", name="Mi semana")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mi semana")
    app.check("semana")
    # And after a reload (a new sign-in) the app is still in Spanish
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Iniciar sesión")
    app.check("iniciar-sesion")


def alex_on_the_demo_week(app: App) -> tuple[Page, str]:
    """Alex signed in, on the week the demo booked (next week): the page and that week."""
    week = app.runtime.seeded_week()
    app.open()
    app.sign_in_as("participant")
    page = app.page
    page.get_by_role("button", name="Next week").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(week)
    return page, week


def test_a_participant_cancels_a_session_and_is_told_whether_it_was_late(app: App):
    # Given Alex signed in, on the demo's week
    page, week = alex_on_the_demo_week(app)
    # When Alex cancels the individual therapy session, confirming it
    page.get_by_role("button", name=re.compile(r"^Cancel Individual therapy on ")).first.click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Cancel Individual therapy on .*\?$"))
    ).to_be_visible()
    expect(page.get_by_text("less than 24 hours before the start")).to_be_visible()
    app.check("cancel-confirm")
    page.get_by_label("Reason (optional)").fill("a work trip")
    page.get_by_role("button", name="Yes, cancel it").click()
    # Then the app says so (a late cancel when inside the cutoff), and the week shows it cancelled
    expect(page.get_by_role("status")).to_contain_text("The session is cancelled.")
    expect(page.get_by_text(re.compile(r"^(Cancelled|Late cancel)$")).first).to_be_visible()
    token = app.runtime.id_token("participant")
    items = app.runtime.get(f"/me/schedule?week={week}", token).json()["items"]
    cancelled = [i for i in items if i["type"] == "individual" and i["status"] != "booked"]
    assert len(cancelled) == 1
    late = cancelled[0]["status"] == "late_cancelled"
    said = page.get_by_role("status").inner_text()
    assert ("late cancel" in said) == late


def test_the_join_button_shows_only_while_the_room_is_open(app: App):
    # Given Alex on the demo's week, before the room of the couple's session opens
    page, week = alex_on_the_demo_week(app)
    token = app.runtime.id_token("participant")
    items = app.runtime.get(f"/me/schedule?week={week}", token).json()["items"]
    booked = [i for i in items if i["type"] == "couples" and i["status"] == "booked"]
    first = min(booked, key=lambda i: i["start"])
    join = page.get_by_role("button", name="Join Couples therapy")
    expect(join).to_be_hidden()
    # When the page's clock reaches ten minutes before its start (the room opens 15 minutes before)
    page.clock.set_system_time(datetime.fromisoformat(first["start"]) - timedelta(minutes=10))
    page.clock.run_for(31_000)  # the page looks again every 30 s
    # Then its Join button shows
    expect(join).to_be_visible()
    app.check("join")


def test_a_participant_creates_copies_and_turns_off_their_calendar_link(app: App):
    # Given Alex signed in, on Settings
    app.open()
    app.sign_in_as("participant")
    page = app.page
    page.get_by_role("link", name="Settings").click()
    # When Alex creates a calendar link
    page.get_by_role("button", name="Create a new link").click()
    link = page.get_by_label("Your calendar link")
    expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/calendar/"))
    url = link.input_value()
    app.check("calendar-link")
    # Then it is a calendar any calendar app can read
    feed = requests.get(url, timeout=30)
    assert feed.status_code == 200, feed.text
    assert feed.text.startswith("BEGIN:VCALENDAR")
    # And Copy puts it on the clipboard
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == url
    # When Alex turns it off, the link stops working
    page.get_by_role("button", name="Turn the link off").click()
    expect(page.get_by_text("Your calendar link is turned off.")).to_be_visible()
    assert requests.get(url, timeout=30).status_code == 404
