"""A child's "Lista opiekunów": who has access and why, adding a guardian (the FAQ's steps:
surname, PESEL, "this person is the child's legal guardian", Save) and revoking one."""

from datetime import date
from html import unescape

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from accounts.models import Person
from accounts.rules import build_pesel
from conftest import insure, make_grant, make_person, make_user, years_ago
from guardianship.models import AccessGrant, AccessLogEntry, LinkSuspension

LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CHILDREN = "/uprawnienia/dzieci/"
NOBODYS_PESEL = build_pesel(date(1980, 2, 2), sex="M", serial=987)  # no Person, no login


def en_date(day) -> str:
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def html(response) -> str:
    """The page's text with entities decoded (Django writes ' as &#x27;)."""
    return unescape(response.content.decode())


def guardians_url(person) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/opiekunowie/"


def revoke_url(person, grant) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/opiekunowie/{grant.public_id}/odwolaj/"


def add(client, child, *, surname: str, pesel: str, confirm: bool = True, **extra):
    data = {"surname": surname, "pesel": pesel}
    if confirm:
        data["legal_guardian_confirmed"] = "on"
    return client.post(guardians_url(child), data, **extra)


def live_child_grants(child):
    return AccessGrant.objects.filter(subject=child, kind="child", revoked_at__isnull=True)


# --- the permission ladder ------------------------------------------------------------------------


