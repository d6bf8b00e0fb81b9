"""Benchmark: ingest of the `zus-sickleave` feed (a day of e-ZLA) against a raw COPY (issue #5).

    .venv/bin/python bench/ingest_sickleave.py [--lines N] [--people P] [--seed S] [--keep-file]

Creates P employees (default 60,000) and a third as many children (untimed, with COPY), then
generates N lines (default 100,000) of sick leaves for them into a temporary JSON Lines file:
~15% care leaves (most naming one of the children, some an adult family member), ~1%
cancellations of earlier lines of the file, ~0.1% bad lines. Then, on the same database:
1. baseline: COPY the rows the ingest would stage (parsed once beforehand, not timed) into a
   bare table with no index and no constraint, with psycopg's `copy.write_row`;
2. the real thing: `feeds.runner.ingest_file("zus-sickleave", path)` end to end (hash, parse +
   COPY into staging, store, apply, commit: one transaction), split by phase;
3. the same file again (every line a duplicate), for the record.

It prints lines/s for both, their ratio and whether 100,000 lines take under 10 s (scaled
linearly for another N). It reports and never asserts: the exit code is 0 when a target is
missed.

The database is its own: DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432),
database `ikp_bench_zla`, dropped and recreated on every run. A DATABASE_URL naming a database
without "bench" in its name only lends its server.
"""

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from _feed_bench import (
    bench_urls,
    checkpoint,
    configure_django,
    copy_baseline,
    reset_database,
    staged_rows,
)
from _results import record

BENCH_DB = "ikp_bench_zla"
KIND = "zus-sickleave"
TARGET_LINES = 100_000
TARGET_SECONDS = 10.0

# The feed is the leaves ZUS passed on one fixed day, so that a seed gives the same file.
FEED_DAY = date(2026, 11, 20)
ADULT_BORN = (date(1961, 1, 1), date(2006, 12, 31))
CHILD_BORN = (date(2012, 1, 1), date(2026, 6, 30))

CHILDREN_PER_EMPLOYEE = 1 / 3
CHILD_CARE_SHARE = 0.12
FAMILY_CARE_SHARE = 0.03
CANCEL_SHARE = 0.01  # a cancellation of an earlier line of the file
BAD_LINE_SHARE = 0.001  # malformed JSON, a PESEL or a NIP with a wrong check digit
MUST_LIE_SHARE = 0.2
EMPLOYERS = 5_000
DOCTORS = 2_000
# Days of leave: mostly short.
LENGTH_WEIGHTS = {1: 4, 2: 6, 3: 10, 4: 8, 5: 10, 7: 14, 10: 8, 14: 10, 21: 4, 30: 3}

FEMALE_NAMES = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
    "Elżbieta", "Zofia", "Joanna", "Magdalena", "Monika", "Aleksandra", "Natalia", "Julia",
)  # fmt: skip
MALE_NAMES = (
    "Jan", "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin", "Grzegorz",
    "Łukasz", "Jakub", "Mateusz", "Kacper", "Szymon", "Wojciech", "Adam",
)  # fmt: skip
SURNAMES = (
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
    "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
    "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski",
)  # fmt: skip


# --- Environment and database --------------------------------------------------------------------


# --- People (untimed) ----------------------------------------------------------------------------------


def make_people(rng: random.Random, count: int, born: tuple[date, date]) -> list[tuple]:
    """`count` people with unique valid PESELs: (pesel, first name, surname, birth date, sex)."""
    from accounts.rules import build_pesel

    taken: dict[tuple[date, str], int] = defaultdict(int)
    low, high = born
    people = []
    while len(people) < count:
        day = low + timedelta(days=rng.randrange((high - low).days + 1))
        sex = rng.choice("FM")
        serial = taken[day, sex]
        if serial >= 1000:
            continue  # that day is full for that sex
        taken[day, sex] = serial + 1
        surname = rng.choice(SURNAMES)
        if sex == "F" and surname.endswith("ki"):
            surname = surname[:-1] + "a"
        first = rng.choice(FEMALE_NAMES if sex == "F" else MALE_NAMES)
        # An odd serial step keeps the sex digit (serial % 5) varied within a day.
        people.append(
            (build_pesel(day, sex=sex, serial=serial * 7 % 1000), first, surname, day, sex)
        )
    return people


