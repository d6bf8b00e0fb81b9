"""Login help (/pomoc/logowanie/): the notices, the user's identity confirmation, the FAQ's
causes, and the request to ikp-pomoc anyone can send — with its honeypot, signed form
timestamp and rate limit."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.models import ServiceNotice
from accounts.rules import add_months
from accounts.services import identity_verification_record
from conftest import make_person, make_user
from support import ratelimit
from support.forms_login_help import token_issue, token_problem
from support.models import Ticket

URL = "/pomoc/logowanie/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PL = {"HTTP_ACCEPT_LANGUAGE": "pl"}
WARSAW = ZoneInfo("Europe/Warsaw")
# A fixed day for the expiry tests: 35 months before it is 10 March 2023, whose confirmation
# by trusted profile lasts until 10 March 2026, 28 days after it.
TODAY = datetime(2026, 2, 10, 10, 0, tzinfo=WARSAW)

ANONYMOUS = {
    "name": "Jan Testowy",
    "email": "jan@example.test",
    "method": "bank",
    "when": "dziś około 9:00",
    "description": "Bank pokazuje błąd po wybraniu mojeID.",
}
LOGGED_IN = {key: ANONYMOUS[key] for key in ("method", "when", "description")}


def html(response) -> str:
    return response.content.decode()


def shown(day, language: str = "en") -> str:
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


@pytest.fixture
def clock():
    """Frozen time from the minute after the next full hour (later than the cast's creation,
    and a rate-limit window that starts with the test). Tests move it with `shift`."""
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, minutes=1)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


def form_token(response) -> str:
    match = re.search(r'name="form_issued" value="([^"]+)"', html(response))
    assert match, "the page carries the signed form timestamp"
    return match.group(1)


def send(client, clock, data: dict, *, wait: float = 10, **extra):
    """Open the form, take `wait` seconds to fill it in, send it."""
    token = form_token(client.get(URL, **extra))
    clock.shift(wait)
    return client.post(URL, {**data, "form_issued": token}, **extra)


def notice(kind: str, *, starts: timedelta, ends: timedelta, text: str) -> ServiceNotice:
    now = timezone.now()
    return ServiceNotice.objects.create(
        kind=kind, message_pl=f"{text} (pl)", message_en=f"{text} (en)", starts_at=now + starts, ends_at=now + ends
    )


def verified_user(*, method: str, months_ago: int):
    """A login whose only identity confirmation was made `months_ago` calendar months ago."""
    user = make_user(person=make_person(born=date(1980, 4, 1), first_name="Ewa", surname="Lis"), verified=False)
    now = timezone.localtime()
    day = add_months(now.date(), -months_ago)
    identity_verification_record(user=user, method=method, at=now.replace(year=day.year, month=day.month, day=day.day))
    return user


# --- the page ------------------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_what_to_do_and_a_form_asking_for_name_and_email(client, db):
    response = client.get(URL, **EN)

    assert response.status_code == 200
    page = html(response)
    assert '<h1 class="govuk-heading-l">Problems with logging in</h1>' in page
    for cause in (
        "The portal is under maintenance",
        "The trusted profile does not work",
        "A trusted profile is valid for 3 years.",
        "Logging in with a bank or mojeID does not work",
        "The mojeIKP app asks you to confirm your identity",
        "when you log in to mojeIKP for the first time",
        "when you change your phone",
        "every two years",
    ):
        assert cause in page
    assert f'<form method="post" action="{URL}" novalidate>' in page
    assert 'name="name"' in page and 'name="email"' in page
    assert "Your identity confirmation" not in page


def test_the_honeypot_is_hidden_from_people_and_labelled_for_those_who_reach_it(client, db):
    page = html(client.get(URL, **EN))

    hidden = re.search(r'<div class="govuk-visually-hidden" aria-hidden="true">(.*?)</div>', page, re.DOTALL)
    assert hidden, "the honeypot sits in a visually hidden, aria-hidden wrapper"
    assert '<label for="id_website">Leave this field empty. It is here to catch automated messages.</label>' in hidden.group(1)
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", hidden.group(1)).group(0)
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field


def test_notices_are_shown_only_in_their_window(client, db):
    notice(ServiceNotice.Kind.MAINTENANCE, starts=-timedelta(hours=1), ends=timedelta(hours=2), text="Update tonight")
    notice(ServiceNotice.Kind.TRUSTED_PROFILE_OUTAGE, starts=timedelta(hours=1), ends=timedelta(hours=3), text="PZ later")
    notice(ServiceNotice.Kind.BANK_LOGIN_OUTAGE, starts=-timedelta(hours=3), ends=-timedelta(hours=1), text="Banks over")

    page = html(client.get(URL, **EN))

    assert "Update tonight (en)" in page
    assert "Work is going on now: see the notice above." in page
    assert "PZ later" not in page and "The trusted profile is unavailable now" not in page
    assert "Banks over" not in page and "Logging in with a bank is unavailable now" not in page


def test_a_current_outage_notice_is_pointed_to_from_its_cause(client, db):
    notice(ServiceNotice.Kind.TRUSTED_PROFILE_OUTAGE, starts=-timedelta(minutes=5), ends=timedelta(hours=1), text="PZ down")
    notice(ServiceNotice.Kind.BANK_LOGIN_OUTAGE, starts=-timedelta(minutes=5), ends=timedelta(hours=1), text="Bank down")

    page = html(client.get(URL, **PL))

    assert "PZ down (pl)" in page and "Bank down (pl)" in page
    assert "Profil zaufany jest teraz niedostępny: zobacz komunikat powyżej." in page
    assert "Logowanie przez bank jest teraz niedostępne: zobacz komunikat powyżej." in page


def test_a_logged_in_user_sees_their_valid_confirmation_and_is_not_asked_for_name_or_email(client, parent):
    client.force_login(parent)

    page = html(client.get(URL, **EN))

    verification = parent.verifications.get()
    assert "Your identity confirmation" in page
    assert "Trusted profile" in page
    assert shown(timezone.localdate(verification.verified_at)) in page
    assert shown(timezone.localdate(verification.expires_at)) in page
    assert "govuk-warning-text" not in page
    assert 'name="name"' not in page and 'name="email"' not in page
    assert "You are logged in: the answer will go to your account" in page
    assert parent.person.pesel not in page


def test_a_trusted_profile_confirmed_2_years_11_months_ago_is_warned_with_what_to_do(client, db):
    with time_machine.travel(TODAY, tick=False):
        user = verified_user(method="trusted_profile", months_ago=35)
        client.force_login(user)

        page = html(client.get(URL, **EN))

    assert shown(date(2023, 3, 10)) in page
    assert f"Your identity confirmation expires on {shown(date(2026, 3, 10))}, in 28 days." in page
    assert "govuk-warning-text" in page
    assert "Renew your trusted profile (profil zaufany) at pz.gov.pl" in page


def test_the_warning_reads_in_polish_with_the_polish_date(client, db):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(verified_user(method="trusted_profile", months_ago=35))

        page = html(client.get(URL, **PL))

    assert "Potwierdzenie Twojej tożsamości traci ważność 10 marca 2026, za 28 dni." in page
    assert "Przedłuż profil zaufany na stronie pz.gov.pl" in page


def test_an_expired_trusted_profile_is_named_as_expired_with_the_renewal_to_do(client, db):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(verified_user(method="trusted_profile", months_ago=37))

        page = html(client.get(URL, **EN))

    assert f"Your identity confirmation expired on {shown(date(2026, 1, 10))}." in page
    assert "Renew your trusted profile (profil zaufany) at pz.gov.pl" in page


def test_an_expired_bank_confirmation_is_told_to_log_in_again(client, db):
    with time_machine.travel(TODAY, tick=False):
        client.force_login(verified_user(method="bank", months_ago=25))

        page = html(client.get(URL, **EN))

    assert "Bank login / mojeID" in page
    assert f"Your identity confirmation expired on {shown(date(2026, 1, 10))}." in page
    assert "Log out and log in again through login.gov.pl" in page
    assert "pz.gov.pl" not in page


def test_a_login_with_no_confirmation_is_told_so(client, unverified_user):
    client.force_login(unverified_user)

    page = html(client.get(URL, **EN))

    assert "We have no record of your identity being confirmed." in page


def test_the_page_renders_in_english_and_in_polish(client, db):
    english = html(client.get(URL, **EN))
    polish = html(client.get(URL, **PL))

    assert "How did you try to log in?" in english and "Send to ikp-pomoc" in english
    assert "W jaki sposób próbowałeś lub próbowałaś się zalogować?" in polish
    assert "Aplikacja mojeIKP prosi o potwierdzenie tożsamości" in polish


def test_the_help_page_sends_login_problems_here(client, db):
    page = html(client.get("/pomoc/", **EN))

    assert f'<a class="govuk-link" href="{URL}">Help with logging in</a>' in page
    assert "The trusted profile does not work" not in page


def test_only_get_and_post(client, db):
    assert client.put(URL).status_code == 405


# --- sending -------------------------------------------------------------------------------------


def test_an_anonymous_request_opens_a_login_ticket_and_mails_its_number(
    client, db, clock, celery_eager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, clock, ANONYMOUS, **PL)

    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.category, ticket.source, ticket.status) == (Ticket.Category.LOGIN, Ticket.Source.LOGIN_FORM, Ticket.Status.NEW)
    assert ticket.requester is None
    assert (ticket.contact_email, ticket.contact_name, ticket.language) == ("jan@example.test", "Jan Testowy", "pl")
    assert ticket.description == ANONYMOUS["description"]
    assert ticket.diagnosis == {
        "login_help": {"method": "bank", "when": "dziś około 9:00", "verification": None, "notices": []}
    }
    page = html(response)
    assert ticket.number in page
    assert "Zgłoszenie zostało wysłane do ikp-pomoc" in page
    assert "Wysłaliśmy potwierdzenie na adres jan@example.test." in page
    [mail] = mailoutbox
    assert mail.to == ["jan@example.test"]
    assert ticket.number in mail.subject


def test_an_english_request_keeps_english_for_the_answer(
    client, db, clock, celery_eager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, clock, ANONYMOUS, **EN)

    ticket = Ticket.objects.get()
    assert ticket.language == "en"
    assert f"Your reference number<br><strong>{ticket.number}</strong>" in html(response)
    assert "We have received your request" in mailoutbox[0].subject


def test_a_logged_in_users_request_belongs_to_their_login(
    client, clock, parent, celery_eager, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(parent)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, clock, {**LOGGED_IN, "email": "someone-else@example.test"}, **EN)

    ticket = Ticket.objects.get()
    assert ticket.requester == parent
    assert (ticket.contact_email, ticket.contact_name) == ("", "")
    verification = parent.verifications.get()
    assert ticket.diagnosis["login_help"]["verification"] == {
        "method": "trusted_profile",
        "verified_on": timezone.localdate(verification.verified_at).isoformat(),
        "expires_on": timezone.localdate(verification.expires_at).isoformat(),
        "state": "valid",
    }
    page = html(response)
    assert ticket.number in page and 'href="/pomoc/zgloszenia/"' in page
    [mail] = mailoutbox
    assert mail.to == [parent.email]
    pesel = parent.person.pesel
    assert pesel not in page and pesel not in mail.body and pesel not in str(ticket.diagnosis)


def test_the_notices_shown_go_with_the_ticket(client, clock, db):
    notice(ServiceNotice.Kind.BANK_LOGIN_OUTAGE, starts=-timedelta(minutes=5), ends=timedelta(hours=1), text="Bank down")

    send(client, clock, ANONYMOUS)

    assert Ticket.objects.get().diagnosis["login_help"]["notices"] == ["bank_login_outage"]


def test_sending_the_same_form_again_shows_the_same_ticket(client, clock, db):
    token = form_token(client.get(URL))
    clock.shift(10)

    first = client.post(URL, {**ANONYMOUS, "form_issued": token})
    again = client.post(URL, {**ANONYMOUS, "form_issued": token})

    ticket = Ticket.objects.get()
    assert ticket.number in html(first) and ticket.number in html(again)


def test_the_form_works_as_plain_html_with_csrf_checks(clock, db):
    """No JavaScript: the hidden inputs the page itself carries are all a browser sends."""
    browser = Client(enforce_csrf_checks=True)
    page = html(browser.get(URL))
    form = re.search(r'<form method="post" action="/pomoc/logowanie/" novalidate>(.*?)</form>', page, re.DOTALL).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert set(hidden) == {"csrfmiddlewaretoken", "form_issued"}
    clock.shift(30)

    response = browser.post(URL, {**hidden, **ANONYMOUS})

    assert response.status_code == 200
    assert Ticket.objects.get().number in html(response)


# --- anti-abuse ----------------------------------------------------------------------------------


def test_a_filled_honeypot_looks_sent_but_opens_nothing(
    client, db, clock, celery_eager, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, clock, {**ANONYMOUS, "website": "http://spam.example"}, **EN)

    assert response.status_code == 200
    page = html(response)
    assert "Your request has been sent to ikp-pomoc" in page
    assert "Your reference number" not in page and not re.search(r"IKP-\d{4}-", page)
    assert not Ticket.objects.exists()
    assert mailoutbox == []


def test_a_form_sent_within_3_seconds_is_refused_politely_and_kept(client, clock, db):
    response = send(client, clock, ANONYMOUS, wait=1, **PL)

    assert response.status_code == 400
    page = html(response)
    assert "Formularz został wysłany bardzo szybko po otwarciu" in page
    assert "Zachowaliśmy to, co napisałeś lub napisałaś." in page
    assert 'value="Jan Testowy"' in page and 'value="jan@example.test"' in page
    assert ANONYMOUS["description"] in page
    assert re.search(r'<input class="govuk-radios__input" id="id_method_1" name="method" type="radio" value="bank" checked>', page)
    assert not Ticket.objects.exists()

    # The page carries a fresh timestamp: sent a few seconds later, it goes through.
    clock.shift(5)
    again = client.post(URL, {**ANONYMOUS, "form_issued": form_token(response)})
    assert again.status_code == 200 and Ticket.objects.count() == 1


def test_a_form_open_for_more_than_2_hours_is_refused_and_kept(client, clock, db):
    response = send(client, clock, ANONYMOUS, wait=2 * 60 * 60 + 1, **PL)

    assert response.status_code == 400
    page = html(response)
    assert "Formularz był otwarty dłużej niż 2 godziny." in page
    assert 'value="Jan Testowy"' in page and ANONYMOUS["description"] in page
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("token", ["", "forged-token", "1739180000.0:1tXyZ:abc"])
def test_a_missing_or_altered_timestamp_is_refused(client, db, token):
    response = client.post(URL, {**ANONYMOUS, "form_issued": token}, **EN)

    assert response.status_code == 400
    assert "The form was open for more than 2 hours." in html(response)
    assert not Ticket.objects.exists()


def test_the_rate_limit_per_address_trips_at_the_limit_and_recovers_in_the_next_hour(client, clock, db):
    for i in range(5):
        assert send(client, clock, {**ANONYMOUS, "email": f"person{i}@example.test"}).status_code == 200

    over = send(client, clock, {**ANONYMOUS, "email": "person5@example.test"}, **PL)

    assert over.status_code == 429
    assert Ticket.objects.count() == 5
    page = html(over)
    next_hour = timezone.localtime().replace(minute=0, second=0) + timedelta(hours=1)
    assert f"kolejne możesz wysłać po godzinie {next_hour:%H:%M}." in page
    assert 'value="person5@example.test"' in page and ANONYMOUS["description"] in page
    assert 0 < int(over["Retry-After"]) <= 3600

    clock.move_to(next_hour + timedelta(seconds=1))
    assert send(client, clock, {**ANONYMOUS, "email": "person5@example.test"}).status_code == 200
    assert Ticket.objects.count() == 6


def test_the_rate_limit_per_email_counts_across_addresses_and_letter_case(client, clock, db):
    for i in range(3):
        assert send(client, clock, ANONYMOUS, REMOTE_ADDR=f"198.51.100.{i}").status_code == 200

    over = send(client, clock, {**ANONYMOUS, "email": "JAN@example.test"}, REMOTE_ADDR="198.51.100.9")

    assert over.status_code == 429
    assert Ticket.objects.count() == 3


def test_a_forwarded_for_header_does_not_escape_the_limit(client, clock, db):
    for i in range(5):
        send(client, clock, {**ANONYMOUS, "email": f"p{i}@example.test"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")

    over = send(client, clock, {**ANONYMOUS, "email": "p5@example.test"}, HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert over.status_code == 429
    assert Ticket.objects.count() == 5


def test_rate_limit_keys_hold_neither_address_nor_ip(client, clock, db):
    send(client, clock, ANONYMOUS, REMOTE_ADDR="198.51.100.7")

    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = [k.decode() for k in redis.Redis.from_url(settings.REDIS_URL).scan_iter(match=f"{prefix}:*ratelimit*")]
    assert len(keys) == 2
    assert not any("jan" in key or "example" in key or "198.51.100.7" in key for key in keys)


def test_a_logged_in_user_is_limited_by_their_login_address(client, clock, parent):
    client.force_login(parent)
    for i in range(3):
        assert send(client, clock, LOGGED_IN, REMOTE_ADDR=f"198.51.100.{i}").status_code == 200

    assert send(client, clock, LOGGED_IN, REMOTE_ADDR="198.51.100.9").status_code == 429
    assert Ticket.objects.filter(requester=parent).count() == 3


# --- validation ----------------------------------------------------------------------------------


def test_an_invalid_address_and_an_empty_description_get_polish_messages_on_their_fields(client, clock, db):
    response = send(client, clock, {**ANONYMOUS, "email": "jan(at)example", "description": "  "}, **PL)

    assert response.status_code == 400
    page = html(response)
    assert '<a href="#id_email">Podaj adres e-mail w poprawnym formacie, np. imie@example.com.</a>' in page
    assert '<a href="#id_description">Opisz, co się stało, gdy próbowałeś lub próbowałaś się zalogować.</a>' in page
    assert '<p class="govuk-error-message" id="id_email_error">' in page
    assert "govuk-textarea--error" in page
    assert not Ticket.objects.exists()


def test_a_missing_choice_links_to_the_first_option(client, clock, db):
    data = {key: value for key, value in ANONYMOUS.items() if key != "method"}

    page = html(send(client, clock, data, **PL))

    assert '<a href="#id_method_0">Wybierz, w jaki sposób próbowałeś lub próbowałaś się zalogować.</a>' in page
    assert 'id="id_method_0"' in page


def test_missing_name_and_address_are_asked_for(client, clock, db):
    page = html(send(client, clock, {**ANONYMOUS, "name": "", "email": ""}, **PL))

    assert "Podaj imię i nazwisko." in page and "Podaj adres e-mail." in page
    assert not Ticket.objects.exists()


def test_a_pesel_in_the_description_is_refused(client, clock, parent):
    pesel = parent.person.pesel

    response = send(client, clock, {**ANONYMOUS, "description": f"Mój PESEL to {pesel}, nie mogę wejść."}, **PL)

    assert response.status_code == 400
    assert "Usuń numer PESEL: ikp-pomoc nie potrzebuje go, aby pomóc Ci się zalogować." in html(response)
    assert not Ticket.objects.exists()


def test_eleven_digits_that_are_no_pesel_are_accepted(client, clock, db):
    response = send(client, clock, {**ANONYMOUS, "description": "Kod błędu 12345678901 na ekranie."})

    assert response.status_code == 200
    assert Ticket.objects.get().description == "Kod błędu 12345678901 na ekranie."


def test_an_overlong_description_is_refused_not_a_500(client, clock, db):
    response = send(client, clock, {**ANONYMOUS, "description": "x" * 2001}, **PL)

    assert response.status_code == 400
    assert "Wpisz najwyżej 2000 znaków." in html(response)


# --- the pieces, at their edges ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "problem"),
    [(0, "too_fast"), (2.9, "too_fast"), (3, None), (2 * 60 * 60, None), (2 * 60 * 60 + 2, "expired")],
)
def test_the_form_timestamp_allows_3_seconds_to_2_hours(seconds, problem):
    issued_at = 1_800_000_000.0
    with time_machine.travel(issued_at, tick=False) as traveller:
        token = token_issue()
        traveller.shift(seconds)

        assert token_problem(token) == problem


def test_a_fixed_window_counts_to_its_limit_and_starts_again_in_the_next():
    limit = ratelimit.Limit("test-window", count=2, seconds=60)
    start = 1_800_000_000  # a multiple of 60: the start of a window

    verdicts = [ratelimit.hit(limit, "198.51.100.1", now=start + s) for s in (0, 30, 59)]
    later = ratelimit.hit(limit, "198.51.100.1", now=start + 60)

    assert [v.allowed for v in verdicts] == [True, True, False]
    assert verdicts[-1].retry_at.timestamp() == start + 60
    assert later.allowed
    assert ratelimit.hit(limit, "198.51.100.2", now=start + 59).allowed, "each subject has its own counter"
