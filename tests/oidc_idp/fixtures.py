"""The `oidc_idp` session fixture: a real OpenID Connect provider in its own process.

It creates a PostgreSQL database for the provider, generates an RSA signing key, migrates and
seeds the provider (`python -m tests.oidc_idp.manage prepare`), serves it with gunicorn on a
free 127.0.0.1 port, waits for its discovery document, and at the end stops it and drops the
database. The provider's output goes to `idp.log` in a temporary folder; `IdP.log_tail()` and
the `idp_log` fixture print it where a test fails.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from accounts.rules import build_pesel

ROOT = Path(__file__).resolve().parents[2]
DB_PREFIX = "ikp_test_oidc_idp_"
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class IdPUser:
    """Someone who can log in at the test provider, and what it asserts about them."""

    username: str
    given_name: str
    family_name: str
    email: str
    pesel: str
    auth_method: str | None  # None: the claim is left out
    password: str = "haslo-testowe-123"

    def as_seed(self) -> dict:
        return {
            "username": self.username,
            "password": self.password,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email": self.email,
            "pesel": self.pesel,
            "auth_method": self.auth_method,
        }


def _bad_checksum(pesel: str) -> str:
    return pesel[:10] + str((int(pesel[10]) + 1) % 10)


# Everyone the provider knows, fixed before it starts (one provider serves the whole session).
IDP_USERS = {
    user.username: user
    for user in [
        # (a) first login: a new Person and User, verified by bank login
        IdPUser(
            "anna",
            "Anna",
            "Wiśniewska",
            "anna.wisniewska@example.test",
            build_pesel(date(1985, 3, 14), sex="F", serial=901),
            "bank",
        ),
        # (b) already has a login made at the counter
        IdPUser(
            "jan",
            "Jan",
            "Kowalczyk",
            "jan.wezel@example.test",
            build_pesel(date(1979, 11, 2), sex="M", serial=902),
            "e_id",
        ),
        # (c) the node sends a PESEL whose check digit is wrong
        IdPUser(
            "zly",
            "Zbigniew",
            "Błędny",
            "zly@example.test",
            _bad_checksum(build_pesel(date(1990, 6, 1), sex="M", serial=903)),
            "bank",
        ),
        # (d) logs in twice; sends no auth_method (means the trusted profile)
        IdPUser(
            "ewa",
            "Ewa",
            "Zielińska",
            "ewa.zielinska@example.test",
            build_pesel(date(1992, 5, 5), sex="F", serial=904),
            None,
        ),
    ]
}


@dataclass
class IdP:
    base_url: str
    client_id: str
    client_secret: str
    redirect_uri: str
    log_path: Path
    users: dict[str, IdPUser] = field(default_factory=lambda: dict(IDP_USERS))

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_tail(self, since: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as handle:
            handle.seek(since)
            return handle.read().decode("utf-8", "replace")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_connection(db: dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        autocommit=True,
        connect_timeout=5,
    )


def _drop_stale_databases(conn: psycopg.Connection) -> None:
    """Databases left by earlier runs that died (their process is gone)."""
    rows = conn.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", [DB_PREFIX + "%"]
    ).fetchall()
    for (name,) in rows:
        pid = name.removeprefix(DB_PREFIX).split("_")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    deadline = time.monotonic() + READY_TIMEOUT
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"The test OIDC provider exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200 and "authorization_endpoint" in json.load(response):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError) as error:
            last_error = repr(error)
        time.sleep(0.1)
    pytest.fail(
        f"The test OIDC provider did not answer {url} within {READY_TIMEOUT:.0f} s ({last_error}):\n{log_path.read_text()}"
    )


def _rsa_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="session")
def oidc_idp(live_server, tmp_path_factory):
    """Start the test provider once per session, registered for the live server's callback."""
    from django.conf import settings

    workdir = tmp_path_factory.mktemp("oidc_idp")
    log_path = workdir / "idp.log"
    db = settings.DATABASES["default"]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    db_name = f"{DB_PREFIX}{os.getpid()}_{worker}"
    with _admin_connection(db) as conn:
        _drop_stale_databases(conn)
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db_name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))

    port = _free_port()
    idp = IdP(
        base_url=f"http://127.0.0.1:{port}",
        client_id="ikp-portal",
        client_secret=secrets.token_urlsafe(24),
        redirect_uri=f"{live_server.url}/konto/oidc/wezel/login/callback/",
        log_path=log_path,
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_ENV", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.oidc_idp.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "IDP_DB_NAME": db_name,
            "IDP_DB_HOST": str(db.get("HOST") or ""),
            "IDP_DB_PORT": str(db.get("PORT") or ""),
            "IDP_DB_USER": str(db.get("USER") or ""),
            "IDP_DB_PASSWORD": str(db.get("PASSWORD") or ""),
            "IDP_OIDC_PRIVATE_KEY": _rsa_private_key_pem(),
            "IDP_USERS": json.dumps([user.as_seed() for user in IDP_USERS.values()]),
            "IDP_CLIENT": json.dumps(
                {
                    "client_id": idp.client_id,
                    "secret": idp.client_secret,
                    "name": "IKP (test)",
                    "scopes": ["openid", "profile", "email", "pesel"],
                    "redirect_uris": [idp.redirect_uri],
                }
            ),
        }
    )
    process = None
    try:
        with log_path.open("ab") as log:
            prepared = subprocess.run(
                [sys.executable, "-m", "tests.oidc_idp.manage", "prepare"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if prepared.returncode != 0:
            pytest.fail(f"Preparing the test OIDC provider failed:\n{log_path.read_text()}")
        log = log_path.open("ab")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "8",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
                "--no-control-socket",  # else one per user, shared by concurrent runs
                "--graceful-timeout",
                "2",
                "tests.oidc_idp.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        _wait_until_ready(f"{idp.base_url}/.well-known/openid-configuration", process, log_path)
        yield idp
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        with _admin_connection(db) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db_name))
            )


@pytest.fixture
def idp_log(oidc_idp):
    """Print what the provider logged during the test (pytest shows it only when it fails)."""
    start = oidc_idp.log_size()
    yield
    print(f"--- test OIDC provider log ({oidc_idp.log_path}) ---")
    print(oidc_idp.log_tail(start))
