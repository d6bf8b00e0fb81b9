"""Admin for people: search, audited changes, PESEL-derived fields."""

from datetime import date

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from stdnum.pl import pesel as stdnum_pesel

from accounts.models import Person
from accounts.rules import PeselProblem, build_pesel
from accounts.validation import pesel_error_message
from conftest import make_person

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PersonEvent = Person.pgh_event_model


@pytest.fixture
def admin_client(client, admin_user):
    """A superuser who has set up TOTP (the portal insists), logged in."""
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)
    return client


@pytest.fixture
def person(db):
    return make_person(born=date(1985, 3, 14), first_name="Anna", surname="Kowalska")


def change_url(person: Person) -> str:
    return reverse("admin:accounts_person_change", args=[person.pk])


def form_data(person: Person, **changes) -> dict:
    data = {
        "pesel": person.pesel,
        "first_name": person.first_name,
        "surname": person.surname,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_the_admin_lists_and_searches_people_by_surname(admin_client, person):
    make_person(born=date(1990, 1, 5), first_name="Jan", surname="Obcy")

    response = admin_client.get("/admin/accounts/person/?q=Kowalska", **EN)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Kowalska" in page
    assert "Obcy" not in page


def test_the_admin_does_not_search_by_pesel_so_none_lands_in_access_logs(admin_client, person):
    by_pesel = admin_client.get(f"/admin/accounts/person/?q={person.pesel}").content.decode()
    by_opaque_id = admin_client.get(f"/admin/accounts/person/?q={person.public_id}").content.decode()

    assert "Kowalska" not in by_pesel
    assert "Kowalska" in by_opaque_id


def test_changing_a_surname_in_the_admin_leaves_an_event_naming_the_admin(
    admin_client, admin_user, person
):
    response = admin_client.post(change_url(person), form_data(person, surname="Nowak-Kowalska"))

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.surname == "Nowak-Kowalska"
    event = PersonEvent.objects.filter(pgh_obj=person, pgh_label="update").get()
    assert event.surname == "Nowak-Kowalska"
    assert event.pgh_context is not None
    assert event.pgh_context.metadata["user"] == admin_user.pk
    assert event.pgh_context.metadata["url"] == change_url(person)


def test_creating_a_person_outside_a_request_records_an_event_without_a_user(person):
    event = PersonEvent.objects.get(pgh_obj=person, pgh_label="insert")

    assert event.pesel == person.pesel
    assert event.pgh_context is None


def test_changing_the_pesel_in_the_admin_re_derives_birth_date_and_sex(
    admin_client, admin_user, person
):
    new_pesel = build_pesel(date(2003, 11, 2), sex="M", serial=77)

    response = admin_client.post(change_url(person), form_data(person, pesel=new_pesel))

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.pesel == new_pesel
    assert person.birth_date == date(2003, 11, 2)
    assert person.sex == "M"
    event = PersonEvent.objects.get(pgh_obj=person, pgh_label="update")
    assert (event.pesel, event.birth_date, event.sex) == (new_pesel, date(2003, 11, 2), "M")
    assert event.pgh_context.metadata["user"] == admin_user.pk


def test_adding_a_person_in_the_admin_derives_birth_date_and_sex(admin_client, admin_user):
    pesel = build_pesel(date(2015, 6, 30), sex="F", serial=12)

    response = admin_client.post(
        reverse("admin:accounts_person_add"),
        {"pesel": pesel, "first_name": "Zofia", "surname": "Mała", "_save": "Save"},
    )

    assert response.status_code == 302
    person = Person.objects.get(pesel=pesel)
    assert (person.birth_date, person.sex) == (date(2015, 6, 30), "F")
    assert (
        PersonEvent.objects.get(pgh_obj=person, pgh_label="insert").pgh_context.metadata["user"]
        == admin_user.pk
    )


@pytest.mark.parametrize(
    ("bad_pesel", "problem"),
    [
        ("1234567890", PeselProblem.FORMAT),
        ("__CHECKSUM__", PeselProblem.CHECKSUM),
        ("8502300012" + stdnum_pesel.calc_check_digit("8502300012"), PeselProblem.DATE),
        (build_pesel(date(2090, 1, 1), sex="F", serial=1), PeselProblem.FUTURE),
    ],
)
def test_an_invalid_pesel_in_the_admin_shows_a_readable_error_and_saves_nothing(
    admin_client, person, bad_pesel, problem
):
    if bad_pesel == "__CHECKSUM__":
        bad_pesel = person.pesel[:10] + str((int(person.pesel[10]) + 1) % 10)
    before = (person.pesel, person.birth_date, person.sex, person.surname)

    response = admin_client.post(
        change_url(person), form_data(person, pesel=bad_pesel, surname="Zmieniona"), **EN
    )

    assert response.status_code == 200
    assert pesel_error_message(problem) in response.content.decode()
    person.refresh_from_db()
    assert (person.pesel, person.birth_date, person.sex, person.surname) == before
    assert not PersonEvent.objects.filter(pgh_obj=person, pgh_label="update").exists()


def test_the_admin_refuses_a_pesel_that_another_person_has(admin_client, person):
    other = make_person(born=date(1990, 1, 5), first_name="Jan", surname="Obcy")

    response = admin_client.post(change_url(person), form_data(person, pesel=other.pesel), **EN)

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.pesel != other.pesel


def test_birth_date_and_sex_cannot_be_edited_directly(admin_client, person):
    response = admin_client.post(
        change_url(person), form_data(person, birth_date="2000-01-01", sex="M")
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.birth_date, person.sex) == (date(1985, 3, 14), "F")


def test_the_admin_is_closed_to_staff_without_totp(client, admin_user, person):
    client.force_login(admin_user)

    response = client.get("/admin/accounts/person/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
