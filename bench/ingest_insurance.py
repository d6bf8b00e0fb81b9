"""Benchmark: ingest of the `zus-insurance` feed against a raw COPY of the same rows (issue #3).

    .venv/bin/python bench/ingest_insurance.py [--events N] [--seed S] [--keep-file]
                                               [--give-up-after SECONDS]

Generates N lines (default 1,000,000) of realistic families into a temporary JSON Lines file,
then, on a fresh database:
1. baseline: COPY the rows the ingest would stage (parsed once beforehand, not timed) into a
   bare table with no index and no constraint, with psycopg's `copy.write_row`;
2. the real thing: `feeds.runner.ingest_file("zus-insurance", path)` end to end (hash, parse +
   COPY into staging, store, apply, commit: one transaction), with a breakdown by phase and
   by SQL statement taken from the same run (the code is only observed, never changed).

It prints events/s for both, their ratio against the target (0.25) and whether 1 M events take
under 60 s. It reports and never asserts: the exit code is 0 when a target is missed, and an
ingest still running after --give-up-after seconds (default 300) is cancelled and reported as
missed, so that `make bench` ends even when a plan goes quadratic.

The database is its own: DATABASE_URL's server (default postgresql://postgres@127.0.0.1:5432),
database `ikp_bench`, dropped and recreated on every run. A DATABASE_URL naming a database
without "bench" in its name (`make bench` passes the development database) only lends its server.
"""

import argparse
import os
import random
import re
import sys
import tempfile
import threading
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

BENCH_DB = "ikp_bench"
TARGET_RATIO = 0.25
TARGET_SECONDS_PER_MILLION = 60.0

# The generated feed covers births from 2008 to 2025 and ends on a fixed day, so that a seed
# gives the same file whenever it runs.
FEED_END = date(2026, 11, 20)
CHILD_BORN = (date(2008, 1, 1), date(2025, 12, 31))
PARENT_BORN = (date(1968, 1, 1), date(1990, 12, 31))

# Shares (per family, per child or per line) that make the mix.
CHILDREN_WEIGHTS = {1: 45, 2: 40, 3: 15}
JOB_CHANGES_WEIGHTS = {0: 70, 1: 20, 2: 10}  # of the parent who insures the children
TAKEOVER_SHARE = 0.12  # the other parent registers the children from a later day
TAKEOVER_DEREGISTERS_SHARE = 0.6  # ... and the first parent deregisters them
OWN_TITLE_SHARE = 0.35  # of children 16 or older at the end of the feed
OWN_TITLE_ENDED_SHARE = 0.5
TITLE_WEIGHTS = {
    "apprenticeship": 60,
    "juvenile_employment": 30,
    "family_pension": 8,
    "nursing_allowance": 2,
}
CANCEL_SHARE = 0.005  # an event_cancelled follows this share of events
BAD_LINE_SHARE = 0.001  # malformed JSON or a PESEL with a wrong check digit
LATE_SHARE = 0.03  # lines that arrive days after their reported_on (out of order)

FEMALE_NAMES = (
    "Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Krystyna",
    "Elżbieta", "Zofia", "Joanna", "Magdalena", "Monika", "Aleksandra", "Natalia", "Julia",
    "Zuzanna", "Maja", "Hanna", "Lena", "Alicja", "Oliwia", "Wiktoria", "Amelia", "Łucja",
)  # fmt: skip
MALE_NAMES = (
    "Jan", "Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Michał", "Marcin", "Grzegorz",
    "Łukasz", "Jakub", "Mateusz", "Kacper", "Szymon", "Antoni", "Filip", "Wojciech", "Adam",
    "Bartosz", "Stanisław", "Franciszek", "Aleksander", "Mikołaj", "Wiktor", "Igor",
)  # fmt: skip
SURNAMES = (
    "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
    "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
    "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski", "Nowakowski", "Pawłowski",
    "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel", "Zając", "Górski", "Sikora",
)  # fmt: skip


# --- Environment and database --------------------------------------------------------------------


# --- The generator ---------------------------------------------------------------------------------


