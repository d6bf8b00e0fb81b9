"""The `immunization` feed (feeds/immunization.py): doses given, as the clinics report them."""

import itertools
import json
from datetime import timedelta
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Person
from accounts.rules import build_pesel
from conftest import hpv9, make_clinic, make_person, make_slot, record_dose, years_ago
from feeds.kinds import LineProblem
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import ingest_file, run_corrected_line
from feeds.tasks import poll_inbox
from feeds.tests.feed_lines import days_ago, feed_file, ingest_lines, quarantined
from vaccinations.models import Appointment, Immunization

KIND = "immunization"
ingest = partial(ingest_lines, KIND)
_serial = itertools.count(300)


def dose(record_id: str, person: Person | str, **overrides) -> dict:
    line = {
        "record_id": record_id, "pesel": person if isinstance(person, str) else person.pesel,
        "vaccine": "HPV9", "dose_number": 1, "administered_on": str(days_ago(30)),
        "clinic_code": "POZ-KRK-1", "visit_status": "completed",
    }  # fmt: skip
    line.update(overrides)
    return line


def state() -> dict:
    return {
        "doses": sorted(Immunization.objects.values_list(
            "record_id", "person__pesel", "vaccine__code", "dose_number", "administered_on", "clinic_code",
            "clinic__code", "visit_status", "closed_at")),
        "appointments": sorted(Appointment.objects.values_list("pk", "status")),
        "quarantine": sorted(QuarantinedLine.objects.values_list("file_sha256", "line_number", "reason")),
    }  # fmt: skip


@pytest.fixture
def clinic(db):
    clinic = make_clinic(name="Przychodnia Pod Lipami", city="Kraków")
    clinic.code = "POZ-KRK-1"
    clinic.save(update_fields=["code"])
    return clinic


@pytest.fixture
def ola(db) -> Person:
    return make_person(born=years_ago(11), first_name="Ola", surname="Lis")


@pytest.fixture
def kuba(db) -> Person:
    return make_person(born=years_ago(12, months=4), first_name="Kuba", surname="Lis", sex="M")


# --- a good file ----------------------------------------------------------------------------------


def test_it_records_doses_through_the_command(tmp_path, clinic, ola, kuba):
    path = feed_file(tmp_path, "doses.jsonl", [
        dose("r-1", ola, administered_on=str(days_ago(200))),
        dose("r-2", ola, dose_number=2, administered_on=str(days_ago(10)), visit_status="open"),
        dose("r-3", kuba, clinic_code="POZ-UNKNOWN"),
    ])  # fmt: skip
    out = StringIO()

    call_command("ingest_feed", KIND, str(path), stdout=out)

    assert (
        out.getvalue().strip()
        == "immunization: 3 lines, 3 new, 0 already known, 0 quarantined, 0 applied"
    )
    first, second = Immunization.objects.filter(person=ola).order_by("dose_number")
    assert (first.record_id, first.vaccine, first.administered_on, first.clinic, first.visit_status) == (
        "r-1", hpv9(), days_ago(200), clinic, "completed",
    )  # fmt: skip
    assert first.closed_at is not None
    assert (second.dose_number, second.visit_status, second.closed_at) == (2, "open", None)
    unknown_clinic = Immunization.objects.get(record_id="r-3")
    assert (unknown_clinic.person, unknown_clinic.clinic_code, unknown_clinic.clinic) == (
        kuba,
        "POZ-UNKNOWN",
        None,
    )


def test_ingesting_the_same_file_again_changes_nothing(tmp_path, clinic, ola, kuba):
    lines = [dose("a-1", ola, visit_status="open"), dose("a-2", kuba), dose("a-1", ola), "not json"]
    first = ingest(tmp_path, "a.jsonl", lines)
    before = state()

    again = ingest(tmp_path, "a.jsonl", lines)

    assert (first.accepted, first.quarantined) == (3, 1)  # two doses, and a-1's visit closed
    assert (again.accepted, again.duplicates, again.quarantined, again.applied) == (0, 3, 1, 0)
    assert state() == before
    assert FeedFile.objects.count() == 2


# --- a record sent again --------------------------------------------------------------------------


def test_a_record_sent_again_closes_its_open_visit(tmp_path, clinic, ola):
    ingest(tmp_path, "a.jsonl", [dose("v-1", ola, visit_status="open")])
    assert Immunization.objects.get(record_id="v-1").closed_at is None

    result = ingest(tmp_path, "b.jsonl", [dose("v-1", ola, visit_status="completed")])

    assert result.accepted == 1
    record = Immunization.objects.get(record_id="v-1")
    assert (record.visit_status, record.closed_at is not None) == ("completed", True)