def copy_people(people: list[tuple]) -> None:
    from django.db import connection, transaction

    with (
        transaction.atomic(durable=True),
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            "COPY accounts_person (public_id, pesel, first_name, surname, birth_date, sex) FROM STDIN"
        ) as copy,
    ):
        for person in people:
            copy.write_row((uuid.uuid4(), *person))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_person")


# --- The generator ---------------------------------------------------------------------------------


def valid_nip(rng: random.Random) -> str:
    from feeds.zus_sickleave import nip_problem

    while True:
        body = f"{rng.randrange(100, 1000)}{rng.randrange(10**6):06d}"
        for check in range(10):
            if nip_problem(body + str(check)) is None:
                return body + str(check)


def corrupt(leave: dict, rng: random.Random) -> bytes:
    """A bad line: JSON cut short, or a wrong check digit in the PESEL or the NIP."""
    import msgspec

    how = rng.randrange(3)
    if how == 0:
        return msgspec.json.encode(leave)[:-7]
    field = "pesel" if how == 1 else "employer_nip"
    value = leave[field]
    leave = {**leave, field: value[:-1] + str((int(value[-1]) + 1) % 10)}
    return msgspec.json.encode(leave)


def generate(
    path: Path, lines: int, seed: int, employees: list[tuple], children: list[tuple]
) -> Counter:
    """Write exactly `lines` lines to `path`; return counts by kind (and of bad lines)."""
    import msgspec

    rng = random.Random(seed)
    encode = msgspec.json.Encoder().encode
    employers = [valid_nip(rng) for _ in range(EMPLOYERS)]
    doctors = [
        f"lek. {rng.choice(FEMALE_NAMES + MALE_NAMES)} {rng.choice(SURNAMES)}"
        for _ in range(DOCTORS)
    ]
    lengths, length_weights = list(LENGTH_WEIGHTS), list(LENGTH_WEIGHTS.values())
    counts: Counter = Counter()
    issued: list[dict] = []
    number = rng.randrange(1_000_000, 8_000_000)
    with open(path, "wb") as handle:
        for _ in range(lines):
            if issued and rng.random() < CANCEL_SHARE:
                leave = {**issued.pop(rng.randrange(len(issued))), "status": "cancelled"}
                counts["cancellations"] += 1
            else:
                number += 1
                leave = new_leave(
                    rng, number, employees, children, employers, doctors, lengths, length_weights
                )
                counts[leave["kind"]] += 1
                issued.append(leave)
            if rng.random() < BAD_LINE_SHARE:
                line = corrupt(leave, rng)
                counts["bad lines"] += 1
            else:
                line = encode(leave)
            handle.write(line + b"\n")
    return counts


def new_leave(
    rng, number, employees, children, employers, doctors, lengths, length_weights
) -> dict:
    employee = rng.choice(employees)
    issued_on = FEED_DAY - timedelta(days=rng.choice((0, 0, 0, 1, 1, 2, 3)))
    period_from = issued_on - timedelta(days=rng.choice((0, 0, 0, 0, 1, 2, 3)))  # backdated
    length = rng.choices(lengths, weights=length_weights)[0]
    draw = rng.random()
    leave = {
        "series_number": f"Z{rng.choice('WXYZ')}{number:07d}",
        "pesel": employee[0],
        "issued_on": str(issued_on),
        "period_from": str(period_from),
        "period_to": str(period_from + timedelta(days=length - 1)),
        "kind": "own_illness",
        "indication": "must_lie" if rng.random() < MUST_LIE_SHARE else "may_walk",
        "employer_nip": rng.choice(employers),
        "doctor_name": rng.choice(doctors),
        "status": "issued",
    }
    if draw < CHILD_CARE_SHARE:
        leave.update(kind="child_care", cared_person_pesel=rng.choice(children)[0])
    elif draw < CHILD_CARE_SHARE + FAMILY_CARE_SHARE:
        cared = rng.choice(employees)
        if cared[0] != employee[0]:
            leave.update(kind="family_care", cared_person_pesel=cared[0])
    return leave


