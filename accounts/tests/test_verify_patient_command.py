"""`manage.py verify_patient`: a verified login made at the NFZ counter."""

import re
from datetime import date
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import translation
from stdnum.pl import pesel as stdnum_pesel

from accounts.models import IdentityVerification, Person, User
from accounts.rules import PeselProblem, build_pesel
from accounts.services import current_verification
from accounts.validation import pesel_error_message
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

PESEL = build_pesel(date(1979, 9, 23), sex="F", serial=321)


NEW_PERSON_ARGS = ["--email", "marta@example.test", "--method", "in_person", "--first-name", "M", "--surname", "W"]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("verify_patient", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def verify_new(*extra: str) -> tuple[str, str]:
    return run(
        PESEL,
        "--email",
        "Marta@Example.test",
        "--method",
        "in_person",
        "--first-name",
        "Marta",
        "--surname",
        "Wiśniewska",
        *extra,
    )


def test_it_creates_a_verified_login_that_can_log_in(client):
    out, _ = verify_new("--password", PASSWORD)

    user = User.objects.get(email="marta@example.test")
    assert user.person.pesel == PESEL
    assert user.person.birth_date == date(1979, 9, 23)
    verification = current_verification(user)
    assert verification is not None and verification.method == "in_person"
    assert "Created login marta@example.test" in out
    assert client.login(email="marta@example.test", password=PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert mail.outbox == [], "a login with a password needs no set-password e-mail"


def test_it_sends_a_set_password_link_when_no_password_is_given(client):
    out, _ = verify_new()

    user = User.objects.get(email="marta@example.test")
    assert not user.has_usable_password()
    assert "link to set the password was sent" in out
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["marta@example.test"]
    assert PESEL not in message.body and PESEL not in message.subject
    links = re.findall(r"https?://\S+", message.body)
    assert links and len(set(links)) == 1
    path = urlsplit(links[0]).path
    assert path.startswith("/konto/password/reset/key/")

    response = client.get(path)

    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response["Location"].endswith("-set-password/")
        response = client.get(response["Location"])
    assert response.status_code == 200
    assert response.context["form"] is not None and not response.context.get("token_fail")


def test_the_set_password_link_sets_a_password_that_logs_in_and_works_once(client):
    verify_new()
    path = urlsplit(re.search(r"https?://\S+", mail.outbox[0].body).group(0)).path
    form_url = client.get(path)["Location"]

    response = client.post(form_url, {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 302
    user = User.objects.get(email="marta@example.test")
    assert user.check_password(PASSWORD)
    assert client.login(email="marta@example.test", password=PASSWORD)
    client.logout()
    reused = client.get(path)
    assert reused.status_code == 200 and reused.context["token_fail"], "the link is one-time"


def test_a_person_who_already_exists_needs_no_names(stranger):
    out, _ = run(stranger.person.pesel, "--email", stranger.email, "--method", "in_person")

    assert "Updated login obcy@example.test" in out
    assert stranger.verifications.filter(method="in_person").count() == 1
    assert mail.outbox == [], "a login that has a password gets no set-password e-mail"


def test_it_refuses_an_invalid_pesel_with_a_readable_message():
    typo = PESEL[:10] + str((int(PESEL[10]) + 1) % 10)

    with pytest.raises(CommandError) as caught:
        run(
            typo,
            *NEW_PERSON_ARGS,
        )

    assert str(caught.value) == pesel_error_message(PeselProblem.CHECKSUM)
    with translation.override("en"):
        assert "check digit does not match" in pesel_error_message(PeselProblem.CHECKSUM)
    assert typo not in str(caught.value)
    assert not User.objects.exists() and not Person.objects.exists()


THIRTIETH_OF_FEBRUARY = "8502300012" + stdnum_pesel.calc_check_digit("8502300012")


@pytest.mark.parametrize(
    ("pesel", "problem"),
    [("1234", PeselProblem.FORMAT), (THIRTIETH_OF_FEBRUARY, PeselProblem.DATE)],
)
def test_it_explains_format_and_date_problems(pesel, problem):
    with pytest.raises(CommandError) as caught:
        run(
            pesel,
            *NEW_PERSON_ARGS,
        )

    assert str(caught.value) == pesel_error_message(problem)
    assert pesel not in str(caught.value)


def test_it_asks_for_names_of_an_unknown_person_without_repeating_the_pesel():
    with pytest.raises(CommandError) as caught:
        run(PESEL, "--email", "marta@example.test", "--method", "in_person")

    assert "--first-name" in str(caught.value)
    assert PESEL not in str(caught.value)


def test_it_refuses_a_different_email_for_an_existing_login(stranger):
    with pytest.raises(CommandError) as caught:
        run(stranger.person.pesel, "--email", "new@example.test", "--method", "in_person")

    assert "different e-mail" in str(caught.value)
    assert stranger.person.pesel not in str(caught.value)
    assert stranger.verifications.count() == 1


def test_it_refuses_an_email_of_another_login(stranger):
    with pytest.raises(CommandError) as caught:
        run(
            PESEL,
            "--email",
            stranger.email,
            "--method",
            "in_person",
            "--first-name",
            "Marta",
            "--surname",
            "W",
        )

    assert "already belongs to another login" in str(caught.value)
    assert User.objects.count() == 1
    assert not Person.objects.filter(pesel=PESEL).exists()


def test_it_refuses_an_unknown_method():
    with pytest.raises(CommandError):
        run(
            PESEL,
            "--email",
            "marta@example.test",
            "--method",
            "carrier_pigeon",
            "--first-name",
            "M",
            "--surname",
            "W",
        )

    assert not IdentityVerification.objects.exists()


@pytest.mark.parametrize("with_password", [True, False])
def test_its_output_never_contains_the_pesel(with_password):
    out, err = verify_new(*(["--password", PASSWORD] if with_password else []))
    again_out, again_err = run(PESEL, "--email", "marta@example.test", "--method", "in_person")

    for text in (out, err, again_out, again_err):
        assert PESEL not in text
    assert "marta@example.test" in out
