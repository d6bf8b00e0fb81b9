"""Journey of the FAQ's "Gdzie na IKP znajdę dokumentację medyczną?": a parent logs in,
switches to the child's account, opens Historia leczenia → Dokumenty, filters by type, opens a
document and downloads its PDF; the same with the keyboard only on a phone-sized screen."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import insure
from guardianship.models import AccessLogEntry
from records.models import Document
from records.tests.test_documents import make_document
from tests.browser import screenshot, tab_to
from tests.test_journey_guardianship import log_in
from tests.test_journey_vaccination import switch_to_child


@pytest.fixture
def family(parent, child):
    insure(parent.person, child)
    today = timezone.localdate()
    make_document(
        child,
        issued=today - timedelta(days=3),
        title="Morfologia krwi",
        facility_name="Laboratorium Diagnostyka",
    )
    make_document(
        child, issued=today - timedelta(days=40), type=Document.Type.DIAGNOSTIC_REPORT, title="USG jamy brzusznej",
        facility_name="Przychodnia Pod Lipami",
    )  # fmt: skip
    discharge = make_document(
        child, issued=today - timedelta(days=90), type=Document.Type.DISCHARGE_SUMMARY,
        title="Karta informacyjna leczenia szpitalnego", facility_name="Szpital Dziecięcy im. św. Łukasza",
        author_name="dr Łucja Żółkiewska", body="Rozpoznanie: zapalenie płuc.\nZalecenia: dużo płynów, odpoczynek.",
    )  # fmt: skip
    return parent, child, discharge


def download_pdf(page, trigger) -> bytes:
    with page.expect_download() as info:
        trigger()
    download = info.value
    assert re.fullmatch(r"dokument-[0-9a-f]{8}\.pdf", download.suggested_filename)
    return open(download.path(), "rb").read()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_parent_filters_the_childs_documents_and_downloads_a_pdf(page, family):
    parent, child, discharge = family
    log_in(page, parent)
    switch_to_child(page, child)

    page.get_by_role("navigation", name="Menu główne").get_by_role(
        "link", name="Historia leczenia"
    ).click()
    page.wait_for_url(re.compile(r"/historia-leczenia/dokumenty/$"))
    assert page.locator("main table tbody tr").count() == 3
    page.get_by_label("Rodzaj dokumentu").select_option(label="Wypis ze szpitala")
    page.get_by_role("button", name="Pokaż dokumenty").click()
    page.wait_for_url(re.compile(r"typ=discharge_summary"))
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1 and discharge.facility_name in rows.first.inner_text()
    screenshot(page, "journey-records-filtered")

    rows.first.get_by_role("link", name=discharge.title).click()
    main = page.locator("main").inner_text()
    assert discharge.author_name in main and "Zalecenia: dużo płynów" in main
    screenshot(page, "journey-records-document")

    content = download_pdf(page, lambda: page.get_by_role("link", name="Pobierz PDF").click())
    assert content.startswith(b"%PDF")
    entry = AccessLogEntry.objects.get(action="download_document")
    assert (entry.actor_id, entry.subject_id, entry.target) == (
        parent.pk,
        child.pk,
        str(discharge.public_id),
    )


@pytest.mark.browser
@pytest.mark.phone
@pytest.mark.django_db(transaction=True)
def test_documents_work_with_the_keyboard_only_on_a_phone(page, family):
    parent, child, discharge = family
    log_in(page, parent)
    page.goto("/uprawnienia/dzieci/")
    tab_to(page, "button:has-text('Przełącz na konto dziecka')")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ikp-acting-banner")

    page.goto("/historia-leczenia/dokumenty/")
    tab_to(page, "#id_typ")
    page.keyboard.type("Wypis")  # a closed select's type-ahead picks "Wypis ze szpitala"
    assert page.locator("#id_typ").input_value() == "discharge_summary"
    tab_to(page, "button:has-text('Pokaż dokumenty')")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"typ=discharge_summary"))
    screenshot(page, "journey-records-phone-filtered")

    tab_to(page, f"a[href$='/{discharge.public_id}/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/{discharge.public_id}/$"))
    tab_to(page, "a:has-text('Pobierz PDF')")
    screenshot(page, "journey-records-phone-document")
    assert download_pdf(page, lambda: page.keyboard.press("Enter")).startswith(b"%PDF")
    assert (
        AccessLogEntry.objects.filter(
            action="download_document", actor=parent, subject=child
        ).count()
        == 1
    )