def test_an_older_open_line_never_reopens_a_closed_visit(tmp_path, clinic, ola):
    old = [dose("o-1", ola, visit_status="open")]
    ingest(tmp_path, "old.jsonl", old)
    ingest(tmp_path, "new.jsonl", [dose("o-1", ola, visit_status="completed")])
    closed = state()

    result = ingest(tmp_path, "old.jsonl", old)

    assert (result.accepted, result.duplicates, result.quarantined) == (0, 1, 0)
    assert state() == closed


@pytest.mark.parametrize("field", ["pesel", "dose_number", "administered_on", "clinic_code"])
def test_a_record_sent_again_with_other_content_is_an_id_conflict(
    tmp_path, clinic, ola, kuba, field
):
    ingest(tmp_path, "a.jsonl", [dose("c-1", ola)])
    before = state()["doses"]
    other = {
        "pesel": kuba.pesel,
        "dose_number": 2,
        "administered_on": str(days_ago(31)),
        "clinic_code": "POZ-OTHER",
    }

    result = ingest(tmp_path, "b.jsonl", [dose("c-1", ola, **{field: other[field]})])

    assert (result.accepted, result.quarantined) == (0, 1)
    assert quarantined() == {1: "id_conflict: record_id already received with other content"}
    assert state()["doses"] == before


def test_the_same_dose_under_another_record_id_is_a_duplicate(tmp_path, clinic, ola, kuba):
    ingest(tmp_path, "a.jsonl", [dose("d-1", ola)])

    result = ingest(tmp_path, "b.jsonl", [
        dose("d-2", ola),  # the dose d-1 recorded
        dose("d-3", kuba), dose("d-4", kuba, administered_on=str(days_ago(29))),  # twice in one file
    ])  # fmt: skip

    assert (result.accepted, result.quarantined) == (1, 2)
    duplicate = "duplicate_dose: this dose is already recorded under another record_id"
    assert quarantined() == {1: duplicate, 3: duplicate}
    assert sorted(Immunization.objects.values_list("record_id", flat=True)) == ["d-1", "d-3"]


def test_a_dose_staff_recorded_is_not_recorded_twice(tmp_path, clinic, ola):
    record_dose(ola, on=days_ago(40), clinic=clinic)

    ingest(
        tmp_path, "a.jsonl", [dose("s-1", ola, dose_number=1, administered_on=str(days_ago(40)))]
    )

    assert quarantined() == {
        1: "duplicate_dose: this dose is already recorded under another record_id"
    }
    assert Immunization.objects.filter(person=ola).count() == 1


# --- people we do not know yet -------------------------------------------------------------------


def test_a_person_not_known_yet_is_quarantined_and_staff_run_the_line_again_later(
    tmp_path, clinic, ola
):
    born = years_ago(10)
    pesel = build_pesel(born, sex="F", serial=next(_serial))
    line = dose("u-1", pesel)

    result = ingest(tmp_path, "a.jsonl", [line, dose("u-2", ola)])

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {1: "unknown_person: no person with this PESEL yet"}
    assert pesel not in QuarantinedLine.objects.get().reason
    with pytest.raises(LineProblem):
        run_corrected_line(KIND, json.dumps(line))

    Person.objects.create(pesel=pesel, first_name="Iga", surname="Nowa", birth_date=born, sex="F")
    run_corrected_line(KIND, json.dumps(line))

    assert Immunization.objects.get(record_id="u-1").person.pesel == pesel


# --- appointments ---------------------------------------------------------------------------------


def test_a_recorded_dose_marks_the_appointment_it_was_given_at_done(
    tmp_path, clinic, parent, insured_child
):
    slot = make_slot(clinic, days_ahead=-2)
    given = Appointment.objects.create(
        child=insured_child, slot=slot, vaccine=hpv9(), dose_number=1, booked_by=parent
    )

    result = ingest(
        tmp_path, "a.jsonl", [dose("ap-1", insured_child, administered_on=str(days_ago(1)))]
    )

    assert result.applied == 1
    given.refresh_from_db()
    assert given.status == Appointment.Status.DONE


def test_an_appointment_after_the_dose_stays_booked(tmp_path, clinic, parent, insured_child):
    later = Appointment.objects.create(
        child=insured_child,
        slot=make_slot(clinic, days_ahead=5),
        vaccine=hpv9(),
        dose_number=2,
        booked_by=parent,
    )

    result = ingest(
        tmp_path, "a.jsonl", [dose("ap-2", insured_child, administered_on=str(days_ago(200)))]
    )

    assert result.applied == 0
    later.refresh_from_db()
    assert later.status == Appointment.Status.BOOKED


