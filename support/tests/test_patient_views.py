"""The patient's side of ikp-pomoc (/pomoc/zgloszenia/) through its views: the list of one's
own requests, a request's page and thread, replying, reopening, attachments, and the
permission ladder (anyone but the requester gets 404; anonymous users go to the login page)."""

import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import resolve_url
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.roles import SUPPORT_GROUP
from conftest import insure, make_grant, make_person, make_user
from guardianship.models import AccessLogEntry
from guardianship.policy import SUPPORT_ACCESS, SubjectAccess
from support import rules, services, staff_actions
from support.attachments import accept
from support.models import Attachment, Ticket, TicketMessage
from support.tests.conftest import open_ticket
from support.tests.test_attachments import EXE, PDF, PNG

pytestmark = pytest.mark.django_db

LIST = "/pomoc/zgloszenia/"
NEW = "/pomoc/zgloszenia/nowe/"
VERIFICATION = "/konto/weryfikacja/"
# The list's cost, whatever the number of tickets: the login (one statement with its person, the
# MFA group check and the identity verification: accounts/backends.py), the count and the page of
# tickets. The session is written at most once a minute, not here. Pinned so that a change to it
# is a decision.
LIST_QUERIES = 3


def page_url(ticket: Ticket, suffix: str = "") -> str:
    return f"/pomoc/zgloszenia/{ticket.public_id}/{suffix}"


def attachment_url(ticket: Ticket, item: Attachment) -> str:
    return page_url(ticket, f"zalaczniki/{item.public_id}/")


def polish(message) -> str:
    """A message as the Polish page shows it (translated, HTML-escaped)."""
    with translation.override("pl"):
        return escape(str(message))


def listed_numbers(html: str) -> list[str]:
    """Ticket numbers linked from a list, in page order."""
    return re.findall(r'href="/pomoc/zgloszenia/[0-9a-f-]{36}/">(IKP-\d{4}-\d{6})</a>', html)


def concerns(html: str) -> str:
    """The text of the ticket page's "Concerns" row."""
    with translation.override("pl"):
        label = escape(translation.gettext("Concerns"))
    match = re.search(
        rf'<dt class="govuk-summary-list__key">{re.escape(label)}</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        html,
        re.DOTALL,
    )
    assert match, "the ticket page has no Concerns row"
    return match.group(1).strip()


def upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def with_file(requester, name="skan.png", data=PNG, **fields) -> Ticket:
    return open_ticket(requester, files=(accept(name, data),), **fields)


def resolve(ticket: Ticket, staff) -> None:
    services.status_change(ticket=ticket, staff=staff, to=Ticket.Status.RESOLVED)


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_only_own_tickets_newest_first(client, parent, stranger):
    start = timezone.now() - timedelta(days=3)
    mine = []
    for day in range(3):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            mine.append(open_ticket(parent))
    theirs = open_ticket(stranger)
    client.force_login(parent)

    response = client.get(LIST)

    assert response.status_code == 200
    assert listed_numbers(response.content.decode()) == [t.number for t in reversed(mine)]
    assert theirs.number not in response.content.decode()


def test_the_list_is_paginated_with_strona(client, parent):
    start = timezone.now() - timedelta(days=30)
    tickets = []
    for day in range(25):
        with time_machine.travel(start + timedelta(days=day), tick=False):
            tickets.append(open_ticket(parent))
    newest_first = [t.number for t in reversed(tickets)]
    client.force_login(parent)

    first = client.get(LIST).content.decode()
    second = client.get(LIST, {"strona": 2}).content.decode()
    too_far = client.get(LIST, {"strona": 99})

    assert listed_numbers(first) == newest_first[:20]
    assert listed_numbers(second) == newest_first[20:]
    assert 'href="?strona=2"' in first
    assert too_far.status_code == 200  # a bad page number is the last page, never a 404
    assert listed_numbers(too_far.content.decode()) == newest_first[20:]


def test_the_list_costs_the_same_queries_for_3_and_30_tickets(
    client, parent, django_assert_num_queries
):
    for _ in range(3):
        open_ticket(parent)
    client.force_login(parent)
    client.get(LIST)  # the first page after a login slides the session (a write) as any would
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(LIST).status_code == 200

    for _ in range(27):
        open_ticket(parent)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST)
    assert len(listed_numbers(response.content.decode())) == 20


# --- one ticket: what the patient sees -------------------------------------------------------


