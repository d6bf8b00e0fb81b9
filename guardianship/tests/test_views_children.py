"""Uprawnienia → Konta Twoich dzieci: the permissions page, the children's tiles, switching to a
child's account and back, and the banner that says whose account is open."""

from datetime import datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.rules import date_of_age
from conftest import insure, make_grant, make_person, make_user, years_ago
from guardianship.models import AccessLogEntry

WARSAW = ZoneInfo("Europe/Warsaw")
LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PERMISSIONS = "/uprawnienia/"
CHILDREN = "/uprawnienia/dzieci/"
SWITCH_BACK = "/uprawnienia/moje-konto/"


def html(response) -> str:
    """The page's text with entities decoded (Django writes ' as ')."""
    return unescape(response.content.decode())


def switch_url(person) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/przelacz/"


def guardians_url(person) -> str:
    return f"/uprawnienia/dzieci/{person.public_id}/opiekunowie/"


def banner(name: str) -> str:
    return f"You are viewing the account of <strong>{name}</strong>"


def at_noon(day) -> datetime:
    return datetime.combine(day, time(12), tzinfo=WARSAW)


# --- the permission ladder ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PERMISSIONS, CHILDREN])
def test_it_sends_visitors_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={path}"


def test_it_sends_visitors_to_log_in_before_switching(client, insured_child):
    for path in (switch_url(insured_child), SWITCH_BACK):
        response = client.post(path)

        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("path", [PERMISSIONS, CHILDREN])
