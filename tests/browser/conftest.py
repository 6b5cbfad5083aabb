"""The web app in a real browser: headless Chromium (Debian's `chromium`; Playwright drives it,
no browser download) against the real `python -m local`, what `make serve` runs.

- The browser is never optional: without Chromium these tests fail, saying how to install it
  (`apt-get install -y chromium`; `.ci/run` does), rather than pass without a browser.
- The page's clock is the runtime's (the test clock): Playwright installs it in the page, so
  "is the room open", "is this session in the future" and token expiry agree with the API.
- Every page a test visits can be checked by axe-core (WCAG 2.0/2.1/2.2 A and AA rules), and a
  screenshot of it lands in `test-artifacts/screenshots/`.
- A test fails on any script error in the page and on any Content-Security-Policy violation
  (the app must run under the same CSP CloudFront serves it with).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.clock import controlled_now
from tests.e2e.conftest import ROOT, LocalRuntime, start_runtime, stop_runtime

CHROMIUM_ENV = "TANDEM_CHROMIUM"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO_PASSWORD = "Tandem-demo-2026!"
ACTION_TIMEOUT_MS = 45_000
EXPECT_TIMEOUT_MS = 20_000
"""How long a click or an assertion waits for the page. Generous: on a loaded 2-core machine a
function's first call in the runtime (its worker importing it) can take many seconds, and waiting
on a condition costs nothing once it holds."""
expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def chromium_path() -> str:
    """Chromium's executable: `TANDEM_CHROMIUM`, else `chromium` on the PATH."""
    found = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        pytest.fail(
            "The browser tests need Chromium and it is not installed. On Debian or Ubuntu: "
            "`apt-get install -y chromium` (CI's .ci/run does this), or point TANDEM_CHROMIUM at a "
            "Chromium or Chrome executable.",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="module")
def web_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """A runtime per test module (its tests create people, book and cancel sessions; another
    module's story starts from the demo as seeded). It starts in a few seconds."""
    runtime = start_runtime(tmp_path_factory.mktemp("tandem-web"))
    yield runtime
    stop_runtime(runtime)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
    yield browser
    browser.close()


@dataclass
class PageWatch:
    """What went wrong in the page: script errors, CSP violations and failed API calls."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"script error: {exc}"))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.errors.append(f"CSP: {text}")


@dataclass
class App:
    """A browser tab on the web app, with the helpers a test needs."""

    page: Page
    runtime: LocalRuntime
    test_name: str
    watch: PageWatch
    shots: int = 0

    @property
    def url(self) -> str:
        return f"{self.runtime.api}/app/"

    def open(self) -> Page:
        self.page.goto(self.url)
        return self.page

    def sign_in(
        self, email: str, password: str, *, staff: bool = False, totp_secret: str | None = None
    ) -> None:
        page = self.page
        page.get_by_label("Staff (clinician or coordinator)" if staff else "A participant").check()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        if totp_secret:
            page.get_by_label("6-digit code").fill(pyotp.TOTP(totp_secret).now())
            page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Sign out").wait_for()

    def sign_in_as(self, role: str) -> dict[str, str]:
        """Sign in as the demo person of `role` (their TOTP when staff)."""
        user = self.runtime.user(role)
        self.sign_in(
            user["username"],
            user["password"],
            staff=role != "participant",
            totp_secret=user.get("totp_secret"),
        )
        return user

    def check(self, name: str) -> None:
        """The page as it stands: a screenshot, then axe-core's WCAG A/AA rules, with no violation."""
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.test_name}-{self.shots:02d}-{name}".lower()).strip("-")
        self.page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
        result = Axe().run(self.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        assert result.violations_count == 0, f"axe-core on {name}:\n{result.generate_report()}"


@pytest.fixture
def context(browser: Browser, web_runtime: LocalRuntime) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_runtime.api)
    yield context
    context.close()


def new_app(context: BrowserContext, runtime: LocalRuntime, request: pytest.FixtureRequest) -> App:
    """A tab whose clock is the runtime's (the test clock, ticking)."""
    page = context.new_page()
    page.clock.install(time=controlled_now())
    watch = PageWatch()
    watch.attach(page)
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    return App(page, runtime, request.node.name, watch)


@pytest.fixture
def app(context: BrowserContext, web_runtime: LocalRuntime, request: pytest.FixtureRequest) -> Iterator[App]:
    opened = new_app(context, web_runtime, request)
    yield opened
    assert not opened.watch.errors, "\n".join(opened.watch.errors)
