"""Second factor for staff, the login flow with TOTP and recovery codes, session lifetimes,
the admin login route and the login rate limit."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY as TOTP_SECRET_SESSION_KEY
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD, make_user

WARSAW = ZoneInfo("Europe/Warsaw")
LOGIN = "/konto/login/"
ACTIVATE_TOTP = "/konto/2fa/totp/activate/"
MFA_AUTHENTICATE = "/konto/2fa/authenticate/"
PROBE = "/konto/weryfikacja/"  # login-required, no verification needed: 200 or a login redirect


@pytest.fixture(autouse=True)
def frozen_clock():
    """TOTP codes change every 30 seconds and allauth allows no drift (MFA_TOTP_TOLERANCE=0):
    stop the clock so a code computed here is still current when the view checks it. Tests
    that move time nest their own time_machine.travel inside this one."""
    with time_machine.travel(datetime.now(WARSAW), tick=False):
        yield


def activate_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def logged_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def password_login(client, email: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


@pytest.fixture
def admin_without_person(db):
    return make_user(email="root@example.test", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_user(db):
    return make_user(email="staff@example.test", is_staff=True)


# --- staff must set up TOTP ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["support_user", "clinic_user", "staff_user", "admin_user"])
@pytest.mark.parametrize("path", ["/", "/pomoc/", "/uprawnienia/", "/admin/", "/konto/email/"])
def test_staff_without_totp_are_sent_to_totp_activation_from_any_page(client, request, who, path):
    client.force_login(request.getfixturevalue(who))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp") == ACTIVATE_TOTP


@pytest.mark.parametrize("who", ["support_user", "clinic_user", "admin_user"])
def test_staff_without_totp_can_set_it_up_and_then_use_the_portal(client, request, who):
    """allauth asks for the password again before activating TOTP: that page must be reachable
    too, or the two redirects chase each other forever."""
    user = request.getfixturevalue(who)
    password_login(client, user.email)

    to_reauthenticate = client.get(ACTIVATE_TOTP)
    assert to_reauthenticate.status_code == 302
    assert to_reauthenticate["Location"].startswith(reverse("account_reauthenticate"))
    assert client.get(to_reauthenticate["Location"]).status_code == 200
    back = client.post(to_reauthenticate["Location"], {"password": PASSWORD})
    assert back.status_code == 302 and back["Location"] == ACTIVATE_TOTP
    assert client.get(ACTIVATE_TOTP).status_code == 200
    secret = client.session[TOTP_SECRET_SESSION_KEY]

    activated = client.post(ACTIVATE_TOTP, {"code": totp_code(secret)})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("who", ["support_user", "clinic_user"])
def test_staff_without_totp_can_still_log_out_and_reach_healthz(client, request, who):
    password_login(client, request.getfixturevalue(who).email)

    assert client.get("/healthz").status_code == 200
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert logged_in_user_id(client) is None


def test_staff_asked_to_reauthenticate_are_not_sent_round_in_circles(client, support_user):
    password_login(client, support_user.email)

    response = client.get(ACTIVATE_TOTP, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


@pytest.mark.parametrize("who", ["parent", "child_16", "unverified_user"])
def test_patients_are_not_asked_for_a_second_factor(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get("/")

    assert response.status_code == 200
    assert not Authenticator.objects.exists()


@pytest.mark.parametrize("who", ["support_user", "clinic_user", "admin_user"])
def test_staff_with_totp_are_not_redirected(client, request, who):
    user = request.getfixturevalue(who)
    activate_totp(user)
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 200


def test_an_admin_with_totp_reaches_the_admin(client, admin_user):
    activate_totp(admin_user)
    client.force_login(admin_user)

    assert client.get("/admin/").status_code == 200


# --- logging in with a second factor -----------------------------------------------------------------


def test_the_login_of_a_totp_user_asks_for_the_code(client, support_user):
    activate_totp(support_user)

    response = password_login(client, support_user.email)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert logged_in_user_id(client) is None
    assert client.get(MFA_AUTHENTICATE).status_code == 200


def test_a_correct_totp_code_logs_in(client, support_user):
    secret = activate_totp(support_user)
    password_login(client, support_user.email)

    response = client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert logged_in_user_id(client) == support_user.pk
    assert client.get("/").status_code == 200, "with TOTP active, no detour to activation"


def test_a_wrong_totp_code_does_not_log_in(client, clinic_user):
    secret = activate_totp(clinic_user)
    password_login(client, clinic_user.email)
    wrong = (
        f"{(int(totp_code(secret)) + 1) % 10**mfa_settings.TOTP_DIGITS:0{mfa_settings.TOTP_DIGITS}}"
    )

    response = client.post(MFA_AUTHENTICATE, {"code": wrong})

    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_a_totp_code_cannot_be_replayed(client, support_user):
    secret = activate_totp(support_user)
    code = totp_code(secret)
    password_login(client, support_user.email)
    client.post(MFA_AUTHENTICATE, {"code": code})
    client.post(reverse("account_logout"))

    second = password_login(client, support_user.email)
    response = client.post(MFA_AUTHENTICATE, {"code": code})

    assert second["Location"] == MFA_AUTHENTICATE
    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_the_wrong_password_never_reaches_the_code_step(client, support_user):
    activate_totp(support_user)

    response = password_login(client, support_user.email, "not-the-password")

    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert client.get(MFA_AUTHENTICATE).status_code == 302


def test_a_recovery_code_logs_in_once(client, support_user):
    activate_totp(support_user)
    codes = RecoveryCodes.activate(support_user).generate_codes()

    password_login(client, support_user.email)
    first = client.post(MFA_AUTHENTICATE, {"code": codes[0]})
    assert first.status_code == 302
    assert logged_in_user_id(client) == support_user.pk
    client.post(reverse("account_logout"))
    assert logged_in_user_id(client) is None

    password_login(client, support_user.email)
    again = client.post(MFA_AUTHENTICATE, {"code": codes[0]})
    assert again.status_code == 200
    assert logged_in_user_id(client) is None

    another = client.post(MFA_AUTHENTICATE, {"code": codes[1]})
    assert another.status_code == 302
    assert logged_in_user_id(client) == support_user.pk
    assert (
        len(
            RecoveryCodes(
                Authenticator.objects.get(user=support_user, type="recovery_codes")
            ).get_unused_codes()
        )
        == len(codes) - 2
    )


def test_a_patient_logs_in_with_email_and_password_alone(client, parent):
    response = password_login(client, "ANNA@example.test")

    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    assert logged_in_user_id(client) == parent.pk


# --- session lifetime ----------------------------------------------------------------------------------


def redis_forgets_the_session(client) -> None:
    """Redis expires its copy of a session on the real clock, which time_machine cannot move.
    Drop that copy so the database row, whose expiry follows the patched clock, decides — as
    it would once Redis's own TTL (the same 15 minutes) had run out."""
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    caches[settings.SESSION_CACHE_ALIAS].delete(SessionStore(session_key).cache_key)


