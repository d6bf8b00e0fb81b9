"""Uprawnienia → Upoważnienia: an adult lets people see their own data (read only), sees whose
data they may see, and revokes what they gave."""

from datetime import date
from html import unescape

import pytest

from accounts.models import Person
from accounts.rules import build_pesel
from conftest import make_grant, make_person, make_user, years_ago
from guardianship.models import AccessGrant, AccessLogEntry

LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
AUTHORISATIONS = "/uprawnienia/upowaznienia/"
NOBODYS_PESEL = build_pesel(date(1979, 9, 9), sex="F", serial=876)


def html(response) -> str:
    """The page's text with entities decoded (Django writes ' as &#x27;)."""
    return unescape(response.content.decode())


def revoke_url(grant) -> str:
    return f"/uprawnienia/upowaznienia/{grant.public_id}/odwolaj/"


def switch_url(person) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/przelacz/"


def authorise(client, *, surname: str, pesel: str, **extra):
    return client.post(AUTHORISATIONS, {"surname": surname, "pesel": pesel}, **extra)


def live_authorisations(subject):
    return AccessGrant.objects.filter(
        subject=subject, kind="authorisation", revoked_at__isnull=True
    )


@pytest.fixture
def authorisation(parent, stranger) -> AccessGrant:
    """`parent` lets `stranger` see her data."""
    return make_grant(parent.person, stranger.person, kind="authorisation")


# --- the permission ladder ------------------------------------------------------------------------