# --- The baseline -------------------------------------------------------------------------------------


def zus_sickleave_parse_line():
    from feeds.zus_sickleave import parse_line

    return parse_line


def zus_sickleave_columns() -> str:
    from feeds.zus_sickleave import staging_columns

    return staging_columns()


# --- The ingest, observed ------------------------------------------------------------------------------


def timed_ingest(path: Path) -> tuple[float, object, dict[str, float]]:
    """Run ingest_file with its phases timed by wrappers (the code is observed, not changed)."""
    from feeds import runner
    from feeds.zus_sickleave import ZusSickLeaves

    phases: dict[str, float] = defaultdict(float)

    def timed(phase, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[phase] += time.perf_counter() - started

        return wrapper

    originals = (runner.file_sha256, runner._stage, ZusSickLeaves.store, ZusSickLeaves.apply)
    runner.file_sha256 = timed("hash the file", runner.file_sha256)
    runner._stage = timed("stage: parse + COPY to temp table", runner._stage)
    ZusSickLeaves.store = timed("store: staging -> sick leaves", ZusSickLeaves.store)
    ZusSickLeaves.apply = timed("apply: link cared people", ZusSickLeaves.apply)
    checkpoint()
    try:
        started = time.perf_counter()
        result = runner.ingest_file(KIND, path)
        seconds = time.perf_counter() - started
    finally:
        runner.file_sha256, runner._stage, ZusSickLeaves.store, ZusSickLeaves.apply = originals
    return seconds, result, phases


def database_counts() -> dict[str, int]:
    from django.db import connection

    queries = {
        "sick leaves stored": "SELECT count(*) FROM sickleaves_sickleave",
        "of them cancelled": "SELECT count(*) FROM sickleaves_sickleave WHERE status = 'cancelled'",
        "care leaves / with the cared person linked": """
            SELECT count(*) FILTER (WHERE kind <> 'own_illness') || ' / ' || count(cared_person_id)
            FROM sickleaves_sickleave""",
        "quarantined lines": "SELECT count(*) FROM feeds_quarantinedline",
    }
    counts = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            counts[name] = cursor.fetchone()[0]
    return counts


# --- Report -------------------------------------------------------------------------------------------


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<46} {value:>16}  {note}".rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lines", type=int, default=TARGET_LINES, help="lines to generate (default 100,000)"
    )
    parser.add_argument(
        "--people", type=int, default=60_000, help="employees to create (default 60,000)"
    )
    parser.add_argument("--seed", type=int, default=5, help="seed of the generator (default 5)")
    parser.add_argument(
        "--keep-file", action="store_true", help="keep the generated file and print its path"
    )
    args = parser.parse_args()
    if args.lines < 1 or args.people < 2:
        parser.error("--lines must be at least 1 and --people at least 2")

    url, admin_url = bench_urls(BENCH_DB)
    configure_django(url)
    from django.utils import timezone

    print(
        f"ingest_sickleave: {args.lines:,} lines, seed {args.seed}, database {urlsplit(url).path.lstrip('/')}",
        flush=True,
    )
    setup = reset_database(url, admin_url)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    employees = make_people(rng, args.people, ADULT_BORN)
    children = make_people(rng, max(1, int(args.people * CHILDREN_PER_EMPLOYEE)), CHILD_BORN)
    copy_people(employees + children)
    print(
        f"  fresh database migrated in {setup:.1f} s; {len(employees):,} employees and"
        f" {len(children):,} children created in {time.perf_counter() - started:.1f} s (not timed)",
        flush=True,
    )
    handle, name = tempfile.mkstemp(prefix="ikp-bench-sickleave-", suffix=".jsonl")
    os.close(handle)
    path = Path(name)
    try:
        mix = generate(path, args.lines, args.seed, employees, children)
        rows = staged_rows(zus_sickleave_parse_line(), path, timezone.localdate())
        print(
            f"  generated {path.stat().st_size / 1e6:,.1f} MB, parsed {len(rows):,} rows for the baseline (not timed)",
            flush=True,
        )
        copy_seconds = copy_baseline(rows, zus_sickleave_columns())
        del rows
        ingest_seconds, result, phases = timed_ingest(path)
        counts = database_counts()
        again_seconds, again, _ = timed_ingest(path)
    finally:
        if args.keep_file:
            print(f"  kept the file: {path}")
        else:
            path.unlink(missing_ok=True)

    report(args, mix, copy_seconds, ingest_seconds, result, phases, counts, again_seconds, again)
    return 0


