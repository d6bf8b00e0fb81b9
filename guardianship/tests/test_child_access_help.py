""""Why can't I see my child's account?": every diagnosis through the view, the promise never
to reveal another person's data, PESEL validation, and the ticket to ikp-pomoc."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.rules import add_months, build_pesel, date_of_age, pesel_check_digit
from conftest import give_own_title, insure, make_person, make_user, years_ago
from guardianship.models import AccessLogEntry, InsuranceEvent
from support.models import Ticket

URL = "/pomoc/dostep-do-konta-dziecka/"
TICKET_URL = "/pomoc/dostep-do-konta-dziecka/zgloszenie/"
LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

REMEDIES = ("Lista opiekunów", "Dodaj opiekuna", "NFZ regional branch", "Check again", "Send to ikp-pomoc")
NOT_DECISIVE = "Your registration of the child for insurance is active, but at the moment it does not give you access"
NO_REGISTRATION = "No registration of this child for insurance by you has reached us."


def html(response) -> str:
    return response.content.decode()


def shown(day) -> str:
    with translation.override("en"):
        return date_format(day, "DATE_FORMAT")


def check(client, user, pesel: str):
    client.force_login(user)
    return client.post(URL, {"pesel": pesel}, **EN)


def without_tokens(page: str) -> str:
    """The page minus what differs on every response: CSRF tokens and the CSP nonce."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'nonce="[^"]+"', "", page)


def diagnosis_rows(child):
    return AccessLogEntry.objects.filter(subject=child, action=AccessLogEntry.Action.DIAGNOSIS)


# --- the form ------------------------------------------------------------------------------------


def test_it_asks_for_the_pesel_in_a_post_form(client, parent):
    client.force_login(parent)

    response = client.get(URL, **EN)

    assert response.status_code == 200
    page = html(response)
    assert "<h1 class=\"govuk-heading-l\">Why can't I see my child's account?</h1>" in page
    assert f'<form method="post" action="{URL}"' in page
    assert 'name="pesel"' in page and '<label class="govuk-label govuk-label--s" for="id_pesel">' in page
    assert "govuk-error-summary" not in page


# --- every diagnosis -----------------------------------------------------------------------------


def test_a_parent_who_covers_the_child_is_sent_to_the_childs_account(client, parent, insured_child):
    response = check(client, parent, insured_child.pesel)

    assert response.status_code == 200
    page = html(response)
    assert "You have access to the account of Zosia Kowalska." in page
    assert 'href="/uprawnienia/dzieci/"' in page
    assert not any(remedy in page for remedy in REMEDIES)
    entry = diagnosis_rows(insured_child).get()
    assert (entry.actor, entry.acting_for, entry.basis) == (parent, parent.person, "")


def test_a_guardian_of_an_adult_child_is_told_access_ended_on_the_18th_birthday(client, parent):
    adult = make_person(born=years_ago(19), first_name="Ola", surname="Kowalska")
    insure(parent.person, adult)

    page = html(check(client, parent, adult.pesel))

    birthday = date_of_age(adult.birth_date, 18)
    assert f"The child turned 18 on {shown(birthday)}." in page
    assert "can authorise you to see their account" in page
    assert "Ola" not in page
    assert "Send to ikp-pomoc" in page
    assert diagnosis_rows(adult).count() == 1


def test_a_registration_waiting_to_be_applied_shows_the_21_day_deadline(client, parent, child):
    today = timezone.localdate()
    InsuranceEvent.objects.create(
        event_id="pending-help-1", type="family_member_registered", insured_pesel=parent.person.pesel,
        person_pesel=child.pesel, valid_from=today - timedelta(days=4), reported_on=today - timedelta(days=2),
    )  # fmt: skip

    page = html(check(client, parent, child.pesel))

    assert f"valid from {shown(today - timedelta(days=4))}, has reached us and is being applied." in page
    assert f"It must be done by {shown(today + timedelta(days=19))}." in page
    assert all(remedy in page for remedy in REMEDIES)
    assert "Zosia" not in page


def test_a_registration_starting_later_names_its_first_day(client, parent, child):
    start = timezone.localdate() + timedelta(days=10)
    insure(parent.person, child, valid_from=start, reported_on=timezone.localdate())

    page = html(check(client, parent, child.pesel))

    assert f"Your registration of the child for insurance starts on {shown(start)}." in page
    assert all(remedy in page for remedy in REMEDIES)


def test_an_ended_registration_names_its_last_day_and_the_new_employer(client, parent, child):
    last_day = timezone.localdate() - timedelta(days=10)
    insure(parent.person, child, valid_to=last_day)

    page = html(check(client, parent, child.pesel))

    assert f"Your registration of the child for insurance ended on {shown(last_day)}." in page
    assert "your new employer must register the child with ZUS" in page
    assert all(remedy in page for remedy in REMEDIES)


def test_when_the_other_parent_covers_the_child_now_it_lists_the_general_causes(client, parent, other_parent, insured_child):
    insure(other_parent.person, insured_child, valid_from=timezone.localdate() - timedelta(days=3))

    page = html(check(client, parent, insured_child.pesel))

    assert NOT_DECISIVE in page
    assert "the other parent now covers the child" in page and "their own insurance title" in page
    assert all(remedy in page for remedy in REMEDIES)
    assert "Piotr" not in page and other_parent.person.pesel not in page and "Zosia" not in page


def test_when_the_child_has_an_own_title_it_lists_the_same_general_causes(client, parent, insured_child):
    give_own_title(insured_child, title="juvenile_employment", valid_from=timezone.localdate() - timedelta(days=3))

    page = html(check(client, parent, insured_child.pesel))

    assert NOT_DECISIVE in page
    assert "Zosia" not in page


def test_a_child_never_registered_by_the_user_gets_no_registration(client, parent, child):
    page = html(check(client, parent, child.pesel))

    assert NO_REGISTRATION in page
    assert "Your employer may not have reported the child to ZUS" in page
    assert all(remedy in page for remedy in REMEDIES)
    assert "Zosia" not in page
    assert diagnosis_rows(child).count() == 1


def test_an_unknown_pesel_reads_exactly_like_a_known_child_without_registration(client, parent, child):
    unknown = build_pesel(child.birth_date, sex="F", serial=777)

    known_page = without_tokens(html(check(client, parent, child.pesel)))
    unknown_page = without_tokens(html(check(client, parent, unknown)))

    assert NO_REGISTRATION in unknown_page
    assert unknown_page.replace(unknown, "PESEL") == known_page.replace(child.pesel, "PESEL")
    assert AccessLogEntry.objects.filter(action=AccessLogEntry.Action.DIAGNOSIS).count() == 1  # the known child only


def test_a_stranger_learns_nothing_about_someone_elses_child(client, stranger, insured_child):
    page = html(check(client, stranger, insured_child.pesel))

    assert NO_REGISTRATION in page
    assert "Zosia" not in page and "Anna" not in page
    assert diagnosis_rows(insured_child).get().actor == stranger  # the family sees the check in the log


# --- never reveals -------------------------------------------------------------------------------


def test_the_page_reads_the_same_whether_the_child_has_an_own_title_or_the_other_parent_covers(
    client, parent, other_parent, insured_child
):
    from guardianship.models import InsuranceEvent as Event
    from guardianship.sync import insurance_apply_pending

    today = timezone.localdate()
    title_event = give_own_title(insured_child, title="nursing_allowance", valid_from=today - timedelta(days=3))
    with_own_title = html(check(client, parent, insured_child.pesel))

    # The title turns out to be a mistake; instead, the other parent has covered the child since then.
    Event.objects.create(event_id="cancel-title", type="event_cancelled", cancels_event_id=title_event, reported_on=today)
    insurance_apply_pending(today=today)
    insure(other_parent.person, insured_child, valid_from=today - timedelta(days=3))
    covered_by_other = html(check(client, parent, insured_child.pesel))

    assert NOT_DECISIVE in with_own_title
    assert without_tokens(with_own_title) == without_tokens(covered_by_other)


# --- invalid input -------------------------------------------------------------------------------


def _with_check_digit(first_ten: str) -> str:
    return first_ten + pesel_check_digit(first_ten)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your child&#x27;s PESEL number."),  # a form error is escaped; {% translate %} is not
        ("1234", "A PESEL number has exactly 11 digits."),
        ("abcdefghijk", "A PESEL number has exactly 11 digits."),
        ("１２３４５６７８９０１", "A PESEL number has exactly 11 digits."),
        ("CHECKSUM", "its check digit does not match"),
        (_with_check_digit("9902300000"), "does not encode a real date of birth"),
        ("FUTURE", "gives a date of birth in the future"),
        ("OWN", "This is your own PESEL number."),
    ],
)
def test_an_invalid_pesel_is_explained_in_an_error_summary(client, parent, child, typed, message):
    if typed == "CHECKSUM":
        typed = child.pesel[:10] + str((int(child.pesel[10]) + 1) % 10)
    elif typed == "FUTURE":
        typed = build_pesel(add_months(timezone.localdate(), 2), sex="F", serial=5)
    elif typed == "OWN":
        typed = parent.person.pesel

    response = check(client, parent, typed)

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert 'class="govuk-error-summary"' in page
    assert '<a href="#id_pesel">' in page
    assert message in page
    assert 'aria-invalid="true"' in page
    assert not AccessLogEntry.objects.filter(action=AccessLogEntry.Action.DIAGNOSIS).exists()


