"""The `edm-document` feed (feeds/edm_document.py): medical documents entered by facilities."""

import itertools
import json
from datetime import UTC, date, datetime, timedelta
from functools import partial
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Person
from accounts.rules import build_pesel
from conftest import make_person, years_ago
from feeds.kinds import LineProblem
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import MAX_LINE_BYTES, ingest_file, run_corrected_line
from feeds.tasks import poll_inbox
from feeds.tests import feed_lines
from feeds.tests.feed_lines import days_ago, ingest_lines, quarantined
from records.models import Document

KIND = "edm-document"
# Polish text travels as raw UTF-8 in these files, as facilities send it.
ingest = partial(ingest_lines, KIND, ascii_json=False)
feed_file = partial(feed_lines.feed_file, ascii_json=False)
WARSAW = ZoneInfo("Europe/Warsaw")
BODY = (
    "Rozpoznanie: ostre zapalenie oskrzeli (J20.9).\n"
    "Zalecenia: odpoczynek, dużo płynów; kontrola w poradni za 7 dni.\n"
    "Zażółć gęślą jaźń — ZAŻÓŁĆ GĘŚLĄ JAŹŃ."
)
_serial = itertools.count(700)


def document(document_id: str, person: Person | str, **overrides) -> dict:
    line = {
        "document_id": document_id, "pesel": person if isinstance(person, str) else person.pesel,
        "type": "discharge_summary", "title": "Karta informacyjna leczenia szpitalnego",
        "issued_at": str(days_ago(3)), "facility_name": "Szpital Wojewódzki w Łodzi",
        "author_name": "dr n. med. Łukasz Żak", "body": BODY,
    }  # fmt: skip
    line.update(overrides)
    return line


def state() -> dict:
    return {
        "documents": sorted(Document.objects.values_list(
            "document_id", "person__pesel", "type", "title", "issued_at", "facility_name", "author_name",
            "body", "feed_file", "line_number", "public_id", "received_at")),
        "quarantine": sorted(QuarantinedLine.objects.values_list("file_sha256", "line_number", "reason")),
    }  # fmt: skip


@pytest.fixture
def ola(db) -> Person:
    return make_person(born=years_ago(11), first_name="Ola", surname="Lis")


@pytest.fixture
def jan(db) -> Person:
    return make_person(born=date(1962, 5, 30), first_name="Jan", surname="Łęcki", sex="M")


# --- a good file ----------------------------------------------------------------------------------


def test_it_stores_documents_of_every_type_through_the_command(tmp_path, ola, jan):
    day = days_ago(10)
    path = feed_file(tmp_path, "edm.jsonl", [
        document("d-1", ola, type="diagnostic_report", title="Opis badania RTG klatki piersiowej"),
        document("d-2", ola, type="lab_result", issued_at=f"{day}T08:15:00+02:00"),
        document("d-3", jan, type="referral_information", issued_at=f"{day}T06:15:00Z"),
        document("d-4", jan, type="discharge_summary", title="  Wypis  "),
        document("d-5", jan, type="admission_refusal", issued_at=f"{day}T23:30+01:00"),
    ])  # fmt: skip
    out = StringIO()

    call_command("ingest_feed", KIND, str(path), stdout=out)

    assert (
        out.getvalue().strip()
        == "edm-document: 5 lines, 5 new, 0 already known, 0 quarantined, 0 applied"
    )
    first = Document.objects.get(document_id="d-1")
    assert (
        first.person, first.type, first.title, first.facility_name, first.author_name, first.body,
        first.feed_file_id, first.line_number,
    ) == (
        ola, "diagnostic_report", "Opis badania RTG klatki piersiowej", "Szpital Wojewódzki w Łodzi",
        "dr n. med. Łukasz Żak", BODY, FeedFile.objects.get().pk, 1,
    )  # fmt: skip
    # A day is midnight in Warsaw; a time keeps its instant whatever its offset.
    assert first.issued_at == datetime.combine(days_ago(3), datetime.min.time(), tzinfo=WARSAW)
    issued = dict(Document.objects.values_list("document_id", "issued_at"))
    assert (
        issued["d-2"]
        == issued["d-3"]
        == datetime.combine(day, datetime.min.time().replace(hour=6, minute=15), tzinfo=UTC)
    )
    assert issued["d-5"] == datetime.combine(
        day, datetime.min.time().replace(hour=22, minute=30), tzinfo=UTC
    )
    assert Document.objects.get(document_id="d-4").title == "Wypis"
    assert sorted(Document.objects.values_list("type", flat=True)) == sorted(Document.Type.values)


def test_a_long_body_with_polish_characters_goes_in_intact(tmp_path, ola):
    body = (
        "Badanie USG jamy brzusznej: wątroba niepowiększona, śledziona bez zmian, żółć ✓.\n" * 700
    )[:60_000]
    line = document("long-1", ola, body=body)
    assert len(json.dumps(line, ensure_ascii=False).encode()) < MAX_LINE_BYTES

    result = ingest(tmp_path, "long.jsonl", [line])

    assert result.accepted == 1
    assert Document.objects.get().body == body


