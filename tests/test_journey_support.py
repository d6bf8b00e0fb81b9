"""Journey of ikp-pomoc (issue 6): a parent whose child vanished from their account after a job
change opens "Why can't I see my child's account?", sees the diagnosis and sends the prefilled
request; a support user logs in with password and TOTP, takes the request from the desk queue,
reads the child's data, grants the parent access after checking documents and resolves the
request; the parent sees the child again and the request resolved. The parent's part also with
the keyboard only on a phone-sized screen.

Desk controls are found by what they do (the form they post to, the field's name, with its
label checked), not by their text, so the journey holds while the desk's Polish catalogue is
being completed.
"""

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import formats, timezone, translation

from accounts.rules import add_months
from conftest import PASSWORD, insure
from guardianship import policy
from guardianship.models import AccessGrant, AccessLogEntry
from support.models import StaffAction, Ticket
from tests.browser import screenshot, tab_to
from tests.test_journey_guardianship import log_in
from tests.test_journey_login import SECRET, current_code

HELP_URL = "/pomoc/dostep-do-konta-dziecka/"
QUEUE_URL = "/obsluga/zgloszenia/"
PHONE = {"width": 390, "height": 844}
DESCRIPTION = "Zmieniłem pracę i od tego czasu nie widzę konta córki."
RESOLUTION = "Nadaliśmy Panu dostęp do konta córki po sprawdzeniu aktu urodzenia."


@pytest.fixture
def vanished(other_parent, child):
    """Piotr's employer covered the child until two months ago (job change); nobody since."""
    insure(other_parent.person, child, valid_to=add_months(timezone.localdate(), -2))
    assert not policy.access_for(other_parent, child).can_read
    return other_parent, child


@pytest.fixture
def desk_user(support_user):
    TOTP.activate(support_user, SECRET)  # the desk demands MFA
    return support_user


def ended_on_in_polish() -> str:
    with translation.override("pl"):
        return formats.date_format(add_months(timezone.localdate(), -2), "DATE_FORMAT")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def staff_log_in(page, user) -> None:
    page.goto("/konto/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").fill(current_code())
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(lambda url: "/konto/" not in url)


def labelled(page, name: str):
    """The form control named `name`, after checking a <label> names it (WCAG 1.3.1)."""
    control = page.locator(f"main [name={name}]")
    control_id = control.get_attribute("id")
    assert control_id and page.locator(f"label[for='{control_id}']").inner_text().strip()
    return control


def send_diagnosis_with_the_mouse(page, child) -> Ticket:
    page.goto(HELP_URL)
    page.get_by_label("Numer PESEL dziecka").fill(child.pesel)
    page.get_by_role("button", name="Sprawdź").click()
    page.wait_for_selector("textarea[name=description]")
    result = page.locator("main").inner_text()
    assert f"obowiązywało do {ended_on_in_polish()}" in result  # REGISTRATION_ENDED, its day
    assert child.first_name not in result  # the diagnosis never names the child
    page.get_by_label(re.compile("Co jeszcze powinien wiedzieć")).fill(DESCRIPTION)
    page.get_by_role("button", name="Wyślij do ikp-pomoc").click()
    panel = page.locator(".govuk-panel--confirmation")
    ticket = Ticket.objects.get()
    assert ticket.number in panel.inner_text()
    return ticket


