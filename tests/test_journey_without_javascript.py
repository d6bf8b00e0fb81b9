"""The FAQ's journeys with JavaScript switched off in the browser (the `no_js` marker): every
page is server-rendered and must work without it. A parent on a phone books the HPV first dose
through the FAQ's path and cancels it; a parent shares the child's account with the other
parent, in English; a parent sends the child-access diagnosis to ikp-pomoc with a scan, and
support works the request on the desk.

Without JavaScript the phone's menu is not folded behind the "Menu" button: its links are
shown, and the journeys follow them as a user would.
"""

import re
from pathlib import Path

import pytest

from conftest import insure, make_clinic, make_slot
from guardianship.models import AccessGrant
from support.models import Attachment, Ticket
from tests.browser import screenshot
from tests.test_journey_guardianship import log_in
from tests.test_journey_support import (  # desk_user and vanished are fixtures
    desk_user,  # noqa: F401
    staff_log_in,
    take_read_grant_resolve,
    vanished,  # noqa: F401
)
from tests.test_journey_vaccination import book_through_the_faq_path
from vaccinations.models import Appointment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def menu_link(page, name: str):
    """A link of the main menu, which must be visible without JavaScript (nothing to unfold)."""
    link = page.get_by_role("navigation", name=re.compile("Menu główne|Main menu")).get_by_role(
        "link", name=name
    )
    assert link.is_visible(), f"the menu link {name!r} is hidden without JavaScript"
    return link


@pytest.fixture
def hpv_family(parent, child):
    insure(parent.person, child)
    clinic = make_clinic(name="Przychodnia Pod Lipami", city="Kraków")
    return parent, child, clinic, make_slot(clinic, days_ahead=9, hour=9)


def no_script_ran(page) -> bool:
    """JavaScript is really off: GOV.UK Frontend marks <body> once its script has run."""
    return "govuk-frontend-supported" not in (page.locator("body").get_attribute("class") or "")


@pytest.mark.browser
@pytest.mark.phone
@pytest.mark.no_js
@pytest.mark.django_db(transaction=True)
def test_a_parent_books_and_cancels_a_first_dose_on_a_phone_without_javascript(page, hpv_family):
    parent, child, clinic, slot = hpv_family
    log_in(page, parent)
    assert no_script_ran(page)

    menu_link(page, "Uprawnienia").click()
    page.get_by_role("link", name="Konta Twoich dzieci").first.click()
    page.get_by_role("button", name="Przełącz na konto dziecka").click()
    assert child.full_name in page.locator(".ikp-acting-banner").inner_text()

    menu_link(page, "Profilaktyka").click()
    book_through_the_faq_path(page, clinic)
    screenshot(page, "journey-nojs-hpv-booked")
    appointment = Appointment.objects.get(child=child)
    assert (appointment.slot_id, appointment.status) == (slot.pk, Appointment.Status.BOOKED)

    page.get_by_role("button", name="Odwołaj wizytę").click()
    page.get_by_role("button", name="Tak, odwołaj wizytę").click()
    page.wait_for_url(re.compile(r"/profilaktyka/szczepienia/$"))
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    # The slot is free again at once: it is offered on the next booking.
    page.get_by_role("button", name="Umów się na szczepienie").click()
    page.get_by_label("Przeciw HPV").check()
    page.get_by_role("button", name="Dalej").click()
    assert clinic.name in page.locator("main table").inner_text()


@pytest.mark.browser
@pytest.mark.no_js
@pytest.mark.django_db(transaction=True)
def test_a_parent_shares_the_child_in_english_without_javascript(page, parent, other_parent, child):
    insure(parent.person, child)
    log_in(page, parent)
    page.get_by_role("button", name="English").click()  # the language form posts without JS
    page.wait_for_selector("html[lang=en]")

    menu_link(page, "Permissions").click()
    page.get_by_role("link", name="Your children's accounts").first.click()
    page.get_by_role("link", name="Guardian list").click()
    page.get_by_label("Surname").fill(other_parent.person.surname)
    page.get_by_label("PESEL number").fill(other_parent.person.pesel)
    page.get_by_label("I confirm this person is the child's legal guardian").check()
    page.get_by_role("button", name="Save").click()

    assert other_parent.person.full_name in page.locator("main table").inner_text()
    screenshot(page, "journey-nojs-guardian-added-en")
    grant = AccessGrant.objects.get(subject=child)
    assert (grant.grantee_pesel, grant.granted_by) == (other_parent.person.pesel, parent)


@pytest.mark.browser
@pytest.mark.no_js
@pytest.mark.django_db(transaction=True)
def test_ikp_pomoc_works_on_both_sides_without_javascript(
    page,
    chromium,
    live_server,
    vanished,  # noqa: F811  (the fixture imported above)
    desk_user,  # noqa: F811
    tmp_path: Path,
):
    parent, child = vanished
    log_in(page, parent)

    # "Why can't I see my child's account?" → the diagnosis → send it to ikp-pomoc.
    page.goto("/pomoc/dostep-do-konta-dziecka/")
    page.get_by_label("Numer PESEL dziecka").fill(child.pesel)
    page.get_by_role("button", name="Sprawdź").click()
    page.get_by_label(re.compile("Co jeszcze powinien wiedzieć")).fill("Zmieniłem pracę.")
    page.get_by_role("button", name="Wyślij do ikp-pomoc").click()
    ticket = Ticket.objects.get()
    assert ticket.number in page.locator(".govuk-panel--confirmation").inner_text()

    # A scan added to the request: a plain file input and a form post.
    scan = tmp_path / "akt-urodzenia.pdf"
    scan.write_bytes(PDF)
    page.goto(f"/pomoc/zgloszenia/{ticket.public_id}/")
    page.locator("main textarea[name=body]").fill("Dosyłam akt urodzenia.")
    page.locator("main input[type=file]").set_input_files(str(scan))
    page.locator(f"main form[action$='/{ticket.public_id}/odpowiedz/'] button[type=submit]").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    assert Attachment.objects.get().name == "akt-urodzenia.pdf"

    desk = chromium.new_context(base_url=live_server.url, locale="pl-PL", java_script_enabled=False)
    try:
        staff = desk.new_page()
        staff_log_in(staff, desk_user)
        take_read_grant_resolve(staff, ticket, parent, child)
        assert "akt-urodzenia.pdf" in staff.locator("main").inner_text()
    finally:
        desk.close()

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    page.goto("/uprawnienia/dzieci/")
    assert child.full_name in page.locator("main").inner_text()