def test_the_page_shows_public_entries_and_never_internal_ones(
    client, parent, insured_child, desk_user
):
    ticket = open_ticket(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS)
    services.ticket_assign(ticket=ticket, by=desk_user, to=desk_user)
    services.note_add(ticket=ticket, staff=desk_user, body="Tajna notatka zespołu")
    staff_actions.insurance_resync(
        staff=desk_user,
        ticket=ticket,
        subject=SubjectAccess(insured_child, SUPPORT_ACCESS),
        justification="Uzasadnienie tylko dla zespołu",
    )
    services.staff_reply(
        ticket=ticket, staff=desk_user, body="Odpowiedź dla rodzica", wait_for_patient=True
    )
    assert ticket.messages.filter(internal=True).count() == 3  # assignment, note, staff action
    client.force_login(parent)

    page = client.get(page_url(ticket)).content.decode()

    assert "Nie działa." in page  # the description
    assert "Odpowiedź dla rodzica" in page
    assert "Tajna notatka" not in page
    assert "Uzasadnienie tylko dla zespołu" not in page
    assert desk_user.email not in page  # the internal assignment entry names the staff member
    # Opened, taken (in progress), the reply, waiting for the patient: four public entries.
    assert page.count('class="ikp-thread__entry') == 4
    assert "ikp-thread__entry--internal" not in page


def test_opening_the_page_is_written_to_the_requesters_own_access_history(client, parent):
    ticket = open_ticket(parent)
    client.force_login(parent)

    client.get(page_url(ticket))

    entry = AccessLogEntry.objects.get(action=AccessLogEntry.Action.VIEW_TICKET)
    assert (entry.actor, entry.subject, entry.acting_for) == (parent, parent.person, parent.person)
    assert (entry.target, entry.basis) == (ticket.number, "own")


def test_the_child_is_named_while_the_requester_has_access(client, parent, insured_child):
    client.force_login(parent)
    client.post(
        NEW,
        {
            "category": "missing_documents",
            "person": str(insured_child.public_id),
            "description": "Brak wyniku.",
        },
    )
    ticket = Ticket.objects.get(requester=parent)

    assert concerns(client.get(page_url(ticket)).content.decode()) == insured_child.full_name


def test_the_vanished_child_is_no_longer_named(client, parent, other_parent, insured_child):
    """Another parent insures the child later: their coverage now decides, so Anna loses access
    and her old request must not keep naming the child."""
    ticket = open_ticket(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS)
    insure(other_parent.person, insured_child, valid_from=timezone.localdate() - timedelta(days=10))
    client.force_login(parent)

    page = client.get(page_url(ticket)).content.decode()

    assert insured_child.full_name not in page
    with translation.override("pl"):
        assert concerns(page) == escape(translation.gettext("the child you asked about"))


