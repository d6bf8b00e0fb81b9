"""The ikp-pomoc desk (/obsluga/zgloszenia/) through its views: who may open it, the queue and
its filters, searching, the person behind a ticket, the staff actions with their
justifications and audit rows, status changes, assignment, replies and their e-mail."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.roles import SUPPORT_GROUP
from accounts.rules import build_pesel
from conftest import insure, make_person, make_user, years_ago
from guardianship import policy
from guardianship.models import AccessGrant, AccessLogEntry, InsuranceEvent, LinkSuspension
from guardianship.services import not_my_child_report
from support import services
from support.attachments import accept
from support.models import ResponseTarget, StaffAction, Ticket, TicketMessage, ZusCorrection
from support.tests.conftest import open_ticket
from support.tests.test_attachments import PNG
from support.views_desk import GRANT_REFUSALS

pytestmark = pytest.mark.django_db

QUEUE = "/obsluga/zgloszenia/"
SEARCH = "/obsluga/zgloszenia/szukaj/"
# The queue's cost, whatever the number of tickets: the login (with its MFA group check), the desk
# gate's group check, its TOTP, the count, the response targets and the page of tickets with their
# assignees. The session is written at most once a minute, not here. Pinned so that a change to
# it is a decision.
QUEUE_QUERIES = 6
JUSTIFICATION = "Rodzic przesłał dokumenty, sprawdzone w zgłoszeniu."


def desk(ticket: Ticket, suffix: str = "") -> str:
    return f"/obsluga/zgloszenia/{ticket.public_id}/{suffix}"


def polish(message) -> str:
    with translation.override("pl"):
        return escape(str(message))


def queued_numbers(html: str) -> list[str]:
    """Ticket numbers linked from the queue, in page order (not the example in the hint)."""
    return re.findall(r'href="/obsluga/zgloszenia/[0-9a-f-]{36}/">(IKP-\d{4}-\d{6})</a>', html)


def queue(client, **filters) -> list[str]:
    return queued_numbers(client.get(QUEUE, filters).content.decode())


def summary_value(html: str, label: str) -> str:
    """The value of a summary-list row of the Polish page, by the row's (English) label."""
    with translation.override("pl"):
        key = escape(translation.gettext(label))
    match = re.search(
        rf'<dt class="govuk-summary-list__key">{re.escape(key)}</dt>\s*'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        html,
        re.DOTALL,
    )
    assert match, f"no {label!r} row"
    return match.group(1).strip()


def take(ticket: Ticket, staff) -> Ticket:
    services.ticket_assign(ticket=ticket, by=staff, to=staff)
    ticket.refresh_from_db()
    return ticket


def opened_days_ago(days: int, requester, **fields) -> Ticket:
    with time_machine.travel(timezone.now() - timedelta(days=days), tick=False):
        return open_ticket(requester, **fields)


def support_rows(person) -> int:
    return AccessLogEntry.objects.filter(subject=person, basis="support").count()


def grant_data(user, **overrides) -> dict:
    return {
        "grantee_surname": user.person.surname,
        "grantee_pesel": user.person.pesel,
        "documents_checked": "on",
        "justification": JUSTIFICATION,
        **overrides,
    }


# --- who may open the desk -------------------------------------------------------------------


def _every_desk_request(ticket: Ticket) -> list[tuple[str, str]]:
    item = ticket.attachments.get()
    return [
        ("get", QUEUE),
        ("get", SEARCH + "?numer=" + ticket.number),
        ("post", SEARCH),
        ("get", desk(ticket)),
        ("post", desk(ticket, "przypisz/")),
        ("post", desk(ticket, "odpowiedz/")),
        ("post", desk(ticket, "notatka/")),
        ("post", desk(ticket, "status/")),
        ("get", desk(ticket, "osoba/")),
        ("post", desk(ticket, "synchronizacja/")),
        ("get", desk(ticket, "opiekun/")),
        ("post", desk(ticket, "opiekun/")),
        ("post", desk(ticket, "to-nie-moje-dziecko/")),
        ("get", desk(ticket, f"zalaczniki/{item.public_id}/")),
    ]


