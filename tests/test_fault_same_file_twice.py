"""Issue #7, faults: the same feed file delivered twice at the same moment is applied once.

Two threads (two database connections, as two workers would have) ingest one realistic
zus-insurance file at once; the state they leave equals that of one clean ingest of the file.
The file carries bad lines too, so the quarantine is compared as well.
"""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from feeds.models import FeedFile
from feeds.runner import ingest_file
from tests.insurance_feed import insurance_reset, insurance_state, synthetic_feed, write_feed

pytestmark = pytest.mark.django_db(transaction=True)


def _feed(tmp_path):
    events = synthetic_feed(3000, today=timezone.localdate(), seed=11, prefix="twice")
    return write_feed(tmp_path / "zus-twice.jsonl", [*events, b'{"event_id": "broken"\n', b"not json\n"])


def _ingest_concurrently(path, workers: int = 2) -> list[BaseException]:
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def worker():
        try:
            start.wait()
            ingest_file("zus-insurance", path)
        except BaseException as error:  # noqa: BLE001 — reported by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_the_same_file_ingested_twice_at_once_ends_as_one_clean_ingest(tmp_path):
    path = _feed(tmp_path)
    ingest_file("zus-insurance", path)
    clean = insurance_state()
    assert clean["events"] and len(clean["quarantine"]) == 2
    insurance_reset()

    errors = _ingest_concurrently(path)

    assert errors == []
    assert FeedFile.objects.filter(finished_at__isnull=False).count() == 2  # both deliveries recorded
    assert insurance_state() == clean


def test_a_file_delivered_again_while_the_first_copy_is_applied_changes_nothing_more(tmp_path):
    """Three deliveries at once (a retrying sender): still one application of each event."""
    path = _feed(tmp_path)
    errors = _ingest_concurrently(path, workers=3)
    assert errors == []
    concurrent = insurance_state()
    insurance_reset()

    ingest_file("zus-insurance", path)

    assert insurance_state() == concurrent