# --- bad lines --------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_with_number_and_reason_and_the_rest_go_in(tmp_path, clinic, ola):
    typo = ola.pesel[:10] + str((int(ola.pesel[10]) + 1) % 10)
    no_pesel = dose("bad-missing", ola)
    del no_pesel["pesel"]
    lines = [
        dose("good-1", ola),
        '{"record_id": "bad-json"',
        no_pesel,
        dose("bad-date", ola, administered_on="2025-13-01"),
        "",
        dose("bad-pesel", typo),
        dose("bad-vaccine", ola, vaccine="BCG"),
        dose("bad-status", ola, visit_status="closed"),
        dose("bad-future", ola, administered_on=str(timezone.localdate() + timedelta(days=1))),
        dose("bad-unborn", ola, administered_on=str(ola.birth_date - timedelta(days=1))),
        dose("bad-number", ola, dose_number=0),
        dose("good-2", ola, dose_number=2, extra="ignored"),
    ]

    result = ingest(tmp_path, "mixed.jsonl", lines)

    assert (result.lines, result.accepted, result.quarantined, result.duplicates) == (12, 2, 9, 0)
    reasons = quarantined()
    assert sorted(reasons) == [2, 3, 4, 6, 7, 8, 9, 10, 11]
    assert reasons[2].startswith("invalid_json: ")
    assert reasons[3] == "invalid_field: Object missing required field `pesel`"
    assert reasons[4] == "invalid_field: Invalid RFC3339 encoded date - at `$.administered_on`"
    assert reasons[6] == "invalid_pesel: pesel (checksum)"
    assert reasons[7] == "unknown_vaccine: BCG"
    assert reasons[8] == "invalid_field: Invalid enum value 'closed' - at `$.visit_status`"
    assert reasons[9] == "invalid_field: administered_on is in the future"
    assert reasons[10] == "invalid_field: administered_on is before the birth date"
    assert reasons[11] == "invalid_field: Expected `int` >= 1 - at `$.dose_number`"
    assert QuarantinedLine.objects.get(line_number=6).raw == json.dumps(dose("bad-pesel", typo))
    assert sorted(Immunization.objects.values_list("record_id", flat=True)) == ["good-1", "good-2"]


# --- the inbox and the size of a file -------------------------------------------------------------


def test_the_inbox_task_takes_an_immunization_file(settings, tmp_path, clinic, ola):
    settings.INBOX_DIR = tmp_path
    (tmp_path / KIND).mkdir()
    feed_file(tmp_path / KIND, "drop.jsonl", [dose("in-1", ola), "oops"])

    assert poll_inbox() == 1

    assert [path.name for path in (tmp_path / KIND / "done").iterdir()] == ["drop.jsonl"]
    assert Immunization.objects.get(record_id="in-1").person == ola
    assert QuarantinedLine.objects.get().kind == KIND


def many_children(count: int) -> list[Person]:
    today = timezone.localdate()
    people = []
    for n in range(count):
        born = today - timedelta(days=365 * 10 + n)  # one per birth date: the PESELs differ
        people.append(Person(pesel=build_pesel(born, sex="F", serial=n % 1000), first_name="Dziecko",
                             surname=f"Nr {n}", birth_date=born, sex="F"))  # fmt: skip
    return Person.objects.bulk_create(people)


def many_doses(people: list[Person], prefix: str) -> list[dict]:
    return [
        dose(
            f"{prefix}-{n}",
            person,
            clinic_code=f"POZ-{n % 7}",
            visit_status="open" if n % 3 else "completed",
        )
        for n, person in enumerate(people)
    ]


def test_a_thousand_lines_go_in_with_a_bounded_number_of_queries(
    tmp_path, clinic, django_assert_max_num_queries
):
    path = feed_file(tmp_path, "big.jsonl", many_doses(many_children(1000), "big"))

    with django_assert_max_num_queries(30):
        result = ingest_file(KIND, path)

    assert (result.lines, result.accepted, result.quarantined) == (1000, 1000, 0)
    assert Immunization.objects.count() == 1000
    assert Immunization.objects.filter(visit_status="open", closed_at__isnull=True).count() == 666


def test_the_number_of_queries_does_not_grow_with_the_file(tmp_path, clinic, ola):
    # The first ingest of the test's transaction also sets its change-history context.
    ingest(tmp_path, "first.jsonl", [dose("first-1", ola)])
    people = many_children(400)
    counts = []
    for name, group in (("small", people[:10]), ("large", people[10:])):
        with CaptureQueriesContext(connection) as queries:
            ingest(tmp_path, f"{name}.jsonl", many_doses(group, name))
        counts.append(len(queries))

    assert counts[0] == counts[1]
