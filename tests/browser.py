"""Playwright on Debian's chromium (never `playwright install`): fixtures for browser journeys."""

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required: `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        close_connections_of_the_playwright_context()


def close_connections_of_the_playwright_context() -> None:
    """Between its calls Playwright's sync API marks its event loop as running in this thread,
    so Django's per-thread `connections` (an asgiref Local) hand this thread a second set of
    connections, kept in the context rather than the thread. Once Playwright stops, that set is
    out of reach: a connection a later test opened in it would stay open past the session and
    keep pytest-django from dropping the test database. Close it while it is still visible."""
    from django.db import connections

    connections.close_all()


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser context: phone-sized when the test is marked `phone`, with JavaScript
    switched off when it is marked `no_js` (every page must work without it)."""
    phone = request.node.get_closest_marker("phone") is not None
    context = chromium.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 740} if phone else {"width": 1280, "height": 900},
        locale="pl-PL",
        java_script_enabled=request.node.get_closest_marker("no_js") is None,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def tab_to(page, selector: str, *, limit: int = 40) -> None:
    """Press Tab until the element matching `selector` has focus, as a keyboard user would."""
    target = page.locator(selector)
    target.wait_for()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
