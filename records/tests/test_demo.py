"""The records and sick-leave demo (records/demo.py, sickleaves/demo.py, run by `manage.py
seed_demo`): every document type and leave kind, through the real feeds; seeding again
changes nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Person
from feeds.models import FeedFile, QuarantinedLine
from guardianship.models import AccessLogEntry
from records.models import Document
from sickleaves import rules as leave_rules
from sickleaves.models import SickLeave

pytestmark = pytest.mark.django_db


def seed_demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def person(first_name: str) -> Person:
    return Person.objects.get(first_name=first_name, pesel__regex=r"^[0-9]{6}9")


@pytest.fixture
def demo():
    seed_demo()


def counts() -> dict[str, int]:
    return {
        "documents": Document.objects.count(),
        "leaves": SickLeave.objects.count(),
        "cancelled": SickLeave.objects.filter(status=SickLeave.Status.CANCELLED).count(),
        # Only these two feeds: the other demo steps send their insurance files on every run.
        "feed files": FeedFile.objects.filter(kind__in=["edm-document", "zus-sickleave"]).count(),
        "quarantined": QuarantinedLine.objects.count(),
        "access log": AccessLogEntry.objects.count(),
    }


def test_it_changes_nothing_when_seeded_again(demo):
    before = counts()

    seed_demo()

    assert counts() == before
    assert before["documents"] > 0 and before["leaves"] > 0


def test_every_line_goes_in_through_the_feeds(demo):
    assert not QuarantinedLine.objects.filter(
        feed_file__kind__in=["edm-document", "zus-sickleave"]
    ).exists()
    assert not Document.objects.filter(feed_file__isnull=True).exists()
    assert not SickLeave.objects.filter(feed_file__isnull=True).exists()
    assert (
        Document.objects.filter(document_id__startswith="demo-doc-").count()
        == Document.objects.count()
    )


@pytest.mark.parametrize("first_name", ["Anna", "Zosia"])
def test_anna_and_zosia_have_documents_of_several_types(demo, first_name):
    types = set(Document.objects.filter(person=person(first_name)).values_list("type", flat=True))

    expected = (
        set(Document.Type.values) if first_name == "Anna" else {"lab_result", "diagnostic_report"}
    )
    assert expected <= types


def test_the_demo_shows_every_document_type(demo):
    assert set(Document.objects.values_list("type", flat=True)) == set(Document.Type.values)


def test_ola_and_kuba_have_documents_too(demo):
    assert Document.objects.filter(person=person("Ola")).count() >= 2
    assert Document.objects.filter(person=person("Kuba")).exists()


def test_a_lab_result_keeps_its_polish_characters(demo):
    result = Document.objects.get(person=person("Zosia"), type=Document.Type.LAB_RESULT)

    assert "Żaneta Dąbrowska-Łęcka" in result.body
    assert "µl" in result.body


def test_anna_has_every_leave_kind_naming_the_right_people(demo):
    anna = SickLeave.objects.filter(person=person("Anna"))

    assert set(anna.values_list("kind", flat=True)) == set(SickLeave.Kind.values)
    child_care = anna.get(kind=SickLeave.Kind.CHILD_CARE)
    family_care = anna.get(kind=SickLeave.Kind.FAMILY_CARE)
    assert child_care.cared_person == person("Zosia")
    assert family_care.cared_person == person("Halina")
    assert not anna.filter(kind=SickLeave.Kind.OWN_ILLNESS, cared_person__isnull=False).exists()


def test_the_demo_has_a_cancelled_leave(demo):
    cancelled = SickLeave.objects.get(status=SickLeave.Status.CANCELLED)

    assert cancelled.person == person("Anna")
    assert cancelled.series_number.startswith("ZD 0")


def test_a_leave_starts_today_with_the_employer_notice_deadline(demo):
    today = timezone.localdate()
    starting = SickLeave.objects.get(person=person("Anna"), period_from=today)

    assert leave_rules.employer_notice(
        period_from=starting.period_from, today=today
    ) == today + timedelta(days=1)


def test_a_leave_is_received_today_but_issued_four_days_ago(demo):
    today = timezone.localdate()

    leave = SickLeave.objects.get(person=person("Anna"), issued_on=today - timedelta(days=4))

    assert timezone.localdate(leave.received_at) == today


def test_a_care_leave_is_on_the_parents_account_not_the_childs(demo):
    assert not SickLeave.objects.filter(person__in=[person("Zosia"), person("Antek")]).exists()
    assert SickLeave.objects.filter(person=person("Piotr"), cared_person=person("Antek")).exists()


def test_series_numbers_follow_the_demo_pattern(demo):
    assert all(
        number.startswith("ZD ") and len(number) == 10
        for number in SickLeave.objects.values_list("series_number", flat=True)
    )
