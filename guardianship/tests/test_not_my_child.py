""""This is not my child": the insurance link is suspended at once and a ticket opens."""

import pytest
from django.contrib.messages import get_messages

from conftest import insure, make_grant, make_person, make_user, years_ago
from guardianship.models import AccessLogEntry, LinkSuspension
from guardianship.policy import SESSION_KEY, access_for, accessible_subjects
from support.models import Ticket

LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
CHILDREN = "/uprawnienia/dzieci/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(person) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/to-nie-moje-dziecko/"


def html(response) -> str:
    return response.content.decode()


def test_it_asks_for_confirmation_and_says_what_will_happen(client, parent, insured_child):
    client.force_login(parent)

    response = client.get(url(insured_child), **EN)

    assert response.status_code == 200
    page = html(response)
    assert "Zosia Kowalska" in page
    assert "This is not my child" in page
    assert "suspended at once" in page and "ZUS will be asked to correct the declaration" in page
    assert f'<form method="post" action="{url(insured_child)}"' in page
    assert 'name="description"' in page
    assert not LinkSuspension.objects.exists() and not Ticket.objects.exists()


def test_reporting_suspends_the_link_opens_a_ticket_and_returns_to_the_children(client, parent, insured_child):
    client.force_login(parent)

    response = client.post(url(insured_child), {"description": "I have no daughter."}, **EN)

    assert response.status_code == 302 and response["Location"] == CHILDREN
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.requester, ticket.person) == ("not_my_child", parent, insured_child)
    assert ticket.description == "I have no daughter."
    assert ticket.diagnosis["not_my_child"]["basis"] == "insurance"
    assert len(ticket.diagnosis["not_my_child"]["coverages"]) == 1
    suspension = LinkSuspension.objects.get()
    assert (suspension.person, suspension.subject, suspension.ticket, suspension.lifted_at) == (
        parent.person, insured_child, ticket, None
    )
    entry = AccessLogEntry.objects.get(subject=insured_child, action=AccessLogEntry.Action.NOT_MY_CHILD)
    assert (entry.actor, entry.basis, entry.target) == (parent, "insurance", str(ticket.public_id))
    [message] = list(get_messages(response.wsgi_request))
    assert message.level_tag == "success" and ticket.number in str(message)


def test_after_the_report_the_children_list_shows_the_ticket_and_not_the_child(client, parent, insured_child):
    client.force_login(parent)

    response = client.post(url(insured_child), {"description": ""}, follow=True, **EN)

    assert response.redirect_chain == [(CHILDREN, 302)]
    assert response.status_code == 200
    page = html(response)
    assert Ticket.objects.get().number in page
    assert "Zosia" not in page


def test_after_the_report_the_child_is_gone_for_the_reporter_only(client, parent, granted_guardian, granted_child):
    client.force_login(parent)

    client.post(url(granted_child), {"description": ""}, **EN)

    assert granted_child not in [item.subject for item in accessible_subjects(parent)]
    assert client.get(f"/uprawnienia/dzieci/{granted_child.public_id}/opiekunowie/").status_code == 404
    assert client.post(f"/uprawnienia/dzieci/{granted_child.public_id}/przelacz/").status_code == 404
    assert not access_for(parent, granted_child).can_read
    assert client.get(url(granted_child)).status_code == 404
    assert client.post(url(granted_child)).status_code == 404
    # Other guardians keep their access.
    assert access_for(granted_guardian, granted_child).can_write
    assert granted_child in [item.subject for item in accessible_subjects(granted_guardian)]
    client.force_login(granted_guardian)
    assert "Zosia Kowalska" in html(client.get(CHILDREN, **EN))


def test_a_report_while_acting_as_that_child_switches_back_to_the_own_account(client, parent, insured_child):
    client.force_login(parent)
    session = client.session
    session[SESSION_KEY] = str(insured_child.public_id)
    session.save()

    client.post(url(insured_child), {}, **EN)

    assert SESSION_KEY not in client.session


def test_a_report_about_another_child_keeps_the_acting_account(client, parent, insured_child):
    sibling = make_person(born=years_ago(7), first_name="Jaś", surname="Kowalski", sex="M")
    insure(parent.person, sibling)
    client.force_login(parent)
    session = client.session
    session[SESSION_KEY] = str(insured_child.public_id)
    session.save()

    client.post(url(sibling), {}, **EN)

    assert client.session[SESSION_KEY] == str(insured_child.public_id)
    assert access_for(parent, insured_child).can_write


def test_a_too_long_description_is_explained_and_suspends_nothing(client, parent, insured_child):
    client.force_login(parent)

    response = client.post(url(insured_child), {"description": "x" * 2001}, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert 'class="govuk-error-summary"' in page and '<a href="#id_description">' in page
    assert not LinkSuspension.objects.exists() and not Ticket.objects.exists()


# --- permission ladder ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_log_in(client, insured_child, method):
    response = getattr(client, method)(url(insured_child))

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize("method", ["get", "post"])
def test_unverified_users_are_sent_to_confirm_their_identity(client, unverified_user, insured_child, method):
    client.force_login(unverified_user)

    response = getattr(client, method)(url(insured_child))

    assert response.status_code == 302 and response["Location"].startswith(VERIFICATION)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_stranger_gets_404(client, stranger, insured_child, method):
    client.force_login(stranger)

    assert getattr(client, method)(url(insured_child)).status_code == 404
    assert not LinkSuspension.objects.exists()


def test_an_unknown_subject_gets_404(client, parent, db):
    client.force_login(parent)

    assert client.get("/uprawnienia/dzieci/00000000-0000-4000-8000-000000000000/to-nie-moje-dziecko/").status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_guardian_by_grant_cannot_report_the_child(client, granted_guardian, granted_child, method):
    """Only a link through one's own insurance can be suspended: a grant is revoked instead."""
    client.force_login(granted_guardian)

    assert getattr(client, method)(url(granted_child)).status_code == 404
    assert not LinkSuspension.objects.exists()


def test_a_parent_whose_registration_is_not_decisive_gets_404(client, parent, other_parent, insured_child):
    from django.utils import timezone

    insure(other_parent.person, insured_child, valid_from=timezone.localdate())
    client.force_login(parent)

    assert client.post(url(insured_child)).status_code == 404


def test_read_only_access_is_not_enough(client, child_16, parent):
    """A 16-year-old on their own account and an authorisation grantee see, but have no
    insurance link to report."""
    client.force_login(child_16)
    assert client.post(url(child_16.person)).status_code == 404

    adult = make_user(person=make_person(born=years_ago(40), first_name="Ewa", surname="Nowak"))
    make_grant(adult.person, parent.person, kind="authorisation")
    client.force_login(parent)
    assert client.get(url(adult.person)).status_code == 404
    assert not LinkSuspension.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_methods_get_405(client, parent, insured_child, method):
    client.force_login(parent)

    assert getattr(client, method)(url(insured_child)).status_code == 405
    assert not LinkSuspension.objects.exists()