def test_it_sends_visitors_to_log_in(client, authorisation):
    for response in (
        client.get(AUTHORISATIONS),
        authorise(client, surname="X", pesel=NOBODYS_PESEL),
        client.post(revoke_url(authorisation)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=/uprawnienia/upowaznienia/")
    assert live_authorisations(authorisation.subject).count() == 1


def test_it_sends_unverified_users_to_confirm_their_identity(client, unverified_user):
    client.force_login(unverified_user)

    for response in (
        client.get(AUTHORISATIONS),
        authorise(client, surname="Obcy", pesel=NOBODYS_PESEL),
    ):
        assert response.status_code == 302
        assert response["Location"] == VERIFICATION
    assert not AccessGrant.objects.exists()


@pytest.mark.parametrize("who", ["stranger", "other_parent"])
def test_only_the_authorising_person_may_revoke(client, request, authorisation, who):
    client.force_login(request.getfixturevalue(who))  # the grantee, and someone unrelated

    assert client.post(revoke_url(authorisation)).status_code == 404
    assert live_authorisations(authorisation.subject).count() == 1
    assert not AccessLogEntry.objects.exists()


def test_a_16_year_old_sees_the_page_but_cannot_authorise_anyone(client, child_16, stranger):
    # Say support added it: a 16-year-old cannot.
    grant = make_grant(child_16.person, stranger.person, kind="authorisation")
    client.force_login(child_16)

    response = client.get(AUTHORISATIONS, **EN)
    assert response.status_code == 200
    assert "from your 18th birthday" in html(response)
    assert "Authorise a person" not in html(response)
    assert authorise(client, surname="Kowalska", pesel=NOBODYS_PESEL).status_code == 403
    assert client.post(revoke_url(grant)).status_code == 403
    assert live_authorisations(child_16.person).count() == 1
    assert not AccessLogEntry.objects.exists()


def test_a_child_under_16_with_a_login_has_no_authorisations_page(client, db):
    young = make_user(person=make_person(born=years_ago(12), first_name="Tosia"))
    client.force_login(young)

    assert client.get(AUTHORISATIONS).status_code == 404


def test_wrong_methods_are_refused(client, parent, authorisation):
    client.force_login(parent)

    assert client.put(AUTHORISATIONS).status_code == 405
    assert client.get(revoke_url(authorisation)).status_code == 405
    assert live_authorisations(parent.person).count() == 1


# --- the page ----------------------------------------------------------------------------------------


def test_the_page_lists_the_people_one_has_authorised(client, parent, authorisation):
    client.force_login(parent)

    response = client.get(AUTHORISATIONS, **EN)

    assert response.status_code == 200
    page = html(response)
    assert "People you have authorised" in page
    assert "Jan Obcy" in page
    assert f'action="{revoke_url(authorisation)}"' in page
    assert "Authorise a person" in page
    assert "I confirm this person" not in page  # no legal-guardian checkbox here
    assert authorisation.grantee_pesel not in page and parent.person.pesel not in page


def test_the_page_lists_the_accounts_one_may_view(client, stranger, authorisation, parent):
    client.force_login(stranger)

    page = html(client.get(AUTHORISATIONS, **EN))

    assert "Anna Kowalska" in page
    assert f'action="{switch_url(parent.person)}"' in page


def test_children_are_not_listed_as_authorisations(client, parent, granted_child):
    client.force_login(parent)

    page = html(client.get(AUTHORISATIONS, **EN))

    assert "Zosia Kowalska" not in page
    assert "Nobody has authorised you to see their data." in page


def test_viewing_the_page_writes_no_access_log_entry(client, parent, authorisation):
    client.force_login(parent)

    client.get(AUTHORISATIONS)

    assert not AccessLogEntry.objects.exists()


# --- authorising ------------------------------------------------------------------------------------------


def test_an_adult_authorises_a_person_who_then_reads_but_cannot_change(
    client, parent, stranger, insured_child
):
    client.force_login(parent)

    response = authorise(client, surname="Obcy", pesel=stranger.person.pesel, **EN)

    assert response.status_code == 302
    assert response["Location"] == AUTHORISATIONS
    grant = live_authorisations(parent.person).get()
    assert (grant.grantee_pesel, grant.source, grant.valid_until, grant.granted_by) == (
        stranger.person.pesel,
        "patient",
        None,
        parent,
    )
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.action, entry.target) == (
        parent,
        parent.person,
        "authorisation_added",
        str(grant.public_id),
    )
    assert "Saved: Obcy may now see your data." in html(client.get(AUTHORISATIONS, **EN))
    client.logout()
    client.force_login(stranger)
    assert "Anna Kowalska" in html(client.get(AUTHORISATIONS, **EN))
    assert client.post(switch_url(parent.person)).status_code == 302
    assert "You are viewing the account of <strong>Anna Kowalska</strong>" in html(
        client.get("/", **EN)
    )
    # Read only: no changes on her account, and her children stay hers.
    form = {"surname": "Obcy", "pesel": NOBODYS_PESEL, "legal_guardian_confirmed": "on"}
    assert (
        client.post(f"/uprawnienia/dzieci/{parent.person.public_id}/opiekunowie/", form).status_code
        == 403
    )
    assert client.post(switch_url(insured_child)).status_code == 404


def test_while_switched_to_a_child_one_authorises_for_oneself(
    client, parent, stranger, insured_child
):
    client.force_login(parent)
    client.post(switch_url(insured_child))

    page = html(client.get(AUTHORISATIONS, **EN))
    authorise(client, surname="Obcy", pesel=stranger.person.pesel)

    assert "Anna Kowalska" in page  # the page says whose authorisations these are
    assert live_authorisations(parent.person).count() == 1
    assert not AccessGrant.objects.filter(subject=insured_child).exists()


def test_an_authorisation_for_someone_without_a_login_waits_for_them(client, parent):
    client.force_login(parent)
    authorise(client, surname="Wiśniewska", pesel=NOBODYS_PESEL)

    page = html(client.get(AUTHORISATIONS, **EN))
    assert "Wiśniewska" in page and "will get access when they first log in" in page
    assert NOBODYS_PESEL not in page
    newcomer = Person.objects.create(
        pesel=NOBODYS_PESEL,
        first_name="Ewa",
        surname="Wiśniewska",
        birth_date=date(1979, 9, 9),
        sex="F",
    )
    client.logout()
    client.force_login(make_user(person=newcomer))
    assert "Anna Kowalska" in html(client.get(AUTHORISATIONS, **EN))


@pytest.mark.parametrize(
    ("surname", "pesel_of", "message"),
    [
        (
            "Kowalska",
            "self",
            "You cannot authorise yourself: enter the PESEL number of another person.",
        ),
        ("Nowak", "stranger", "We could not confirm this person: check the surname and PESEL."),
        ("Obcy", "bad", "This PESEL number is not valid: its check digit does not match."),
        ("Obcy", "already", "You have already authorised this person."),
    ],
)
def test_refusals_are_explained_on_the_form(client, parent, stranger, surname, pesel_of, message):
    if pesel_of == "already":
        make_grant(parent.person, stranger.person, kind="authorisation")
    pesel = {"self": parent.person.pesel, "bad": "85031412346"}.get(pesel_of, stranger.person.pesel)
    grants_before = AccessGrant.objects.count()
    client.force_login(parent)

    response = authorise(client, surname=surname, pesel=pesel, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert "There is a problem" in page
    assert message in page
    assert f'value="{surname}"' in page
    assert pesel not in page
    assert AccessGrant.objects.count() == grants_before
    assert not AccessLogEntry.objects.exists()


# --- revoking ----------------------------------------------------------------------------------------------


def test_revoking_ends_the_authorised_persons_access(client, parent, stranger, authorisation):
    client.force_login(parent)

    response = client.post(revoke_url(authorisation), **EN)

    assert response.status_code == 302
    assert response["Location"] == AUTHORISATIONS
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None and authorisation.revoked_by == parent
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.subject, entry.action) == (
        parent,
        parent.person,
        "authorisation_revoked",
    )
    assert "Authorisation revoked: Obcy can no longer see your data." in html(
        client.get(AUTHORISATIONS, **EN)
    )
    client.logout()
    client.force_login(stranger)
    assert "Anna Kowalska" not in html(client.get(AUTHORISATIONS, **EN))
    assert client.post(switch_url(parent.person)).status_code == 404


def test_a_child_grant_cannot_be_revoked_as_an_authorisation(client, parent, granted_child):
    grant = AccessGrant.objects.get(subject=granted_child)
    client.force_login(parent)

    assert client.post(revoke_url(grant)).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_revoking_twice_is_not_found(client, parent, authorisation):
    client.force_login(parent)
    client.post(revoke_url(authorisation))

    assert client.post(revoke_url(authorisation)).status_code == 404
    assert AccessLogEntry.objects.count() == 1
