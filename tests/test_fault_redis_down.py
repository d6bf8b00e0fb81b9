"""Issue #7, faults: with Redis stopped the portal keeps serving (ikp.cache.ResilientRedisCache).

A private redis-server is the cache for these tests (the shared one stays up for everything
else); it is stopped in the middle of a user's visit and started again. While it is away the
security counters and guards still hold (kept in the process's memory), sessions and the
vaccine catalogue still miss, and once it is back the counters are Redis's again.
"""

import pickle
import shutil
import socket
import subprocess
import time
import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from allauth.core.internal.ratelimit import parse_rates
from allauth.socialaccount.internal.jwtkit import verify_jti
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings as django_settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.tests.test_mfa_and_sessions import (
    MFA_AUTHENTICATE,
    activate_totp,
    is_logged_in,
    logged_in_user_id,
    password_login,
    totp_code,
)
from conftest import PASSWORD, make_clinic, make_slot
from guardianship.policy import SESSION_KEY
from support.models import Ticket
from support.tests.test_login_help import ANONYMOUS, send
from support.views_login_help import PER_EMAIL
from vaccinations.catalogue import CATALOGUE_KEY, catalogue
from vaccinations.models import Appointment, Vaccine

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


class PrivateRedis:
    def __init__(self, folder):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        for _ in range(100):
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(settings, tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "ikp.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": f"fault-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    yield server
    server.stop()


def test_pages_and_a_booking_work_while_redis_is_away_and_the_cache_returns(client, private_redis, parent, insured_child):
    client.force_login(parent)
    assert client.get("/").status_code == 200
    cache.set("probe", "here")
    assert cache.get("probe") == "here"

    private_redis.stop()

    start = client.get("/")
    assert start.status_code == 200 and parent.person.first_name in start.content.decode()
    client.post(reverse("guardianship:switch_to", args=[insured_child.public_id]))
    assert client.session[SESSION_KEY] == str(insured_child.public_id)  # the session still saves (database)
    slot = make_slot(make_clinic())
    page = client.get(reverse("vaccinations:book_confirm", args=[slot.public_id]))
    assert page.status_code == 200
    booked = client.post(reverse("vaccinations:book_confirm", args=[slot.public_id]),
                         {"request_token": page.context["request_token"]})  # fmt: skip
    assert booked.status_code == 302
    assert Appointment.objects.filter(child=insured_child, slot=slot, status="booked").exists()
    assert cache.get("probe", "missed") == "missed"  # a miss, not an error

    private_redis.start()  # empty: the server keeps nothing on disk

    assert client.get("/").status_code == 200
    cache.set("probe", "back")
    assert cache.get("probe") == "back"


def test_logging_in_works_while_redis_is_away(client, private_redis, parent):
    """The rate-limit counters a login consumes are kept in the process's memory meanwhile."""
    private_redis.stop()

    response = client.post("/konto/login/", {"login": parent.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").status_code == 200


# --- security counters and guards while Redis is away -------------------------------------------

# ACCOUNT_RATE_LIMITS["login_failed"]: the failed logins allowed per e-mail address.
FAILED_LOGINS_PER_EMAIL = next(
    rate.amount
    for rate in parse_rates(django_settings.ACCOUNT_RATE_LIMITS["login_failed"])
    if rate.per == "key"
)


def refused_as_too_many_attempts(response) -> bool:
    errors = response.context["form"].errors.as_data().get("__all__", [])
    return any(error.code == "too_many_login_attempts" for error in errors)


def failed_logins_in_redis(server: PrivateRedis) -> list[float]:
    """The per-e-mail history allauth keeps, read from Redis itself (one e-mail per test)."""
    client = redis.Redis.from_url(server.url)
    prefix = cache.key_prefix
    [key] = client.keys(f"{prefix}:*:allauth:rl:allauth.account:login_failed:*/key:*")
    return pickle.loads(client.get(key))  # Django's RedisSerializer pickles all but ints


def test_login_rate_limit_still_trips_while_redis_is_away(client, private_redis, parent):
    private_redis.stop()
    for _ in range(FAILED_LOGINS_PER_EMAIL):
        assert password_login(client, parent.email, "wrong-password").status_code == 200

    refused = password_login(client, parent.email)  # the right password, once too often

    assert refused.status_code == 200 and refused_as_too_many_attempts(refused)
    assert logged_in_user_id(client) is None


def test_a_used_totp_code_cannot_be_used_again_while_redis_is_away(
    client, private_redis, support_user
):
    with time_machine.travel(time.time(), tick=False):  # the code stays current (no drift allowed)
        code = totp_code(activate_totp(support_user))
        private_redis.stop()
        password_login(client, support_user.email)
        assert client.post(MFA_AUTHENTICATE, {"code": code}).status_code == 302
        client.post(reverse("account_logout"))

        password_login(client, support_user.email)
        again = client.post(MFA_AUTHENTICATE, {"code": code})

    assert again.status_code == 200
    assert logged_in_user_id(client) is None


def test_a_replayed_id_token_is_refused_while_redis_is_away(private_redis):
    """allauth's jwtkit.verify_jti, which the OpenID Connect login calls on every ID token."""
    claims = {
        "iss": "https://wezel.example.test",
        "jti": uuid.uuid4().hex,
        "exp": time.time() + 300,
    }
    private_redis.stop()
    verify_jti(claims)

    with pytest.raises(OAuth2Error, match="already used"):
        verify_jti(claims)


def test_the_login_help_limit_still_trips_while_redis_is_away(client, private_redis, db):
    # A rate-limit window that starts with the test, as support's own tests have it.
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(
        hours=1, minutes=1
    )
    with time_machine.travel(start, tick=False) as clock:
        private_redis.stop()
        for i in range(PER_EMAIL.count):
            assert send(client, clock, ANONYMOUS, REMOTE_ADDR=f"198.51.100.{i}").status_code == 200

        over = send(client, clock, ANONYMOUS, REMOTE_ADDR="198.51.100.99")

    assert over.status_code == 429
    assert Ticket.objects.count() == PER_EMAIL.count


def test_it_keeps_sessions_out_of_the_process_memory_while_redis_is_away(
    client, private_redis, parent
):
    """A session copied into one worker's memory would outlive a logout handled by another."""
    private_redis.stop()
    assert password_login(client, parent.email).status_code == 302
    session_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert cache.get(SessionStore(session_key).cache_key, "missed") == "missed"

    Session.objects.filter(session_key=session_key).delete()  # another worker's logout

    assert not is_logged_in(client)


def test_it_keeps_the_vaccine_catalogue_out_of_the_process_memory_while_redis_is_away(
    private_redis, db
):
    """A catalogue copied into one worker's memory would miss a change made through another."""
    private_redis.stop()
    assert catalogue()
    assert cache.get(CATALOGUE_KEY, "missed") == "missed"

    Vaccine.objects.update(name="Gardasil 9 (zmieniony)")  # no signal: not this process's change

    assert {entry.vaccine.name for entry in catalogue().values()} == {"Gardasil 9 (zmieniony)"}


def test_it_counts_failed_logins_in_redis_again_once_redis_is_back(client, private_redis, parent):
    private_redis.stop()
    for _ in range(FAILED_LOGINS_PER_EMAIL - 1):
        password_login(client, parent.email, "wrong-password")  # counted in the process's memory
    private_redis.start()  # empty: the server keeps nothing on disk

    # Counted in memory too, this failure would reach the limit and refuse the next login.
    password_login(client, parent.email, "wrong-password")

    assert password_login(client, parent.email).status_code == 302
    assert len(failed_logins_in_redis(private_redis)) == 1
