# Two commands: `make run` (demo on the embedded database) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help setup run test bench system-packages messages lint check-deploy

help:
	@echo "make run    - set up and serve the demo on http://127.0.0.1:8000 (embedded PostgreSQL)"
	@echo "make test   - set up and run the whole suite (PostgreSQL, Redis, Chromium)"
	@echo "make bench  - run every benchmark under bench/"

# The virtualenv, installed from the lock file. Re-done when the lock changes.
$(VENV)/.installed: uv.lock pyproject.toml scripts/find-python312
	@PY312=$$(scripts/find-python312) || exit 1; \
	set -e; \
	[ -x $(UV) ] || { "$$PY312" -m venv .tools && .tools/bin/pip install --quiet "uv==0.13.9"; }; \
	UV_PYTHON="$$PY312" $(UV) sync --frozen --quiet; \
	touch $@

setup: $(VENV)/.installed messages

messages: $(VENV)/.installed
	@command -v msgfmt >/dev/null || { echo "Installing gettext (msgfmt)..."; apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }
	@DJANGO_ENV=test DATABASE_URL=postgresql://unused/unused $(PY) manage.py compilemessages --ignore '.venv' --ignore '.tools' -v 0

# Debian packages the suite drives: chromium (browser journeys), docker-compose (validates
# docker-compose.yml without an engine).
system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi

run: setup
	@set -e; \
	export DATABASE_URL=$$($(PY) -m ikp.devdb embedded 2>/dev/null); \
	$(PY) manage.py migrate --no-input -v 0; \
	$(PY) manage.py seed_demo; \
	echo "Serving the demo on http://127.0.0.1:8000 (logins in README.md)"; \
	exec $(PY) manage.py runserver 127.0.0.1:8000

test: setup system-packages
	@set -e; \
	export DJANGO_ENV=test; \
	export DATABASE_URL=$${DATABASE_URL:-$$($(PY) -m ikp.devdb local-or-embedded 2>/dev/null)}; \
	export REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0}; \
	$(PY) -c "import redis,os,sys; redis.Redis.from_url(os.environ['REDIS_URL'], socket_connect_timeout=2).ping()" 2>/dev/null \
	  || { echo "error: Redis is not reachable at $$REDIS_URL (start it, or set REDIS_URL)." >&2; exit 1; }; \
	$(PY) -m pytest $${PYTEST_ARGS:---url-coverage}

bench: setup
	@set -e; \
	export DJANGO_ENV=test; \
	export DATABASE_URL=$${DATABASE_URL:-$$($(PY) -m ikp.devdb local-or-embedded 2>/dev/null)}; \
	$(PY) bench/run_all.py

lint: setup
	$(VENV)/bin/ruff check .