@pytest.fixture
def file_ticket(parent, insured_child):
    return open_ticket(parent, person=insured_child, files=(accept("skan.png", PNG),))


def test_patients_get_403_on_every_desk_url(client, parent, file_ticket):
    client.force_login(parent)
    for method, url in _every_desk_request(file_ticket):
        assert getattr(client, method)(url, {"me": "1", "body": "x"}).status_code == 403, url
    file_ticket.refresh_from_db()
    assert file_ticket.assignee is None and file_ticket.messages.count() == 1


def test_anonymous_users_are_sent_to_log_in(client, file_ticket):
    login = resolve_url(settings.LOGIN_URL)
    for method, url in _every_desk_request(file_ticket):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(login), url


def test_support_without_totp_is_sent_to_set_it_up(client, support_user, file_ticket):
    client.force_login(support_user)
    for url in (QUEUE, desk(file_ticket)):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    response = client.post(desk(file_ticket, "przypisz/"), {"me": "1"})
    assert response.url == reverse("mfa_activate_totp")
    file_ticket.refresh_from_db()
    assert file_ticket.assignee is None


# --- the queue -------------------------------------------------------------------------------


def test_the_queue_lists_open_tickets_oldest_first(client, desk_user, parent, stranger):
    middle = opened_days_ago(2, stranger)
    oldest = opened_days_ago(5, parent)
    newest = opened_days_ago(0, parent)
    done = opened_days_ago(9, parent)
    services.status_change(ticket=done, staff=desk_user, to=Ticket.Status.RESOLVED)
    client.force_login(desk_user)

    page = client.get(QUEUE).content.decode()

    assert queued_numbers(page) == [oldest.number, middle.number, newest.number]
    resolved = client.get(QUEUE, {"status": "resolved"}).content.decode()
    assert queued_numbers(resolved) == [done.number]


def test_the_queue_filters_by_category_and_status(client, desk_user, parent):
    login = open_ticket(parent, category=Ticket.Category.LOGIN)
    hpv = open_ticket(parent, category=Ticket.Category.HPV_BOOKING)
    waiting = open_ticket(parent, category=Ticket.Category.LOGIN)
    services.staff_reply(
        ticket=waiting, staff=desk_user, body="Prosimy o zrzut ekranu.", wait_for_patient=True
    )
    client.force_login(desk_user)

    assert queue(client, kategoria="login") == [login.number, waiting.number]
    assert queue(client, kategoria="hpv_booking") == [hpv.number]
    assert queue(client, status="waiting") == [waiting.number]
    assert queue(client, kategoria="login", status="new") == [login.number]
    # An unknown filter value is ignored, never an error.
    assert len(queue(client, kategoria="nope", status="nope", wiek="2", kto="x")) == 3


def test_the_queue_filters_by_age(client, desk_user, parent):
    old = opened_days_ago(10, parent)
    week = opened_days_ago(7, parent)
    fresh = opened_days_ago(3, parent)
    client.force_login(desk_user)

    assert queue(client, wiek="7") == [old.number, week.number]
    assert queue(client, wiek="14") == []
    assert queue(client, wiek="3") == [old.number, week.number, fresh.number]

    client.logout()  # a session lasts 12 hours at most: log in again in five days' time
    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        client.force_login(desk_user)
        later = queue(client, wiek="14")
    assert later == [old.number]


def test_the_queue_filters_by_assignee(client, desk_user, other_desk_user, parent):
    mine = take(open_ticket(parent), desk_user)
    theirs = take(open_ticket(parent), other_desk_user)
    nobodys = open_ticket(parent)
    client.force_login(desk_user)

    assert queue(client, kto="moje") == [mine.number]
    assert queue(client, kto="nieprzypisane") == [nobodys.number]
    assert queue(client) == [mine.number, theirs.number, nobodys.number]


