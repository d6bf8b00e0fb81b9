"""The `zus-sickleave` feed (feeds/zus_sickleave.py): e-ZLA sick leaves, as ZUS sends them."""

import itertools
import json
from datetime import date, timedelta
from functools import partial
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.rules import build_pesel
from conftest import make_person, years_ago
from feeds.kinds import LineProblem
from feeds.models import FeedFile, QuarantinedLine
from feeds.runner import ingest_file, run_corrected_line
from feeds.tasks import poll_inbox
from feeds.tests.feed_lines import days_ago, feed_file, ingest_lines, quarantined
from feeds.zus_sickleave import nip_problem
from sickleaves.models import SickLeave

KIND = "zus-sickleave"
ingest = partial(ingest_lines, KIND)
NIP = "5260250274"  # a valid NIP (check digit 4)
OTHER_NIP = "7740001454"
_serial = itertools.count(500)


def leave(series: str, person: Person | str, **overrides) -> dict:
    line = {
        "series_number": series, "pesel": person if isinstance(person, str) else person.pesel,
        "issued_on": str(days_ago(2)), "period_from": str(days_ago(2)), "period_to": str(days_ago(-5)),
        "kind": "own_illness", "indication": "may_walk", "employer_nip": NIP,
        "doctor_name": "lek. Jadwiga Żółkiewska", "status": "issued",
    }  # fmt: skip
    line.update(overrides)
    return line


def care(series: str, person: Person, cared: Person | str, **overrides) -> dict:
    cared_pesel = cared if isinstance(cared, str) else cared.pesel
    return leave(series, person, kind="child_care", cared_person_pesel=cared_pesel, **overrides)


def state() -> dict:
    return {
        "leaves": sorted(SickLeave.objects.values_list(
            "series_number", "person__pesel", "issued_on", "period_from", "period_to", "kind",
            "cared_person_pesel", "cared_person", "indication", "employer_nip", "doctor_name", "status",
            "cancelled_at", "feed_file", "line_number")),
        "quarantine": sorted(QuarantinedLine.objects.values_list("file_sha256", "line_number", "reason")),
    }  # fmt: skip


def unknown_pesel(born: date) -> str:
    return build_pesel(born, sex="F", serial=next(_serial))


@pytest.fixture
def ewa(db) -> Person:
    return make_person(born=date(1986, 4, 12), first_name="Ewa", surname="Wiśniewska")


@pytest.fixture
def marek(db) -> Person:
    return make_person(born=date(1979, 9, 1), first_name="Marek", surname="Wiśniewski", sex="M")


@pytest.fixture
def zosia(db) -> Person:
    return make_person(born=years_ago(6), first_name="Zosia", surname="Wiśniewska")


# --- the NIP rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (NIP, None),
        (OTHER_NIP, None),
        ("5260250275", "checksum"),
        ("1234567890", "checksum"),  # the weighted sum leaves 10: no NIP has these digits
        ("526025027", "format"),
        ("526-025-02-74", "format"),
        ("52602502７4", "format"),  # a full-width digit
        ("", "format"),
    ],
)
def test_it_checks_the_nip_check_digit(value, problem):
    assert nip_problem(value) == problem


# --- a good file ----------------------------------------------------------------------------------


def test_it_stores_leaves_through_the_command(tmp_path, ewa, marek, zosia):
    unknown_child = unknown_pesel(years_ago(4))
    path = feed_file(tmp_path, "ezla.jsonl", [
        leave("ZY1000001", ewa, indication="must_lie"),
        care("ZY1000002", ewa, zosia, employer_nip=OTHER_NIP),
        leave("ZY1000003", marek, kind="family_care", cared_person_pesel=unknown_child, status="cancelled"),
        leave("ZY1000004", marek, cared_person_pesel=""),  # own illness: an empty field is no PESEL
    ])  # fmt: skip
    out = StringIO()

    call_command("ingest_feed", KIND, str(path), stdout=out)

    assert (
        out.getvalue().strip()
        == "zus-sickleave: 4 lines, 4 new, 0 already known, 0 quarantined, 0 applied"
    )
    own = SickLeave.objects.get(series_number="ZY1000001")
    feed = FeedFile.objects.get()
    assert (
        own.person, own.issued_on, own.period_from, own.period_to, own.kind, own.cared_person_pesel,
        own.cared_person, own.indication, own.employer_nip, own.doctor_name, own.status, own.cancelled_at,
        own.feed_file_id, own.line_number,
    ) == (
        ewa, days_ago(2), days_ago(2), days_ago(-5), "own_illness", "", None, "must_lie", NIP,
        "lek. Jadwiga Żółkiewska", "issued", None, feed.pk, 1,
    )  # fmt: skip
    child_care = SickLeave.objects.get(series_number="ZY1000002")
    assert (child_care.person, child_care.kind, child_care.cared_person_pesel, child_care.cared_person) == (
        ewa, "child_care", zosia.pesel, zosia,
    )  # fmt: skip
    family = SickLeave.objects.get(series_number="ZY1000003")
    assert (family.person, family.cared_person_pesel, family.cared_person) == (
        marek,
        unknown_child,
        None,
    )
    # A cancellation for a leave not received before: stored, as cancelled.
    assert (family.status, family.cancelled_at is not None) == ("cancelled", True)
    assert SickLeave.objects.get(series_number="ZY1000004").cared_person_pesel == ""


