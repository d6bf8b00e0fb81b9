"""The fixed cast every test can use (STYLE.md): small `make_*` helpers and named fixtures.

Relationships between them (insurance, grants) are added by the guardianship tests as that
capability lands; here they are people with logins.
"""

import itertools
import uuid
from datetime import date

import pytest
import redis
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Person, User
from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP
from accounts.rules import VerificationMethod, add_months, build_pesel
from accounts.services import identity_verification_record

_serial = itertools.count(100)


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Rate-limit counters, used TOTP codes and cached sessions live in Redis. Each test gets
    its own key prefix and removes its keys afterwards: a clean cache without FLUSHDB, which
    would also wipe the keys of runs in parallel. It also keeps the per-IP login limit (every
    test logs in from 127.0.0.1) from carrying over between tests."""
    prefix = f"test-{uuid.uuid4().hex}"
    redis_url = settings.REDIS_URL  # read now: a test may point the setting elsewhere
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    yield
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
PASSWORD = "correct-horse-battery-staple"


def make_person(*, born: date, first_name: str = "Anna", surname: str = "Nowak", sex: str = "F") -> Person:
    pesel = build_pesel(born, sex=sex, serial=next(_serial))
    return Person.objects.create(pesel=pesel, first_name=first_name, surname=surname, birth_date=born, sex=sex)


def make_user(*, person: Person | None = None, email: str | None = None, verified: bool = True, groups=(), **extra) -> User:
    email = email or f"user{next(_serial)}@example.test"
    user = User.objects.create_user(email=email, password=PASSWORD, person=person, **extra)
    for name in groups:
        # get_or_create: transactional tests flush the rows the data migration made.
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    if verified and person is not None:
        identity_verification_record(user=user, method=VerificationMethod.TRUSTED_PROFILE)
    return user


def years_ago(years: int, *, months: int = 0) -> date:
    return add_months(timezone.localdate(), -(12 * years + months))


@pytest.fixture
def parent(db) -> User:
    """The parent whose ZUS insurance covers the children."""
    return make_user(person=make_person(born=date(1985, 3, 14), first_name="Anna", surname="Kowalska"), email="anna@example.test")


@pytest.fixture
def other_parent(db) -> User:
    return make_user(person=make_person(born=date(1983, 7, 2), first_name="Piotr", surname="Kowalski", sex="M"), email="piotr@example.test")


@pytest.fixture
def granted_guardian(db) -> User:
    return make_user(person=make_person(born=date(1958, 11, 30), first_name="Halina", surname="Kowalska"), email="halina@example.test")


@pytest.fixture
def stranger(db) -> User:
    return make_user(person=make_person(born=date(1990, 1, 5), first_name="Jan", surname="Obcy", sex="M"), email="obcy@example.test")


@pytest.fixture
def unverified_user(db) -> User:
    return make_user(person=make_person(born=date(1992, 5, 5), first_name="Ewa", surname="Niezweryfikowana"), verified=False)


@pytest.fixture
def child(db) -> Person:
    """A child of about ten, without a login."""
    return make_person(born=years_ago(10, months=2), first_name="Zosia", surname="Kowalska")


@pytest.fixture
def child_16(db) -> User:
    """A verified 16-year-old with their own login."""
    return make_user(person=make_person(born=years_ago(16, months=3), first_name="Kuba", surname="Kowalski", sex="M"))


@pytest.fixture
def support_user(db) -> User:
    return make_user(email="pomoc@example.test", groups=[SUPPORT_GROUP])


@pytest.fixture
def clinic_user(db) -> User:
    return make_user(email="przychodnia@example.test", groups=[CLINIC_STAFF_GROUP])


@pytest.fixture
def admin_user(db) -> User:
    return make_user(email="admin@example.test", is_staff=True, is_superuser=True)


# --- insurance and grants (guardianship) --------------------------------------------------------

_event_serial = itertools.count(1)


def _event(**fields) -> str:
    from guardianship.models import InsuranceEvent

    event_id = f"test-{next(_event_serial)}"
    fields.setdefault("reported_on", timezone.localdate())
    InsuranceEvent.objects.create(event_id=event_id, **fields)
    return event_id


def _apply() -> None:
    from guardianship.sync import insurance_apply_pending

    insurance_apply_pending(today=timezone.localdate())


def insure(insured: Person, member: Person, *, valid_from: date | None = None, valid_to: date | None = None,
           reported_on: date | None = None, apply: bool = True) -> str:
    """A ZUS family-member registration (and, with valid_to, its deregistration), stored as the
    feed stores it and applied by the real sync. Returns the registration's event id."""
    valid_from = valid_from or member.birth_date
    reported_on = reported_on or valid_from
    event_id = _event(type="family_member_registered", insured_pesel=insured.pesel, person_pesel=member.pesel,
                      valid_from=valid_from, reported_on=reported_on)
    if valid_to is not None:
        _event(type="family_member_deregistered", insured_pesel=insured.pesel, person_pesel=member.pesel,
               valid_to=valid_to, reported_on=valid_to)
    if apply:
        _apply()
    return event_id