class People:
    """Hands out unique valid PESELs: per birth day and sex, serials 0-999 in a scrambled order."""

    def __init__(self, rng: random.Random):
        from accounts.rules import build_pesel

        self._build = build_pesel
        self._rng = rng
        self._taken: dict[tuple[date, str], int] = defaultdict(int)

    def new(self, born_between: tuple[date, date], sex: str, surname: str) -> dict:
        low, high = born_between
        born = low + timedelta(days=self._rng.randrange((high - low).days + 1))
        while self._taken[born, sex] >= 1000:  # that day is full for that sex: the next one
            born = born + timedelta(days=1) if born < high else low
        count = self._taken[born, sex]
        self._taken[born, sex] = count + 1
        serial = (count * 373 + 211) % 1000  # 373 is prime to 1000: a permutation of 0-999
        names = FEMALE_NAMES if sex == "F" else MALE_NAMES
        return {
            "pesel": self._build(born, sex=sex, serial=serial),
            "first_name": self._rng.choice(names),
            "surname": surname_for(surname, sex),
            "born": born,
        }

    @property
    def count(self) -> int:
        return sum(self._taken.values())


def surname_for(surname: str, sex: str) -> str:
    if sex == "F" and surname.endswith("ki"):
        return surname[:-1] + "a"  # Kowalski -> Kowalska, Zieliński -> Zielińska
    return surname


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class FamilyWriter:
    """Builds the events of one family: births registered, job changes, takeovers, titles."""

    def __init__(self, rng: random.Random, people: People):
        self.rng = rng
        self.people = people

    def event_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def reported(self, day: date, within_days: int) -> date:
        return min(day + timedelta(days=self.rng.randint(0, within_days)), FEED_END)

    def registered(self, insured: dict, member: dict, valid_from: date) -> dict:
        return {
            "event_id": self.event_id(), "type": "family_member_registered",
            "insured_pesel": insured["pesel"], "insured_first_name": insured["first_name"],
            "insured_surname": insured["surname"], "member_pesel": member["pesel"],
            "member_first_name": member["first_name"], "member_surname": member["surname"],
            "valid_from": valid_from, "reported_on": self.reported(valid_from, 14),
        }  # fmt: skip

    def deregistered(self, insured: dict, member: dict, valid_to: date) -> dict:
        return {
            "event_id": self.event_id(), "type": "family_member_deregistered",
            "insured_pesel": insured["pesel"], "member_pesel": member["pesel"],
            "valid_to": valid_to, "reported_on": self.reported(valid_to, 7),
        }  # fmt: skip

    def family(self) -> list[dict]:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        first_sex = rng.choice("FM")
        first = self.people.new(PARENT_BORN, first_sex, surname)
        count = rng.choices(list(CHILDREN_WEIGHTS), weights=list(CHILDREN_WEIGHTS.values()))[0]
        children = sorted(
            (self.people.new(CHILD_BORN, rng.choice("FM"), surname) for _ in range(count)),
            key=lambda child: child["born"],
        )
        first_birth = children[0]["born"]
        span = (FEED_END - timedelta(days=10) - first_birth).days

        # The timeline: births, the insuring parent's job changes, the other parent taking over.
        timeline = [(child["born"], 0, "birth", child) for child in children]
        if span > 60:
            changes = rng.choices(
                list(JOB_CHANGES_WEIGHTS), weights=list(JOB_CHANGES_WEIGHTS.values())
            )[0]
            for _ in range(changes):
                timeline.append(
                    (first_birth + timedelta(days=rng.randint(30, span)), 1, "job", None)
                )
            if rng.random() < TAKEOVER_SHARE:
                timeline.append(
                    (first_birth + timedelta(days=rng.randint(60, span)), 2, "takeover", None)
                )
        timeline.sort(key=lambda item: (item[0], item[1]))

        events: list[dict] = []
        insurer = first
        covered_by: dict[str, set[str]] = {child["pesel"]: set() for child in children}
        for day, _, what, child in timeline:
            minors = [c for c in children if c["born"] < day and add_years(c["born"], 18) > day]
            if what == "birth":
                events.append(self.registered(insurer, child, child["born"]))
                covered_by[child["pesel"]].add(insurer["pesel"])
            elif what == "job":  # the old employer deregisters, the new one registers again
                for minor in minors:
                    if insurer["pesel"] in covered_by[minor["pesel"]]:
                        events.append(self.deregistered(insurer, minor, day - timedelta(days=1)))
                        events.append(self.registered(insurer, minor, day))
            elif what == "takeover":  # the other parent, met only here
                second_surname = surname if rng.random() < 0.7 else rng.choice(SURNAMES)
                second = self.people.new(
                    PARENT_BORN, "M" if first_sex == "F" else "F", second_surname
                )
                for minor in minors:
                    events.append(self.registered(second, minor, day))
                    covered_by[minor["pesel"]].add(second["pesel"])
                    if rng.random() < TAKEOVER_DEREGISTERS_SHARE:
                        events.append(self.deregistered(first, minor, day - timedelta(days=1)))
                        covered_by[minor["pesel"]].discard(first["pesel"])
                insurer = second

        for child in children:  # teenagers with their own title
            sixteen = add_years(child["born"], 16)
            if sixteen < FEED_END - timedelta(days=30) and rng.random() < OWN_TITLE_SHARE:
                title = rng.choices(list(TITLE_WEIGHTS), weights=list(TITLE_WEIGHTS.values()))[0]
                start = sixteen + timedelta(
                    days=rng.randint(0, (FEED_END - timedelta(days=30) - sixteen).days)
                )
                events.append({
                    "event_id": self.event_id(), "type": "own_title_started", "pesel": child["pesel"],
                    "title": title, "valid_from": start, "reported_on": self.reported(start, 7),
                })  # fmt: skip
                if rng.random() < OWN_TITLE_ENDED_SHARE:
                    end = start + timedelta(days=rng.randint(30, (FEED_END - start).days))
                    events.append({
                        "event_id": self.event_id(), "type": "own_title_ended", "pesel": child["pesel"],
                        "title": title, "valid_to": end, "reported_on": self.reported(end, 7),
                    })  # fmt: skip

        cancels = [
            {"event_id": self.event_id(), "type": "event_cancelled", "cancels_event_id": event["event_id"],
             "reported_on": self.reported(event["reported_on"] + timedelta(days=1), 20)}
            for event in events if rng.random() < CANCEL_SHARE
        ]  # fmt: skip
        events.extend(cancels)
        events.sort(key=lambda event: event["reported_on"])
        return events