def test_ingesting_the_same_file_again_changes_nothing(tmp_path, ola, jan):
    lines = [document("a-1", ola), document("a-2", jan), document("a-1", ola), "not json"]
    first = ingest(tmp_path, "a.jsonl", lines)
    before = state()

    again = ingest(tmp_path, "a.jsonl", lines)

    assert (first.accepted, first.duplicates, first.quarantined) == (2, 1, 1)
    assert (again.accepted, again.duplicates, again.quarantined, again.applied) == (0, 3, 1, 0)
    assert state() == before
    assert FeedFile.objects.count() == 2


def test_the_same_instant_written_with_another_offset_is_a_duplicate(tmp_path, ola):
    day = days_ago(5)
    ingest(tmp_path, "a.jsonl", [document("o-1", ola, issued_at=f"{day}T10:00:00+02:00")])

    result = ingest(tmp_path, "b.jsonl", [document("o-1", ola, issued_at=f"{day}T08:00:00Z")])

    assert (result.accepted, result.duplicates, result.quarantined) == (0, 1, 0)


# --- the same id with other content -------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"pesel": "jan"},
        {"type": "lab_result"},
        {"title": "Inny tytuł"},
        {"issued_at": "2026-01-01T10:00:00+01:00"},
        {"facility_name": "Przychodnia Rodzinna"},
        {"author_name": "lek. Anna Nowak"},
        {"body": BODY + " Dopisek."},
    ],
)
def test_a_document_id_sent_again_with_other_content_is_an_id_conflict(tmp_path, ola, jan, change):
    ingest(tmp_path, "a.jsonl", [document("c-1", ola, issued_at="2025-12-01")])
    before = state()["documents"]
    change = {key: jan.pesel if value == "jan" else value for key, value in change.items()}

    result = ingest(
        tmp_path, "b.jsonl", [document("c-1", ola, **{"issued_at": "2025-12-01", **change})]
    )

    assert (result.accepted, result.quarantined) == (0, 1)
    assert quarantined() == {1: "id_conflict: document_id already received with other content"}
    assert state()["documents"] == before


def test_a_conflict_within_one_file_keeps_the_first_line(tmp_path, ola):
    result = ingest(
        tmp_path, "a.jsonl", [document("f-1", ola), document("f-1", ola, title="Zmieniony")]
    )

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {2: "id_conflict: document_id already received with other content"}
    assert Document.objects.get().title == "Karta informacyjna leczenia szpitalnego"


# --- people we do not know yet -------------------------------------------------------------------


def test_a_person_not_known_yet_is_quarantined_and_staff_run_the_line_again_later(tmp_path, ola):
    born = date(1999, 9, 9)
    pesel = build_pesel(born, sex="F", serial=next(_serial))
    line = document("u-1", pesel)

    result = ingest(tmp_path, "a.jsonl", [line, document("u-2", ola)])

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {1: "unknown_person: no person with this PESEL yet"}
    assert pesel not in QuarantinedLine.objects.get().reason
    with pytest.raises(LineProblem):
        run_corrected_line(KIND, json.dumps(line))

    Person.objects.create(pesel=pesel, first_name="Iga", surname="Nowa", birth_date=born, sex="F")
    run_corrected_line(KIND, json.dumps(line))

    assert Document.objects.get(document_id="u-1").person.pesel == pesel


