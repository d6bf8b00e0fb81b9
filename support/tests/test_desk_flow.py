"""The desk end to end through its views: a child-access ticket is taken, its person read,
access granted after checking documents, and the reply and resolution reach the parent."""

from datetime import date

import pytest

from conftest import deregister, insure, make_person
from guardianship import policy
from guardianship.models import AccessGrant, AccessLogEntry
from support.models import StaffAction, Ticket, TicketMessage
from support.tests.conftest import open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def vanished(parent, other_parent, child):
    """Piotr's child: his coverage ended (job change), Anna covers the child now."""
    insure(other_parent.person, child, valid_from=date(2016, 1, 1))
    deregister(other_parent.person, child, valid_to=date(2025, 1, 31))
    insure(parent.person, child, valid_from=date(2025, 2, 1))
    return child


def test_take_read_grant_resolve(client, desk_user, other_parent, vanished, mailoutbox, celery_eager, django_capture_on_commit_callbacks):
    assert not policy.access_for(other_parent, vanished).can_read
    ticket = open_ticket(other_parent, person=vanished, category=Ticket.Category.CHILD_ACCESS)
    client.force_login(desk_user)

    page = client.get(f"/obsluga/zgloszenia/{ticket.public_id}/")
    assert page.status_code == 200
    assert vanished.full_name not in page.content.decode()  # not assigned yet: no person data
    assert client.get(f"/obsluga/zgloszenia/{ticket.public_id}/osoba/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/obsluga/zgloszenia/{ticket.public_id}/przypisz/", {"me": "1"})
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.status) == (desk_user, Ticket.Status.IN_PROGRESS)

    person_page = client.get(f"/obsluga/zgloszenia/{ticket.public_id}/osoba/")
    assert person_page.status_code == 200
    assert vanished.pesel in person_page.content.decode()
    read = AccessLogEntry.objects.get(subject=vanished, action=AccessLogEntry.Action.SUPPORT_VIEW_PERSON)
    assert (read.actor, read.basis, read.target) == (desk_user, "support", ticket.number)

    refused = client.post(
        f"/obsluga/zgloszenia/{ticket.public_id}/opiekun/",
        {"grantee_surname": other_parent.person.surname, "grantee_pesel": other_parent.person.pesel, "justification": "x"},
    )
    assert refused.status_code == 400  # no documents checked, justification too short
    assert not AccessGrant.objects.filter(subject=vanished).exists()

    granted = client.post(
        f"/obsluga/zgloszenia/{ticket.public_id}/opiekun/",
        {
            "grantee_surname": other_parent.person.surname,
            "grantee_pesel": other_parent.person.pesel,
            "documents_checked": "on",
            "justification": "Akt urodzenia dziecka sprawdzony, ojciec.",
        },
    )
    assert granted.status_code == 302
    grant = AccessGrant.objects.get(subject=vanished)
    assert (grant.source, grant.granted_by) == (AccessGrant.Source.SUPPORT, desk_user)
    assert policy.access_for(other_parent, vanished).can_read
    action = StaffAction.objects.get(ticket=ticket, kind=StaffAction.Kind.GRANT_GUARDIAN)
    assert "Akt urodzenia" in action.justification
    logged = AccessLogEntry.objects.get(subject=vanished, action=AccessLogEntry.Action.SUPPORT_GRANT)
    assert logged.target == ticket.number

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/obsluga/zgloszenia/{ticket.public_id}/status/", {"status": "resolved", "body": "Dostęp przywrócony."})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED and ticket.first_response_at is not None
    assert [m.to for m in mailoutbox] == [[other_parent.email]]
    assert ticket.number in mailoutbox[0].subject and "Dostęp przywrócony." in mailoutbox[0].body

    client.force_login(other_parent)
    patient_page = client.get(f"/pomoc/zgloszenia/{ticket.public_id}/").content.decode()
    assert "Dostęp przywrócony." in patient_page
    assert "Akt urodzenia" not in patient_page  # the staff action's justification is internal
    assert vanished.full_name in patient_page  # access is back, so the child is named again


def test_internal_notes_never_reach_the_patient(client, desk_user, parent):
    ticket = open_ticket(parent)
    client.force_login(desk_user)
    client.post(f"/obsluga/zgloszenia/{ticket.public_id}/notatka/", {"body": "Tajna notatka zespołu"})
    assert TicketMessage.objects.filter(ticket=ticket, kind="note", internal=True).exists()
    client.force_login(parent)
    assert "Tajna notatka" not in client.get(f"/pomoc/zgloszenia/{ticket.public_id}/").content.decode()


def test_a_stranger_gets_404_for_someone_elses_ticket(client, parent, stranger):
    ticket = open_ticket(parent)
    client.force_login(stranger)
    assert client.get(f"/pomoc/zgloszenia/{ticket.public_id}/").status_code == 404
    assert client.post(f"/pomoc/zgloszenia/{ticket.public_id}/odpowiedz/", {"body": "hej"}).status_code == 404


def test_patients_cannot_open_the_desk(client, parent):
    client.force_login(parent)
    assert client.get("/obsluga/zgloszenia/").status_code == 403


def test_new_ticket_from_the_portal(client, parent, insured_child):
    client.force_login(parent)
    form = client.get("/pomoc/zgloszenia/nowe/").content.decode()
    assert insured_child.full_name in form  # whom it may concern: the user and their children
    response = client.post(
        "/pomoc/zgloszenia/nowe/",
        {"category": "missing_documents", "person": str(insured_child.public_id), "description": "Brak wyniku badania."},
    )
    ticket = Ticket.objects.get(requester=parent)
    assert response.status_code == 302 and ticket.person == insured_child
    assert ticket.messages.filter(kind="event", status="new").exists()


def test_a_stranger_cannot_be_named_as_the_person(client, parent, stranger):
    client.force_login(parent)
    response = client.post(
        "/pomoc/zgloszenia/nowe/",
        {"category": "other", "person": str(stranger.person.public_id), "description": "x"},
    )
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_unknown_person_search_is_not_logged_and_known_is(client, desk_user, parent):
    open_ticket(parent)
    client.force_login(desk_user)
    other = make_person(born=date(1970, 1, 1))
    response = client.post("/obsluga/zgloszenia/szukaj/", {"pesel": parent.person.pesel})
    assert response.status_code == 200
    assert AccessLogEntry.objects.filter(subject=parent.person, action="support_search").count() == 1
    assert not AccessLogEntry.objects.filter(subject=other).exists()