def report(
    args, mix, copy_seconds, ingest_seconds, result, phases, counts, again_seconds, again
) -> None:
    lines = args.lines
    copy_rate, ingest_rate = lines / copy_seconds, lines / ingest_seconds
    print()
    print("Generated lines")
    for kind in ("own_illness", "child_care", "family_care", "cancellations", "bad lines"):
        row(kind, f"{mix[kind]:,}", f"{mix[kind] / lines:.2%}")

    print()
    print("Throughput (lines in the file)")
    row("baseline: COPY into a bare table", f"{copy_seconds:.2f} s", f"{copy_rate:,.0f} lines/s")
    row("ingest_file end to end", f"{ingest_seconds:.2f} s", f"{ingest_rate:,.0f} lines/s")
    row("ratio ingest / COPY", f"{ingest_rate / copy_rate:.3f}")
    scaled = ingest_seconds * TARGET_LINES / lines
    verdict = "met" if scaled < TARGET_SECONDS else "MISSED"
    record(
        bench="ingest_sickleave",
        figure="100,000 zus-sickleave lines" + (" (scaled)" if lines != TARGET_LINES else ""),
        value=f"{scaled:.2f} s",
        baseline=f"COPY {copy_seconds * TARGET_LINES / lines:.2f} s",
        ratio=f"{ingest_rate / copy_rate:.3f}",
        target=f"< {TARGET_SECONDS:.0f} s",
        met=verdict == "met",
    )
    if lines == TARGET_LINES:
        row("100,000 lines under 10 s", f"{ingest_seconds:.2f} s", verdict)
    else:
        row(
            "100,000 lines under 10 s (scaled linearly)",
            f"{scaled:.2f} s",
            f"{verdict} (projected from {lines:,})",
        )
    row(
        "the same file again (all duplicates)",
        f"{again_seconds:.2f} s",
        f"{again.accepted:,} new, {again.duplicates:,} already known",
    )

    print()
    print("Where the time goes (same run)")
    for phase, seconds in phases.items():
        row(phase, f"{seconds:.2f} s", f"{seconds / ingest_seconds:.0%}")
    rest = ingest_seconds - sum(phases.values())
    row("runner: feed file, quarantine, commit", f"{rest:.2f} s", f"{rest / ingest_seconds:.0%}")

    print()
    print("Result")
    row(
        "lines / accepted / duplicates / quarantined",
        f"{result.lines:,} / {result.accepted:,} / {result.duplicates:,} / {result.quarantined:,}",
    )
    for name, value in counts.items():
        row(name, f"{value:,}" if isinstance(value, int) else str(value))
    same = "yes" if counts["quarantined lines"] == mix["bad lines"] else "NO"
    row("quarantined = bad lines generated", same)


if __name__ == "__main__":
    sys.exit(main())
