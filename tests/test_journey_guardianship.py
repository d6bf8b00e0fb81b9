"""Journey (the FAQ's "Jak udostępnić konto dziecka drugiemu rodzicowi"): a parent logs in,
switches to the child's account, opens the guardian list and adds the other parent; the other
parent logs in and sees the child. Also with the keyboard only on a phone-sized screen."""

import re

import pytest

from conftest import PASSWORD, insure
from tests.browser import screenshot, tab_to


def log_in(page, user) -> None:
    page.goto("/konto/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Zaloguj się").click()
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def family(parent, other_parent, child):
    insure(parent.person, child)
    return parent, other_parent, child


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_parent_shares_the_childs_account_with_the_other_parent(
    page, chromium, live_server, family
):
    parent, other_parent, child = family
    log_in(page, parent)

    # Menu → Uprawnienia → Konta Twoich dzieci → switch to the child's account
    page.get_by_role("navigation", name="Menu główne").get_by_role(
        "link", name="Uprawnienia"
    ).click()
    page.get_by_role("link", name="Konta Twoich dzieci").first.click()
    page.get_by_role("button", name="Przełącz na konto dziecka").click()
    assert child.full_name in page.locator(".ikp-acting-banner").inner_text()
    screenshot(page, "journey-guardianship-switched")

    # The blue "Lista opiekunów" tile under the child's name
    page.goto("/uprawnienia/dzieci/")
    page.get_by_role("link", name="Lista opiekunów").click()
    assert parent.person.full_name in page.locator("main table").inner_text()

    # Dodaj opiekuna: surname, PESEL, the legal-guardian confirmation, Zapisz
    page.get_by_label("Nazwisko").fill(other_parent.person.surname)
    page.get_by_label("Numer PESEL").fill(other_parent.person.pesel)
    page.get_by_label("Potwierdzam, że ta osoba jest opiekunem prawnym dziecka").check()
    page.get_by_role("button", name="Zapisz").click()
    assert other_parent.person.full_name in page.locator("main table").inner_text()
    screenshot(page, "journey-guardianship-added")

    # The other parent logs in (own browser) and sees the child at once.
    context = chromium.new_context(base_url=live_server.url, locale="pl-PL")
    try:
        other = context.new_page()
        log_in(other, other_parent)
        other.goto("/uprawnienia/dzieci/")
        assert child.full_name in other.locator("main").inner_text()
        other.get_by_role("button", name="Przełącz na konto dziecka").click()
        assert child.full_name in other.locator(".ikp-acting-banner").inner_text()
        screenshot(other, "journey-guardianship-other-parent")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.phone
@pytest.mark.django_db(transaction=True)
def test_adding_the_other_parent_works_with_the_keyboard_only_on_a_phone(page, family):
    parent, other_parent, child = family
    log_in(page, parent)
    page.goto("/uprawnienia/dzieci/")

    tab_to(page, "a:has-text('Lista opiekunów')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/opiekunowie/$"))
    tab_to(page, "input[name=surname]")
    page.keyboard.type(other_parent.person.surname)
    tab_to(page, "input[name=pesel]")
    page.keyboard.type(other_parent.person.pesel)
    tab_to(page, "input[name=legal_guardian_confirmed]")
    page.keyboard.press("Space")
    tab_to(page, "button:has-text('Zapisz')")
    page.keyboard.press("Enter")

    page.wait_for_selector(".govuk-notification-banner--success")
    assert other_parent.person.full_name in page.locator("main table").inner_text()
    screenshot(page, "journey-guardianship-phone-keyboard")