def test_spaces_typed_inside_the_pesel_are_ignored(client, parent, insured_child):
    spaced = f"{insured_child.pesel[:6]} {insured_child.pesel[6:]}"

    page = html(check(client, parent, spaced))

    assert "You have access to the account of Zosia Kowalska." in page


# --- check again and the ticket ------------------------------------------------------------------


def test_the_result_offers_check_again_and_the_ticket_with_the_pesel_in_hidden_fields(client, parent, child):
    page = html(check(client, parent, child.pesel))

    assert f'<form method="post" action="{URL}"' in page
    assert f'<input type="hidden" name="pesel" value="{child.pesel}">' in page
    assert f'<form method="post" action="{TICKET_URL}"' in page
    assert f'<input type="hidden" name="pesel" value="{child.pesel}" id="id_pesel">' in page
    assert 'name="description"' in page


def test_the_ticket_carries_the_diagnosis_computed_again(client, parent, other_parent, insured_child):
    insure(other_parent.person, insured_child, valid_from=timezone.localdate() - timedelta(days=3))
    client.force_login(parent)

    response = client.post(
        TICKET_URL,
        {"pesel": insured_child.pesel, "description": "Since March I cannot see Zosia.", "code": "has_access"},
        **EN,
    )

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.requester, ticket.person) == ("child_access", parent, insured_child)
    assert ticket.description == "Since March I cannot see Zosia."
    assert ticket.diagnosis == {"child_access": {"code": "not_decisive", "on": None, "deadline": None}}
    page = html(response)
    assert ticket.number in page
    assert NOT_DECISIVE in page
    assert "Since March I cannot see Zosia." in page
    entry = diagnosis_rows(insured_child).get()
    assert (entry.actor, entry.target) == (parent, str(ticket.public_id))


