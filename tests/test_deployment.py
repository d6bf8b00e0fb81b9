"""docker-compose.yml describes the deployment; Debian's docker-compose validates it without an engine."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose (Debian package) is required: `make test` installs it"
    env = {**os.environ, "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "ikp.example", "POSTGRES_PASSWORD": "pw", "EMAIL_URL": "smtp+tls://u:p@mail.example:587"}
    result = subprocess.run([binary, "config"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_it_defines_web_worker_beat_database_and_redis(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "db", "redis"}


def test_web_runs_gunicorn_and_workers_run_celery(compose):
    services = compose["services"]
    assert "gunicorn ikp.wsgi:application" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:4] == ["celery", "-A", "ikp", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "ikp", "beat"]


def test_app_containers_use_production_settings_and_the_shared_services(compose):
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["DJANGO_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert set(compose["services"][name]["depends_on"]) == {"db", "redis"}


def test_it_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "POSTGRES_PASSWORD", "EMAIL_URL"}}
    result = subprocess.run(["docker-compose", "config"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr or "POSTGRES_PASSWORD" in result.stderr
