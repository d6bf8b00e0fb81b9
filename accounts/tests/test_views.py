"""Our own pages: the start page, identity verification, help, the coming-soon sections, the
development identity provider, service notices, /healthz and the language switch."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import IdentityVerification, ServiceNotice
from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP
from accounts.services import identity_verification_record
from conftest import make_person, make_user

WARSAW = ZoneInfo("Europe/Warsaw")
LOGIN = "/konto/login/"
VERIFICATION = "/konto/weryfikacja/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

COMING_SOON = [
    ("/historia-leczenia/dokumenty/", "Documents"),
    ("/historia-leczenia/zwolnienia/", "Sick leaves"),
    ("/profilaktyka/szczepienia/", "Vaccinations"),
    ("/profilaktyka/szczepienia/umow/", "Book a vaccination"),
    ("/pomoc/zgloszenia/", "Your requests to ikp-pomoc"),
]
COMING_SOON_PATHS = [path for path, _ in COMING_SOON]


def with_totp(user):
    TOTP.activate(user, generate_totp_secret())
    return user


def html(response) -> str:
    return response.content.decode()


# --- start page ---------------------------------------------------------------------------------


def test_the_start_page_greets_visitors_with_the_login_link(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert f'href="{reverse("account_login")}"' in html(response)


def test_the_start_page_shows_the_logged_in_persons_name_and_verification(client, parent):
    client.force_login(parent)

    response = client.get("/", **EN)

    assert response.status_code == 200
    assert "Anna Kowalska" in html(response)
    assert "Your identity is confirmed" in html(response)
    assert f'href="{reverse("account_login")}"' not in html(response)


def test_the_start_page_tells_an_unverified_user_how_to_confirm_their_identity(
    client, unverified_user
):
    client.force_login(unverified_user)

    response = client.get("/", **EN)

    assert response.status_code == 200
    assert "Ewa Niezweryfikowana" in html(response)
    assert "Your identity is not confirmed" in html(response)
    assert f'href="{VERIFICATION}"' in html(response)


def test_the_start_page_is_read_only(client, parent):
    client.force_login(parent)

    assert client.post("/").status_code == 405


# --- identity verification page ---------------------------------------------------------------------


def test_the_verification_page_sends_visitors_to_log_in(client, db):
    response = client.get(VERIFICATION)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={VERIFICATION}"


@pytest.mark.parametrize("who", ["parent", "unverified_user", "child_16"])
def test_the_verification_page_opens_for_any_logged_in_user(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(VERIFICATION).status_code == 200


def test_the_verification_page_is_read_only(client, unverified_user):
    client.force_login(unverified_user)

    assert client.post(VERIFICATION).status_code == 405


# --- help ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "parent", "unverified_user"])
def test_help_opens_for_everyone(client, request, db, who):
    if who:
        client.force_login(request.getfixturevalue(who))

    assert client.get("/pomoc/").status_code == 200


def test_help_is_read_only(client, db):
    assert client.post("/pomoc/").status_code == 405


# --- coming-soon sections behind the verified-identity gate ----------------------------------------------


@pytest.mark.parametrize("path", COMING_SOON_PATHS)
def test_a_section_sends_visitors_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={path}"


@pytest.mark.parametrize("path", COMING_SOON_PATHS)
def test_a_section_sends_an_unverified_user_to_the_verification_page(client, unverified_user, path):
    client.force_login(unverified_user)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION


@pytest.mark.parametrize(("path", "title"), COMING_SOON)
def test_a_section_opens_for_a_verified_user(client, parent, path, title):
    client.force_login(parent)

    response = client.get(path, **EN)

    assert response.status_code == 200
    assert title in html(response)
    assert "Anna Kowalska" in html(response)


@pytest.mark.parametrize("path", COMING_SOON_PATHS)
def test_a_section_refuses_post(client, parent, path):
    client.force_login(parent)

    assert client.post(path).status_code == 405


@pytest.mark.parametrize("path", COMING_SOON_PATHS)
def test_a_section_refuses_post_from_visitors_by_asking_them_to_log_in(client, db, path):
    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_section_opens_for_a_verified_16_year_old(client, child_16):
    client.force_login(child_16)

    assert client.get("/historia-leczenia/dokumenty/").status_code == 200


def test_a_section_closes_when_the_verification_expires(client, parent):
    expires_at = parent.verifications.get().expires_at

    with time_machine.travel(expires_at - timedelta(minutes=1), tick=False):
        client.force_login(parent)
        assert client.get("/uprawnienia/").status_code == 200
    with time_machine.travel(expires_at + timedelta(minutes=1), tick=False):
        client.force_login(parent)
        response = client.get("/uprawnienia/")

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION


@pytest.mark.parametrize("who", ["support_user", "clinic_user"])
def test_a_section_sends_staff_without_a_person_to_the_verification_page(client, request, who):
    client.force_login(with_totp(request.getfixturevalue(who)))

    response = client.get("/historia-leczenia/dokumenty/")

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION


# --- development identity provider -------------------------------------------------------------------


@pytest.fixture
def support_with_person(db):
    return make_user(
        person=make_person(born=date(1975, 4, 4), first_name="Beata", surname="Pomocna"),
        groups=[SUPPORT_GROUP],
        email="beata@example.test",
    )


@pytest.fixture
def clinic_with_person(db):
    return make_user(
        person=make_person(
            born=date(1970, 8, 8), first_name="Cezary", surname="Kliniczny", sex="M"
        ),
        groups=[CLINIC_STAFF_GROUP],
        email="cezary@example.test",
    )


@pytest.fixture
def admin_with_person(db):
    return make_user(
        person=make_person(born=date(1965, 1, 1), first_name="Dorota", surname="Administratorka"),
        is_staff=True,
        is_superuser=True,
        email="dorota@example.test",
    )


@pytest.fixture
def dev_provider(settings):
    settings.DEV_IDENTITY_PROVIDER = True
    return settings


def test_the_development_login_does_not_exist_by_default(client, parent):
    assert django_settings.DEV_IDENTITY_PROVIDER is False

    assert client.get("/konto/dev/").status_code == 404
    assert client.post("/konto/dev/", {"person": str(parent.person.public_id)}).status_code == 404
    assert "_auth_user_id" not in client.session


def test_the_development_login_lists_patients_only(
    client,
    dev_provider,
    parent,
    stranger,
    unverified_user,
    support_with_person,
    clinic_with_person,
    admin_with_person,
):
    response = client.get("/konto/dev/", **EN)

    assert response.status_code == 200
    page = html(response)
    for patient in (parent, stranger, unverified_user):
        assert str(patient.person.public_id) in page
        assert patient.person.full_name in page
    for staff in (support_with_person, clinic_with_person, admin_with_person):
        assert str(staff.person.public_id) not in page
        assert staff.person.full_name not in page
    assert parent.person.pesel not in page


def test_the_development_login_logs_in_as_the_chosen_patient_and_records_a_verification(
    client, dev_provider, parent, stranger
):
    before = parent.verifications.count()

    response = client.post("/konto/dev/", {"person": str(parent.person.public_id)})

    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    assert int(client.session["_auth_user_id"]) == parent.pk
    assert parent.verifications.count() == before + 1
    assert parent.verifications.latest("verified_at").method == "trusted_profile"
    assert stranger.verifications.count() == 1


def test_the_development_login_verifies_an_unverified_patient(
    client, dev_provider, unverified_user
):
    client.post("/konto/dev/", {"person": str(unverified_user.person.public_id)})

    assert client.get("/uprawnienia/").status_code == 200


@pytest.mark.parametrize("who", ["support_with_person", "clinic_with_person", "admin_with_person"])
def test_the_development_login_refuses_staff(client, request, dev_provider, who):
    staff = request.getfixturevalue(who)
    verifications_before = IdentityVerification.objects.count()

    response = client.post("/konto/dev/", {"person": str(staff.person.public_id)})

    assert response.status_code == 404
    assert "_auth_user_id" not in client.session
    assert IdentityVerification.objects.count() == verifications_before


@pytest.mark.parametrize("value", ["", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_the_development_login_refuses_an_unknown_person(client, dev_provider, parent, value):
    response = client.post("/konto/dev/", {"person": value})

    assert response.status_code == 404
    assert "_auth_user_id" not in client.session


def test_the_development_login_refuses_a_child_without_a_login(client, dev_provider, child):
    assert client.post("/konto/dev/", {"person": str(child.public_id)}).status_code == 404


def test_the_development_login_refuses_other_methods(client, dev_provider, db):
    assert client.put("/konto/dev/").status_code == 405


def test_development_mode_says_so_on_every_page(client, dev_provider, parent):
    assert "Development mode" in html(client.get("/", **EN))
    assert "Development mode" in html(client.get(LOGIN, **EN))
    client.force_login(parent)
    assert "Development mode" in html(client.get("/uprawnienia/", **EN))


def test_without_development_mode_no_page_mentions_it(client, parent):
    assert "Development mode" not in html(client.get("/", **EN))
    assert "Development mode" not in html(client.get(LOGIN, **EN))


def test_the_development_login_lists_many_patients_in_few_queries(
    client, db, dev_provider, django_assert_max_num_queries
):
    for i in range(25):
        make_user(
            person=make_person(born=date(1980, 1, 1) + timedelta(days=i), surname=f"Pacjent{i}")
        )

    with django_assert_max_num_queries(8):
        response = client.get("/konto/dev/")

    assert response.status_code == 200
    assert "Pacjent24" in html(response)


# --- service notices ----------------------------------------------------------------------------------


@pytest.fixture
def notice(db):
    now = timezone.now()
    return ServiceNotice.objects.create(
        kind=ServiceNotice.Kind.TRUSTED_PROFILE_OUTAGE,
        message_pl="Profil zaufany nie działa do godziny 12.",
        message_en="The trusted profile is down until noon.",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )


@pytest.mark.parametrize("path", ["/", LOGIN])
def test_an_active_notice_shows_in_polish(client, notice, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "Profil zaufany nie działa do godziny 12." in html(response)
    assert notice.message_en not in html(response)


@pytest.mark.parametrize("path", ["/", LOGIN])
def test_an_active_notice_shows_in_english_when_asked_by_the_browser(client, notice, path):
    response = client.get(path, **EN)

    assert notice.message_en in html(response)
    assert notice.message_pl not in html(response)


@pytest.mark.parametrize("path", ["/", LOGIN])
def test_an_active_notice_shows_in_english_with_the_language_cookie(client, notice, path):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(path)

    assert notice.message_en in html(response)
    assert notice.message_pl not in html(response)


def test_a_logged_in_user_sees_the_notice_on_the_start_page(client, notice, parent):
    client.force_login(parent)

    assert notice.message_pl in html(client.get("/"))


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(timedelta(hours=1), timedelta(hours=2)), (-timedelta(hours=2), -timedelta(hours=1))],
    ids=["not-yet", "over"],
)
@pytest.mark.parametrize("path", ["/", LOGIN])
def test_a_notice_outside_its_window_does_not_show(client, db, starts, ends, path):
    now = timezone.now()
    ServiceNotice.objects.create(
        kind=ServiceNotice.Kind.MAINTENANCE,
        message_pl="Przerwa techniczna.",
        message_en="Maintenance.",
        starts_at=now + starts,
        ends_at=now + ends,
    )

    response = client.get(path)

    assert response.status_code == 200
    assert "Przerwa techniczna." not in html(response)


def test_a_notice_shows_from_its_start_until_just_before_its_end(client, db):
    starts_at = datetime(2025, 5, 10, 22, 0, tzinfo=WARSAW)
    ServiceNotice.objects.create(
        kind=ServiceNotice.Kind.MAINTENANCE,
        message_pl="Przerwa techniczna.",
        message_en="Maintenance.",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
    )

    for moment, shown in [
        (starts_at - timedelta(seconds=1), False),
        (starts_at, True),
        (starts_at + timedelta(hours=2) - timedelta(seconds=1), True),
        (starts_at + timedelta(hours=2), False),
    ]:
        with time_machine.travel(moment, tick=False):
            assert ("Przerwa techniczna." in html(client.get("/"))) is shown, moment


# --- healthz ------------------------------------------------------------------------------------------


def test_healthz_reports_database_and_redis(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_an_unreachable_redis_with_503(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["redis"] == "unreachable"
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "degraded"


def test_healthz_is_read_only(client, db):
    assert client.post("/healthz").status_code == 405


# --- language -----------------------------------------------------------------------------------------


def test_pages_are_polish_by_default(client, db):
    assert '<html lang="pl"' in html(client.get("/"))


def test_switching_the_language_to_english(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in html(client.get("/"))
    assert '<html lang="en"' in html(client.get(LOGIN))


def test_switching_back_to_polish(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post("/i18n/setlang/", {"language": "pl", "next": "/"})

    assert '<html lang="pl"' in html(client.get("/", **EN))


def test_the_language_switch_ignores_an_unknown_language(client, db):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})

    assert '<html lang="pl"' in html(client.get("/"))


def test_the_language_switch_does_not_redirect_off_site(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert not response["Location"].startswith("https://evil.example")


# --- pinned query counts --------------------------------------------------------------------------


def test_the_start_page_query_count_does_not_grow_with_notices_or_verifications(client, parent, django_assert_max_num_queries):
    """Session, user, staff-role check, verification, person, notices, session save (with its
    savepoint pair): 8; and the acting account's summary (accounts/summary.py: newest documents
    and leaves, the vaccination step, the children's accounts, its access-log row): 10 more.
    More notices or older verifications must not add queries."""
    client.force_login(parent)
    for hours in range(5):
        ServiceNotice.objects.create(
            kind=ServiceNotice.Kind.MAINTENANCE, message_pl=f"Okno serwisowe {hours}", message_en="Maintenance",
            starts_at=timezone.now() - timedelta(hours=hours + 1), ends_at=timezone.now() + timedelta(hours=1),
        )
        identity_verification_record(user=parent, method="bank")
    client.get("/")

    with django_assert_max_num_queries(18):
        response = client.get("/")

    assert response.status_code == 200
    assert all(f"Okno serwisowe {hours}" in html(response) for hours in range(5))