def is_logged_in(client) -> bool:
    response = client.get(PROBE)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("account_login")
    ), response
    return False


def test_the_session_settings_are_15_minutes_sliding_on_the_cached_database_backend():
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # ikp.middleware.SessionRefreshMiddleware
    assert settings.SESSION_REFRESH_INTERVAL == timedelta(minutes=1)
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert settings.SESSION_ABSOLUTE_LIMIT == timedelta(hours=12)


def test_an_active_session_slides_and_an_idle_one_ends_after_15_minutes(client, parent):
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=WARSAW), tick=False) as traveller:
        password_login(client, parent.email)
        assert is_logged_in(client)

        traveller.shift(timedelta(minutes=14))
        redis_forgets_the_session(client)
        assert is_logged_in(client), "14 minutes idle keeps the session"

        traveller.shift(timedelta(minutes=14))  # 28 minutes after login, 14 after the last request
        redis_forgets_the_session(client)
        assert is_logged_in(client), "each request restarts the 15 minutes"

        traveller.shift(timedelta(minutes=16))
        redis_forgets_the_session(client)
        assert not is_logged_in(client), "16 minutes idle ends the session"
        assert logged_in_user_id(client) is None


def session_expiry(client) -> datetime:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date


def test_an_unchanged_session_is_written_at_most_once_a_minute(client, parent):
    """Sliding the 15 minutes needs no database write per request: the expiry moves when it was
    last moved a minute or more ago (so the idle limit can end up to a minute early, never late)."""
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=WARSAW), tick=False) as traveller:
        password_login(client, parent.email)
        client.get(PROBE)
        written = session_expiry(client)

        traveller.shift(timedelta(seconds=59))
        with CaptureQueriesContext(connection) as queries:
            assert is_logged_in(client)
        assert session_expiry(client) == written
        assert not [q for q in queries if "django_session" in q["sql"]], "no session write"

        traveller.shift(timedelta(seconds=1))
        assert is_logged_in(client)
        assert session_expiry(client) == written + timedelta(minutes=1)


def test_an_anonymous_visit_creates_no_session_row(client, db):
    client.get(reverse("account_login"))
    client.get("/pomoc/")

    assert not Session.objects.exists()


def test_a_stale_session_cookie_is_not_revived_as_a_new_row(client, db):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32  # a session that has ended

    assert client.get("/pomoc/").status_code == 200
    assert not Session.objects.exists()