def test_ingesting_the_same_file_again_changes_nothing(tmp_path, ewa, zosia):
    lines = [
        leave("AB1", ewa),
        care("AB2", ewa, zosia),
        leave("AB1", ewa),  # the same leave twice in the file
        leave("AB3", ewa, employer_nip="5260250275"),
        leave("AB2", ewa, kind="child_care", cared_person_pesel=zosia.pesel, status="cancelled"),
    ]
    first = ingest(tmp_path, "a.jsonl", lines)
    before = state()

    again = ingest(tmp_path, "a.jsonl", lines)

    assert (first.lines, first.accepted, first.duplicates, first.quarantined) == (5, 3, 1, 1)
    assert (again.accepted, again.duplicates, again.quarantined, again.applied) == (0, 4, 1, 0)
    assert state() == before
    assert FeedFile.objects.count() == 2


# --- cancellations --------------------------------------------------------------------------------


def test_a_later_cancellation_cancels_the_leave(tmp_path, ewa):
    ingest(tmp_path, "a.jsonl", [leave("CA1", ewa)])
    stored = SickLeave.objects.get()
    assert (stored.status, stored.cancelled_at) == ("issued", None)

    result = ingest(tmp_path, "b.jsonl", [leave("CA1", ewa, status="cancelled")])

    assert (result.accepted, result.quarantined) == (1, 0)
    cancelled = SickLeave.objects.get()
    assert (cancelled.status, cancelled.cancelled_at is not None) == ("cancelled", True)
    # Where the leave came from stays the line that issued it.
    assert (cancelled.feed_file_id, cancelled.line_number, cancelled.received_at) == (
        stored.feed_file_id, 1, stored.received_at,
    )  # fmt: skip


def test_a_cancellation_sent_again_changes_nothing(tmp_path, ewa):
    ingest(tmp_path, "a.jsonl", [leave("CA2", ewa)])
    ingest(tmp_path, "b.jsonl", [leave("CA2", ewa, status="cancelled")])
    cancelled = state()

    result = ingest(tmp_path, "c.jsonl", [leave("CA2", ewa, status="cancelled")])

    assert (result.accepted, result.duplicates, result.quarantined) == (0, 1, 0)
    assert state() == cancelled


def test_a_cancelled_leave_issued_again_is_an_id_conflict(tmp_path, ewa):
    ingest(tmp_path, "a.jsonl", [leave("RE1", ewa), leave("RE2", ewa)])
    ingest(tmp_path, "b.jsonl", [leave("RE1", ewa, status="cancelled")])
    cancelled = state()["leaves"]

    result = ingest(tmp_path, "c.jsonl", [
        leave("RE1", ewa),  # a new file: a true re-issue
        leave("RE2", ewa, status="cancelled"), leave("RE2", ewa),  # cancelled, then issued again
    ])  # fmt: skip

    conflict = "id_conflict: series_number was cancelled and cannot be issued again"
    assert (result.accepted, result.quarantined) == (1, 2)
    assert quarantined() == {1: conflict, 3: conflict}
    assert dict(SickLeave.objects.values_list("series_number", "status")) == {
        "RE1": "cancelled",
        "RE2": "cancelled",
    }
    assert [row for row in state()["leaves"] if row[0] == "RE1"] == [
        row for row in cancelled if row[0] == "RE1"
    ]


def test_an_earlier_file_sent_again_after_the_cancellation_changes_nothing(tmp_path, ewa):
    issued = [leave("RP1", ewa), leave("RP1", ewa)]
    ingest(tmp_path, "issued.jsonl", issued)
    ingest(tmp_path, "cancel.jsonl", [leave("RP1", ewa, status="cancelled")])
    cancelled = state()

    result = ingest(tmp_path, "issued-again.jsonl", issued)  # the same content, another name

    assert (result.accepted, result.duplicates, result.quarantined) == (0, 2, 0)
    assert state() == cancelled


def test_a_cancellation_with_other_facts_is_an_id_conflict(tmp_path, ewa):
    ingest(tmp_path, "a.jsonl", [leave("CF1", ewa)])

    result = ingest(
        tmp_path, "b.jsonl", [leave("CF1", ewa, status="cancelled", period_to=str(days_ago(-9)))]
    )

    assert quarantined() == {1: "id_conflict: series_number already received with other content"}
    assert (result.accepted, SickLeave.objects.get().status) == (0, "issued")


