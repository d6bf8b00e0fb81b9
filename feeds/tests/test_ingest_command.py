"""`python manage.py ingest_feed KIND PATH` (DESIGN.md, "Feeds")."""

import itertools
import json
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Person
from accounts.rules import build_pesel
from feeds.models import FeedFile, QuarantinedLine
from guardianship.models import AutomaticGuardian, Coverage, InsuranceEvent, OwnTitle

_serial = itertools.count(400)


def new_pesel(born: date, sex: str = "F") -> str:
    return build_pesel(born, sex=sex, serial=next(_serial))


def registration(event_id: str, insured: str, member: str, **overrides) -> str:
    today = timezone.localdate()
    line = {
        "event_id": event_id, "type": "family_member_registered",
        "insured_pesel": insured, "insured_first_name": "Marta", "insured_surname": "Lis",
        "member_pesel": member, "member_first_name": "Ola", "member_surname": "Lis",
        "valid_from": str(today - timedelta(days=100)), "reported_on": str(today - timedelta(days=2)),
    }  # fmt: skip
    line.update(overrides)
    return json.dumps(line)


def ingest(*args) -> str:
    out = StringIO()
    call_command("ingest_feed", *args, stdout=out)
    return out.getvalue()


def state() -> dict:
    """Everything an ingest may touch, as plain values."""
    return {
        "events": sorted(InsuranceEvent.objects.values_list("event_id", "type", "applied_at")),
        "people": sorted(Person.objects.values_list("pesel", "first_name", "surname")),
        "coverages": sorted(Coverage.objects.values_list("registration_event_id", "insured__pesel", "member__pesel", "valid_from", "valid_to")),
        "titles": sorted(OwnTitle.objects.values_list("start_event_id", "valid_from", "valid_to")),
        "guardians": sorted(AutomaticGuardian.objects.values_list("subject__pesel", "guardian__pesel")),
        "quarantine": sorted(QuarantinedLine.objects.values_list("file_sha256", "line_number", "reason")),
    }


@pytest.fixture
def family():
    return {"mother": new_pesel(date(1984, 4, 4)), "son": new_pesel(date(2014, 9, 9), "M"), "daughter": new_pesel(date(2017, 1, 20))}


@pytest.fixture
def good_file(tmp_path, db, family) -> Path:
    today = timezone.localdate()
    path = tmp_path / "zus-good.jsonl"
    path.write_text("\n".join([
        registration("e-1", family["mother"], family["son"]),
        registration("e-2", family["mother"], family["daughter"]),
        json.dumps({"event_id": "e-3", "type": "own_title_started", "pesel": family["son"], "title": "juvenile_employment",
                    "valid_from": str(today - timedelta(days=10)), "reported_on": str(today - timedelta(days=9))}),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    return path


def test_it_ingests_a_file_and_reports_the_counts(good_file, family):
    output = ingest("zus-insurance", str(good_file))

    assert output.strip() == "zus-insurance: 3 lines, 3 new, 0 already known, 0 quarantined, 3 applied"
    assert InsuranceEvent.objects.filter(applied_at__isnull=False).count() == 3
    assert Coverage.objects.filter(insured__pesel=family["mother"]).count() == 2
    assert OwnTitle.objects.filter(pesel=family["son"], title="juvenile_employment").exists()
    assert Person.objects.get(pesel=family["daughter"]).surname == "Lis"
    # The son's own title ends the mother's automatic access; the daughter's stays.
    assert AutomaticGuardian.objects.get(subject__pesel=family["daughter"]).guardian.pesel == family["mother"]
    assert AutomaticGuardian.objects.get(subject__pesel=family["son"]).guardian is None
    feed_file = FeedFile.objects.get()
    assert (feed_file.kind, feed_file.name, feed_file.lines, feed_file.accepted) == ("zus-insurance", "zus-good.jsonl", 3, 3)
    assert feed_file.finished_at is not None


def test_an_unknown_kind_is_refused_with_the_known_kinds(good_file):
    with pytest.raises(CommandError) as error:
        ingest("zus-insurence", str(good_file))

    assert "zus-insurence" in str(error.value)
    assert "zus-insurance" in str(error.value)
    assert not FeedFile.objects.exists()
    assert not InsuranceEvent.objects.exists()


def test_a_missing_file_is_refused(tmp_path, db):
    missing = tmp_path / "nowhere.jsonl"

    with pytest.raises(CommandError) as error:
        ingest("zus-insurance", str(missing))

    assert "No such file" in str(error.value)
    assert not FeedFile.objects.exists()


def test_a_folder_is_not_a_file(tmp_path, db):
    with pytest.raises(CommandError):
        ingest("zus-insurance", str(tmp_path))


def test_ingesting_the_same_file_again_adds_nothing(good_file):
    ingest("zus-insurance", str(good_file))
    before = state()

    output = ingest("zus-insurance", str(good_file))

    assert output.strip() == "zus-insurance: 3 lines, 0 new, 3 already known, 0 quarantined, 0 applied"
    assert state() == before
    assert FeedFile.objects.count() == 2  # each ingest is recorded; the second stored nothing


def test_a_bad_line_is_quarantined_with_its_number_and_reason_and_the_rest_go_in(tmp_path, db, family):
    typo = family["daughter"][:10] + str((int(family["daughter"][10]) + 1) % 10)
    path = tmp_path / "zus-mixed.jsonl"
    path.write_text("\n".join([
        registration("m-1", family["mother"], family["son"]),
        registration("m-2", family["mother"], typo),
        '{"event_id": "m-3", "type": "family_member_registered"',
        registration("m-4", family["mother"], family["daughter"]),
        registration("m-5", family["mother"], family["daughter"], member_first_name="Ol\u0000a"),
    ]) + "\n", encoding="utf-8")  # fmt: skip

    output = ingest("zus-insurance", str(path))

    assert output.strip() == "zus-insurance: 5 lines, 2 new, 0 already known, 3 quarantined, 2 applied"
    lines = {line.line_number: line for line in QuarantinedLine.objects.all()}
    assert sorted(lines) == [2, 3, 5]
    assert lines[2].reason == "invalid_pesel: member_pesel (checksum)"
    assert lines[2].raw == registration("m-2", family["mother"], typo)
    assert lines[3].reason.startswith("invalid_json: ")
    assert lines[5].reason == "invalid_field: NUL character in a value"
    assert {line.kind for line in lines.values()} == {"zus-insurance"}
    assert {line.feed_file.name for line in lines.values()} == {"zus-mixed.jsonl"}
    assert sorted(InsuranceEvent.objects.values_list("event_id", flat=True)) == ["m-1", "m-4"]
    assert Coverage.objects.filter(member__pesel=family["daughter"]).exists()
    assert not Person.objects.filter(pesel=typo).exists()


def test_a_file_sent_again_sets_no_line_aside_twice(tmp_path, db, family):
    path = tmp_path / "zus-bad.jsonl"
    path.write_text("not json\n" + registration("b-1", family["mother"], family["son"]) + "\n", encoding="utf-8")

    ingest("zus-insurance", str(path))
    output = ingest("zus-insurance", str(path))

    assert "0 new, 1 already known, 1 quarantined" in output
    assert QuarantinedLine.objects.count() == 1