PESEL_VALUE = re.compile(rb'pesel":"(\d{10})(\d)"')


def corrupt(line: bytes, rng: random.Random) -> bytes:
    """A bad line: a PESEL with a wrong check digit, or JSON cut short."""
    match = PESEL_VALUE.search(line)
    if match and rng.random() < 0.5:
        wrong = str((int(match.group(2)) + rng.randint(1, 9)) % 10).encode()
        return line[: match.start(2)] + wrong + line[match.end(2) :]
    return line[: rng.randint(10, len(line) - 5)]


def generate(path: Path, events: int, seed: int) -> Counter:
    """Write exactly `events` lines to `path`; return counts by type (and of bad lines)."""
    import msgspec

    rng = random.Random(seed)
    writer = FamilyWriter(rng, People(rng))
    encode = msgspec.json.Encoder().encode
    keyed: list[tuple[int, int, bytes]] = []
    counts: Counter = Counter()
    while len(keyed) < events:
        # The last family is cut where the file ends.
        family = writer.family()[: events - len(keyed)]
        counts["families"] += 1
        for event in family:
            counts[event["type"]] += 1
            arrives = event["reported_on"].toordinal()
            if rng.random() < LATE_SHARE:  # delivered late: out of reported_on order
                arrives += rng.randint(1, 45)
            keyed.append((arrives, rng.getrandbits(32), encode(event)))
    keyed.sort()
    with open(path, "wb") as handle:
        for _, _, line in keyed:
            if rng.random() < BAD_LINE_SHARE:
                line = corrupt(line, rng)
                counts["bad lines"] += 1
            handle.write(line + b"\n")
    counts["people"] = writer.people.count
    return counts


# --- The baseline -------------------------------------------------------------------------------------


def zus_insurance_parse_line():
    from feeds.zus_insurance import parse_line

    return parse_line


