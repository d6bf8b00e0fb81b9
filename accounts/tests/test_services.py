"""Identity workflows (accounts/services.py): people from PESEL, verifications, verified logins."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import IdentityVerification, Person, User
from accounts.rules import InvalidPesel, PeselProblem, VerificationMethod, build_pesel
from accounts.services import (
    IdentityError,
    current_verification,
    identity_verification_record,
    patient_verify,
    person_get_or_create,
)
from conftest import PASSWORD, make_person, make_user

WARSAW = ZoneInfo("Europe/Warsaw")
pytestmark = pytest.mark.django_db


def new_pesel(born=date(1990, 4, 12), sex="M", serial=901) -> str:
    return build_pesel(born, sex=sex, serial=serial)


# --- person_get_or_create ----------------------------------------------------------------------


def test_it_creates_a_person_with_birth_date_and_sex_from_the_pesel():
    pesel = build_pesel(date(2012, 7, 10), sex="F", serial=44)

    person = person_get_or_create(pesel=pesel, first_name=" Maja ", surname=" Lis ")

    person.refresh_from_db()
    assert person.pesel == pesel
    assert (person.first_name, person.surname) == ("Maja", "Lis")
    assert person.birth_date == date(2012, 7, 10)
    assert person.sex == "F"


def test_it_reuses_the_existing_person_and_never_overwrites_names():
    existing = make_person(born=date(1985, 3, 14), first_name="Anna", surname="Kowalska")

    person = person_get_or_create(pesel=existing.pesel, first_name="Inna", surname="Zmieniona")

    assert person.pk == existing.pk
    person.refresh_from_db()
    assert (person.first_name, person.surname) == ("Anna", "Kowalska")
    assert Person.objects.count() == 1


def test_it_finds_an_existing_person_without_names():
    existing = make_person(born=date(1985, 3, 14))

    assert person_get_or_create(pesel=existing.pesel).pk == existing.pk


@pytest.mark.parametrize(("first_name", "surname"), [("", ""), ("Maja", ""), ("", "Lis")])
def test_it_refuses_to_create_a_person_without_names(first_name, surname):
    with pytest.raises(IdentityError) as caught:
        person_get_or_create(pesel=new_pesel(), first_name=first_name, surname=surname)

    assert caught.value.code == "names_required"
    assert not Person.objects.exists()


def test_it_refuses_an_invalid_pesel():
    pesel = new_pesel()
    typo = pesel[:10] + str((int(pesel[10]) + 1) % 10)

    with pytest.raises(InvalidPesel) as caught:
        person_get_or_create(pesel=typo, first_name="Maja", surname="Lis")

    assert caught.value.problem == PeselProblem.CHECKSUM
    assert not Person.objects.exists()


@time_machine.travel(datetime(2025, 6, 1, 12, 0, tzinfo=WARSAW), tick=False)
def test_it_refuses_a_pesel_born_after_today():
    with pytest.raises(InvalidPesel) as caught:
        person_get_or_create(
            pesel=build_pesel(date(2025, 6, 2), sex="F", serial=1), first_name="Maja", surname="Lis"
        )

    assert caught.value.problem == PeselProblem.FUTURE
    assert not Person.objects.exists()


# --- identity verification records ----------------------------------------------------------------


def test_a_trusted_profile_verification_lasts_until_the_end_of_the_day_36_months_later(stranger):
    at = datetime(2025, 1, 15, 10, 30, tzinfo=WARSAW)

    verification = identity_verification_record(
        user=stranger, method=VerificationMethod.TRUSTED_PROFILE, at=at
    )

    verification.refresh_from_db()
    assert verification.method == "trusted_profile"
    assert verification.verified_at == at
    assert verification.expires_at.astimezone(WARSAW) == datetime(
        2028, 1, 15, 23, 59, 59, tzinfo=WARSAW
    )


def test_a_verification_uses_the_local_date_not_the_utc_date(stranger):
    # 00:30 in Warsaw on 1 March is still 28 February in UTC.
    at = datetime(2025, 3, 1, 0, 30, tzinfo=WARSAW)

    verification = identity_verification_record(
        user=stranger, method=VerificationMethod.BANK, at=at
    )

    assert verification.expires_at.astimezone(WARSAW).date() == date(2027, 3, 1)


def test_the_current_verification_is_the_one_that_lasts_longest(unverified_user):
    identity_verification_record(user=unverified_user, method=VerificationMethod.BANK)
    longest = identity_verification_record(
        user=unverified_user, method=VerificationMethod.TRUSTED_PROFILE
    )

    assert current_verification(unverified_user) == longest


def test_a_user_who_was_never_verified_has_no_current_verification(unverified_user):
    assert current_verification(unverified_user) is None


def test_a_verification_stops_counting_once_it_expires(unverified_user):
    with time_machine.travel(datetime(2025, 1, 15, 10, 0, tzinfo=WARSAW), tick=False):
        verification = identity_verification_record(
            user=unverified_user, method=VerificationMethod.TRUSTED_PROFILE
        )

    with time_machine.travel(verification.expires_at - timedelta(seconds=1), tick=False):
        assert current_verification(unverified_user) == verification
    with time_machine.travel(verification.expires_at, tick=False):
        assert current_verification(unverified_user) is None
    with time_machine.travel(verification.expires_at + timedelta(days=1), tick=False):
        assert current_verification(unverified_user) is None


def test_a_verification_does_not_count_before_it_was_made(unverified_user):
    at = datetime(2025, 1, 15, 10, 0, tzinfo=WARSAW)
    identity_verification_record(user=unverified_user, method=VerificationMethod.E_ID, at=at)

    assert current_verification(unverified_user, at=at - timedelta(minutes=1)) is None
    assert current_verification(unverified_user, at=at) is not None


# --- patient_verify ----------------------------------------------------------------------------


def test_it_creates_a_verified_login_for_a_new_person():
    pesel = new_pesel()

    result = patient_verify(
        pesel=pesel,
        email="Maja.Lis@Example.TEST",
        method="in_person",
        password=PASSWORD,
        first_name="Maja",
        surname="Lis",
    )

    user = User.objects.get()
    assert result.created is True
    assert result.user == user
    assert user.email == "maja.lis@example.test"
    assert user.person.pesel == pesel
    assert user.check_password(PASSWORD)
    verification = IdentityVerification.objects.get()
    assert verification == result.verification
    assert verification.user == user
    assert verification.method == "in_person"
    assert current_verification(user) == verification


def test_it_gives_an_existing_person_without_a_login_a_verified_login():
    person = make_person(born=date(1970, 1, 2), first_name="Jerzy", surname="Stary", sex="M")

    result = patient_verify(
        pesel=person.pesel, email="jerzy@example.test", method="in_person", password=PASSWORD
    )

    assert result.created is True
    assert result.user.person == person
    assert Person.objects.count() == 1


def test_an_existing_login_gets_a_fresh_verification(unverified_user):
    result = patient_verify(
        pesel=unverified_user.person.pesel, email=unverified_user.email, method="in_person"
    )

    assert result.created is False
    assert result.user == unverified_user
    assert list(unverified_user.verifications.all()) == [result.verification]
    assert current_verification(unverified_user) == result.verification
    assert User.objects.count() == 1
    unverified_user.refresh_from_db()
    assert unverified_user.check_password(PASSWORD), "no --password keeps the existing one"


def test_an_existing_login_matches_its_email_case_insensitively(stranger):
    result = patient_verify(
        pesel=stranger.person.pesel, email="OBCY@example.test", method="in_person"
    )

    assert result.user == stranger
    assert stranger.verifications.count() == 2


def test_an_existing_login_can_get_a_new_password_at_the_counter(stranger):
    patient_verify(
        pesel=stranger.person.pesel,
        email=stranger.email,
        method="in_person",
        password="a-new-long-password",
    )

    stranger.refresh_from_db()
    assert stranger.check_password("a-new-long-password")


def test_it_refuses_a_different_email_for_a_person_who_has_a_login(stranger):
    with pytest.raises(IdentityError) as caught:
        patient_verify(
            pesel=stranger.person.pesel, email="someone-else@example.test", method="in_person"
        )

    assert caught.value.code == "email_mismatch"
    assert stranger.verifications.count() == 1
    stranger.refresh_from_db()
    assert stranger.email == "obcy@example.test"


def test_it_refuses_an_email_that_another_login_uses(stranger):
    with pytest.raises(IdentityError) as caught:
        patient_verify(
            pesel=new_pesel(),
            email="Obcy@Example.test",
            method="in_person",
            password=PASSWORD,
            first_name="Maja",
            surname="Lis",
        )

    assert caught.value.code == "email_taken"
    assert User.objects.count() == 1
    assert not Person.objects.filter(first_name="Maja").exists(), "the whole workflow rolls back"
    assert IdentityVerification.objects.count() == 1


def test_it_refuses_an_email_that_a_staff_login_uses(support_user):
    with pytest.raises(IdentityError) as caught:
        patient_verify(
            pesel=new_pesel(),
            email=support_user.email,
            method="in_person",
            first_name="Maja",
            surname="Lis",
        )

    assert caught.value.code == "email_taken"
    support_user.refresh_from_db()
    assert support_user.person is None


def test_without_a_password_the_new_login_has_an_unusable_one():
    result = patient_verify(
        pesel=new_pesel(),
        email="maja@example.test",
        method="in_person",
        first_name="Maja",
        surname="Lis",
    )

    result.user.refresh_from_db()
    assert not result.user.has_usable_password()


def test_it_refuses_an_unknown_person_without_names():
    with pytest.raises(IdentityError) as caught:
        patient_verify(pesel=new_pesel(), email="maja@example.test", method="in_person")

    assert caught.value.code == "names_required"
    assert not User.objects.exists()


def test_it_refuses_an_invalid_pesel_and_creates_nothing():
    with pytest.raises(InvalidPesel):
        patient_verify(
            pesel="12345678901",
            email="maja@example.test",
            method="in_person",
            first_name="Maja",
            surname="Lis",
        )

    assert not User.objects.exists()
    assert not Person.objects.exists()


def test_verifying_a_staff_member_who_has_a_person_keeps_their_groups(db):
    from accounts.roles import SUPPORT_GROUP

    user = make_user(
        person=make_person(born=date(1980, 1, 1)), groups=[SUPPORT_GROUP], verified=False
    )

    result = patient_verify(pesel=user.person.pesel, email=user.email, method="in_person")

    assert result.user == user
    assert user.groups.filter(name=SUPPORT_GROUP).exists()