@pytest.mark.parametrize(
    "change",
    [
        {"issued_on": "2025-01-02"},
        {"period_from": "2025-01-02"},
        {"period_to": "2099-01-02"},
        {"indication": "must_lie"},
        {"employer_nip": OTHER_NIP},
        {"doctor_name": "lek. Inny"},
        {"kind": "family_care", "cared_person_pesel": "care"},
        {"pesel": "other"},
    ],
)
def test_a_series_number_sent_again_with_other_content_is_an_id_conflict(
    tmp_path, ewa, marek, zosia, change
):
    ingest(tmp_path, "a.jsonl", [leave("IC1", ewa)])
    before = state()["leaves"]
    change = {
        key: {"care": zosia.pesel, "other": marek.pesel}.get(value, value)
        for key, value in change.items()
    }

    result = ingest(tmp_path, "b.jsonl", [leave("IC1", ewa, **change)])

    assert (result.accepted, result.quarantined) == (0, 1)
    assert quarantined() == {1: "id_conflict: series_number already received with other content"}
    assert state()["leaves"] == before


# --- people ---------------------------------------------------------------------------------------


def test_an_unknown_employee_is_quarantined_and_staff_run_the_line_again_later(tmp_path, ewa):
    born = date(1991, 2, 3)
    pesel = unknown_pesel(born)
    line = leave("UP1", pesel)

    result = ingest(tmp_path, "a.jsonl", [line, leave("UP2", ewa)])

    assert (result.accepted, result.quarantined) == (1, 1)
    assert quarantined() == {1: "unknown_person: no person with this PESEL yet"}
    assert pesel not in QuarantinedLine.objects.get().reason
    with pytest.raises(LineProblem):
        run_corrected_line(KIND, json.dumps(line))

    Person.objects.create(pesel=pesel, first_name="Iga", surname="Nowa", birth_date=born, sex="F")
    run_corrected_line(KIND, json.dumps(line))

    assert SickLeave.objects.get(series_number="UP1").person.pesel == pesel


def test_a_cared_person_known_later_is_linked_by_the_next_ingest(tmp_path, ewa):
    born = years_ago(3)
    pesel = unknown_pesel(born)
    ingest(tmp_path, "a.jsonl", [care("CP1", ewa, pesel)])
    assert SickLeave.objects.get().cared_person is None
    child = Person.objects.create(
        pesel=pesel, first_name="Ala", surname="Wiśniewska", birth_date=born, sex="F"
    )

    result = ingest(tmp_path, "b.jsonl", [leave("CP2", ewa)])

    assert result.applied == 1
    assert SickLeave.objects.get(series_number="CP1").cared_person == child


# --- bad lines --------------------------------------------------------------------------------------