def test_it_sends_visitors_to_log_in(client, granted_child):
    grant = live_child_grants(granted_child).get()
    for response in (
        client.get(guardians_url(granted_child)),
        client.post(guardians_url(granted_child), {"surname": "Kowalski"}),
        client.post(revoke_url(granted_child, grant)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=/uprawnienia/dzieci/")
    assert not AccessLogEntry.objects.exists()
    assert live_child_grants(granted_child).count() == 1


def test_it_sends_unverified_users_to_confirm_their_identity(
    client, unverified_user, granted_child
):
    grant = live_child_grants(granted_child).get()
    client.force_login(unverified_user)

    for response in (
        client.get(guardians_url(granted_child)),
        client.post(revoke_url(granted_child, grant)),
    ):
        assert response.status_code == 302
        assert response["Location"] == VERIFICATION
    assert live_child_grants(granted_child).count() == 1


@pytest.mark.parametrize("who", ["stranger", "other_parent"])
def test_someone_without_access_gets_not_found(client, request, granted_child, who):
    grant = live_child_grants(granted_child).get()
    client.force_login(request.getfixturevalue(who))

    assert client.get(guardians_url(granted_child)).status_code == 404
    assert add(client, granted_child, surname="Obcy", pesel=NOBODYS_PESEL).status_code == 404
    assert client.post(revoke_url(granted_child, grant)).status_code == 404
    assert not AccessLogEntry.objects.exists()
    assert list(live_child_grants(granted_child)) == [grant]


def test_an_unknown_child_is_not_found(client, parent):
    client.force_login(parent)

    assert (
        client.get(
            "/uprawnienia/dzieci/00000000-0000-0000-0000-000000000000/opiekunowie/"
        ).status_code
        == 404
    )


def test_a_16_year_old_sees_their_own_guardian_list_but_cannot_change_it(client, parent, child_16):
    insure(parent.person, child_16.person)
    grant = make_grant(
        child_16.person, make_person(born=date(1960, 1, 1), surname="Babcia"), by=parent
    )
    client.force_login(child_16)

    response = client.get(guardians_url(child_16.person), **EN)
    assert response.status_code == 200
    assert "Anna Kowalska" in html(response)
    assert "Add a guardian" not in html(response)
    assert "read-only" in html(response)
    assert add(client, child_16.person, surname="Kowalski", pesel=NOBODYS_PESEL).status_code == 403
    assert client.post(revoke_url(child_16.person, grant)).status_code == 403
    assert live_child_grants(child_16.person).count() == 1
    assert not AccessLogEntry.objects.exclude(action="view_guardians").exists()


def test_an_authorised_person_cannot_change_the_authorising_adult(client, parent, stranger):
    make_grant(parent.person, stranger.person, kind="authorisation")
    client.force_login(stranger)

    assert add(client, parent.person, surname="Obcy", pesel=NOBODYS_PESEL).status_code == 403
    # Adults have no guardian list.
    assert client.get(guardians_url(parent.person)).status_code == 404
    assert not AccessGrant.objects.filter(kind="child").exists()


def test_the_guardian_list_is_not_for_adults(client, parent):
    client.force_login(parent)

    assert client.get(guardians_url(parent.person)).status_code == 404


def test_wrong_methods_are_refused(client, parent, granted_child):
    grant = live_child_grants(granted_child).get()
    client.force_login(parent)

    assert client.put(guardians_url(granted_child)).status_code == 405
    assert client.delete(guardians_url(granted_child)).status_code == 405
    assert client.get(revoke_url(granted_child, grant)).status_code == 405
    assert live_child_grants(granted_child).count() == 1


# --- the list -----------------------------------------------------------------------------------------


def test_it_lists_who_has_access_and_why_and_since_when(client, parent, granted_child):
    grant = live_child_grants(granted_child).get()
    client.force_login(parent)

    response = client.get(guardians_url(granted_child), **EN)

    assert response.status_code == 200
    page = html(response)
    assert "Guardian list" in page
    assert "Zosia Kowalska" in page
    assert "Anna Kowalska" in page and "ZUS insurance" in page
    assert en_date(granted_child.birth_date) in page  # insured since birth
    assert "Halina Kowalska" in page and "added by a guardian" in page
    assert f'action="{revoke_url(granted_child, grant)}"' in page
    assert "Add a guardian" in page
    assert "I confirm this person is the child's legal guardian" in page
    for person in Person.objects.all():
        assert person.pesel not in page


def test_the_list_names_whoever_insures_the_child_now(
    client, parent, other_parent, insured_child, granted_guardian
):
    # The later coverage decides who the automatic guardian is.
    insure(other_parent.person, insured_child, valid_from=years_ago(1))
    make_grant(insured_child, parent.person, by=other_parent)
    client.force_login(parent)

    page = html(client.get(guardians_url(insured_child), **EN))

    assert "Piotr Kowalski" in page
    assert en_date(years_ago(1)) in page


def test_a_parent_who_said_not_my_child_is_not_listed(
    client, parent, granted_guardian, granted_child
):
    LinkSuspension.objects.create(person=parent.person, subject=granted_child)
    client.force_login(granted_guardian)

    page = html(client.get(guardians_url(granted_child), **EN))

    assert "Halina Kowalska" in page
    assert "Anna Kowalska" not in page
    assert "ZUS insurance" not in page


def test_support_grants_say_documents_were_checked(client, parent, insured_child, granted_guardian):
    make_grant(insured_child, granted_guardian.person, source="support")
    client.force_login(parent)

    assert "added by support after checking documents" in html(
        client.get(guardians_url(insured_child), **EN)
    )


def test_revoked_grants_are_not_listed(client, parent, granted_child):
    live_child_grants(granted_child).update(revoked_at="2020-01-01T00:00:00Z")
    client.force_login(parent)

    page = html(client.get(guardians_url(granted_child), **EN))

    assert "Halina Kowalska" not in page


def test_viewing_the_list_writes_one_access_log_entry(client, parent, granted_child):
    client.force_login(parent)

    client.get(guardians_url(granted_child))

    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.action, entry.basis) == (
        parent,
        granted_child,
        "view_guardians",
        "insurance",
    )


def test_a_granted_guardian_sees_the_list_and_may_add_and_revoke(
    client, granted_guardian, granted_child
):
    client.force_login(granted_guardian)

    page = html(client.get(guardians_url(granted_child), **EN))

    assert "Add a guardian" in page
    assert "Revoke" in page
    assert AccessLogEntry.objects.get().basis == "grant"


# --- adding a guardian (the FAQ's steps) ---------------------------------------------------------------


def test_the_faq_steps_share_the_childs_account_with_the_other_parent(
    client, parent, other_parent, insured_child
):
    client.force_login(parent)
    children = html(client.get(CHILDREN, **EN))
    assert f'href="{guardians_url(insured_child)}"' in children
    assert "I confirm this person is the child's legal guardian" in html(
        client.get(guardians_url(insured_child), **EN)
    )

    response = add(client, insured_child, surname="Kowalski", pesel=other_parent.person.pesel, **EN)

    assert response.status_code == 302
    assert response["Location"] == guardians_url(insured_child)
    grant = live_child_grants(insured_child).get()
    assert (
        grant.grantee_pesel,
        grant.source,
        grant.legal_guardian_confirmed,
        grant.granted_by,
    ) == (other_parent.person.pesel, "guardian", True, parent)
    listing = html(client.get(guardians_url(insured_child), **EN))
    assert "Saved: Kowalski is now on the guardian list of Zosia Kowalska." in listing
    assert "Piotr Kowalski" in listing
    client.logout()
    client.force_login(other_parent)
    theirs = html(client.get(CHILDREN, **EN))
    assert "Zosia Kowalska" in theirs
    assert "added as guardian" in theirs
    assert client.get(guardians_url(insured_child)).status_code == 200


def test_adding_writes_one_access_log_entry(client, parent, other_parent, insured_child):
    client.force_login(parent)

    add(client, insured_child, surname="Kowalski", pesel=other_parent.person.pesel)

    entry = AccessLogEntry.objects.get()
    grant = live_child_grants(insured_child).get()
    assert (entry.actor, entry.subject, entry.action, entry.target) == (
        parent,
        insured_child,
        "grant_added",
        str(grant.public_id),
    )


def test_the_surname_is_matched_without_regard_to_case(client, parent, other_parent, insured_child):
    client.force_login(parent)

    assert (
        add(
            client, insured_child, surname="  kowalski ", pesel=other_parent.person.pesel
        ).status_code
        == 302
    )
    assert live_child_grants(insured_child).get().grantee_surname == "kowalski"


def test_a_grant_to_someone_without_a_login_waits_for_their_first_login(
    client, parent, insured_child
):
    client.force_login(parent)

    add(client, insured_child, surname="Nowicki", pesel=NOBODYS_PESEL)

    page = html(client.get(guardians_url(insured_child), **EN))
    assert "Nowicki" in page
    assert "will get access when they first log in" in page
    assert NOBODYS_PESEL not in page
    # The person gets a verified login (at an NFZ counter, or through login.gov.pl) and logs in.
    newcomer = Person.objects.create(
        pesel=NOBODYS_PESEL,
        first_name="Marek",
        surname="Nowicki",
        birth_date=date(1980, 2, 2),
        sex="M",
    )
    client.logout()
    client.force_login(make_user(person=newcomer))
    assert "Zosia Kowalska" in html(client.get(CHILDREN))
    client.logout()
    client.force_login(parent)
    listing = html(client.get(guardians_url(insured_child), **EN))
    assert "Marek Nowicki" in listing
    assert "will get access when they first log in" not in listing


def test_a_waiting_grant_gives_nothing_to_someone_whose_surname_differs(
    client, parent, insured_child
):
    client.force_login(parent)
    add(client, insured_child, surname="Nowicki", pesel=NOBODYS_PESEL)
    someone = Person.objects.create(
        pesel=NOBODYS_PESEL,
        first_name="Marek",
        surname="Inny",
        birth_date=date(1980, 2, 2),
        sex="M",
    )
    client.logout()
    client.force_login(make_user(person=someone))

    assert "Zosia Kowalska" not in html(client.get(CHILDREN))
    assert client.get(guardians_url(insured_child)).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"surname": "Kowalski", "pesel": "12345678901"},
            "pesel",
            "This PESEL number is not valid: its check digit does not match.",
        ),
        ({"surname": "Kowalski", "pesel": "123"}, "pesel", "A PESEL number has exactly 11 digits."),
        ({"surname": "", "pesel": NOBODYS_PESEL}, "surname", "Enter the surname of the person."),
        ({"surname": "Kowalski", "pesel": ""}, "pesel", "Enter the PESEL number of the person."),
    ],
)
def test_bad_input_is_explained_on_the_form(client, parent, insured_child, data, field, message):
    client.force_login(parent)

    response = client.post(
        guardians_url(insured_child), {**data, "legal_guardian_confirmed": "on"}, **EN
    )

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert "There is a problem" in page
    assert message in page
    assert f'href="#id_{field}"' in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error:" in page
    assert not live_child_grants(insured_child).exists()


