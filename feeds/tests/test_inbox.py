"""Files dropped into the inbox folder (settings.INBOX_DIR/<kind>/*.jsonl), taken by
feeds.tasks.poll_inbox (run here directly, as the beat-scheduled task body)."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.rules import build_pesel
from feeds.models import FeedFile, QuarantinedLine
from feeds.tasks import poll_inbox
from guardianship.models import Coverage, InsuranceEvent


def registration(event_id: str, serial: int) -> str:
    today = timezone.localdate()
    return json.dumps({
        "event_id": event_id, "type": "family_member_registered",
        "insured_pesel": build_pesel(date(1981, 8, 8), sex="M", serial=serial), "insured_first_name": "Adam", "insured_surname": "Wrona",
        "member_pesel": build_pesel(date(2016, 8, 8), sex="F", serial=serial), "member_first_name": "Iga", "member_surname": "Wrona",
        "valid_from": str(today - timedelta(days=60)), "reported_on": str(today - timedelta(days=1)),
    })  # fmt: skip


@pytest.fixture
def inbox(settings, tmp_path, db) -> Path:
    settings.INBOX_DIR = tmp_path
    folder = tmp_path / "zus-insurance"
    folder.mkdir()
    return folder


def drop(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_ingests_waiting_files_and_moves_them_to_done(inbox):
    drop(inbox, "a.jsonl", [registration("in-1", 1), registration("in-2", 2)])
    drop(inbox, "b.jsonl", [registration("in-3", 3), "not json"])

    assert poll_inbox() == 2

    assert sorted(path.name for path in (inbox / "done").iterdir()) == ["a.jsonl", "b.jsonl"]
    assert not list(inbox.glob("*.jsonl"))
    assert not list((inbox / "processing").iterdir())
    assert sorted(FeedFile.objects.values_list("name", flat=True)) == ["a.jsonl", "b.jsonl"]
    assert InsuranceEvent.objects.filter(applied_at__isnull=False).count() == 3
    assert Coverage.objects.count() == 3
    assert QuarantinedLine.objects.get().line_number == 2


def test_a_file_left_in_processing_by_a_killed_worker_is_taken_again(inbox):
    (inbox / "processing").mkdir()
    drop(inbox / "processing", "interrupted.jsonl", [registration("int-1", 4)])

    assert poll_inbox() == 1

    assert [path.name for path in (inbox / "done").iterdir()] == ["interrupted.jsonl"]
    assert not list((inbox / "processing").iterdir())
    assert InsuranceEvent.objects.filter(event_id="int-1", applied_at__isnull=False).exists()


def test_a_second_poll_does_nothing(inbox):
    drop(inbox, "a.jsonl", [registration("again-1", 5)])
    poll_inbox()
    files, events = FeedFile.objects.count(), list(InsuranceEvent.objects.values_list("event_id", "applied_at"))

    assert poll_inbox() == 0

    assert FeedFile.objects.count() == files == 1
    assert list(InsuranceEvent.objects.values_list("event_id", "applied_at")) == events
    assert [path.name for path in (inbox / "done").iterdir()] == ["a.jsonl"]


def test_other_files_and_unknown_kinds_are_left_alone(inbox, tmp_path):
    drop(inbox, "notes.txt", [registration("txt-1", 6)])
    (tmp_path / "no-such-kind").mkdir()
    drop(tmp_path / "no-such-kind", "x.jsonl", [registration("x-1", 7)])

    assert poll_inbox() == 0

    assert (inbox / "notes.txt").exists()
    assert (tmp_path / "no-such-kind" / "x.jsonl").exists()
    assert not InsuranceEvent.objects.exists()


def test_an_empty_inbox_is_fine(settings, tmp_path, db):
    settings.INBOX_DIR = tmp_path / "missing"

    assert poll_inbox() == 0
