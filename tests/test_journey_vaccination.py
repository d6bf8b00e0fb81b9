"""Journeys of the FAQ's HPV section ("Jak zapisać dziecko na szczepienie przeciwko HPV?"):
a parent books a first dose through the FAQ's path (child's account → Profilaktyka →
Szczepienia → "Umów się na szczepienie" → vaccine → date and place → confirm); the same with
the keyboard only on a phone-sized screen; a parent whose child has a dose with an open visit
sees which clinic must close it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import insure, make_clinic, make_slot, record_dose
from tests.browser import screenshot, tab_to
from tests.test_journey_guardianship import log_in
from vaccinations.models import Appointment


@pytest.fixture
def family(parent, child):
    insure(parent.person, child)
    clinic = make_clinic(name="Przychodnia Pod Lipami", city="Kraków")
    slot = make_slot(clinic, days_ahead=9, hour=9)
    make_slot(make_clinic(name="Centrum Medyczne Port", city="Gdańsk"), days_ahead=12)
    return parent, child, clinic, slot


def switch_to_child(page, child) -> None:
    page.goto("/uprawnienia/dzieci/")
    page.get_by_role("button", name="Przełącz na konto dziecka").click()
    assert child.full_name in page.locator(".ikp-acting-banner").inner_text()


def book_through_the_faq_path(page, clinic, *, screenshot_as: str = "") -> None:
    """From Profilaktyka → Szczepienia: "Umów się na szczepienie" → HPV → Kraków → the one
    term, at `clinic` → confirm; ends on the confirmation page."""
    page.wait_for_url(re.compile(r"/profilaktyka/szczepienia/$"))
    page.get_by_role("button", name="Umów się na szczepienie").click()
    page.get_by_label("Przeciw HPV").check()
    page.get_by_role("button", name="Dalej").click()
    page.get_by_label("Miejscowość").select_option("Kraków")
    page.get_by_role("button", name="Pokaż terminy").click()
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1 and clinic.name in rows.first.inner_text()
    if screenshot_as:
        screenshot(page, screenshot_as)
    rows.first.get_by_role("link", name=re.compile("Wybierz")).click()
    page.get_by_role("button", name="Potwierdź zapis").click()
    page.wait_for_selector(".govuk-notification-banner--success")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_parent_books_a_first_dose_through_the_faq_path(page, family):
    parent, child, clinic, slot = family
    log_in(page, parent)
    switch_to_child(page, child)

    page.get_by_role("navigation", name="Menu główne").get_by_role("link", name="Profilaktyka").click()
    book_through_the_faq_path(page, clinic, screenshot_as="journey-hpv-slots")
    assert clinic.address in page.locator("main").inner_text()
    screenshot(page, "journey-hpv-booked")
    appointment = Appointment.objects.get()
    assert (appointment.child_id, appointment.slot_id, appointment.status) == (child.pk, slot.pk, "booked")


@pytest.mark.browser
@pytest.mark.phone
@pytest.mark.django_db(transaction=True)
def test_booking_works_with_the_keyboard_only_on_a_phone(page, family):
    parent, child, clinic, slot = family
    log_in(page, parent)
    page.goto("/uprawnienia/dzieci/")
    tab_to(page, "button:has-text('Przełącz na konto dziecka')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ikp-acting-banner")

    page.goto("/profilaktyka/szczepienia/")
    tab_to(page, "a:has-text('Umów się na szczepienie')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/umow/$"))
    tab_to(page, "input[value=HPV9]")
    page.keyboard.press("Space")
    tab_to(page, "button:has-text('Dalej')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/umow/HPV9/$"))
    tab_to(page, f"a[href*='{slot.public_id}']")
    page.keyboard.press("Enter")
    tab_to(page, "button:has-text('Potwierdź zapis')")
    page.keyboard.press("Enter")

    page.wait_for_selector(".govuk-notification-banner--success")
    screenshot(page, "journey-hpv-phone-keyboard")
    assert Appointment.objects.filter(child=child, status="booked").count() == 1


@pytest.mark.browser
@pytest.mark.phone
@pytest.mark.django_db(transaction=True)
def test_a_parent_sees_which_clinic_must_close_an_open_visit(page, parent, child):
    insure(parent.person, child)
    clinic = make_clinic(name="Przychodnia Rodzinna Sosnowa", city="Poznań")
    record_dose(child, on=timezone.localdate() - timedelta(days=210), clinic=clinic, visit_open=True)
    make_slot(clinic, days_ahead=4)
    log_in(page, parent)
    switch_to_child(page, child)

    page.goto("/profilaktyka/szczepienia/")
    main = page.locator("main").inner_text()
    assert clinic.name in main
    assert "nie zamknęła wizyty" in main or "nie zamknęła" in main
    screenshot(page, "journey-hpv-open-visit")

    page.get_by_role("button", name="Zgłoś problem do ikp-pomoc").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "IKP-" in page.locator(".govuk-notification-banner--success").inner_text()
