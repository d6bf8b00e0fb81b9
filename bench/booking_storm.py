"""Benchmark: a booking storm on 50 HPV slots through gunicorn, against a bare view (issue #4).

    .venv/bin/python bench/booking_storm.py [--attempts N] [--clients C] [--parents P]
                                            [--slots S] [--workers W] [--no-pool] [--seed S]

On a fresh database it publishes S slots (default 50, one clinic, HPV9) and creates P parents
(default 200), each with a verified identity and an insured ten-year-old child, and a logged-in
session per parent already switched to the child's account (made server-side, as a login and
the "Konta Twoich dzieci" switch would leave it). Then it starts gunicorn on a free loopback
port and, after a baseline of N requests to `/healthz` from C concurrent clients, fires N
booking attempts (default 1,000) from C concurrent clients (default 50). An attempt is what a
parent's browser does on the confirm step: GET /profilaktyka/szczepienia/umow/termin/<slot>/,
read the form's csrfmiddlewaretoken and request_token, POST them back. Each attempt takes a
random slot; parents are reused round-robin. A parent whose child already holds an appointment
gets no form; the attempt posts anyway with a fresh request_token (a tab opened earlier), so
every attempt reaches the booking service.

Counted: a 302 to /profilaktyka/szczepienia/wizyty/<uuid>/ is a booking; 409 a refusal (slot
taken, child already booked), 429 busy (lock timeout); anything else by status. It prints the
bookings in the database, oversold slots (more than one booked appointment: must be 0), errors
by status, the POST's p50/p95/p99 latency next to the baseline's, their ratio, and the targets
(exactly S booked, 0 oversells, 0 5xx, POST p95 < 500 ms) as met / MISSED. It never fails on a
missed target (exit 0); it exits 1 only when the server cannot be started.

Everything is its own: database `ikp_storm` on DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432), dropped, recreated and migrated each run (DATABASE_URL
only lends its server: whatever database it names is left alone); a private redis-server on a free port
for cache, sessions and the Celery broker (the confirmation mails are queued there and dropped
with it: no worker runs, nothing reaches a shared Redis). Gunicorn runs DJANGO_ENV=test with
DEBUG off and, as in production, Django's connection pool (--no-pool: a connection per request).
"""

import argparse
import http.client
import os
import queue
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from _results import record

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/ikp_storm"
STORM_DB = "ikp_storm"
TARGET_P95_MS = 500.0
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 60  # seconds; far above gunicorn's 30 s worker timeout

BOOK_PATH = "/profilaktyka/szczepienia/umow/termin/{}/"
BOOKED_LOCATION = re.compile(r"^/profilaktyka/szczepienia/wizyty/[0-9a-f-]{36}/$")
HIDDEN_INPUT = r'name="{}" value="([^"]+)"'
REFUSAL_MESSAGE = re.compile(
    r'govuk-error-summary__body">\s*<p class="govuk-body">(.*?)</p>', re.DOTALL
)


# --- Environment, database, servers ------------------------------------------------------------


