"""`manage.py seed_demo`: the demo families show every FAQ cause of lost access, through the
real zus-insurance feed, and seeding again changes nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Person, User
from accounts.rules import add_months
from feeds.models import FeedFile, QuarantinedLine
from guardianship.models import AccessGrant, AccessLogEntry, Coverage, InsuranceEvent, OwnTitle
from guardianship.policy import access_for, accessible_subjects
from guardianship.rules import Basis, Diagnosis, Level, sync_deadline
from guardianship.services import child_access_diagnose
from guardianship.sync import insurance_apply_pending

pytestmark = pytest.mark.django_db


def seed_demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def login(email_name: str) -> User:
    return User.objects.select_related("person").get(email=f"{email_name}@demo.ikp.pl")


def person(first_name: str) -> Person:
    return Person.objects.get(first_name=first_name, pesel__regex=r"^[0-9]{6}9")


def diagnosis(email_name: str, first_name: str):
    return child_access_diagnose(user=login(email_name), child=person(first_name))


def names(user: User) -> list[str]:
    return [item.subject.first_name for item in accessible_subjects(user)]


@pytest.fixture
def demo():
    seed_demo()


def test_it_loads_the_families_through_the_feed_with_demo_ids(demo):
    events = InsuranceEvent.objects.exclude(event_id__startswith="demo-vacc-")  # vaccinations/demo.py's
    assert events.count() == 10
    assert all(event.event_id.startswith("demo-") for event in events)
    assert all(event.feed_file_id is not None for event in events)
    # The records and sick-leave demos load through their own feeds.
    assert set(FeedFile.objects.values_list("kind", flat=True)) == {"zus-insurance", "edm-document", "zus-sickleave"}
    assert not QuarantinedLine.objects.exists()


def test_it_shows_anna_both_children_she_insures(demo):
    anna = login("anna.kowalska")
    assert access_for(anna, person("Ola")) == access_for(anna, person("Zosia"))
    assert access_for(anna, person("Zosia")).level == Level.WRITE
    assert access_for(anna, person("Zosia")).basis == Basis.INSURANCE
    assert diagnosis("anna.kowalska", "Ola").code == Diagnosis.HAS_ACCESS
    assert names(anna) == ["Halina", "Hania", "Maja", "Zosia", "Ola"]  # oldest first; Halina by authorisation; Hania and Maja from the vaccination demo


def test_it_shows_halina_zosia_through_annas_grant(demo):
    halina = login("halina.kowalska")
    grant = AccessGrant.objects.get(kind=AccessGrant.Kind.CHILD)
    assert (grant.subject, grant.grantee_pesel) == (person("Zosia"), halina.person.pesel)
    assert grant.legal_guardian_confirmed and grant.granted_by == login("anna.kowalska")
    assert access_for(halina, person("Zosia")).basis == Basis.GRANT
    assert diagnosis("halina.kowalska", "Zosia").code == Diagnosis.HAS_ACCESS
    assert names(halina) == ["Zosia"]


def test_it_shows_piotr_that_his_registration_ended_after_a_job_change(demo):
    piotr = login("piotr.kowalski")
    result = diagnosis("piotr.kowalski", "Antek")
    assert result.code == Diagnosis.REGISTRATION_ENDED
    assert result.on == add_months(timezone.localdate(), -2)
    assert access_for(piotr, person("Antek")).level == Level.NONE
    assert names(piotr) == []
    # Nobody covers Antek now: Piotr's case is the job change and nothing else.
    assert not Coverage.objects.filter(member=person("Antek"), valid_to__isnull=True).exists()
    assert diagnosis("anna.kowalska", "Antek").code == Diagnosis.NO_REGISTRATION


def test_it_gives_julia_to_the_parent_who_covers_her_now(demo):
    marta, tomasz = login("marta.wisniewska"), login("tomasz.wisniewski")
    julia = person("Julia")
    first, later = Coverage.objects.filter(member=julia).order_by("valid_from")
    assert (first.insured, later.insured) == (marta.person, tomasz.person)
    assert first.valid_to is None  # Marta's registration is still active, yet not decisive
    assert access_for(tomasz, julia).basis == Basis.INSURANCE
    assert access_for(marta, julia).level == Level.NONE
    assert diagnosis("tomasz.wisniewski", "Julia").code == Diagnosis.HAS_ACCESS
    assert diagnosis("marta.wisniewska", "Julia").code == Diagnosis.NOT_DECISIVE
    assert names(tomasz) == ["Julia", "Kacper", "Lena"]  # Kacper and Lena from the vaccination demo


def test_it_leaves_stas_registration_processing_after_one_seed(demo):
    result = diagnosis("marta.wisniewska", "Staś")
    reported_on = timezone.localdate() - timedelta(days=3)
    assert result.code == Diagnosis.PROCESSING
    assert result.deadline == sync_deadline(reported_on)
    assert InsuranceEvent.objects.get(event_id="demo-reg-marta-stas").applied_at is None
    assert names(login("marta.wisniewska")) == []


def test_it_gives_marta_stas_once_the_next_ingest_applies_it(demo):
    insurance_apply_pending(today=timezone.localdate())
    assert diagnosis("marta.wisniewska", "Staś").code == Diagnosis.HAS_ACCESS


def test_it_takes_kuba_from_tomasz_while_kuba_has_his_own_title(demo):
    tomasz, kuba = login("tomasz.wisniewski"), login("kuba.wisniewski")
    title = OwnTitle.objects.get(pesel=kuba.person.pesel)
    assert (title.title, title.valid_from) == ("apprenticeship", add_months(timezone.localdate(), -3))
    assert Coverage.objects.filter(insured=tomasz.person, member=kuba.person, valid_to=None).exists()
    assert access_for(tomasz, kuba.person).level == Level.NONE
    assert diagnosis("tomasz.wisniewski", "Kuba").code == Diagnosis.NOT_DECISIVE
    own = access_for(kuba, kuba.person)
    assert (own.level, own.basis) == (Level.READ, Basis.OWN)


def test_it_lets_anna_read_halinas_account_by_authorisation(demo):
    grant = AccessGrant.objects.get(kind=AccessGrant.Kind.AUTHORISATION)
    assert grant.granted_by == login("halina.kowalska")
    access = access_for(login("anna.kowalska"), person("Halina"))
    assert (access.level, access.basis) == (Level.READ, Basis.AUTHORISATION)


def test_it_fills_zosias_access_history(demo):
    entries = AccessLogEntry.objects.filter(subject=person("Zosia")).order_by("at")
    assert [(e.actor.email.split("@")[0], e.action) for e in entries] == [
        ("anna.kowalska", AccessLogEntry.Action.SWITCH_ACCOUNT),
        ("anna.kowalska", AccessLogEntry.Action.VIEW_SUMMARY),
        ("anna.kowalska", AccessLogEntry.Action.GRANT_ADDED),
        ("halina.kowalska", AccessLogEntry.Action.SWITCH_ACCOUNT),
        ("halina.kowalska", AccessLogEntry.Action.VIEW_GUARDIANS),
    ]
    assert [e.basis for e in entries][-1] == Basis.GRANT
    assert all(e.at < timezone.now() for e in entries)


def counts() -> dict[str, int]:
    models = (Person, User, InsuranceEvent, Coverage, OwnTitle, AccessGrant, AccessLogEntry, QuarantinedLine)
    return {model.__name__: model.objects.count() for model in models}


def test_it_changes_nothing_when_seeded_again(demo):
    before = counts()
    pending = set(InsuranceEvent.objects.filter(applied_at=None).values_list("event_id", flat=True))
    seed_demo()
    assert counts() == before
    assert set(InsuranceEvent.objects.filter(applied_at=None).values_list("event_id", flat=True)) == pending
    second = FeedFile.objects.order_by("-pk")[:2]
    assert [(f.accepted, f.duplicates) for f in second] == [(0, 1), (0, 9)]  # every line known by id
    assert diagnosis("marta.wisniewska", "Staś").code == Diagnosis.PROCESSING