def test_the_session_cookie_lives_no_longer_than_the_browser(client, parent):
    response = password_login(client, parent.email)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""


def test_a_session_ends_12_hours_after_login_however_active(client, parent):
    start = datetime(2025, 3, 3, 7, 0, tzinfo=WARSAW)
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, parent.email)
        for _ in range(12 * 6):  # a request every 10 minutes, up to 12 hours after login
            traveller.shift(timedelta(minutes=10))
            assert is_logged_in(client), datetime.now(WARSAW)

        traveller.shift(timedelta(minutes=10))
        response = client.get(PROBE)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert logged_in_user_id(client) is None


def test_the_12_hours_count_from_the_login_not_from_the_first_page_after_it(client, parent):
    start = datetime(2025, 3, 3, 7, 0, tzinfo=WARSAW)
    with time_machine.travel(start, tick=False) as traveller:
        password_login(client, parent.email)
        traveller.shift(timedelta(minutes=14))  # the first page, inside the 15 idle minutes
        assert is_logged_in(client)
        for _ in range(12 * 6 - 2):  # active until 11 h 54 min after login
            traveller.shift(timedelta(minutes=10))
            assert is_logged_in(client)

        traveller.shift(timedelta(minutes=7))  # 12 h 1 min after login
        assert not is_logged_in(client)


def test_logging_in_again_after_the_limit_starts_a_fresh_12_hours(client, parent):
    with time_machine.travel(datetime(2025, 3, 3, 7, 0, tzinfo=WARSAW), tick=False) as traveller:
        password_login(client, parent.email)
        for _ in range(12 * 6 + 1):
            traveller.shift(timedelta(minutes=10))
            client.get(PROBE)
        assert logged_in_user_id(client) is None

        password_login(client, parent.email)
        traveller.shift(timedelta(minutes=10))
        assert is_logged_in(client)


# --- admin login goes through allauth -----------------------------------------------------------------


def test_the_admin_login_page_redirects_to_the_allauth_login(client):
    response = client.get("/admin/login/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_the_admin_login_form_cannot_be_posted_to_directly(client, admin_user):
    activate_totp(admin_user)

    response = client.post("/admin/login/", {"username": admin_user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert logged_in_user_id(client) is None


def test_the_admin_index_sends_anonymous_users_through_the_allauth_login(client, db):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_an_admin_with_totp_logs_in_to_the_admin_through_allauth(client, admin_user):
    secret = activate_totp(admin_user)

    password_login(client, admin_user.email)
    response = client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_patient_is_refused_the_admin(client, parent):
    client.force_login(parent)

    assert client.get("/admin/login/").status_code == 403


# --- login rate limit ----------------------------------------------------------------------------------


def test_more_than_5_failed_logins_for_one_email_in_5_minutes_are_refused(client, parent):
    with time_machine.travel(datetime(2025, 3, 3, 9, 0, tzinfo=WARSAW), tick=False) as traveller:
        for _ in range(5):
            assert password_login(client, parent.email, "wrong-password").status_code == 200
        traveller.shift(timedelta(minutes=1))

        refused = password_login(client, parent.email, HTTP_ACCEPT_LANGUAGE="en")

        assert refused.status_code in {200, 429}
        assert "Too many failed login attempts" in refused.content.decode()
        assert logged_in_user_id(client) is None, "even the right password is refused while limited"

        traveller.shift(timedelta(minutes=5))
        assert password_login(client, parent.email).status_code == 302
        assert logged_in_user_id(client) == parent.pk


def test_the_failed_login_limit_is_per_email(client, parent, other_parent):
    for _ in range(6):
        password_login(client, parent.email, "wrong-password")

    assert password_login(client, other_parent.email).status_code == 302
    assert logged_in_user_id(client) == other_parent.pk


def test_the_failed_login_limit_counts_differently_written_emails_as_one(client, parent):
    for variant in [
        "anna@example.test",
        "ANNA@example.test",
        "Anna@Example.Test",
        " anna@example.test",
        "anna@EXAMPLE.test",
    ]:
        password_login(client, variant, "wrong-password")

    refused = password_login(client, parent.email, HTTP_ACCEPT_LANGUAGE="en")

    assert "Too many failed login attempts" in refused.content.decode()
    assert logged_in_user_id(client) is None


def test_many_login_posts_from_one_address_get_a_429(client, db):
    responses = [
        password_login(
            client, f"nobody{i}@example.test", "wrong-password", REMOTE_ADDR="203.0.113.9"
        )
        for i in range(31)
    ]

    assert [r.status_code for r in responses[:30]] == [200] * 30
    assert responses[30].status_code == 429