def test_the_queue_costs_the_same_queries_for_3_and_40_tickets(
    client, desk_user, other_desk_user, parent, django_assert_num_queries
):
    # The targets a migration seeds: the clocks are computed for every row.
    assert ResponseTarget.objects.filter(category=Ticket.Category.OTHER).exists()

    def add(count: int) -> None:
        for n in range(count):
            ticket = open_ticket(
                parent, category=Ticket.Category.OTHER if n % 2 else Ticket.Category.LOGIN
            )
            if n % 3:
                take(ticket, desk_user if n % 3 == 1 else other_desk_user)

    add(3)
    client.force_login(desk_user)
    client.get(QUEUE)  # the first page after a login slides the session (a write) as any would
    with django_assert_num_queries(QUEUE_QUERIES):
        assert client.get(QUEUE).status_code == 200

    add(37)
    with django_assert_num_queries(QUEUE_QUERIES):
        page = client.get(QUEUE).content.decode()
    assert len(queued_numbers(page)) == 40
    assert other_desk_user.email in page  # the assignees are shown, from the same query


# --- search ----------------------------------------------------------------------------------


def test_search_by_number_opens_the_ticket(client, desk_user, parent):
    ticket = open_ticket(parent)
    client.force_login(desk_user)

    response = client.get(SEARCH, {"numer": ticket.number.lower()})

    assert response.status_code == 302 and response.url == desk(ticket)


