"""What the feed ingest benchmarks share (`ingest_insurance.py`, `ingest_sickleave.py`): their
own database, Django set up without a real broker, the untimed staging of the file, and the
baseline, a raw COPY of the same rows into a bare table. Not a benchmark itself (run_all.py
skips names starting with "_")."""

import os
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def bench_urls(bench_db: str) -> tuple[str, str]:
    """(the bench database URL, the maintenance database URL on the same server).
    DATABASE_URL lends its server; its database is used only if it is a bench database."""
    parts = urlsplit(
        os.environ.get("DATABASE_URL") or f"postgresql://postgres@127.0.0.1:5432/{bench_db}"
    )
    name = parts.path.lstrip("/")
    if "bench" not in name:
        name = bench_db  # never drop a database that is not a bench database
    return urlunsplit(parts._replace(path="/" + name)), urlunsplit(parts._replace(path="/postgres"))


def configure_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikp.settings")
    os.environ.setdefault("DJANGO_ENV", "test")
    # Tasks the apply queues go to an in-memory broker: a bench must not leave work for a real
    # worker on a shared Redis, nor send 10^5 e-mails inside the timing.
    os.environ["REDIS_URL"] = ""
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    sys.path.insert(0, str(BASE_DIR))
    import logging

    import django

    django.setup()
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # "no hostname" for memory://


def reset_database(url: str, admin_url: str) -> float:
    """Drop and recreate the bench database, migrate it; return the seconds it took."""
    import psycopg
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    connections.close_all()
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0, interactive=False)
    return time.perf_counter() - started


def checkpoint() -> None:
    """Start each timed run without the previous one's dirty buffers (needs a superuser)."""
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        pass


def staged_rows(parse_line, path: Path, today: date) -> list[tuple]:
    """The tuples feeds.runner._stage would COPY, in its order (done once, before any timing)."""
    from feeds.kinds import LineProblem
    from feeds.runner import MAX_LINE_BYTES

    rows = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if len(line) > MAX_LINE_BYTES or not line.strip():
                continue
            try:
                rows.append(parse_line(line, number, today))
            except LineProblem:
                pass
    return rows


def copy_baseline(rows: list[tuple], columns: str) -> float:
    """Seconds to COPY `rows` into a bare table of `columns` (no index, no constraint) and
    commit, with the same `copy.write_row` the runner uses."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP TABLE IF EXISTS bench_raw_copy; CREATE TABLE bench_raw_copy ({columns})"
        )
    checkpoint()
    started = time.perf_counter()
    with (
        transaction.atomic(durable=True),
        connection.cursor() as cursor,
        cursor.connection.cursor().copy("COPY bench_raw_copy FROM STDIN") as copy,
    ):
        write_row = copy.write_row
        for row in rows:
            write_row(row)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_raw_copy")
        (copied,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_raw_copy")
    if copied != len(rows):
        print(f"warning: the baseline copied {copied} rows, not {len(rows)}")
    checkpoint()
    return seconds