def deregister(insured: Person, member: Person, *, valid_to: date, reported_on: date | None = None) -> str:
    event_id = _event(type="family_member_deregistered", insured_pesel=insured.pesel, person_pesel=member.pesel,
                      valid_to=valid_to, reported_on=reported_on or valid_to)
    _apply()
    return event_id


def give_own_title(person: Person, *, title: str = "apprenticeship", valid_from: date, valid_to: date | None = None) -> str:
    event_id = _event(type="own_title_started", person_pesel=person.pesel, title=title, valid_from=valid_from)
    if valid_to is not None:
        _event(type="own_title_ended", person_pesel=person.pesel, title=title, valid_to=valid_to)
    _apply()
    return event_id


def make_grant(subject: Person, grantee: Person, *, kind: str = "child", source: str = "guardian", by=None):
    from guardianship.models import AccessGrant
    from guardianship.rules import child_grant_valid_until

    return AccessGrant.objects.create(
        kind=kind, source=source, subject=subject, grantee_pesel=grantee.pesel, grantee_surname=grantee.surname,
        legal_guardian_confirmed=kind == "child", granted_by=by,
        valid_until=child_grant_valid_until(subject.birth_date) if kind == "child" else None,
    )


@pytest.fixture
def insured_child(parent, child) -> Person:
    """`child`, covered by `parent`'s insurance since birth."""
    insure(parent.person, child)
    return child


@pytest.fixture
def granted_child(insured_child, parent, granted_guardian) -> Person:
    """`insured_child`, shared by `parent` with `granted_guardian`."""
    make_grant(insured_child, granted_guardian.person, by=parent)
    return insured_child


@pytest.fixture
def celery_eager():
    """Tasks queued on commit run in this process (their effect, e.g. a mail, is asserted);
    the dispatch through Redis to a real worker is tested in tests/test_celery_worker.py."""
    from ikp.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


# --- HPV vaccination -------------------------------------------------------------------------------

_vaccination_serial = itertools.count(1)


def hpv9():
    """The HPV9 vaccine the data migration seeds (with the 2024-09-01 programme). Seeded again
    here when a transactional test's flush has removed it (the migration's own function)."""
    import importlib

    from django.apps import apps

    from vaccinations.models import Vaccine

    vaccine = Vaccine.objects.filter(code="HPV9").first()
    if vaccine is None:
        importlib.import_module("vaccinations.migrations.0002_hpv_programme_2024").seed(apps, None)
        vaccine = Vaccine.objects.get(code="HPV9")
    return vaccine


def make_clinic(*, name: str = "Przychodnia Zdrowie", city: str = "Warszawa", staff=()):
    from vaccinations.models import Clinic

    n = next(_vaccination_serial)
    clinic = Clinic.objects.create(code=f"POZ-{n:04d}", name=name, city=city, address=f"ul. Lipowa {n}")
    clinic.staff.add(*staff)
    return clinic


def make_slot(clinic, *, starts_at=None, days_ahead: int = 7, hour: int = 10, minute: int = 0):
    """A published HPV9 slot; by default a week from now at 10:00 Warsaw time."""
    from datetime import datetime, time, timedelta

    from vaccinations.models import Slot

    if starts_at is None:
        day = timezone.localdate() + timedelta(days=days_ahead)
        starts_at = timezone.make_aware(datetime.combine(day, time(hour, minute)))
    return Slot.objects.create(
        slot_id=f"test-slot-{next(_vaccination_serial)}", clinic=clinic, vaccine=hpv9(), starts_at=starts_at
    )


def record_dose(person: Person, *, on: date, clinic=None, visit_open: bool = False, dose_number: int | None = None):
    """A dose of HPV9 given on `on`, as the immunization feed would record it."""
    from vaccinations.models import Immunization

    if dose_number is None:
        dose_number = Immunization.objects.filter(person=person).count() + 1
    clinic = clinic or make_clinic()
    return Immunization.objects.create(
        record_id=f"test-dose-{next(_vaccination_serial)}", person=person, vaccine=hpv9(), dose_number=dose_number,
        administered_on=on, clinic_code=clinic.code, clinic=clinic,
        visit_status="open" if visit_open else "completed",
    )


# --- URL coverage (tests/url_coverage.py) ------------------------------------------------------


def pytest_addoption(parser):
    parser.addoption("--url-coverage", action="store_true", help="fail when an own URL pattern was not requested")


def pytest_configure(config):
    from django.conf import settings

    from tests import url_coverage

    url_coverage.install()
    # Hashing a password the production way costs ~0.3 s; the cast creates hundreds of logins.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    """The URL coverage check runs after everything else."""
    last = [item for item in items if "test_zz_url_coverage" in item.nodeid]
    items[:] = [item for item in items if item not in last] + last


from tests.browser import chromium, page  # noqa: E402,F401  (browser fixtures for journeys)