@pytest.mark.parametrize("number", ["IKP-2019-999999", "nie ma", ""])
def test_search_by_a_wrong_number_says_so(client, desk_user, parent, number):
    ticket = open_ticket(parent)
    client.force_login(desk_user)

    response = client.get(SEARCH, {"numer": number}, follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    with translation.override("pl"):
        assert (
            escape(translation.gettext("No request has this number.")) in response.content.decode()
        )
    assert ticket.number in response.content.decode()  # the queue itself, as before


def test_search_by_the_right_serial_in_the_wrong_year_finds_nothing(client, desk_user, parent):
    ticket = open_ticket(parent)
    wrong_year = ticket.number.replace(
        f"IKP-{ticket.created_at.year}-", f"IKP-{ticket.created_at.year - 1}-"
    )
    client.force_login(desk_user)

    assert client.get(SEARCH, {"numer": wrong_year}).url == QUEUE


def test_search_by_pesel_is_a_logged_post(client, desk_user, parent, insured_child, stranger):
    about_child = open_ticket(parent, person=insured_child)
    from_parent = open_ticket(parent)
    not_theirs = open_ticket(stranger)
    client.force_login(desk_user)

    response = client.post(SEARCH, {"pesel": parent.person.pesel})

    assert response.status_code == 200 and "Location" not in response
    page = response.content.decode()
    assert from_parent.number in page and not_theirs.number not in page
    assert about_child.number in page  # sent by the parent
    assert not any(parent.person.pesel in href for href in re.findall(r'href="([^"]*)"', page))
    logged = AccessLogEntry.objects.get(subject=parent.person)
    assert (logged.actor, logged.action, logged.basis, logged.target) == (
        desk_user,
        "support_search",
        "support",
        "search",
    )
    assert StaffAction.objects.filter(
        kind=StaffAction.Kind.SEARCH_PESEL, person=parent.person, actor=desk_user
    ).exists()
    assert not AccessLogEntry.objects.filter(subject=insured_child).exists()


def test_search_by_pesel_in_a_get_is_not_a_search(client, desk_user, parent):
    open_ticket(parent)
    client.force_login(desk_user)

    response = client.get(SEARCH, {"pesel": parent.person.pesel})

    assert response.status_code == 302 and parent.person.pesel not in response.url
    assert not AccessLogEntry.objects.exists() and not StaffAction.objects.exists()


@pytest.mark.parametrize("typed", ["12345678901", "abc", "4403210"])
def test_search_by_an_invalid_pesel_is_refused(client, desk_user, typed):
    client.force_login(desk_user)

    response = client.post(SEARCH, {"pesel": typed})

    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="govuk-error-summary' in page
    with translation.override("pl"):
        assert escape(translation.gettext("Enter a valid 11-digit PESEL number.")) in page
    assert not AccessLogEntry.objects.exists()


def test_search_for_an_unknown_person_logs_nothing(client, desk_user):
    client.force_login(desk_user)
    nobody = build_pesel(date(1970, 1, 1), sex="F", serial=999)

    response = client.post(SEARCH, {"pesel": nobody})

    assert response.status_code == 200
    assert not AccessLogEntry.objects.exists() and not StaffAction.objects.exists()


# --- the person behind a ticket: only the assignee of an open ticket -------------------------


def _gated_requests(ticket: Ticket, grantee) -> list[tuple[str, str, dict]]:
    return [
        ("get", desk(ticket, "osoba/"), {}),
        ("post", desk(ticket, "synchronizacja/"), {"justification": JUSTIFICATION}),
        ("get", desk(ticket, "opiekun/"), {}),
        ("post", desk(ticket, "opiekun/"), grant_data(grantee)),
        (
            "post",
            desk(ticket, "to-nie-moje-dziecko/"),
            {"outcome": "confirmed", "justification": JUSTIFICATION},
        ),
    ]


@pytest.mark.parametrize(
    "case", ["assigned_to_another", "unassigned", "resolved", "closed", "no_person"]
)
def test_the_person_and_every_action_are_404_outside_an_open_assigned_ticket(
    client, case, desk_user, other_desk_user, parent, other_parent, insured_child
):
    ticket = open_ticket(other_parent, person=None if case == "no_person" else insured_child)
    if case == "assigned_to_another":
        take(ticket, other_desk_user)
    elif case != "unassigned":
        take(ticket, desk_user)
    if case in ("resolved", "closed"):
        services.status_change(ticket=ticket, staff=desk_user, to=Ticket.Status.RESOLVED)
    if case == "closed":
        services.status_change(ticket=ticket, staff=desk_user, to=Ticket.Status.CLOSED)
    client.force_login(desk_user)

    for method, url, data in _gated_requests(ticket, other_parent):
        assert getattr(client, method)(url, data).status_code == 404, url

    assert not StaffAction.objects.exists()
    assert not AccessLogEntry.objects.filter(basis="support").exists()
    assert not AccessGrant.objects.exists()
    assert insured_child.full_name not in client.get(desk(ticket)).content.decode()


def test_the_assignee_reads_the_person_and_it_is_logged(client, desk_user, parent, insured_child):
    ticket = take(
        open_ticket(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS), desk_user
    )
    client.force_login(desk_user)

    page = client.get(desk(ticket, "osoba/")).content.decode()

    assert insured_child.pesel in page and parent.person.full_name in page  # the insuring parent
    logged = AccessLogEntry.objects.get(subject=insured_child)
    assert (logged.actor, logged.action, logged.basis, logged.target) == (
        desk_user,
        AccessLogEntry.Action.SUPPORT_VIEW_PERSON,
        "support",
        ticket.number,
    )


# --- staff actions ---------------------------------------------------------------------------


def _assert_recorded(ticket: Ticket, staff, person, kind: str, log_action: str) -> None:
    """The three traces of a staff action: StaffAction, the access-log row, the internal entry."""
    action = StaffAction.objects.get(ticket=ticket, kind=kind)
    assert (action.actor, action.person, action.justification) == (staff, person, JUSTIFICATION)
    logged = AccessLogEntry.objects.get(subject=person, action=log_action)
    assert (logged.actor, logged.basis, logged.target) == (staff, "support", ticket.number)
    entry = ticket.messages.get(
        kind=TicketMessage.Kind.EVENT, internal=True, body__contains=JUSTIFICATION
    )
    assert entry.author == staff and entry.mailed_at is None


@pytest.mark.parametrize(
    ("suffix", "data"),
    [
        ("synchronizacja/", {}),
        ("synchronizacja/", {"justification": "krótko"}),
        ("to-nie-moje-dziecko/", {"outcome": "rejected"}),
        ("opiekun/", {"grantee_surname": "Kowalski", "documents_checked": "on"}),
    ],
)
def test_every_action_needs_a_justification(
    client, desk_user, parent, other_parent, child, suffix, data
):
    insure(parent.person, child)
    ticket = not_my_child_report(
        user=parent, subject_access=policy.SubjectAccess(child, policy.access_for(parent, child))
    )
    take(ticket, desk_user)
    data = {**data, "grantee_pesel": other_parent.person.pesel} if suffix == "opiekun/" else data
    entries = ticket.messages.count()
    client.force_login(desk_user)

    response = client.post(desk(ticket, suffix), data)

    assert response.status_code == 400
    assert 'class="govuk-error-summary' in response.content.decode()
    assert not StaffAction.objects.exists() and not AccessGrant.objects.exists()
    assert support_rows(child) == 0
    assert ticket.messages.count() == entries
    assert LinkSuspension.objects.get(person=parent.person, subject=child).lifted_at is None


def test_resync_applies_pending_insurance_and_recomputes_access(client, desk_user, parent, child):
    insure(parent.person, child, apply=False)  # ZUS sent it; the sync has not applied it yet
    ticket = take(
        open_ticket(parent, person=child, category=Ticket.Category.CHILD_ACCESS), desk_user
    )
    assert not policy.access_for(parent, child).can_read
    client.force_login(desk_user)
    person_page = client.get(desk(ticket, "osoba/")).content.decode()
    assert summary_value(person_page, "Insurance events not yet applied") == "1"

    response = client.post(desk(ticket, "synchronizacja/"), {"justification": JUSTIFICATION})

    assert response.status_code == 302 and response.url == desk(ticket, "osoba/")
    assert policy.access_for(parent, child).can_read
    assert not InsuranceEvent.objects.filter(applied_at__isnull=True).exists()
    _assert_recorded(
        ticket, desk_user, child, StaffAction.Kind.RESYNC, AccessLogEntry.Action.SUPPORT_RESYNC
    )


def test_grant_refuses_a_surname_that_does_not_match(
    client, desk_user, other_parent, insured_child
):
    ticket = take(
        open_ticket(other_parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS),
        desk_user,
    )
    client.force_login(desk_user)

    response = client.post(
        desk(ticket, "opiekun/"), grant_data(other_parent, grantee_surname="Nowak")
    )

    assert response.status_code == 400
    assert polish(GRANT_REFUSALS["surname_mismatch"]) in response.content.decode()
    assert not AccessGrant.objects.exists() and not StaffAction.objects.exists()
    assert support_rows(insured_child) == 0
    assert not policy.access_for(other_parent, insured_child).can_read


def test_grant_refuses_a_minor(client, desk_user, parent, insured_child, child_16):
    ticket = take(
        open_ticket(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS), desk_user
    )
    unknown_minor = build_pesel(years_ago(15), sex="M", serial=771)
    client.force_login(desk_user)

    for data in (
        grant_data(child_16),
        grant_data(child_16, grantee_pesel=unknown_minor, grantee_surname="Nowak"),
    ):
        response = client.post(desk(ticket, "opiekun/"), data)
        assert response.status_code == 400
        assert polish(GRANT_REFUSALS["minor"]) in response.content.decode()
    assert not AccessGrant.objects.exists() and not StaffAction.objects.exists()


def test_a_granted_guardian_shows_on_the_childs_guardian_list_as_added_by_support(
    client, desk_user, parent, other_parent, insured_child
):
    ticket = take(
        open_ticket(other_parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS),
        desk_user,
    )
    client.force_login(desk_user)
    assert client.get(desk(ticket, "opiekun/")).status_code == 200

    response = client.post(desk(ticket, "opiekun/"), grant_data(other_parent))

    assert response.status_code == 302 and response.url == desk(ticket)
    grant = AccessGrant.objects.get(subject=insured_child)
    assert (grant.source, grant.granted_by, grant.kind) == (
        AccessGrant.Source.SUPPORT,
        desk_user,
        AccessGrant.Kind.CHILD,
    )
    _assert_recorded(
        ticket,
        desk_user,
        insured_child,
        StaffAction.Kind.GRANT_GUARDIAN,
        AccessLogEntry.Action.SUPPORT_GRANT,
    )
    assert policy.access_for(other_parent, insured_child).can_read

    client.force_login(parent)
    listing = client.get(
        f"/uprawnienia/dzieci/{insured_child.public_id}/opiekunowie/"
    ).content.decode()
    name = re.escape(other_parent.person.full_name)
    row = re.search(
        rf'<th scope="row" class="govuk-table__header">\s*{name}.*?</th>\s*<td[^>]*>(.*?)</td>',
        listing,
        re.DOTALL,
    )
    assert row, "the granted guardian is not on the list"
    assert row.group(1).strip() == polish(AccessGrant.Source.SUPPORT.label)


def test_granting_the_same_guardian_twice_is_refused(
    client, desk_user, other_parent, insured_child
):
    ticket = take(open_ticket(other_parent, person=insured_child), desk_user)
    client.force_login(desk_user)
    client.post(desk(ticket, "opiekun/"), grant_data(other_parent))

    again = client.post(desk(ticket, "opiekun/"), grant_data(other_parent))

    assert again.status_code == 400
    assert polish(GRANT_REFUSALS["already"]) in again.content.decode()
    assert AccessGrant.objects.count() == 1 and StaffAction.objects.count() == 1


@pytest.fixture
def report(parent, child):
    """Anna says the child her insurance names is not hers: link suspended, a ticket opened."""
    event_id = insure(parent.person, child)
    ticket = not_my_child_report(
        user=parent,
        subject_access=policy.SubjectAccess(child, policy.access_for(parent, child)),
        description="To nie moje dziecko.",
    )
    assert not policy.access_for(parent, child).can_read
    return ticket, event_id


def test_a_confirmed_report_keeps_the_link_ended_and_records_the_zus_correction(
    client, desk_user, parent, child, report
):
    ticket, event_id = report
    take(ticket, desk_user)
    client.force_login(desk_user)

    response = client.post(
        desk(ticket, "to-nie-moje-dziecko/"),
        {"outcome": "confirmed", "justification": JUSTIFICATION},
    )

    assert response.status_code == 302 and response.url == desk(ticket)
    suspension = LinkSuspension.objects.get(person=parent.person, subject=child)
    assert suspension.final and suspension.lifted_at is None
    correction = ZusCorrection.objects.get(ticket=ticket)
    assert (correction.insured, correction.member, correction.created_by) == (
        parent.person,
        child,
        desk_user,
    )
    assert correction.registration_event_ids == [event_id]
    _assert_recorded(
        ticket,
        desk_user,
        child,
        StaffAction.Kind.NOT_MY_CHILD_CONFIRMED,
        AccessLogEntry.Action.SUPPORT_NOT_MY_CHILD,
    )
    assert not policy.access_for(parent, child).can_read


@pytest.mark.parametrize("outcome", ["confirmed", "rejected"])
def test_a_confirmed_report_cannot_be_settled_again(
    client, desk_user, parent, child, report, outcome
):
    """Once confirmed, the link stays ended: a second settlement (a double click, a colleague's
    tab) must neither restore the link nor record a second correction."""
    ticket, _ = report
    take(ticket, desk_user)
    client.force_login(desk_user)
    client.post(
        desk(ticket, "to-nie-moje-dziecko/"),
        {"outcome": "confirmed", "justification": JUSTIFICATION},
    )

    again = client.post(
        desk(ticket, "to-nie-moje-dziecko/"),
        {"outcome": outcome, "justification": JUSTIFICATION},
        follow=True,
    )

    with translation.override("pl"):
        assert (
            escape(translation.gettext("This report has already been settled."))
            in again.content.decode()
        )
    suspension = LinkSuspension.objects.get(person=parent.person, subject=child)
    assert suspension.final and suspension.lifted_at is None
    assert (
        ZusCorrection.objects.count() == 1
        and StaffAction.objects.filter(ticket=ticket).count() == 1
    )
    assert not policy.access_for(parent, child).can_read


def test_a_rejected_report_restores_the_link(client, desk_user, parent, child, report):
    ticket, _ = report
    take(ticket, desk_user)
    client.force_login(desk_user)

    response = client.post(
        desk(ticket, "to-nie-moje-dziecko/"),
        {"outcome": "rejected", "justification": JUSTIFICATION},
    )

    assert response.status_code == 302
    assert LinkSuspension.objects.get(person=parent.person, subject=child).lifted_at is not None
    assert not ZusCorrection.objects.exists()
    _assert_recorded(
        ticket,
        desk_user,
        child,
        StaffAction.Kind.NOT_MY_CHILD_REJECTED,
        AccessLogEntry.Action.SUPPORT_NOT_MY_CHILD,
    )
    assert policy.access_for(parent, child).can_read
    client.force_login(parent)
    assert child.full_name in client.get("/uprawnienia/dzieci/").content.decode()


def test_settling_a_ticket_that_is_not_a_report_is_refused(
    client, desk_user, parent, insured_child
):
    ticket = take(
        open_ticket(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS), desk_user
    )
    client.force_login(desk_user)

    response = client.post(
        desk(ticket, "to-nie-moje-dziecko/"),
        {"outcome": "confirmed", "justification": JUSTIFICATION},
        follow=True,
    )

    assert response.status_code == 200
    with translation.override("pl"):
        assert (
            escape(translation.gettext("This request is not a “not my child” report."))
            in response.content.decode()
        )
    assert not StaffAction.objects.exists() and not ZusCorrection.objects.exists()


# --- status and assignment -------------------------------------------------------------------


def test_a_status_move_the_rules_do_not_allow_is_refused(client, desk_user, parent):
    ticket = open_ticket(parent)
    client.force_login(desk_user)

    response = client.post(desk(ticket, "status/"), {"status": "closed"})

    assert response.status_code == 400
    assert 'class="govuk-error-summary' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.closed_at is None
    assert ticket.messages.count() == 1


def test_a_closed_ticket_takes_no_status_change(client, desk_user, parent):
    ticket = open_ticket(parent)
    services.status_change(ticket=ticket, staff=desk_user, to=Ticket.Status.RESOLVED)
    services.status_change(ticket=ticket, staff=desk_user, to=Ticket.Status.CLOSED)
    client.force_login(desk_user)

    response = client.post(desk(ticket, "status/"), {"status": "in_progress"})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_an_allowed_status_move_is_made(client, desk_user, parent):
    ticket = open_ticket(parent)
    client.force_login(desk_user)

    response = client.post(desk(ticket, "status/"), {"status": "resolved", "body": "Gotowe."})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.resolved_at is not None
    assert ticket.messages.filter(
        kind="event", status="resolved", body="Gotowe.", internal=False
    ).exists()


def test_assign_to_another_support_user_and_back_to_the_queue(
    client, desk_user, other_desk_user, parent
):
    ticket = open_ticket(parent)
    client.force_login(desk_user)

    client.post(desk(ticket, "przypisz/"), {"assignee": str(other_desk_user.pk)})
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (other_desk_user, Ticket.Status.IN_PROGRESS)

    client.post(desk(ticket, "przypisz/"), {"assignee": ""})
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assignments = list(
        ticket.messages.filter(kind="event", internal=True, status="").values_list(
            "body", flat=True
        )
    )
    assert assignments == [f"→ {other_desk_user.email}", "→ —"]


def test_assigning_to_a_patient_is_refused(client, desk_user, parent):
    ticket = open_ticket(parent)
    client.force_login(desk_user)

    response = client.post(desk(ticket, "przypisz/"), {"assignee": str(parent.pk)})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee is None


# --- replies, notes and their mail -----------------------------------------------------------


def test_a_reply_waiting_for_the_patient_mails_them_once(
    client, desk_user, parent, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    ticket = take(open_ticket(parent), desk_user)
    client.force_login(desk_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            desk(ticket, "odpowiedz/"),
            {"body": "Prosimy o skan aktu urodzenia.", "wait_for_patient": "on"},
        )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING and ticket.first_response_at is not None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [parent.email]
    assert ticket.number in mail.subject
    assert "Prosimy o skan aktu urodzenia." in mail.body


def test_an_internal_note_is_never_mailed(
    client, desk_user, parent, mailoutbox, celery_eager, django_capture_on_commit_callbacks
):
    ticket = take(open_ticket(parent), desk_user)
    client.force_login(desk_user)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(desk(ticket, "notatka/"), {"body": "Tylko dla zespołu."})

    assert response.status_code == 302
    assert ticket.messages.get(kind=TicketMessage.Kind.NOTE).internal
    assert mailoutbox == [] and callbacks == []


def test_desk_attachments_only_for_the_assignee_of_an_open_ticket(
    client, desk_user, other_desk_user, file_ticket
):
    item = file_ticket.attachments.get()
    url = desk(file_ticket, f"zalaczniki/{item.public_id}/")
    client.force_login(desk_user)
    assert client.get(url).status_code == 404  # not assigned yet
    assert url not in client.get(desk(file_ticket)).content.decode()  # named, not linked

    take(file_ticket, desk_user)
    download = client.get(url)
    assert download.status_code == 200 and download.content == PNG
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert url in client.get(desk(file_ticket)).content.decode()

    client.force_login(other_desk_user)
    assert client.get(url).status_code == 404

    services.status_change(ticket=file_ticket, staff=desk_user, to=Ticket.Status.RESOLVED)
    client.force_login(desk_user)
    assert client.get(url).status_code == 404


def test_downloading_an_attachment_is_logged_on_the_person_naming_the_ticket(
    client, desk_user, other_desk_user, file_ticket, insured_child
):
    item = file_ticket.attachments.get()
    url = desk(file_ticket, f"zalaczniki/{item.public_id}/")
    take(file_ticket, desk_user)
    before = list(AccessLogEntry.objects.values_list("pk", flat=True))
    client.force_login(other_desk_user)
    assert client.get(url).status_code == 404  # not the assignee: refused, nothing logged
    client.force_login(desk_user)
    assert client.get(desk(file_ticket, "zalaczniki/00000000-0000-4000-8000-000000000000/")).status_code == 404
    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == before

    assert client.get(url).status_code == 200

    logged = AccessLogEntry.objects.exclude(pk__in=before).get()
    assert (logged.actor, logged.subject, logged.acting_for, logged.action, logged.basis, logged.target) == (
        desk_user, insured_child, insured_child, AccessLogEntry.Action.SUPPORT_VIEW_PERSON, "support",
        file_ticket.number,
    )  # fmt: skip


def test_an_attachment_of_a_ticket_about_nobody_is_the_assignees_and_logs_no_one(
    client, desk_user, other_desk_user, parent
):
    ticket = open_ticket(parent, category=Ticket.Category.LOGIN, files=(accept("skan.png", PNG),))
    url = desk(ticket, f"zalaczniki/{ticket.attachments.get().public_id}/")
    take(ticket, desk_user)
    before = AccessLogEntry.objects.count()

    client.force_login(other_desk_user)
    assert client.get(url).status_code == 404
    client.force_login(desk_user)
    download = client.get(url)

    assert download.status_code == 200 and download.content == PNG
    assert AccessLogEntry.objects.count() == before  # no person: nobody whose history could list it


def test_who_wrote_is_shown_to_the_assignee_only(client, desk_user, other_desk_user, parent):
    """The "From" row names the requester to the assigned staff member only; the thread must
    not name them to everyone else through its entries' authors."""
    ticket = take(open_ticket(parent), other_desk_user)
    services.patient_message_add(ticket=ticket, author=parent, body="Dopisuję szczegóły.")

    client.force_login(other_desk_user)
    assert parent.email in client.get(desk(ticket)).content.decode()
    client.force_login(desk_user)
    page = client.get(desk(ticket)).content.decode()

    assert "Dopisuję szczegóły." in page  # the thread itself is there for triage
    assert parent.email not in page


@pytest.fixture
def desk_parent(db):
    """A support staff member who is also a patient (with TOTP)."""
    user = make_user(
        person=make_person(born=date(1980, 6, 6), first_name="Marek", surname="Pomocny", sex="M"),
        email="marek.pomoc@example.test",
        groups=[SUPPORT_GROUP],
    )
    TOTP.activate(user, generate_totp_secret())
    return user


def test_support_cannot_grant_themselves_access_to_a_child(
    client, desk_parent, parent, insured_child
):
    """A staff member taking a ticket about someone else's child must not add themselves as its
    guardian: the documents check is for other people."""
    ticket = take(
        open_ticket(parent, person=insured_child, category=Ticket.Category.CHILD_ACCESS),
        desk_parent,
    )
    client.force_login(desk_parent)

    response = client.post(desk(ticket, "opiekun/"), grant_data(desk_parent))

    assert response.status_code == 400
    assert not AccessGrant.objects.exists() and not StaffAction.objects.exists()
    assert not policy.access_for(desk_parent, insured_child).can_read
