"""Journey: a parent logs in with password and TOTP, sees the start page, switches to English."""

import time
from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

from conftest import PASSWORD
from tests.browser import screenshot, tab_to

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def is_start_page(url: str) -> bool:
    return urlsplit(url).path == "/"


def current_code() -> str:
    """The TOTP code of this 30-second window; allauth allows no drift, so near the end of a
    window wait for the next one rather than type a code that expires on the way."""
    if time.time() % 30 > 25:
        time.sleep(30 - time.time() % 30 + 0.2)
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(SECRET, counter))


@pytest.fixture
def parent_with_totp(parent):
    TOTP.activate(parent, SECRET)
    return parent


def _log_in(page, user) -> None:
    page.goto("/konto/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").fill(current_code())
    page.locator("input[name=code]").press("Enter")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_parent_logs_in_with_totp_sees_start_page_and_switches_to_english(page, parent_with_totp):
    _log_in(page, parent_with_totp)

    page.wait_for_url(is_start_page)
    assert page.locator("html").get_attribute("lang") == "pl"
    assert "Anna Kowalska" in page.locator("main").inner_text()
    screenshot(page, "journey-login-start-pl")

    page.get_by_role("button", name="English").click()

    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Anna Kowalska" in page.locator("main").inner_text()
    assert "Treatment history" in page.get_by_role("navigation", name="Main menu").inner_text()
    screenshot(page, "journey-login-start-en")


@pytest.mark.browser
@pytest.mark.phone
@pytest.mark.django_db(transaction=True)
def test_the_same_journey_works_on_a_phone_with_the_keyboard_only(page, parent_with_totp):
    page.goto("/konto/login/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main-content"  # skip link first
    tab_to(page, "input[name=login]")
    page.keyboard.type(parent_with_totp.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    tab_to(page, "input[name=code]")
    page.keyboard.type(current_code())
    page.keyboard.press("Enter")

    page.wait_for_url(is_start_page)
    assert "Anna Kowalska" in page.locator("main").inner_text()
    screenshot(page, "journey-login-start-phone")
