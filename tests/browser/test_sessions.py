"""Sessions in the browser: an expiring session is renewed without the person noticing; one that
cannot be renewed asks for the password over the page, and what the person was doing goes on;
a participant may turn on two-step sign-in."""

from __future__ import annotations

import uuid
from typing import Any

import pyotp
import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.conftest import DEMO_PASSWORD, App

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

TOKEN_LIFETIME = "01:01:00"
"""Past the ID token's 60 minutes (Playwright's fast_forward takes hh:mm:ss)."""


def saved_quiet_start(app: App) -> str:
    token = app.runtime.id_token("participant")
    reply = app.runtime.get("/me/notification-preferences", token)
    return str(reply.json()["quiet_hours_start"])


def alex_changing_quiet_hours_when_the_session_ends(
    app: App, quiet_start: str
) -> tuple[Page, dict[str, str]]:
    """Alex signed in, on Settings with `quiet_start` typed and not saved, when the session ends
    for good: an hour passes (the ID token expires) and Alex is signed out everywhere (the refresh
    token is revoked). The page, and Alex's demo login."""
    app.open()
    alex = app.sign_in_as("participant")
    page = app.page
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Quiet hours start").fill(quiet_start)
    page.clock.fast_forward(TOKEN_LIFETIME)
    app.runtime.cognito().admin_user_global_sign_out(
        UserPoolId=app.runtime.state["user_pool_id"], Username=alex["username"]
    )
    return page, alex


def test_an_expired_session_is_renewed_silently(app: App):
    # Given Alex signed in, changing a setting
    app.open()
    app.sign_in_as("participant")
    page = app.page
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Quiet hours start").fill("21:30")
    # When an hour passes (the ID token expires) and Alex saves
    page.clock.fast_forward(TOKEN_LIFETIME)
    page.get_by_role("button", name="Save", exact=True).click()
    # Then it is saved with a refreshed token, without asking Alex anything
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert saved_quiet_start(app).startswith("21:30")


def test_a_session_that_cannot_be_renewed_asks_again_over_the_page_and_goes_on(app: App):
    # Given Alex signed in, with an unsaved change on the settings page
    # And the session ends for good: an hour passes and Alex is signed out everywhere
    page, user = alex_changing_quiet_hours_when_the_session_ends(app, "22:15")
    # When Alex saves
    page.get_by_role("button", name="Save", exact=True).click()
    # Then a sign-in dialog opens over the page, which is still there underneath
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Please sign in again")).to_be_visible()
    expect(dialog.get_by_label("Email")).to_have_value(user["username"])
    app.check("sign-in-again")
    dialog.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    # And once signed in, the save that waited goes through, with what Alex had typed
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Quiet hours start")).to_have_value("22:15")
    assert saved_quiet_start(app).startswith("22:15")


def create_participant(app: App) -> dict[str, Any]:
    email = f"new-{uuid.uuid4().hex[:8]}@tandem.example"
    reply = requests.post(
        f"{app.runtime.api}/people",
        json={
            "kind": "participant",
            "display_name": "Sam Newcomer",
            "email": email,
            "time_zone": "America/Denver",
            "state": "CO",
            "age_group": "adult",
        },
        headers={"Authorization": app.runtime.id_token("coordinator")},
        timeout=30,
    )
    assert reply.status_code == 201, reply.text
    sent = requests.get(f"{app.runtime.api}/_local/invitations", timeout=10).json()["items"]
    (invitation,) = [m for m in sent if m["to"] == email]
    return {"email": email, "temporary_password": invitation["temporary_password"]}


def test_a_new_participant_chooses_a_password_and_may_turn_on_two_step_sign_in(app: App):
    # Given a participant a coordinator just created, with the invitation's temporary password
    person = create_participant(app)
    app.open()
    page = app.page
    # When they sign in for the first time
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password", exact=True).fill(person["temporary_password"])
    page.get_by_role("button", name="Sign in").click()
    # Then they choose a password of their own (a weak one is refused, saying why)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    app.check("choose-password")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("alert")).to_contain_text("too weak")
    chosen = "Sam-own-passw0rd!"
    page.get_by_label("New password", exact=True).fill(chosen)
    page.get_by_label("New password again").fill(chosen)
    page.get_by_role("button", name="Save password").click()
    # And land on their week, without a second step (participants may choose it)
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")
    # When they turn on two-step sign-in in their settings
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    app.check("two-step-set-up")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("main").get_by_text("Two-step sign-in is on")).to_be_visible()
    # Then the next sign-in asks for the code
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(person["email"])
    page.get_by_label("Password", exact=True).fill(chosen)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My week")


def test_someone_else_signing_in_over_the_page_does_not_get_the_previous_persons_change(app: App):
    # Given Alex, with an unsaved change, whose session ended for good
    page, _ = alex_changing_quiet_hours_when_the_session_ends(app, "23:45")
    jamie = next(u for u in app.runtime.state["users"] if u["username"].startswith("jamie"))
    jamie_token = app.runtime.tokens(jamie["username"], jamie["password"])["IdToken"]
    before = app.runtime.get("/me/notification-preferences", jamie_token).json()["quiet_hours_start"]
    # When the save asks for a sign-in and Jamie signs in instead
    page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Email").fill(jamie["username"])
    dialog.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    dialog.get_by_role("button", name="Sign in").click()
    # Then the app starts over as Jamie (on the same page, with Jamie's own settings), and
    # Alex's change went to nobody
    expect(page.get_by_role("banner")).to_contain_text("Jamie Rivera")
    expect(page.get_by_label("Quiet hours start")).to_have_value(before[:5])
    after = app.runtime.get("/me/notification-preferences", jamie_token).json()["quiet_hours_start"]
    assert after == before
    assert not str(saved_quiet_start(app)).startswith("23:45")