def zus_insurance_columns() -> str:
    from feeds.zus_insurance import STAGING_COLUMNS

    return STAGING_COLUMNS


# --- The ingest, observed ------------------------------------------------------------------------------


def statement_names() -> dict[str, str]:
    """Names for the SQL the feed and the sync run: their module-level constants (and the
    statements of a multi-statement one), by text; anything else is shown by its first words."""
    from feeds import runner, zus_insurance
    from guardianship import sync

    names = {}
    for module in (runner, zus_insurance, sync):
        short = module.__name__.rsplit(".", 1)[-1]
        for attribute, value in vars(module).items():
            if attribute.lstrip("_").isupper() and isinstance(value, str) and value.strip():
                names[value] = f"{short}.{attribute}"
                # Scripts may be run one statement at a time (split at ";" line ends).
                pieces = [piece for piece in value.split(";\n") if piece.strip()]
                if ";\n" in value:
                    for number, piece in enumerate(pieces, start=1):
                        names.setdefault(piece, f"{short}.{attribute} #{number}")
                        names.setdefault(piece.strip(), f"{short}.{attribute} #{number}")
    return names


class Observer:
    """Times the phases of ingest_file and every SQL statement it runs through Django's cursor."""

    def __init__(self):
        self.phase = "runner"
        self.phases: dict[str, float] = defaultdict(float)
        self.statements: dict[tuple[str, str], float] = defaultdict(float)
        self.names = statement_names()
        self.running: tuple[str, float] | None = None  # (what, since): the innermost step
        self.given_up_in: tuple[str, float] | None = None  # (what, for how long)

    def timed(self, phase: str, function):
        def wrapper(*args, **kwargs):
            outer, self.phase = self.phase, phase
            started = time.perf_counter()
            self.running = (phase, started)
            try:
                return function(*args, **kwargs)
            finally:
                self.phases[phase] += time.perf_counter() - started
                self.phase = outer

        return wrapper

    def __call__(self, execute, sql, params, many, context):
        label = self.label(sql)
        started = time.perf_counter()
        outer, self.running = self.running, (label, started)
        try:
            result = execute(sql, params, many, context)
        finally:
            self.statements[self.phase, label] += time.perf_counter() - started
        self.running = outer
        return result

    def label(self, sql: str) -> str:
        if sql in self.names:
            return self.names[sql]
        words = " ".join(sql.split())
        return words[:60] + ("…" if len(words) > 60 else "")


class Watchdog:
    """Gives up on a run that outlives `seconds`: cancels the backend's query until it stops.

    The ingest is one transaction, so giving up leaves nothing stored. Without this, a plan
    gone quadratic would keep `make bench` busy for hours."""

    def __init__(self, admin_url: str, backend_pid: int, seconds: float):
        self.admin_url, self.backend_pid, self.seconds = admin_url, backend_pid, seconds
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        import psycopg

        if self._done.wait(self.seconds):
            return
        self.fired = True
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            while not self._done.is_set():  # a cancel between two statements is lost: repeat
                admin.execute("SELECT pg_cancel_backend(%s)", [self.backend_pid])
                self._done.wait(1)


def timed_ingest(
    path: Path, admin_url: str, give_up_after: float
) -> tuple[float, object | None, Observer]:
    """Run ingest_file observed; the result is None when the run was given up."""
    import psycopg
    from django.db import DatabaseError, connection

    from feeds import runner
    from feeds.zus_insurance import ZusInsurance

    observer = Observer()
    originals = (runner.file_sha256, runner._stage, ZusInsurance.store, ZusInsurance.apply)
    runner.file_sha256 = observer.timed("hash the file", runner.file_sha256)
    runner._stage = observer.timed("stage: parse + COPY to temp table", runner._stage)
    ZusInsurance.store = observer.timed("store: staging -> people, events", ZusInsurance.store)
    ZusInsurance.apply = observer.timed("apply: guardianship.sync", ZusInsurance.apply)
    checkpoint()
    connection.ensure_connection()
    # The one explicit commit, the ingest's transaction: deferred foreign-key checks run here.
    connection._commit = observer.timed("commit", connection._commit)
    result = None
    try:
        pid = connection.connection.info.backend_pid
        with (
            Watchdog(admin_url, pid, give_up_after) as watchdog,
            connection.execute_wrapper(observer),
        ):
            started = time.perf_counter()
            try:
                result = runner.ingest_file("zus-insurance", path)
            except (DatabaseError, psycopg.Error):
                if not watchdog.fired:
                    raise
                what, since = observer.running or ("ingest_file", started)
                observer.given_up_in = (what, time.perf_counter() - since)
            seconds = time.perf_counter() - started
    finally:
        runner.file_sha256, runner._stage, ZusInsurance.store, ZusInsurance.apply = originals
        del connection._commit
    return seconds, result, observer


