"""Real Celery workers killed by SIGKILL in the middle of ingesting a large `zus-insurance`
file: the next run must leave exactly the state a clean ingest of the same file leaves.

feeds/tasks.py claims a file by renaming it into `processing/`; feeds/runner.py stores and
applies it in one durable transaction. Killed before the commit, nothing but the FeedFile row
of the attempt remains, the file waits in `processing/`, and the next poll takes it again.
"""

import os
import signal

import pytest
from django.db import connection
from django.utils import timezone

from feeds.models import FeedFile
from feeds.runner import ingest_file
from feeds.tasks import poll_inbox
from guardianship.models import InsuranceEvent
from tests.celery_worker import celery_worker, wait_for
from tests.insurance_feed import insurance_reset, insurance_state, synthetic_feed, write_feed

pytestmark = pytest.mark.django_db(transaction=True)

LINES = 150_000
FEED = "zus-insurance"


def _another_session_runs(*fragments: str) -> bool:
    """Whether a PostgreSQL session other than ours is running SQL containing one of `fragments`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND state = 'active' AND query ~ %s",
            ["|".join(fragments)],
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def dead_clients_noticed():
    """PostgreSQL notices a killed client only when it next talks to it: a long statement of
    the killed worker would run on, holding its locks, and the next run would wait for it.
    Sessions of the test database check the socket every 500 ms (production wants the same:
    `client_connection_check_interval` in the connection options)."""
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" SET client_connection_check_interval = 500')
    yield
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" RESET client_connection_check_interval')


def _start_and_kill(kill_when, what: str) -> None:
    """Start a worker, send it poll_inbox, and SIGKILL its process group once `kill_when()`."""
    with celery_worker() as worker:
        worker.send(poll_inbox)
        wait_for(kill_when, timeout=60, what=what, log=worker.log_path)
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
    assert worker.process.returncode == -signal.SIGKILL


def test_workers_killed_mid_ingest_leave_what_a_clean_ingest_leaves(tmp_path, settings, monkeypatch, dead_clients_noticed):
    inbox = tmp_path / "inbox"
    name = "zus-insurance-large.jsonl"
    events = synthetic_feed(LINES, today=timezone.localdate(), seed=2026)
    events[LINES // 2] = b'{"event_id": "broken", "type": '  # one bad line, to be quarantined once
    write_feed(inbox / FEED / name, events)
    settings.INBOX_DIR = inbox  # this process ...
    monkeypatch.setenv("INBOX_DIR", str(inbox))  # ... and the workers (celery_worker copies os.environ)
    processing = inbox / FEED / "processing" / name

    # The first worker dies while it reads the file (the attempt is recorded, nothing stored).
    _start_and_kill(lambda: FeedFile.objects.exists(), "the first worker to start the ingest")
    # The second one takes the file from processing/ again and dies while applying the events
    # it has stored, before the commit.
    _start_and_kill(
        lambda: _another_session_runs("touched_pair", "derived_coverage", "derived_title", "guardian_now"),
        "the second worker to apply the events",
    )

    assert list(FeedFile.objects.values_list("finished_at", flat=True)) == [None, None]
    assert processing.exists()
    assert not InsuranceEvent.objects.exists()

    assert poll_inbox() == 1  # the next run, here in the test process
    done = inbox / FEED / "done" / name
    assert done.exists() and not processing.exists()
    after_kills = insurance_state()

    insurance_reset()
    clean = ingest_file(FEED, done)

    assert (clean.lines, clean.quarantined) == (LINES, 1)
    assert insurance_state() == after_kills
    assert len(after_kills["events"]) == clean.accepted > 0.95 * LINES
    assert len(after_kills["coverages"]) > LINES // 2 and after_kills["notices"]
    waiting = [event for event in after_kills["events"] if not event[-1]]
    assert all(event[1] == "event_cancelled" for event in waiting)  # only cancellations of the bad line
    assert [number for number, _ in after_kills["quarantine"]] == [LINES // 2 + 1]