def test_bad_lines_are_quarantined_with_number_and_reason_and_the_rest_go_in(tmp_path, ewa, zosia):
    typo = ewa.pesel[:10] + str((int(ewa.pesel[10]) + 1) % 10)
    no_status = leave("bad-missing", ewa)
    del no_status["status"]
    no_care_pesel = leave("bad-care", ewa, kind="child_care")
    lines = [
        leave("good-1", ewa),
        '{"series_number": "bad-json"',
        no_status,
        leave("bad-date", ewa, issued_on="2025-02-30"),
        "",
        leave("bad-pesel", typo),
        leave("bad-kind", ewa, kind="maternity"),
        leave("bad-indication", ewa, indication="may_run"),
        leave("bad-status", ewa, status="withdrawn"),
        leave("bad-period", ewa, period_from=str(days_ago(1)), period_to=str(days_ago(3))),
        leave("bad-future", ewa, issued_on=str(days_ago(-1))),
        leave("bad-nip", ewa, employer_nip="5260250275"),
        leave("bad-nip-format", ewa, employer_nip="PL5260250274"),
        no_care_pesel,
        care("bad-care-pesel", ewa, zosia.pesel[:10] + "x"),
        care("bad-self", ewa, ewa),
        leave("bad-own", ewa, cared_person_pesel=zosia.pesel),
        leave("bad-doctor", ewa, doctor_name="  "),
        leave("series-number-longer-than-twenty", ewa),
        leave("bad-nul", ewa, doctor_name="lek.\u0000X"),
        care("good-2", ewa, zosia, extra="ignored"),
    ]

    result = ingest(tmp_path, "mixed.jsonl", lines)

    assert (result.lines, result.accepted, result.quarantined, result.duplicates) == (21, 2, 18, 0)
    reasons = quarantined()
    assert sorted(reasons) == [2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    assert reasons[2].startswith("invalid_json: ")
    assert reasons[3] == "invalid_field: Object missing required field `status`"
    assert reasons[4] == "invalid_field: Invalid RFC3339 encoded date - at `$.issued_on`"
    assert reasons[6] == "invalid_pesel: pesel (checksum)"
    assert reasons[7] == "invalid_field: Invalid enum value 'maternity' - at `$.kind`"
    assert reasons[8] == "invalid_field: Invalid enum value 'may_run' - at `$.indication`"
    assert reasons[9] == "invalid_field: Invalid enum value 'withdrawn' - at `$.status`"
    assert reasons[10] == "invalid_field: period_to is before period_from"
    assert reasons[11] == "invalid_field: issued_on is in the future"
    assert reasons[12] == "invalid_nip: employer_nip (checksum)"
    assert reasons[13] == "invalid_nip: employer_nip (format)"
    assert reasons[14] == "invalid_field: cared_person_pesel is required for child_care"
    assert reasons[15] == "invalid_pesel: cared_person_pesel (format)"
    assert reasons[16] == "same_person: cared_person_pesel = pesel"
    assert reasons[17] == "invalid_field: cared_person_pesel is only for care leaves"
    assert reasons[18] == "invalid_field: doctor_name is empty"
    assert reasons[19].startswith("invalid_field: Expected `str` of length <= 20")
    assert reasons[20] == "invalid_field: NUL character in a value"
    assert not any(
        pesel in reason for reason in reasons.values() for pesel in (ewa.pesel, zosia.pesel, typo)
    )
    assert QuarantinedLine.objects.get(line_number=6).raw == json.dumps(leave("bad-pesel", typo))
    assert sorted(SickLeave.objects.values_list("series_number", flat=True)) == ["good-1", "good-2"]


def test_the_sync_monitor_names_the_nip_reason():
    from feeds.views import reason_parts

    assert reason_parts("invalid_nip: employer_nip (checksum)") == (
        "Invalid NIP of the employer",
        "employer_nip (checksum)",
    )


# --- the inbox and the size of a file -------------------------------------------------------------


def test_the_inbox_task_takes_a_sickleave_file(settings, tmp_path, ewa):
    settings.INBOX_DIR = tmp_path
    (tmp_path / KIND).mkdir()
    feed_file(tmp_path / KIND, "drop.jsonl", [leave("IN1", ewa), "oops"])

    assert poll_inbox() == 1

    assert [path.name for path in (tmp_path / KIND / "done").iterdir()] == ["drop.jsonl"]
    assert SickLeave.objects.get(series_number="IN1").person == ewa
    assert QuarantinedLine.objects.get().kind == KIND


def many_employees(count: int) -> list[Person]:
    people = []
    for n in range(count):
        born = date(1970, 1, 1) + timedelta(days=n)  # one per birth date: the PESELs differ
        people.append(Person(pesel=build_pesel(born, sex="M", serial=n % 1000), first_name="Pracownik",
                             surname=f"Nr {n}", birth_date=born, sex="M"))  # fmt: skip
    return Person.objects.bulk_create(people)


def many_leaves(people: list[Person], prefix: str, child: Person) -> list[dict]:
    lines = []
    for n, person in enumerate(people):
        if n % 7 == 0:
            lines.append(care(f"{prefix}{n}", person, child))
        else:
            lines.append(
                leave(f"{prefix}{n}", person, status="cancelled" if n % 50 == 1 else "issued")
            )
    return lines


def test_a_thousand_lines_go_in_with_a_bounded_number_of_queries(
    tmp_path, zosia, django_assert_max_num_queries
):
    path = feed_file(tmp_path, "big.jsonl", many_leaves(many_employees(1000), "ZB", zosia))

    with django_assert_max_num_queries(30):
        result = ingest_file(KIND, path)

    assert (result.lines, result.accepted, result.quarantined) == (1000, 1000, 0)
    assert SickLeave.objects.count() == 1000
    assert SickLeave.objects.filter(cared_person=zosia).count() == 143
    # Every 50th line from the second is a cancellation (of a leave not received before), except
    # the two that fall on care leaves (lines 302 and 652).
    assert SickLeave.objects.filter(status="cancelled", cancelled_at__isnull=False).count() == 18


def test_the_number_of_queries_does_not_grow_with_the_file(tmp_path, ewa, zosia):
    # The first ingest of the test's transaction also sets its change-history context.
    ingest(tmp_path, "first.jsonl", [leave("FIRST", ewa)])
    people = many_employees(400)
    counts = []
    for name, group in (("small", people[:10]), ("large", people[10:])):
        with CaptureQueriesContext(connection) as queries:
            ingest(tmp_path, f"{name}.jsonl", many_leaves(group, name, zosia))
        counts.append(len(queries))

    assert counts[0] == counts[1]