def database_counts() -> dict[str, int]:
    from django.db import connection

    queries = {
        "insurance events stored": "SELECT count(*) FROM guardianship_insuranceevent",
        "events left pending": "SELECT count(*) FROM guardianship_insuranceevent WHERE applied_at IS NULL",
        "people": "SELECT count(*) FROM accounts_person",
        "coverages": "SELECT count(*) FROM guardianship_coverage",
        "own titles": "SELECT count(*) FROM guardianship_owntitle",
        "children with an automatic guardian": "SELECT count(*) FROM guardianship_automaticguardian WHERE guardian_id IS NOT NULL",
        "access notices": "SELECT count(*) FROM guardianship_accessnotice",
        "quarantined lines": "SELECT count(*) FROM feeds_quarantinedline",
    }
    with connection.cursor() as cursor:
        counts = {}
        for name, sql in queries.items():
            cursor.execute(sql)
            counts[name] = cursor.fetchone()[0]
    return counts


# --- Report -------------------------------------------------------------------------------------------


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<44} {value:>14}  {note}".rstrip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="lines to generate (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=3, help="seed of the generator (default 3)")
    parser.add_argument(
        "--keep-file", action="store_true", help="keep the generated file and print its path"
    )
    parser.add_argument(
        "--give-up-after",
        type=float,
        default=300,
        metavar="SECONDS",
        help="stop an ingest still running after this long and report it missed (default 300)",
    )
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")

    url, admin_url = bench_urls(BENCH_DB)
    configure_django(url)
    from django.utils import timezone

    print(
        f"ingest_insurance: {args.events:,} events, seed {args.seed}, database {urlsplit(url).path.lstrip('/')}",
        flush=True,
    )
    handle, name = tempfile.mkstemp(prefix="ikp-bench-insurance-", suffix=".jsonl")
    os.close(handle)
    path = Path(name)
    try:
        started = time.perf_counter()
        mix = generate(path, args.events, args.seed)
        print(
            f"  generated {path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        today = timezone.localdate()
        started = time.perf_counter()
        rows = staged_rows(zus_insurance_parse_line(), path, today)
        print(
            f"  parsed {len(rows):,} rows for the baseline in {time.perf_counter() - started:.1f} s (not timed)",
            flush=True,
        )

        setup = reset_database(url, admin_url)
        print(f"  fresh database migrated in {setup:.1f} s", flush=True)
        copy_seconds = copy_baseline(rows, zus_insurance_columns())
        del rows
        print(
            f"  baseline COPY done in {copy_seconds:.1f} s; ingesting (giving up after {args.give_up_after:.0f} s)...",
            flush=True,
        )
        ingest_seconds, result, observer = timed_ingest(path, admin_url, args.give_up_after)
        counts = database_counts() if result else {}
    finally:
        if args.keep_file:
            print(f"  kept the file: {path}")
        else:
            path.unlink(missing_ok=True)

    report(args, mix, copy_seconds, ingest_seconds, result, observer, counts)
    return 0


def report(
    args,
    mix: Counter,
    copy_seconds: float,
    ingest_seconds: float,
    result,
    observer: Observer,
    counts: dict[str, int],
) -> None:
    events = args.events
    finished = result is not None
    at_most = "" if finished else "< "  # a run given up gives bounds, not figures
    copy_rate = events / copy_seconds
    ingest_rate = events / ingest_seconds
    ratio = ingest_rate / copy_rate
    per_million = ingest_seconds * 1_000_000 / events

    print()
    print("Generated lines")
    for kind in (
        "family_member_registered",
        "family_member_deregistered",
        "own_title_started",
        "own_title_ended",
        "event_cancelled",
        "bad lines",
    ):
        row(kind, f"{mix[kind]:,}", f"{mix[kind] / events:.2%}")
    row("families / people generated", f"{mix['families']:,} / {mix['people']:,}")

    print()
    print("Throughput (events = lines in the file)")
    row("baseline: COPY into a bare table", f"{copy_seconds:.2f} s", f"{copy_rate:,.0f} events/s")
    if finished:
        row("ingest_file end to end", f"{ingest_seconds:.2f} s", f"{ingest_rate:,.0f} events/s")
    else:
        row(
            "ingest_file end to end",
            f"> {ingest_seconds:.0f} s",
            f"< {ingest_rate:,.0f} events/s: GIVEN UP, unfinished",
        )
    verdict = "met" if finished and ratio >= TARGET_RATIO else "MISSED"
    row(f"ratio ingest / COPY (target >= {TARGET_RATIO})", f"{at_most}{ratio:.3f}", verdict)
    record(
        bench="ingest_insurance",
        figure=f"{events:,} zus-insurance events: ingest rate",
        value=f"{at_most}{ingest_rate:,.0f} ev/s",
        baseline=f"COPY {copy_rate:,.0f} ev/s",
        ratio=f"{at_most}{ratio:.3f}",
        target=f">= {TARGET_RATIO}",
        met=verdict == "met",
    )
    record(
        bench="ingest_insurance",
        figure="1 M events (scaled linearly)" if events != 1_000_000 else "1 M events",
        value=f"{'> ' if not finished else ''}{per_million:.1f} s",
        baseline=f"COPY {copy_seconds * 1_000_000 / events:.1f} s",
        target=f"< {TARGET_SECONDS_PER_MILLION:.0f} s",
        met=finished and per_million < TARGET_SECONDS_PER_MILLION,
    )
    verdict = "met" if finished and per_million < TARGET_SECONDS_PER_MILLION else "MISSED"
    if events == 1_000_000:
        row(
            "1 M events under 60 s",
            f"{'> ' if not finished else ''}{ingest_seconds:.1f} s",
            verdict,
        )
    else:
        row(
            "1 M events under 60 s (scaled linearly)",
            f"{'> ' if not finished else ''}{per_million:.1f} s",
            f"{verdict} (projected from {events:,})",
        )

    print()
    print("Where the time goes (same run; statements under 0.5% folded into 'other')")
    accounted = 0.0
    for phase, seconds in observer.phases.items():
        accounted += seconds
        row(phase, f"{seconds:.2f} s", f"{seconds / ingest_seconds:.0%}")
        inside = sorted(
            ((s, label) for (p, label), s in observer.statements.items() if p == phase),
            reverse=True,
        )
        shown = 0.0
        for statement_seconds, label in inside:
            if statement_seconds >= 0.005 * ingest_seconds:
                shown += statement_seconds
                row(
                    "    " + label[:40],
                    f"{statement_seconds:.2f} s",
                    f"{statement_seconds / ingest_seconds:.0%}",
                )
        if inside:
            rest = seconds - shown
            row("    other statements, Python", f"{rest:.2f} s", f"{rest / ingest_seconds:.0%}")
    rest = ingest_seconds - accounted
    row("runner: feed file, quarantine, the rest", f"{rest:.2f} s", f"{rest / ingest_seconds:.0%}")
    if not finished:
        what, seconds = observer.given_up_in
        print(
            f"  GIVEN UP after {ingest_seconds:.0f} s, {seconds:.0f} s into {what};"
            " the ingest's transaction was rolled back"
        )
        return

    print()
    print("Result")
    row(
        "lines / accepted / duplicates",
        f"{result.lines:,} / {result.accepted:,} / {result.duplicates:,}",
    )
    row("applied", f"{result.applied:,}")
    for name, value in counts.items():
        row(name, f"{value:,}")
    same = "yes" if counts["quarantined lines"] == mix["bad lines"] else "NO"
    row("quarantined = bad lines generated", same)


if __name__ == "__main__":
    sys.exit(main())