def test_it_sends_unverified_users_to_confirm_their_identity(client, unverified_user, path):
    client.force_login(unverified_user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION


def test_it_sends_unverified_users_to_confirm_their_identity_before_switching(
    client, unverified_user, insured_child
):
    client.force_login(unverified_user)

    for path in (switch_url(insured_child), SWITCH_BACK):
        response = client.post(path)

        assert response.status_code == 302
        assert response["Location"] == VERIFICATION
    assert "acting_subject" not in client.session
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize("path", [PERMISSIONS, CHILDREN])
def test_the_lists_are_read_only(client, parent, path):
    client.force_login(parent)

    assert client.post(path).status_code == 405


def test_switching_needs_a_post(client, parent, insured_child):
    client.force_login(parent)

    assert client.get(switch_url(insured_child)).status_code == 405
    assert client.get(SWITCH_BACK).status_code == 405
    assert "acting_subject" not in client.session
    assert not AccessLogEntry.objects.exists()


def test_a_stranger_cannot_switch_to_someone_elses_child(client, stranger, insured_child):
    client.force_login(stranger)

    response = client.post(switch_url(insured_child))

    assert response.status_code == 404
    assert "acting_subject" not in client.session
    assert not AccessLogEntry.objects.exists()


def test_switching_to_an_unknown_account_is_not_found(client, parent):
    client.force_login(parent)

    assert (
        client.post(
            "/uprawnienia/dzieci/00000000-0000-0000-0000-000000000000/przelacz/"
        ).status_code
        == 404
    )


# --- Uprawnienia ----------------------------------------------------------------------------------


def test_the_permissions_page_leads_to_childrens_accounts_and_authorisations(client, parent):
    client.force_login(parent)

    response = client.get(PERMISSIONS, **EN)

    assert response.status_code == 200
    page = html(response)
    assert "My account" in page
    assert f'href="{CHILDREN}"' in page
    assert 'href="/uprawnienia/upowaznienia/"' in page
    assert f'href="{reverse("guardianship:child_access_help")}"' in page
    assert "Why can't I see my child's account?" in page


def test_a_16_year_old_opens_the_permissions_page(client, child_16):
    client.force_login(child_16)

    assert client.get(PERMISSIONS).status_code == 200


# --- Konta Twoich dzieci ----------------------------------------------------------------------------


def test_the_parent_who_insures_the_child_sees_its_tile(client, parent, insured_child):
    client.force_login(parent)

    response = client.get(CHILDREN, **EN)

    assert response.status_code == 200
    page = html(response)
    assert "Zosia Kowalska" in page
    assert "ZUS insurance" in page
    assert f'action="{switch_url(insured_child)}"' in page
    assert "Switch to the child's account" in page
    assert f'href="{guardians_url(insured_child)}"' in page
    assert "Guardian list" in page
    assert f'href="{reverse("guardianship:not_my_child", args=[insured_child.public_id])}"' in page
    assert insured_child.pesel not in page


def test_a_granted_guardian_sees_the_child_without_the_not_my_child_link(
    client, granted_guardian, granted_child
):
    client.force_login(granted_guardian)

    page = html(client.get(CHILDREN, **EN))

    assert "Zosia Kowalska" in page
    assert "added as guardian" in page
    assert "ZUS insurance" not in page
    assert "to-nie-moje-dziecko" not in page


def test_the_list_does_not_show_people_who_authorised_the_user(client, stranger, parent):
    make_grant(parent.person, stranger.person, kind="authorisation")
    client.force_login(stranger)

    page = html(client.get(CHILDREN, **EN))

    assert "Anna Kowalska" not in page
    assert "You do not have access to any child's account." in page


def test_without_children_it_explains_and_links_to_the_diagnosis(
    client, other_parent, insured_child
):
    client.force_login(other_parent)

    response = client.get(CHILDREN, **EN)

    assert response.status_code == 200
    page = html(response)
    assert "Zosia Kowalska" not in page
    assert "You do not have access to any child's account." in page
    assert f'href="{reverse("guardianship:child_access_help")}"' in page


def test_an_adult_former_child_is_not_listed_and_cannot_be_opened(client, parent):
    grown_up = make_person(born=years_ago(19), first_name="Ola", surname="Kowalska")
    insure(parent.person, grown_up)
    client.force_login(parent)

    assert "Ola Kowalska" not in html(client.get(CHILDREN, **EN))
    assert client.post(switch_url(grown_up)).status_code == 404
    assert client.get(guardians_url(grown_up)).status_code == 404
    assert "acting_subject" not in client.session


def test_the_childrens_list_writes_no_access_log_entry(client, parent, insured_child):
    client.force_login(parent)

    client.get(CHILDREN)

    assert not AccessLogEntry.objects.exists()


def _children_page_queries(client, parent, total: int, django_assert_max_num_queries) -> int:
    """Give `parent` children until they cover `total`; the queries of one children's page."""
    while parent.person.coverages_given.count() < total:
        born = years_ago(3 + parent.person.coverages_given.count())
        insure(
            parent.person,
            make_person(born=born, first_name=f"Dziecko{born.year}", surname="Kowalska"),
        )
    client.force_login(parent)
    client.get(CHILDREN)  # warm the session
    with (
        CaptureQueriesContext(connection) as queries,
        django_assert_max_num_queries(CHILDREN_QUERIES),
    ):
        response = client.get(CHILDREN)
    assert response.status_code == 200
    assert html(response).count('class="ikp-card ikp-child-tile"') == total
    return len(queries)


# Login, verification, the user's grants, coverages, titles, suspensions, session save.
CHILDREN_QUERIES = 12


@pytest.mark.parametrize("total", [1, 4])
def test_the_childrens_list_takes_a_pinned_number_of_queries(
    client, parent, total, django_assert_max_num_queries
):
    _children_page_queries(client, parent, total, django_assert_max_num_queries)


def test_the_childrens_list_queries_do_not_grow_with_the_children(
    client, parent, django_assert_max_num_queries
):
    one = _children_page_queries(client, parent, 1, django_assert_max_num_queries)
    four = _children_page_queries(client, parent, 4, django_assert_max_num_queries)

    assert four == one


# --- switching ----------------------------------------------------------------------------------------


def test_switching_opens_the_childs_account_and_the_banner_names_the_child(
    client, parent, insured_child
):
    client.force_login(parent)

    response = client.post(switch_url(insured_child), **EN)

    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    assert client.session["acting_subject"] == str(insured_child.public_id)
    start = html(client.get("/", **EN))
    assert banner("Zosia Kowalska") in start
    assert "You are now viewing the account of Zosia Kowalska." in start
    assert f'action="{SWITCH_BACK}"' in start
    assert "Back to your own account" in start


def test_switching_writes_one_access_log_entry(client, parent, insured_child):
    client.force_login(parent)

    client.post(switch_url(insured_child))

    entry = AccessLogEntry.objects.get()
    assert entry.actor == parent
    assert entry.subject == insured_child
    assert entry.acting_for == insured_child
    assert entry.action == AccessLogEntry.Action.SWITCH_ACCOUNT
    assert entry.basis == "insurance"


def test_switching_back_returns_to_ones_own_account(client, parent, insured_child):
    client.force_login(parent)
    client.post(switch_url(insured_child))

    response = client.post(SWITCH_BACK, **EN)

    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    assert "acting_subject" not in client.session
    start = html(client.get("/", **EN))
    assert banner("Anna Kowalska") in start
    assert "You are back on your own account." in start
    assert "Back to your own account" not in start
    # Switching back reads nothing (the start page then logs its own summary of Anna's account).
    assert AccessLogEntry.objects.exclude(action="view_summary").count() == 1


def test_ones_own_account_shows_no_back_button(client, parent):
    client.force_login(parent)

    start = html(client.get("/", **EN))

    assert banner("Anna Kowalska") in start
    assert "Back to your own account" not in start


def test_a_granted_guardian_switches_to_the_child(client, granted_guardian, granted_child):
    client.force_login(granted_guardian)

    client.post(switch_url(granted_child))

    assert banner("Zosia Kowalska") in html(client.get("/", **EN))
    assert AccessLogEntry.objects.get(action="switch_account").basis == "grant"


def test_an_authorised_person_switches_to_the_adult_who_authorised_them(client, parent, stranger):
    make_grant(parent.person, stranger.person, kind="authorisation")
    client.force_login(stranger)

    response = client.post(switch_url(parent.person))

    assert response.status_code == 302
    assert banner("Anna Kowalska") in html(client.get("/", **EN))
    entry = AccessLogEntry.objects.get(action="switch_account")
    assert (entry.actor, entry.subject, entry.basis) == (stranger, parent.person, "authorisation")


def test_switching_to_ones_own_account_just_goes_back(client, parent, insured_child):
    client.force_login(parent)
    client.post(switch_url(insured_child))

    client.post(switch_url(parent.person))

    assert "acting_subject" not in client.session
    assert AccessLogEntry.objects.count() == 1


def test_a_switched_session_falls_back_to_ones_own_account_on_the_childs_18th_birthday(
    client, parent
):
    teen = make_person(born=years_ago(17, months=11), first_name="Ala", surname="Kowalska")
    insure(parent.person, teen)
    birthday = date_of_age(teen.birth_date, 18)
    eve = datetime.combine(birthday - timedelta(days=1), time(23, 55), tzinfo=WARSAW)

    with time_machine.travel(eve, tick=False):
        client.force_login(parent)
        client.post(switch_url(teen))
        assert banner("Ala Kowalska") in html(client.get("/", **EN))
    with time_machine.travel(eve + timedelta(minutes=10), tick=False):
        start = html(client.get("/", **EN))

    assert banner("Anna Kowalska") in start
    assert "Back to your own account" not in start


# --- grants end on the 18th birthday -------------------------------------------------------------------


def test_a_childs_tile_disappears_on_the_18th_birthday(client, parent, granted_guardian):
    teen = make_person(born=years_ago(17, months=11), first_name="Ala", surname="Kowalska")
    insure(parent.person, teen)
    make_grant(teen, granted_guardian.person, by=parent)
    birthday = date_of_age(teen.birth_date, 18)

    for user in (parent, granted_guardian):
        with time_machine.travel(at_noon(birthday - timedelta(days=1)), tick=False):
            client.force_login(user)
            before = client.get(CHILDREN)
            client.logout()  # a new login on the next day (sessions last at most 12 hours)
        with time_machine.travel(at_noon(birthday), tick=False):
            client.force_login(user)
            on_the_day = client.get(CHILDREN)
            assert client.get(guardians_url(teen)).status_code == 404
            assert client.post(switch_url(teen)).status_code == 404
            client.logout()

        assert before.status_code == on_the_day.status_code == 200
        assert "Ala Kowalska" in html(before)
        assert "Ala Kowalska" not in html(on_the_day)


def test_the_adult_then_sees_their_own_account(client, parent):
    teen = make_person(born=years_ago(17, months=11), first_name="Ala", surname="Kowalska")
    insure(parent.person, teen)
    teen_user = make_user(person=teen)
    birthday = date_of_age(teen.birth_date, 18)

    with time_machine.travel(at_noon(birthday), tick=False):
        client.force_login(teen_user)
        assert client.get("/uprawnienia/upowaznienia/").status_code == 200