def storm_urls() -> tuple[str, str]:
    """(the storm database URL, the maintenance database URL): DATABASE_URL lends its server
    only; the database is always `ikp_storm`, so no other database is ever dropped."""
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    return (
        urlunsplit(parts._replace(path="/" + STORM_DB)),
        urlunsplit(parts._replace(path="/postgres")),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """A private, diskless redis-server: the bench's cache, sessions and broker, gone with it."""
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"redis://{HOST}:{port}/0"
    wait_until(lambda: _redis_up(url), 10, "redis-server")
    return process, url


def _redis_up(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def server_env(url: str, redis_url: str, pool: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ikp.settings",
        "DJANGO_ENV": "test",
        "DEBUG": "0",
        "DATABASE_URL": url,
        "DATABASE_POOL": "1" if pool else "0",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    }


def configure_django(env: dict[str, str]) -> None:
    """This process seeds and counts with the same settings the server runs with."""
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def reset_database(url: str, admin_url: str) -> float:
    """Drop and recreate the storm database, migrate it; return the seconds it took."""
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


def start_gunicorn(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "ikp.wsgi:application", "--bind", f"{HOST}:{port}",
             "--workers", str(workers), "--chdir", str(BASE_DIR), "--log-level", "warning"],
            cwd=BASE_DIR, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen | None) -> None:
    """End a server this script started (its own process group), politely first."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def healthy(port: int, server: subprocess.Popen) -> bool:
    if server.poll() is not None:
        raise RuntimeError(f"gunicorn exited with code {server.returncode}")
    try:
        return request(port, "GET", "/healthz").status == 200
    except (OSError, http.client.HTTPException):
        return False


# --- The world: a clinic's slots, parents with sessions on their child's account ---------------


@dataclass
class Parent:
    session: str  # the sessionid cookie
    csrf: str  # this client's csrftoken cookie (a secret of its own, as a browser keeps one)


def seed(parents: int, slots: int) -> tuple[list[str], list[Parent]]:
    """Publish the slots and create the parents; returns (slot public ids, parents)."""
    from django.db import transaction
    from django.utils import timezone

    from guardianship.sync import insurance_apply_pending

    with transaction.atomic():
        slot_ids = publish_slots(slots)
        pairs = families(parents)
    insurance_apply_pending(today=timezone.localdate())
    return slot_ids, [logged_in(user, child) for user, child in pairs]


def publish_slots(count: int) -> list[str]:
    """`count` slots of one clinic, five a day from tomorrow, 15 minutes apart."""
    from django.utils import timezone

    from vaccinations.models import Clinic, Slot, Vaccine

    clinic = Clinic.objects.create(
        code="POZ-STORM", name="Przychodnia Burza", city="Warszawa", address="ul. Szybka 1"
    )
    vaccine = Vaccine.objects.get(code="HPV9")  # seeded with its programme by the migrations
    tomorrow = timezone.localdate() + timedelta(days=1)
    starts = [
        timezone.make_aware(
            datetime.combine(tomorrow + timedelta(days=n // 5), datetime.min.time())
        )
        + timedelta(hours=9, minutes=15 * (n % 5))
        for n in range(count)
    ]
    created = Slot.objects.bulk_create(
        Slot(slot_id=f"storm-{n}", clinic=clinic, vaccine=vaccine, starts_at=at)
        for n, at in enumerate(starts)
    )
    return [str(slot.public_id) for slot in created]


def families(count: int):
    """`count` verified parents, each insuring a child aged ten (the events stored for the sync)."""
    from django.utils import timezone

    from accounts.models import User
    from accounts.rules import VerificationMethod, add_months
    from accounts.services import identity_verification_record
    from guardianship.models import InsuranceEvent

    ten = add_months(timezone.localdate(), -(10 * 12 + 1))
    pairs = []
    for n in range(count):
        # Distinct birth days (and serials past 300 children): every PESEL is unique.
        parent = person(date(1980, 1, 1) + timedelta(days=n), "F", serial=0)
        child = person(ten - timedelta(days=n % 300), "M", serial=n // 300)
        # No password: hashing 200 of them would cost a minute, and the sessions are made here.
        user = User.objects.create_user(email=f"storm{n}@example.test", person=parent)
        identity_verification_record(user=user, method=VerificationMethod.TRUSTED_PROFILE)
        InsuranceEvent.objects.create(
            event_id=f"storm-{n}", type="family_member_registered", insured_pesel=parent.pesel,
            person_pesel=child.pesel, valid_from=child.birth_date, reported_on=child.birth_date,
        )  # fmt: skip
        pairs.append((user, child))
    return pairs


def person(born: date, sex: str, *, serial: int):
    from accounts.models import Person
    from accounts.rules import build_pesel

    return Person.objects.create(
        pesel=build_pesel(born, sex=sex, serial=serial),
        first_name="Ola" if sex == "F" else "Olek",
        surname="Burzyńska" if sex == "F" else "Burzyński",
        birth_date=born,
        sex=sex,
    )


def logged_in(user, child) -> Parent:
    """A session as after a login and the switch to the child's account."""
    from django.conf import settings
    from django.test import Client

    from guardianship.policy import SESSION_KEY

    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = str(child.public_id)
    session.save()
    return Parent(session=client.cookies[settings.SESSION_COOKIE_NAME].value, csrf=uuid.uuid4().hex)


# --- The clients ----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    location: str
    body: str
    ms: float


def request(
    port: int, method: str, path: str, *, cookies: dict | None = None, form: dict | None = None
) -> Response:
    """One request on a new connection (gunicorn's sync workers close it after each)."""
    headers = {"Host": f"{HOST}:{port}"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    return Response(
        response.status,
        response.getheader("Location", ""),
        text,
        (time.perf_counter() - started) * 1000,
    )


@dataclass
class Attempt:
    outcome: str  # booked, refused, busy, or what else came back
    post_ms: float | None = None
    get_ms: float | None = None
    form_offered: bool = True
    reason: str = ""  # the refusal's message, as the page shows it


def attempt(port: int, parent: Parent, slot_id: str) -> Attempt:
    """The confirm step: GET the form, POST it back."""
    path = BOOK_PATH.format(slot_id)
    cookies = {"sessionid": parent.session, "csrftoken": parent.csrf}
    try:
        page = request(port, "GET", path, cookies=cookies)
        if page.status != 200:
            return Attempt(f"GET {page.status}", get_ms=page.ms)
        token = re.search(HIDDEN_INPUT.format("request_token"), page.body)
        csrf = re.search(HIDDEN_INPUT.format("csrfmiddlewaretoken"), page.body)
        form = {
            "csrfmiddlewaretoken": csrf.group(1) if csrf else parent.csrf,
            "request_token": token.group(1) if token else str(uuid.uuid4()),
        }
        sent = request(port, "POST", path, cookies=cookies, form=form)
    except (OSError, http.client.HTTPException) as error:
        return Attempt(f"connection error ({type(error).__name__})")
    return Attempt(outcome(sent), sent.ms, page.ms, token is not None, refusal_reason(sent))


def outcome(response: Response) -> str:
    if response.status == 302:
        location = urlsplit(response.location).path
        return "booked" if BOOKED_LOCATION.match(location) else f"302 to {location}"
    return {409: "refused", 429: "busy"}.get(response.status, f"HTTP {response.status}")


def refusal_reason(response: Response) -> str:
    if response.status not in (409, 429):
        return ""
    found = REFUSAL_MESSAGE.search(response.body)
    return re.sub(r"\s+", " ", found.group(1)).strip() if found else "(no message on the page)"


def storm(
    port: int, parents: list[Parent], slot_ids: list[str], attempts: int, clients: int, seed: int
):
    rng = random.Random(seed)
    plan = [(parents[n % len(parents)], rng.choice(slot_ids)) for n in range(attempts)]
    return timed_parallel(clients, [partial(attempt, port, p, s) for p, s in plan])


def baseline(port: int, requests: int, clients: int):
    def probe() -> Attempt:
        try:
            answer = request(port, "GET", "/healthz")
        except (OSError, http.client.HTTPException) as error:
            return Attempt(f"connection error ({type(error).__name__})")
        return Attempt("ok" if answer.status == 200 else f"HTTP {answer.status}", post_ms=answer.ms)

    return timed_parallel(clients, [probe] * requests)


def warm_up(port: int, workers: int, parents: list[Parent], slot_ids: list[str]) -> None:
    """Untimed: let every worker import, open its pool and compile the templates, so neither
    the baseline nor the storm pays a cold start. GETs only: nothing is booked."""

    def visit(parent: Parent) -> None:
        cookies = {"sessionid": parent.session, "csrftoken": parent.csrf}
        request(port, "GET", "/healthz")
        request(port, "GET", BOOK_PATH.format(slot_ids[0]), cookies=cookies)

    timed_parallel(workers, [partial(visit, parents[n % len(parents)]) for n in range(4 * workers)])


def timed_parallel(clients: int, calls) -> tuple[list[Attempt], float]:
    """Run the calls from `clients` threads released together, each taking the next call as
    soon as it is done; returns the results in order and the wall-clock seconds."""
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for item in enumerate(calls):
        todo.put(item)
    results: list = [None] * len(calls)
    start = threading.Barrier(clients + 1)

    def client() -> None:
        start.wait()
        while True:
            try:
                index, call = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[index] = call()
            except Exception as error:  # noqa: BLE001 - a client bug is counted, not fatal
                results[index] = Attempt(f"client error ({type(error).__name__}: {error})")

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


# --- Report -------------------------------------------------------------------------------------------


@dataclass
class Counts:
    booked: int = 0
    oversold_slots: int = 0
    children_twice: int = 0
    audit_rows: int = 0


def database_counts() -> Counts:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vaccinations_appointment WHERE status = 'booked'")
        (booked,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT slot_id FROM vaccinations_appointment WHERE status = 'booked'"
            " GROUP BY slot_id HAVING count(*) > 1) oversold"
        )
        (oversold,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT child_id FROM vaccinations_appointment WHERE status = 'booked'"
            " GROUP BY child_id, vaccine_id HAVING count(*) > 1) twice"
        )
        (twice,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM guardianship_accesslogentry WHERE action = 'book_vaccination'"
        )
        (audit,) = cursor.fetchone()
    return Counts(booked, oversold, twice, audit)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<46} {value:>16}  {note}".rstrip())


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(args, workers: int, pool: bool, base, storm_run, counts: Counts, log: Path) -> None:
    base_results, base_seconds = base
    results, seconds = storm_run
    outcomes = Counter(a.outcome for a in results)
    post = [a.post_ms for a in results if a.post_ms is not None]
    gets = [a.get_ms for a in results if a.get_ms is not None]
    healthz = [a.post_ms for a in base_results if a.post_ms is not None]
    p_post, p_get, p_base = percentiles(post), percentiles(gets), percentiles(healthz)
    server_errors = sum(n for o, n in outcomes.items() if re.search(r"\b5\d\d$", o)) + sum(
        1 for a in base_results if a.outcome.startswith("HTTP 5")
    )

    print()
    print(f"Setup: {args.slots} slots, {args.parents} parents, gunicorn {workers} sync workers"
          f" ({os.cpu_count()} cores), {'connection pool' if pool else 'a connection per request'}")  # fmt: skip
    print()
    print(
        f"Storm: {args.attempts:,} attempts (GET form + POST) from {args.clients} clients in {seconds:.1f} s"
    )
    row("attempts", f"{len(results):,}")
    row("bookings made (booked in the database)", f"{counts.booked:,}")
    row("302 to the appointment page", f"{outcomes['booked']:,}",
        "= bookings" if outcomes["booked"] == counts.booked else "DIFFERS from the database")  # fmt: skip
    row("oversold slots (more than one booked)", f"{counts.oversold_slots:,}")
    row("children booked twice", f"{counts.children_twice:,}")
    row("booking audit rows", f"{counts.audit_rows:,}")
    row("forms offered / not offered (child booked)", f"{sum(a.form_offered for a in results):,} / "
        f"{sum(not a.form_offered for a in results):,}")  # fmt: skip
    print("  responses to the POST (and failed GETs)")
    for name, number in sorted(outcomes.items(), key=lambda item: -item[1]):
        row("    " + name, f"{number:,}")
    reasons = Counter(a.reason for a in results if a.reason)
    for reason, number in reasons.most_common(5):
        row("      " + reason[:42], f"{number:,}")

    print()
    print("Latency, ms (same server, same concurrency)")
    row("", "p50 / p95 / p99")
    row("booking POST", " / ".join(f"{v:.0f}" for v in p_post))
    row("confirm page GET", " / ".join(f"{v:.0f}" for v in p_get))
    row(
        f"baseline GET /healthz ({len(healthz):,} in {base_seconds:.1f} s)",
        " / ".join(f"{v:.0f}" for v in p_base),
    )
    row(
        "ratio booking POST / baseline",
        " / ".join(f"{a / b:.1f}" for a, b in zip(p_post, p_base, strict=True)),
    )
    row(
        "throughput: POST+GET pairs / healthz",
        f"{len(results) / seconds:.0f} / {len(base_results) / base_seconds:.0f} per s",
    )

    print()
    print("Targets")
    row(f"exactly {args.slots} booked", f"{counts.booked:,}", verdict(counts.booked == args.slots))
    row("0 oversells", f"{counts.oversold_slots:,}", verdict(counts.oversold_slots == 0))
    row("0 5xx", f"{server_errors:,}", verdict(server_errors == 0))
    row(
        f"POST p95 < {TARGET_P95_MS:.0f} ms",
        f"{p_post[1]:.0f} ms",
        verdict(p_post[1] < TARGET_P95_MS),
    )
    if server_errors:
        print(f"  server log: {log}")
    base = f"healthz p95 {p_base[1]:.0f} ms"
    for figure, value, target, met in (
        (
            f"bookings on {args.slots} slots",
            f"{counts.booked:,}",
            f"exactly {args.slots}",
            counts.booked == args.slots,
        ),
        ("oversold slots", f"{counts.oversold_slots:,}", "0", counts.oversold_slots == 0),
        ("5xx responses", f"{server_errors:,}", "0", server_errors == 0),
    ):
        record(bench="booking_storm", figure=figure, value=value, target=target, met=met)
    record(
        bench="booking_storm",
        figure=f"booking POST p95, {args.clients} clients",
        value=f"{p_post[1]:.0f} ms",
        baseline=base,
        ratio=f"{p_post[1] / p_base[1]:.1f}",
        target=f"< {TARGET_P95_MS:.0f} ms",
        met=p_post[1] < TARGET_P95_MS,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--attempts", type=int, default=1000, help="booking attempts (default 1,000)"
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument(
        "--parents", type=int, default=200, help="parents, reused round-robin (default 200)"
    )
    parser.add_argument("--slots", type=int, default=50, help="published slots (default 50)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (default 2 x cores + 1)")  # fmt: skip
    parser.add_argument("--no-pool", action="store_true", help="a database connection per request")
    parser.add_argument("--seed", type=int, default=4, help="seed of the slot choice (default 4)")
    args = parser.parse_args()
    if min(args.attempts, args.clients, args.parents, args.slots, args.workers) < 1:
        parser.error("every count must be at least 1")
    if shutil.which("redis-server") is None:
        print(
            "booking_storm: redis-server is not installed (apt-get install redis-server); skipped"
        )
        return 0

    url, admin_url = storm_urls()
    print(
        f"booking_storm: {args.attempts:,} attempts, {args.clients} clients, database {urlsplit(url).path.lstrip('/')}",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="ikp-bench-storm-"))
    log = folder / "gunicorn.log"
    redis_server = server = None
    try:
        redis_server, redis_url = start_redis(folder)
        env = server_env(url, redis_url, pool=not args.no_pool)
        configure_django(env)
        print(f"  fresh database migrated in {reset_database(url, admin_url):.1f} s", flush=True)
        started = time.perf_counter()
        slot_ids, parents = seed(args.parents, args.slots)
        print(
            f"  {len(slot_ids)} slots, {len(parents)} parents with sessions in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        port = free_port()
        server = start_gunicorn(port, args.workers, env, log)
        try:
            wait_until(lambda: healthy(port, server), 60, "gunicorn")
        except RuntimeError as problem:
            print(f"error: {problem}\n{log.read_text()[-3000:]}")
            return 1
        warm_up(port, args.workers, parents, slot_ids)
        base = baseline(port, args.attempts, args.clients)
        print(f"  baseline done in {base[1]:.1f} s; storming...", flush=True)
        storm_run = storm(port, parents, slot_ids, args.attempts, args.clients, args.seed)
        counts = database_counts()
    finally:
        stop(server)
        stop(redis_server)
    report(args, args.workers, not args.no_pool, base, storm_run, counts, log)
    if "Traceback" not in log.read_text():
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