# --- bad lines --------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_with_number_and_reason_and_the_rest_go_in(tmp_path, ola):
    typo = ola.pesel[:10] + str((int(ola.pesel[10]) + 1) % 10)
    no_body = document("bad-missing", ola)
    del no_body["body"]
    tomorrow = timezone.localdate() + timedelta(days=1)
    lines = [
        document("good-1", ola),
        '{"document_id": "bad-json"',
        no_body,
        document("bad-type", ola, type="prescription"),
        "",
        document("bad-pesel", typo),
        document("bad-naive", ola, issued_at=f"{days_ago(1)}T10:00:00"),
        document("bad-day", ola, issued_at="2025-02-30"),
        document("bad-week", ola, issued_at="2025-W05-1"),
        document("bad-time", ola, issued_at="yesterday at noon"),
        document("bad-future", ola, issued_at=str(tomorrow)),
        document("bad-unborn", ola, issued_at=str(ola.birth_date - timedelta(days=1))),
        document("bad-title", ola, title=" "),
        document("bad-author", ola, author_name="x" * 201),
        document("bad-body", ola, body="\n "),
        document("bad-nul", ola, body="a\u0000b"),
        b'{"document_id": "bad-utf8", "title": "\xc5"}',  # a lone byte of a two-byte letter
        document("good-2", ola, type="lab_result", extra="ignored"),
    ]

    result = ingest(tmp_path, "mixed.jsonl", lines)

    assert (result.lines, result.accepted, result.quarantined, result.duplicates) == (18, 2, 15, 0)
    reasons = quarantined()
    assert sorted(reasons) == [2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
    assert reasons[2].startswith("invalid_json: ")
    assert reasons[3] == "invalid_field: Object missing required field `body`"
    assert reasons[4] == "invalid_field: Invalid enum value 'prescription' - at `$.type`"
    assert reasons[6] == "invalid_pesel: pesel (checksum)"
    assert reasons[7] == "invalid_field: issued_at has no UTC offset"
    assert reasons[8] == "invalid_field: issued_at is not a valid day"
    assert (
        reasons[9] == "invalid_field: issued_at has no UTC offset"
    )  # a week date is a day, not a time
    assert reasons[10] == "invalid_field: issued_at is not an ISO 8601 day or time"
    assert reasons[11] == "invalid_field: issued_at is in the future"
    assert reasons[12] == "invalid_field: issued_at is before the birth date"
    assert reasons[13] == "invalid_field: title is empty"
    assert reasons[14] == "invalid_field: author_name is longer than 200 characters"
    assert reasons[15] == "invalid_field: body is empty"
    assert reasons[16] == "invalid_field: NUL character in a value"
    assert reasons[17].startswith("invalid_json: ")
    assert not any(ola.pesel in reason or typo in reason for reason in reasons.values())
    assert QuarantinedLine.objects.get(line_number=6).raw == json.dumps(
        document("bad-pesel", typo), ensure_ascii=False
    )
    assert sorted(Document.objects.values_list("document_id", flat=True)) == ["good-1", "good-2"]


def test_a_time_late_in_the_evening_abroad_is_judged_by_the_warsaw_day(tmp_path, ola):
    # 23:30 in New York is tomorrow in Warsaw: the future.
    today = timezone.localdate()
    result = ingest(
        tmp_path, "a.jsonl", [document("tz-1", ola, issued_at=f"{today}T23:30:00-05:00")]
    )

    assert quarantined() == {1: "invalid_field: issued_at is in the future"}
    assert result.accepted == 0


@pytest.mark.parametrize("issued_at", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"])
def test_a_time_past_the_years_a_datetime_holds_is_quarantined_not_a_failed_file(
    tmp_path, ola, issued_at
):
    # In Warsaw these are year 10000 and year 0: converting them once failed the whole file.
    lines = [document("far-1", ola, issued_at=issued_at), document("good-1", ola)]

    result = ingest(tmp_path, "far.jsonl", lines)

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {1: "invalid_field: issued_at is out of range"}
    assert list(Document.objects.values_list("document_id", flat=True)) == ["good-1"]


# --- the inbox and the size of a file -------------------------------------------------------------


def test_the_inbox_task_takes_a_document_file(settings, tmp_path, ola):
    settings.INBOX_DIR = tmp_path
    (tmp_path / KIND).mkdir()
    feed_file(tmp_path / KIND, "drop.jsonl", [document("in-1", ola), "oops"])

    assert poll_inbox() == 1

    assert [path.name for path in (tmp_path / KIND / "done").iterdir()] == ["drop.jsonl"]
    assert Document.objects.get(document_id="in-1").person == ola
    assert QuarantinedLine.objects.get().kind == KIND


def many_patients(count: int) -> list[Person]:
    people = []
    for n in range(count):
        born = date(1960, 1, 1) + timedelta(days=n)  # one per birth date: the PESELs differ
        people.append(Person(pesel=build_pesel(born, sex="F", serial=n % 1000), first_name="Pacjentka",
                             surname=f"Nr {n}", birth_date=born, sex="F"))  # fmt: skip
    return Person.objects.bulk_create(people)


def many_documents(people: list[Person], prefix: str) -> list[dict]:
    return [
        document(f"{prefix}-{n}", person, type=Document.Type.values[n % 5])
        for n, person in enumerate(people)
    ]


def test_a_thousand_lines_go_in_with_a_bounded_number_of_queries(
    tmp_path, db, django_assert_max_num_queries
):
    path = feed_file(tmp_path, "big.jsonl", many_documents(many_patients(1000), "big"))

    with django_assert_max_num_queries(30):
        result = ingest_file(KIND, path)

    assert (result.lines, result.accepted, result.quarantined) == (1000, 1000, 0)
    assert Document.objects.filter(type="lab_result").count() == 200


def test_the_number_of_queries_does_not_grow_with_the_file(tmp_path, ola):
    # The first ingest of the test's transaction also sets its change-history context.
    ingest(tmp_path, "first.jsonl", [document("first-1", ola)])
    people = many_patients(400)
    counts = []
    for name, group in (("small", people[:10]), ("large", people[10:])):
        with CaptureQueriesContext(connection) as queries:
            ingest(tmp_path, f"{name}.jsonl", many_documents(group, name))
        counts.append(len(queries))

    assert counts[0] == counts[1]