def test_the_legal_guardian_confirmation_is_required(client, parent, other_parent, insured_child):
    client.force_login(parent)

    response = add(
        client,
        insured_child,
        surname="Kowalski",
        pesel=other_parent.person.pesel,
        confirm=False,
        **EN,
    )

    assert response.status_code == 400  # refused: shown again with the reason
    assert "Confirm that this person is the child's legal guardian." in html(response)
    assert 'href="#id_legal_guardian_confirmed"' in html(response)
    assert not live_child_grants(insured_child).exists()


def test_a_wrong_surname_gets_a_message_that_reveals_nothing(
    client, parent, other_parent, insured_child
):
    client.force_login(parent)

    response = add(client, insured_child, surname="Nowak", pesel=other_parent.person.pesel, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert "We could not confirm this person: check the surname and PESEL." in page
    assert "Piotr Kowalski" not in page
    assert 'value="Nowak"' in page  # the typed surname stays
    assert other_parent.person.pesel not in page  # the typed PESEL is not sent back
    assert not live_child_grants(insured_child).exists()


def test_a_refused_add_writes_only_the_view_of_the_list(
    client, parent, other_parent, insured_child
):
    client.force_login(parent)

    add(client, insured_child, surname="Nowak", pesel=other_parent.person.pesel)

    assert list(AccessLogEntry.objects.values_list("action", flat=True)) == ["view_guardians"]


@pytest.mark.parametrize("whose", ["own", "childs"])
def test_one_cannot_add_oneself_or_the_child(client, parent, insured_child, whose):
    client.force_login(parent)
    person = parent.person if whose == "own" else insured_child

    response = add(client, insured_child, surname=person.surname, pesel=person.pesel, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    assert "Enter the PESEL number of another person: not yours and not the child's." in html(
        response
    )
    assert not live_child_grants(insured_child).exists()


def test_adding_someone_twice_says_they_are_already_listed(
    client, parent, granted_guardian, granted_child
):
    client.force_login(parent)

    response = add(
        client, granted_child, surname="Kowalska", pesel=granted_guardian.person.pesel, **EN
    )

    assert response.status_code == 400  # refused: shown again with the reason
    assert "This person is already on the child's guardian list." in html(response)
    assert live_child_grants(granted_child).count() == 1


def test_adding_sends_no_mail(client, parent, other_parent, insured_child):
    client.force_login(parent)

    add(client, insured_child, surname="Kowalski", pesel=other_parent.person.pesel)

    assert mail.outbox == []


# --- revoking -------------------------------------------------------------------------------------------


def test_revoking_ends_the_grantees_access(client, parent, granted_guardian, granted_child):
    grant = live_child_grants(granted_child).get()
    client.force_login(parent)

    response = client.post(revoke_url(granted_child, grant), **EN)

    assert response.status_code == 302
    assert response["Location"] == guardians_url(granted_child)
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoked_by == parent
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.action, entry.target) == (
        parent,
        granted_child,
        "grant_revoked",
        str(grant.public_id),
    )
    assert "Access revoked: Kowalska can no longer see the account of Zosia Kowalska." in html(
        client.get(guardians_url(granted_child), **EN)
    )
    client.logout()
    client.force_login(granted_guardian)
    assert "Zosia Kowalska" not in html(client.get(CHILDREN))
    assert client.get(guardians_url(granted_child)).status_code == 404


def test_a_granted_guardian_who_revokes_their_own_access_goes_to_their_children(
    client, granted_guardian, granted_child
):
    grant = live_child_grants(granted_child).get()
    client.force_login(granted_guardian)

    response = client.post(revoke_url(granted_child, grant))

    assert response["Location"] == reverse("guardianship:children")
    assert not live_child_grants(granted_child).exists()


def test_revoking_twice_is_not_found(client, parent, granted_child):
    grant = live_child_grants(granted_child).get()
    client.force_login(parent)
    client.post(revoke_url(granted_child, grant))

    assert client.post(revoke_url(granted_child, grant)).status_code == 404
    assert AccessLogEntry.objects.count() == 1


def test_a_grant_of_another_child_cannot_be_revoked_through_this_one(
    client, parent, granted_child, granted_guardian
):
    sibling = make_person(born=date(2019, 6, 1), first_name="Staś", surname="Kowalski", sex="M")
    insure(parent.person, sibling)
    other_grant = make_grant(sibling, granted_guardian.person, by=parent)
    authorisation = make_grant(granted_child, granted_guardian.person, kind="authorisation")
    client.force_login(parent)

    assert client.post(revoke_url(granted_child, other_grant)).status_code == 404
    assert client.post(revoke_url(granted_child, authorisation)).status_code == 404
    assert AccessGrant.objects.filter(revoked_at__isnull=False).count() == 0


def test_it_refuses_a_minor_as_guardian(client, parent, insured_child):
    from conftest import make_person, years_ago
    from guardianship.models import AccessGrant

    teen = make_person(born=years_ago(15), first_name="Ala", surname="Nowak")
    client.force_login(parent)

    response = client.post(
        f"/uprawnienia/dzieci/{insured_child.public_id}/opiekunowie/",
        {"surname": "Nowak", "pesel": teen.pesel, "legal_guardian_confirmed": "on"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400  # refused: shown again with the reason
    assert "only an adult can be given access" in response.content.decode()
    assert not AccessGrant.objects.filter(grantee_pesel=teen.pesel).exists()