def take_read_grant_resolve(page, ticket, parent, child) -> None:
    """The desk: queue → the request → take it → the child's data → grant → resolve."""
    page.locator(f"main a[href='{QUEUE_URL}']").click()  # "Pages for staff" on the start page
    page.wait_for_url(re.compile(rf"{QUEUE_URL}$"))
    assert no_horizontal_scroll(page)
    screenshot(page, "journey-support-desk-queue")
    page.get_by_role("link", name=ticket.number).click()
    take = page.locator("form:has(input[name=me]) button")
    assert re.fullmatch(r"Przejmij zgłoszenie|Take this request", take.inner_text().strip())
    take.click()
    page.wait_for_selector(".govuk-notification-banner--success")

    # "Concerns": the person's data, named only on that (logged) page.
    assert child.full_name not in page.locator("main").inner_text()
    page.locator(f"main a[href$='/{ticket.public_id}/osoba/']").first.click()
    assert child.full_name in page.locator("h1").inner_text()
    person = page.locator("main").inner_text()
    assert child.pesel in person and parent.person.full_name in person  # the ended coverage
    page.locator("a.govuk-back-link").click()

    page.locator(f"main a[href$='/{ticket.public_id}/opiekun/']").click()
    labelled(page, "grantee_surname").fill(parent.person.surname)
    labelled(page, "grantee_pesel").fill(parent.person.pesel)
    labelled(page, "documents_checked").check()
    labelled(page, "justification").fill(
        "Akt urodzenia dziecka sprawdzony: ojciec, opiekun prawny."
    )
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".govuk-notification-banner--success")
    screenshot(page, "journey-support-desk-granted")

    status = page.locator(f"form[action$='/{ticket.public_id}/status/']")
    status.locator("select[name=status]").select_option("resolved")
    status.locator("textarea[name=body]").fill(RESOLUTION)
    status.locator("button").click()
    page.wait_for_selector(".govuk-notification-banner--success")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_parent_gets_a_vanished_child_back_through_ikp_pomoc(
    page, chromium, live_server, vanished, desk_user, celery_eager, mailoutbox
):
    parent, child = vanished
    log_in(page, parent)
    ticket = send_diagnosis_with_the_mouse(page, child)
    assert (ticket.category, ticket.source, ticket.person) == ("child_access", "diagnosis", child)
    assert ticket.diagnosis["child_access"]["code"] == "registration_ended"
    screenshot(page, "journey-support-sent")

    desk = chromium.new_context(
        base_url=live_server.url, locale="pl-PL", viewport={"width": 1280, "height": 900}
    )
    try:
        staff = desk.new_page()
        staff_log_in(staff, desk_user)
        take_read_grant_resolve(staff, ticket, parent, child)
        assert no_horizontal_scroll(staff)
        screenshot(staff, "journey-support-desk-ticket")
    finally:
        desk.close()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.RESOLVED, desk_user)
    grant = AccessGrant.objects.get(subject=child)
    assert (grant.source, grant.granted_by, grant.grantee_pesel) == (
        AccessGrant.Source.SUPPORT,
        desk_user,
        parent.person.pesel,
    )
    assert StaffAction.objects.filter(ticket=ticket, kind=StaffAction.Kind.GRANT_GUARDIAN).exists()
    assert AccessLogEntry.objects.filter(
        subject=child, action=AccessLogEntry.Action.SUPPORT_VIEW_PERSON, target=ticket.number
    ).exists()
    assert any(
        RESOLUTION in m.body and ticket.number in m.subject
        for m in mailoutbox
        if m.to == [parent.email]
    )

    # The parent, still logged in, sees the child again and the request resolved.
    page.goto("/uprawnienia/dzieci/")
    assert child.full_name in page.locator("main").inner_text()
    page.goto("/pomoc/zgloszenia/")
    row = page.locator("main table tbody tr", has_text=ticket.number)
    assert "rozwiązane" in row.inner_text()
    row.get_by_role("link", name=ticket.number).click()
    main = page.locator("main").inner_text()
    assert RESOLUTION in main and "rozwiązane" in main
    assert "Akt urodzenia dziecka sprawdzony" not in main  # the justification stays internal
    screenshot(page, "journey-support-patient-resolved")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_parent_sends_the_diagnosis_with_the_keyboard_only_on_a_phone(
    chromium, live_server, vanished, celery_eager
):
    parent, child = vanished
    context = chromium.new_context(
        base_url=live_server.url, locale="pl-PL", viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, parent)
        page.goto(HELP_URL)
        tab_to(page, "input[name=pesel]")
        page.keyboard.type(child.pesel)
        page.keyboard.press("Enter")
        page.wait_for_selector("textarea[name=description]")
        assert f"obowiązywało do {ended_on_in_polish()}" in page.locator("main").inner_text()
        assert no_horizontal_scroll(page)
        screenshot(page, "journey-support-phone-diagnosis")
        tab_to(page, "textarea[name=description]", limit=60)
        page.keyboard.type(DESCRIPTION)
        tab_to(page, "button:has-text('Wyślij do ikp-pomoc')")
        page.keyboard.press("Enter")

        page.wait_for_selector(".govuk-panel--confirmation")
        ticket = Ticket.objects.get()
        assert ticket.number in page.locator(".govuk-panel--confirmation").inner_text()
        tab_to(page, "main a[href='/pomoc/zgloszenia/']", limit=60)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/pomoc/zgloszenia/$"))
        tab_to(page, f"main a[href$='/{ticket.public_id}/']", limit=60)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(rf"/{ticket.public_id}/$"))

        main = page.locator("main").inner_text()
        assert ticket.number in main and DESCRIPTION in main and "obowiązywało do" in main
        assert child.first_name not in main  # "the child you asked about" while access is lost
        assert no_horizontal_scroll(page)
        screenshot(page, "journey-support-phone-ticket")
    finally:
        context.close()
