"""The one feed runner: read a JSON Lines file, set bad lines aside, store the rest set-based.

Each kind (feeds/kinds.py) supplies a parser for one line and the SQL that moves its staged
rows into its own tables. The runner streams every good line into a temporary staging table
with COPY (never one query or one task per line), stores the quarantined lines, and commits
that in one durable transaction, in which the kind also applies what was stored. A crash leaves nothing (the
next run starts clean); re-running a file stores nothing new.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from feeds.kinds import FeedKind, LineProblem, get_kind
from feeds.models import FeedFile
from ikp.history import history_context_ensure

MAX_LINE_BYTES = 64 * 1024  # a line longer than this is set aside unread
RAW_KEPT_CHARS = 2000  # how much of a bad line is kept for staff to read
COPY_CHUNK = 5000


@dataclass(frozen=True)
class IngestResult:
    feed_file_id: int
    lines: int
    accepted: int
    duplicates: int
    quarantined: int
    applied: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(kind_name: str, path: Path, *, apply: bool = True) -> IngestResult:
    """Ingest one file of `kind_name` in one durable transaction. Raises UnknownFeedKind.

    With apply=False the events are stored but left waiting (the next run applies them).
    """
    kind = get_kind(kind_name)
    sha256 = file_sha256(path)
    feed_file = FeedFile.objects.create(kind=kind.name, name=Path(path).name[:255], sha256=sha256)
    today = timezone.localdate()
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            history_context_ensure(cursor, feed=kind.name, feed_file=feed_file.pk)
            # Sorts and hashes over a whole file (a million lines, as many people) stay in
            # memory instead of spilling to disk; one ingest runs at a time per kind.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(kind.staging_ddl)
            lines, blank, bad = _stage(cursor, kind, path, today)
            _quarantine(cursor, kind, feed_file, sha256, bad)
            accepted, conflicting = kind.store(cursor, feed_file.pk, apply=apply)
            conflicts = _with_raw(path, conflicting)
            _quarantine(cursor, kind, feed_file, sha256, conflicts)
            cursor.execute(f"DROP TABLE {kind.staging_table}")
            applied = kind.apply(cursor, today=today) if apply else 0
        quarantined = len(bad) + len(conflicts)
        feed_file.lines = lines
        feed_file.accepted = accepted
        feed_file.quarantined = quarantined
        feed_file.duplicates = lines - blank - accepted - quarantined  # blank lines are no events
        feed_file.finished_at = timezone.now()
        feed_file.save(
            update_fields=["lines", "accepted", "quarantined", "duplicates", "finished_at"]
        )
    return IngestResult(feed_file.pk, lines, accepted, feed_file.duplicates, quarantined, applied)


def _stage(
    cursor, kind: FeedKind, path: Path, today
) -> tuple[int, int, list[tuple[int, str, str]]]:
    """COPY every good line into the staging table; return the line count, the blank lines'
    count and the bad lines."""
    bad: list[tuple[int, str, str]] = []
    number = blank = 0
    parse = kind.parse_line
    with cursor.connection.cursor().copy(kind.copy_sql) as copy, open(path, "rb") as handle:
        write_row = copy.write_row
        for number, line in enumerate(handle, start=1):
            if len(line) > MAX_LINE_BYTES:
                bad.append((number, "too_long: " + str(len(line)) + " bytes", _readable(line)))
                continue
            if not line.strip():
                blank += 1
                continue  # blank lines carry nothing (a trailing empty line is common)
            try:
                write_row(parse(line, number, today))
            except LineProblem as problem:
                bad.append((number, problem.reason, _readable(line)))
    return number, blank, bad


def run_corrected_line(kind_name: str, raw: str) -> None:
    """Store and apply one corrected line as its feed would; raises LineProblem when it is
    still bad. Used by staff to re-run a quarantined line."""
    kind = get_kind(kind_name)
    today = timezone.localdate()
    row = kind.parse_line(raw.strip().encode(), 0, today)
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(kind.staging_ddl)
        with cursor.connection.cursor().copy(kind.copy_sql) as copy:
            copy.write_row(row)
        _, conflicts = kind.store(cursor, None, apply=True)
        if conflicts:
            raise LineProblem(conflicts[0][1])
        cursor.execute(f"DROP TABLE {kind.staging_table}")
        kind.apply(cursor, today=today)


def _with_raw(path: Path, problems: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """Lines the kind refused after staging (rare): read their text back from the file."""
    if not problems:
        return []
    wanted = dict(problems)
    found = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number in wanted:
                found.append((number, wanted[number], _readable(line)))
    return found


def _readable(line: bytes) -> str:
    # PostgreSQL text cannot hold NUL; invalid UTF-8 is shown with replacement characters.
    return (
        line[:RAW_KEPT_CHARS]
        .decode("utf-8", errors="replace")
        .replace("\x00", "\ufffd")
        .rstrip("\r\n")
    )


def _quarantine(
    cursor, kind: FeedKind, feed_file: FeedFile, sha256: str, bad: list[tuple[int, str, str]]
) -> None:
    if not bad:
        return
    cursor.execute(
        "CREATE TEMP TABLE quarantine_staging (line_number integer, reason text, raw text) ON COMMIT DROP"
    )
    with cursor.connection.cursor().copy("COPY quarantine_staging FROM STDIN") as copy:
        for row in bad:
            copy.write_row(row)
    cursor.execute(
        """
        INSERT INTO feeds_quarantinedline
            (public_id, kind, feed_file_id, file_sha256, line_number, reason, raw, created_at)
        SELECT gen_random_uuid(), %s, %s, %s, line_number, left(reason, 300), raw, now()
        FROM quarantine_staging
        ON CONFLICT (file_sha256, line_number) DO NOTHING
        """,
        [kind.name, feed_file.pk, sha256],
    )
    cursor.execute("DROP TABLE quarantine_staging")