def test_a_ticket_about_an_unknown_pesel_names_no_person(client, parent, child):
    client.force_login(parent)
    unknown = build_pesel(child.birth_date, sex="M", serial=778)

    response = client.post(TICKET_URL, {"pesel": unknown, "description": ""}, **EN)

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.person is None
    assert ticket.diagnosis["child_access"]["code"] == "no_registration"
    assert not AccessLogEntry.objects.exists()


def test_a_ticket_with_a_dated_diagnosis_stores_the_dates(client, parent, child):
    last_day = timezone.localdate() - timedelta(days=10)
    insure(parent.person, child, valid_to=last_day)
    client.force_login(parent)

    client.post(TICKET_URL, {"pesel": child.pesel}, **EN)

    assert Ticket.objects.get().diagnosis["child_access"] == {
        "code": "registration_ended", "on": last_day.isoformat(), "deadline": None
    }


def test_a_tampered_pesel_on_the_ticket_opens_nothing_and_shows_the_error(client, parent):
    client.force_login(parent)

    response = client.post(TICKET_URL, {"pesel": "12345678901", "description": "x"}, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    assert "its check digit does not match" in html(response)
    assert not Ticket.objects.exists()


def test_a_too_long_description_is_explained_and_opens_nothing(client, parent, child):
    client.force_login(parent)

    response = client.post(TICKET_URL, {"pesel": child.pesel, "description": "x" * 2001}, **EN)

    assert response.status_code == 400  # refused: shown again with the reason
    page = html(response)
    assert 'class="govuk-error-summary"' in page and '<a href="#id_description">' in page
    assert NO_REGISTRATION in page
    assert not Ticket.objects.exists()


# --- permission ladder ---------------------------------------------------------------------------


@pytest.mark.parametrize("method, url", [("get", URL), ("post", URL), ("post", TICKET_URL)])
def test_anonymous_visitors_are_sent_to_log_in(client, db, method, url):
    response = getattr(client, method)(url, {"pesel": "12345678903"} if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "12345678903" not in response["Location"]


@pytest.mark.parametrize("method, url", [("get", URL), ("post", URL), ("post", TICKET_URL)])
def test_unverified_users_are_sent_to_confirm_their_identity(client, unverified_user, child, method, url):
    client.force_login(unverified_user)

    response = getattr(client, method)(url, {"pesel": child.pesel} if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFICATION)
    assert not Ticket.objects.exists() and not AccessLogEntry.objects.exists()


def test_a_login_without_a_person_is_sent_to_confirm_their_identity(client, db):
    client.force_login(make_user(email="noperson@example.test"))

    assert client.get(URL)["Location"].startswith(VERIFICATION)


@pytest.mark.parametrize("method, url", [("put", URL), ("delete", URL), ("get", TICKET_URL), ("put", TICKET_URL)])
def test_wrong_methods_get_405(client, parent, method, url):
    client.force_login(parent)

    assert getattr(client, method)(url).status_code == 405
    assert not Ticket.objects.exists()


def test_a_16_year_old_can_check_their_own_sibling_without_seeing_anything(client, child_16, insured_child):
    page = html(check(client, child_16, insured_child.pesel))

    assert NO_REGISTRATION in page and "Zosia" not in page
