"""Issue #7, faults: with Redis stopped the portal keeps serving (ikp.cache.ResilientRedisCache).

A private redis-server is the cache for these tests (the shared one stays up for everything
else); it is stopped in the middle of a user's visit and started again.
"""

import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse

from conftest import PASSWORD, make_clinic, make_slot
from guardianship.policy import SESSION_KEY
from vaccinations.models import Appointment

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
    """Rate-limit counters live in the cache: while it is away they fail open (logged)."""
    private_redis.stop()

    response = client.post("/konto/login/", {"login": parent.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/").status_code == 200
