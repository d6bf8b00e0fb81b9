"""Settings read from the environment, production hardening, security headers, cookies, Celery."""

import json
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from conftest import PASSWORD
from ikp.env import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]


# --- env helpers fail loudly ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        (" Yes ", True),
        ("ON", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("IKP_TEST_FLAG", raw)

    assert env_bool("IKP_TEST_FLAG", not expected) is expected


def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("IKP_TEST_FLAG", raising=False)

    assert env_bool("IKP_TEST_FLAG", True) is True
    assert env_bool("IKP_TEST_FLAG", False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "y e s"])
def test_env_bool_refuses_a_malformed_value_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("IKP_TEST_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="IKP_TEST_FLAG"):
        env_bool("IKP_TEST_FLAG", False)


def test_env_int_reads_an_integer(monkeypatch):
    monkeypatch.setenv("IKP_TEST_NUMBER", "42")

    assert env_int("IKP_TEST_NUMBER", 1) == 42


def test_env_int_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("IKP_TEST_NUMBER", raising=False)

    assert env_int("IKP_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["", "ten", "4.5", "12a"])
def test_env_int_refuses_a_malformed_value_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("IKP_TEST_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured, match="IKP_TEST_NUMBER"):
        env_int("IKP_TEST_NUMBER", 1)


def test_env_str_without_a_default_is_required(monkeypatch):
    monkeypatch.delenv("IKP_TEST_TEXT", raising=False)

    with pytest.raises(ImproperlyConfigured, match="IKP_TEST_TEXT"):
        env_str("IKP_TEST_TEXT")
    assert env_str("IKP_TEST_TEXT", "fallback") == "fallback"


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("IKP_TEST_LIST", " ikp.example, www.ikp.example ,,")

    assert env_list("IKP_TEST_LIST", []) == ["ikp.example", "www.ikp.example"]


def test_database_from_url_reads_a_network_url():
    assert database_from_url("postgresql://ikp:p%40ss@db.example:6543/ikp_prod") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "ikp_prod",
        "USER": "ikp",
        "PASSWORD": "p@ss",
        "HOST": "db.example",
        "PORT": "6543",
    }


def test_database_from_url_reads_a_socket_directory_from_the_host_parameter():
    # The embedded server's URL (ikp/devdb.py).
    config = database_from_url("postgresql://postgres:@/ikp?host=/work/main/.data/pg/run")

    assert config["HOST"] == "/work/main/.data/pg/run"
    assert config["NAME"] == "ikp"
    assert config["USER"] == "postgres"
    assert config["PASSWORD"] == ""
    assert config["PORT"] == ""


def test_database_from_url_lets_the_host_parameter_win_and_reads_a_port_parameter():
    config = database_from_url(
        "postgres://ikp@ignored.example/ikp?host=/var/run/postgresql&port=5444"
    )

    assert config["HOST"] == "/var/run/postgresql"
    assert config["PORT"] == "5444"


def test_database_from_url_reads_a_percent_encoded_socket_directory():
    assert (
        database_from_url("postgresql://postgres@%2Fvar%2Frun%2FPostgreSQL/ikp")["HOST"]
        == "/var/run/PostgreSQL"
    )


def test_database_from_url_defaults_the_database_and_user():
    config = database_from_url("postgresql://db.example")

    assert (config["NAME"], config["USER"]) == ("postgres", "postgres")


@pytest.mark.parametrize(
    "url", ["mysql://db.example/ikp", "sqlite:///db.sqlite3", "db.example:5432"]
)
def test_database_from_url_refuses_other_engines(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_url(url)


# --- production settings (in a fresh process: settings are read once) ------------------------------


def production_env(**overrides) -> dict:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_ENV": "production",
        "SECRET_KEY": "".join(
            secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)")
            for _ in range(50)
        ),
        "ALLOWED_HOSTS": "ikp.example",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ikp"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "EMAIL_URL": "smtp+tls://ikp:secret@smtp.ikp.example:587",
    }
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        check=False,
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "EMAIL_URL"])
def test_production_without_a_required_setting_fails_loudly(missing):
    result = manage("check", env=production_env(**{missing: None}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_never_offers_the_development_login_even_with_debug_on():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'debug': s.DEBUG, 'dev': s.DEV_IDENTITY_PROVIDER, 'eager': s.CELERY_TASK_ALWAYS_EAGER,"
        "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE,"
        "'mail': s.MAILERS['default']['BACKEND']}))"
    )
    result = manage("shell", "-c", code, env=production_env(DEBUG="1"))

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["dev"] is False
    assert values["eager"] is False
    assert values["session_secure"] is True and values["csrf_secure"] is True
    assert values["mail"] == "django.core.mail.backends.smtp.EmailBackend"


def test_an_unknown_environment_name_fails_loudly():
    result = manage("check", env=production_env(DJANGO_ENV="staging"))

    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


# --- security headers and cookies -----------------------------------------------------------------


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.parametrize("path", ["/", "/konto/login/", "/healthz"])
def test_responses_carry_a_csp_without_unsafe_inline_scripts(client, db, path):
    response = client.get(path)

    directives = csp_directives(response)
    scripts = directives.get("script-src", directives.get("default-src"))
    assert scripts is not None
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert "*" not in scripts
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_the_pages_own_script_carries_the_nonce_the_csp_allows(client, db):
    response = client.get("/")

    nonces = [word for word in csp_directives(response)["script-src"] if word.startswith("'nonce-")]
    assert len(nonces) == 1
    nonce = nonces[0][len("'nonce-") : -1]
    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts, "the layout loads its script"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag


def test_two_responses_get_different_nonces(client, db):
    first = csp_directives(client.get("/"))["script-src"]
    second = csp_directives(client.get("/"))["script-src"]

    assert first != second


@pytest.mark.parametrize("path", ["/", "/konto/login/", "/healthz"])
def test_responses_carry_the_security_headers(client, db, path):
    response = client.get(path)

    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only_and_same_site_lax(client, parent):
    response = client.post("/konto/login/", {"login": parent.email, "password": PASSWORD})

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_csrf_cookie_is_http_only_and_same_site_lax(client, db):
    response = client.get("/konto/login/")

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_the_language_cookie_is_http_only_and_same_site_lax(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- Celery ------------------------------------------------------------------------------------------


def test_the_celery_app_acknowledges_late_and_takes_one_task_at_a_time():
    from ikp.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_celery_app_speaks_json_only():
    from ikp.celery import app

    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_the_celery_app_uses_redis_outside_development():
    from ikp.celery import app

    assert app.conf.broker_url == settings.REDIS_URL
    assert app.conf.task_always_eager is False


def test_every_scheduled_task_is_registered():
    from ikp.beat import BEAT_SCHEDULE
    from ikp.celery import app

    app.loader.import_default_modules()

    assert BEAT_SCHEDULE, "at least the nightly session clean-up"
    assert app.conf.beat_schedule == BEAT_SCHEDULE
    missing = [entry["task"] for entry in BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]
    assert missing == []
