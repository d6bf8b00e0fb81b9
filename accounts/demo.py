"""The demo world's people and logins (part of `manage.py seed_demo`).

Idempotent: people are found again by name and a PESEL serial reserved for the demo (900–999),
logins by e-mail. Ages are relative to the day of the first seeding.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Person, ServiceNotice, User
from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP
from accounts.rules import VerificationMethod, add_months, build_pesel
from accounts.services import current_verification, identity_verification_record

DEMO_PASSWORD = "ikp-demo-2026"
# Staff logins need TOTP; the demo seeds this known secret so an authenticator app (or
# `oathtool --totp -b`) can produce codes. Never do this outside the demo.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    serial: int
    first_name: str
    surname: str
    sex: str
    born: date | None = None  # fixed birth date (adults)
    age: tuple[int, int] | None = None  # (years, months) at first seeding (children)
    email: str | None = None
    method: str = VerificationMethod.TRUSTED_PROFILE


def _ago(years: int, months: int) -> date:
    return add_months(timezone.localdate(), -(12 * years + months))


PEOPLE = [
    DemoPerson("anna", 901, "Anna", "Kowalska", "F", born=date(1986, 4, 12), email="anna.kowalska@demo.ikp.pl"),
    DemoPerson("piotr", 902, "Piotr", "Kowalski", "M", born=date(1984, 9, 3), email="piotr.kowalski@demo.ikp.pl"),
    DemoPerson("halina", 903, "Halina", "Kowalska", "F", born=date(1957, 1, 21), email="halina.kowalska@demo.ikp.pl", method=VerificationMethod.IN_PERSON),
    DemoPerson("marta", 904, "Marta", "Wiśniewska", "F", born=date(1982, 2, 27), email="marta.wisniewska@demo.ikp.pl", method=VerificationMethod.BANK),
    DemoPerson("tomasz", 905, "Tomasz", "Wiśniewski", "M", born=date(1980, 12, 1), email="tomasz.wisniewski@demo.ikp.pl"),
    DemoPerson("ewa", 906, "Ewa", "Zielińska", "F", born=date(1990, 6, 18), email="ewa.zielinska@demo.ikp.pl"),
    DemoPerson("ola", 911, "Ola", "Kowalska", "F", age=(8, 5)),
    DemoPerson("zosia", 912, "Zosia", "Kowalska", "F", age=(10, 3)),
    DemoPerson("antek", 913, "Antek", "Kowalski", "M", age=(13, 2)),
    DemoPerson("kuba", 914, "Kuba", "Wiśniewski", "M", age=(16, 4), email="kuba.wisniewski@demo.ikp.pl", method=VerificationMethod.E_ID),
    DemoPerson("julia", 915, "Julia", "Wiśniewska", "F", age=(17, 1)),
    DemoPerson("stas", 916, "Staś", "Wiśniewski", "M", age=(2, 1)),  # his registration is still processing
    DemoPerson("filip", 917, "Filip", "Nowicki", "M", age=(7, 2)),  # registered by Ewa's employer under a typo
]

STAFF = [
    ("pomoc@demo.ikp.pl", [SUPPORT_GROUP], False),
    ("przychodnia@demo.ikp.pl", [CLINIC_STAFF_GROUP], False),
    ("admin@demo.ikp.pl", [], True),
]


def _person(spec: DemoPerson) -> Person:
    existing = Person.objects.filter(
        first_name=spec.first_name, surname=spec.surname, pesel__regex=rf"^[0-9]{{6}}{spec.serial:03d}"
    ).first()
    if existing:
        return existing
    born = spec.born or _ago(*spec.age)
    return Person.objects.create(
        pesel=build_pesel(born, sex=spec.sex, serial=spec.serial),
        first_name=spec.first_name,
        surname=spec.surname,
        birth_date=born,
        sex=spec.sex,
    )


def _login(email: str, *, person: Person | None = None, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, person=person, **extra)
    return user


def _ensure_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


def seed() -> dict[str, Person]:
    people = {}
    for spec in PEOPLE:
        person = _person(spec)
        people[spec.key] = person
        if spec.email:
            user = _login(spec.email, person=person)
            if current_verification(user) is None:
                identity_verification_record(user=user, method=spec.method)
    for email, groups, superuser in STAFF:
        user = _login(email, is_staff=superuser, is_superuser=superuser)
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        _ensure_totp(user)
    if not ServiceNotice.objects.exists():
        now = timezone.now()
        ServiceNotice.objects.create(
            kind=ServiceNotice.Kind.BANK_LOGIN_OUTAGE,
            message_pl="Logowanie przez bank może być chwilowo niedostępne z powodu prac po stronie banków. Skorzystaj z profilu zaufanego.",
            message_en="Bank login may be briefly unavailable because of work on the banks' side. Use the trusted profile instead.",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=30),
        )
        ServiceNotice.objects.create(
            kind=ServiceNotice.Kind.MAINTENANCE,
            message_pl="Planowane prace serwisowe portalu (nowa wersja IKP).",
            message_en="Planned portal maintenance (new IKP version).",
            starts_at=now + timedelta(days=40),
            ends_at=now + timedelta(days=40, hours=4),
        )
    return people