def test_the_english_interface_renders(client, parent):
    ticket = open_ticket(parent)
    client.force_login(parent)

    english_list = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    english_page = client.get(page_url(ticket), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    polish_list = client.get(LIST).content.decode()

    assert "Your requests to ikp-pomoc" in english_list and ticket.number in english_list
    assert "Add a message" in english_page and "History" in english_page
    assert "Twoje zgłoszenia do ikp-pomoc" in polish_list


# --- the permission ladder -------------------------------------------------------------------


@pytest.fixture
def annas_ticket(parent, insured_child, other_parent):
    """Anna's request about her child, with a file; Piotr may see the child (a grant)."""
    make_grant(insured_child, other_parent.person, by=parent)
    return with_file(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS)


def _requests(ticket: Ticket):
    item = ticket.attachments.get()
    return [
        ("get", page_url(ticket), {}),
        ("post", page_url(ticket, "odpowiedz/"), {"body": "Cudza wiadomość"}),
        ("post", page_url(ticket, "otworz-ponownie/"), {}),
        ("get", attachment_url(ticket, item), {}),
    ]


@pytest.fixture
def desk_patient(db):
    """A support staff member who is also a patient with a verified identity (and TOTP)."""
    user = make_user(
        person=make_person(born=date(1988, 4, 4), first_name="Ewa", surname="Pomocna"),
        email="ewa.pomoc@example.test",
        groups=[SUPPORT_GROUP],
    )
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.mark.parametrize("who", ["stranger", "other_parent", "desk_patient"])
def test_anyone_but_the_requester_gets_404(client, request, who, annas_ticket):
    client.force_login(request.getfixturevalue(who))

    for method, url, data in _requests(annas_ticket):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert annas_ticket.messages.filter(kind=TicketMessage.Kind.MESSAGE).count() == 0
    assert not AccessLogEntry.objects.filter(action=AccessLogEntry.Action.VIEW_TICKET).exists()


def test_a_support_login_without_a_person_never_reaches_a_patients_ticket(
    client, desk_user, annas_ticket
):
    """The patient pages need a verified identity: a desk-only login is sent to verification."""
    client.force_login(desk_user)

    for method, url, data in _requests(annas_ticket):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response.url == VERIFICATION, url
    assert annas_ticket.messages.filter(kind=TicketMessage.Kind.MESSAGE).count() == 0


def test_anonymous_users_are_sent_to_log_in(client, annas_ticket):
    login = resolve_url(settings.LOGIN_URL)
    for method, url, data in [("get", LIST, {}), ("get", NEW, {}), *_requests(annas_ticket)]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response.url.startswith(login), url
    assert annas_ticket.messages.count() == 1  # only the opening


def test_wrong_methods_are_refused(client, parent):
    ticket = open_ticket(parent)
    client.force_login(parent)
    assert client.get(page_url(ticket, "odpowiedz/")).status_code == 405
    assert client.get(page_url(ticket, "otworz-ponownie/")).status_code == 405
    assert client.post(LIST).status_code == 405


# --- replying and reopening ------------------------------------------------------------------


def test_a_reply_on_a_waiting_ticket_puts_it_back_in_progress(client, parent, desk_user):
    ticket = open_ticket(parent)
    services.staff_reply(
        ticket=ticket, staff=desk_user, body="Prosimy o skan.", wait_for_patient=True
    )
    client.force_login(parent)

    response = client.post(
        page_url(ticket, "odpowiedz/"), {"body": "Skan w załączeniu."}, follow=True
    )

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.messages.filter(
        kind=TicketMessage.Kind.MESSAGE, body="Skan w załączeniu.", author=parent
    ).exists()
    assert "Skan w załączeniu." in response.content.decode()


def test_an_empty_reply_is_refused_on_the_page(client, parent):
    ticket = open_ticket(parent)
    client.force_login(parent)

    response = client.post(page_url(ticket, "odpowiedz/"), {"body": ""})

    assert response.status_code == 400
    assert 'class="govuk-error-summary' in response.content.decode()
    assert ticket.messages.count() == 1


def test_reopening_within_14_days_works(client, parent, desk_user):
    ticket = open_ticket(parent)
    resolve(ticket, desk_user)
    ticket.refresh_from_db()

    with time_machine.travel(ticket.resolved_at + timedelta(days=13, hours=23), tick=False):
        client.force_login(parent)
        page = client.get(page_url(ticket)).content.decode()
        assert page_url(ticket, "otworz-ponownie/") in page
        response = client.post(page_url(ticket, "otworz-ponownie/"))

    assert response.status_code == 302 and response.url == page_url(ticket)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (Ticket.Status.IN_PROGRESS, None)
    assert ticket.messages.filter(
        kind="event", status=Ticket.Status.IN_PROGRESS, author=parent, internal=False
    ).exists()


def test_reopening_an_open_ticket_again_does_not_claim_it_expired(client, parent, desk_user):
    """A second click on "Reopen" (or a second tab) finds the ticket open already: the answer
    must not say it was resolved more than 14 days ago, and nothing changes."""
    ticket = open_ticket(parent)
    resolve(ticket, desk_user)
    client.force_login(parent)
    client.post(page_url(ticket, "otworz-ponownie/"))

    again = client.post(page_url(ticket, "otworz-ponownie/"), follow=True)

    assert polish(services.REFUSALS[rules.Refusal.REOPEN_EXPIRED]) not in again.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.IN_PROGRESS
    assert ticket.messages.filter(status=Ticket.Status.IN_PROGRESS).count() == 1


def test_reopening_after_15_days_is_refused_with_a_message(client, parent, desk_user):
    ticket = open_ticket(parent)
    resolve(ticket, desk_user)
    ticket.refresh_from_db()

    with time_machine.travel(ticket.resolved_at + timedelta(days=15), tick=False):
        client.force_login(parent)
        page = client.get(page_url(ticket)).content.decode()
        response = client.post(page_url(ticket, "otworz-ponownie/"), follow=True)
        reply = client.post(
            page_url(ticket, "odpowiedz/"), {"body": "Nadal nie działa."}, follow=True
        )

    assert page_url(ticket, "otworz-ponownie/") not in page  # no button offered any more
    assert response.status_code == 200
    assert polish(services.REFUSALS[rules.Refusal.REOPEN_EXPIRED]) in response.content.decode()
    assert polish(services.REFUSALS[rules.Refusal.REOPEN_EXPIRED]) in reply.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED
    assert not ticket.messages.filter(kind=TicketMessage.Kind.MESSAGE).exists()


def test_a_closed_ticket_has_no_reply_form_and_refuses_a_reply(client, parent, desk_user):
    ticket = open_ticket(parent)
    resolve(ticket, desk_user)
    services.status_change(ticket=ticket, staff=desk_user, to=Ticket.Status.CLOSED)
    client.force_login(parent)

    page = client.get(page_url(ticket)).content.decode()
    response = client.post(page_url(ticket, "odpowiedz/"), {"body": "Jeszcze jedno."}, follow=True)

    assert page_url(ticket, "odpowiedz/") not in page and 'name="body"' not in page
    assert response.status_code == 200
    assert polish(services.REFUSALS[rules.Refusal.CLOSED]) in response.content.decode()
    assert not ticket.messages.filter(kind=TicketMessage.Kind.MESSAGE).exists()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


# --- attachments -----------------------------------------------------------------------------


def test_files_sent_with_a_new_request_download_as_sent(client, parent):
    client.force_login(parent)
    response = client.post(
        NEW,
        {
            "category": "other",
            "description": "Zdjęcie i zaświadczenie.",
            "attachments": [
                upload("zdjecie.png", PNG, "image/png"),
                upload("zaswiadczenie.pdf", PDF, "application/pdf"),
            ],
        },
    )
    ticket = Ticket.objects.get(requester=parent)
    assert response.status_code == 302 and response.url == page_url(ticket)
    files = {a.name: a for a in ticket.attachments.all()}
    assert set(files) == {"zdjecie.png", "zaswiadczenie.pdf"}
    assert all(a.message_id is None for a in files.values())

    page = client.get(page_url(ticket)).content.decode()
    for name, data, content_type in [
        ("zdjecie.png", PNG, "image/png"),
        ("zaswiadczenie.pdf", PDF, "application/pdf"),
    ]:
        assert attachment_url(ticket, files[name]) in page
        download = client.get(attachment_url(ticket, files[name]))
        assert download.status_code == 200
        assert download.content == data
        assert download["Content-Type"] == content_type
        assert (
            download["Content-Disposition"].startswith("attachment;")
            and name in download["Content-Disposition"]
        )
        assert download["X-Content-Type-Options"] == "nosniff"


def test_a_file_sent_with_a_reply_downloads(client, parent):
    ticket = open_ticket(parent)
    client.force_login(parent)

    client.post(
        page_url(ticket, "odpowiedz/"),
        {"body": "Dosyłam.", "attachments": upload("wynik.pdf", PDF, "application/pdf")},
    )

    item = Attachment.objects.get(ticket=ticket)
    assert item.message.body == "Dosyłam." and item.name == "wynik.pdf"
    download = client.get(attachment_url(ticket, item))
    assert download.content == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_an_exe_named_pdf_is_refused_and_the_description_is_kept(client, parent):
    client.force_login(parent)

    response = client.post(
        NEW,
        {
            "category": "other",
            "description": "Opis, który ma zostać.",
            "attachments": upload("wniosek.pdf", EXE, "application/pdf"),
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "wniosek.pdf" in page  # the refused file is named
    assert "Opis, który ma zostać." in page  # and the text typed is not lost
    assert 'class="govuk-error-summary' in page
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_an_exe_named_pdf_is_refused_on_a_reply(client, parent):
    ticket = open_ticket(parent)
    client.force_login(parent)

    response = client.post(
        page_url(ticket, "odpowiedz/"),
        {"body": "Załącznik.", "attachments": upload("skan.pdf", EXE, "application/pdf")},
    )

    assert response.status_code == 400
    assert "skan.pdf" in response.content.decode() and "Załącznik." in response.content.decode()
    assert ticket.messages.count() == 1 and not Attachment.objects.exists()


def test_an_attachment_of_an_internal_entry_is_404_for_the_patient(client, parent, desk_user):
    ticket = with_file(parent)
    note = services.note_add(ticket=ticket, staff=desk_user, body="Dokument od zespołu")
    data = accept("wewnetrzny.png", PNG)
    internal = Attachment.objects.create(
        ticket=ticket,
        message=note,
        name=data.name,
        content_type=data.content_type,
        size=len(PNG),
        sha256="0" * 64,
        content=PNG,
    )
    opening = ticket.attachments.get(message__isnull=True)
    client.force_login(parent)

    assert client.get(attachment_url(ticket, internal)).status_code == 404
    assert client.get(attachment_url(ticket, opening)).status_code == 200
    assert "wewnetrzny.png" not in client.get(page_url(ticket)).content.decode()


def test_an_attachment_of_another_ticket_is_404_through_ones_own(client, parent, stranger):
    mine = open_ticket(parent)
    theirs = with_file(stranger)
    client.force_login(parent)

    assert client.get(attachment_url(mine, theirs.attachments.get())).status_code == 404


def test_the_number_carries_the_polish_year_of_opening(client, parent):
    """00:30 on New Year's Day in Warsaw is still the old year in UTC: the number says the new."""
    with time_machine.travel(timezone.make_aware(datetime(2026, 1, 1, 0, 30)), tick=False):
        ticket = open_ticket(parent)
    client.force_login(parent)
    assert ticket.number.startswith("IKP-2026-")
    assert ticket.number in client.get(LIST).content.decode()
