"""The demo world's HPV vaccinations (part of `manage.py seed_demo`): clinics in five cities that
publish terms over the coming five weeks, and a child in every situation of the FAQ's
"Najczęstsze problemy z zapisaniem się na szczepienie przeciw HPV".

| login  | child  | age    | doses recorded                                    | next step (rules.Reason)      |
| ------ | ------ | ------ | ------------------------------------------------- | ----------------------------- |
| Anna   | Ola    | 8y 5m  | none                                              | TOO_YOUNG: from her 9th       |
|        |        |        |                                                   | birthday                      |
| Anna   | Zosia  | 10y 3m | none (Anna books her in the browser journey)      | FIRST_DOSE                    |
| Anna   | Maja   | 12y 4m | dose 1 three weeks ago in Warszawa; visit OPEN    | OPEN_VISIT: names the         |
|        |        |        |                                                   | Warszawa clinic               |
| Anna   | Hania  | 13y 6m | dose 1 13 months ago (Poznań), dose 2 6 months    | COMPLETED                     |
|        |        |        | ago (Łowicz)                                      |                               |
| Tomasz | Kacper | 14y 2m | dose 1 at 13y 9m, Kraków (the FAQ's child born in | NEXT_TOO_EARLY: dose 2 from   |
|        |        |        | 2010: dose 1 before 14, dose 2 after)             | 14y 3m, after his birthday    |
| Tomasz | Lena   | 11y 7m | dose 1 two months ago, Gdańsk                     | NEXT_TOO_EARLY: opens in four |
|        |        |        |                                                   | months                        |

Ola and Zosia come from accounts/demo.py; Maja, Hania, Kacper and Lena are made here (PESEL
serials 921–924) and covered by their parent through the real `zus-insurance` feed (event ids
`demo-vacc-…`). Ages and dose dates count from the day of the first seeding
(guardianship.demo.first_seeding_day), so re-runs send identical lines; the next steps above
hold on that day and move on with the calendar, as they would for real children.

| clinic code | city     | notes                                                         |
| ----------- | -------- | ------------------------------------------------------------- |
| DEMO-WAW-01 | Warszawa | staff: przychodnia@demo.ikp.pl; Maja's open visit is here     |
| DEMO-KRK-01 | Kraków   | Kacper's dose 1                                               |
| DEMO-KRK-02 | Kraków   | has withdrawn one of its terms (about a week ahead)           |
| DEMO-GDN-01 | Gdańsk   | Lena's dose 1                                                 |
| DEMO-POZ-01 | Poznań   | Hania's dose 1                                                |
| DEMO-LOW-01 | Łowicz   | a small town; Hania's dose 2                                  |

Terms ("demo-slot-<clinic code>-<yyyymmddhhmm>", Warsaw time) are laid out on working days
from tomorrow to five weeks ahead, relative to *today*: a demo started next month has terms.
A clinic gets them only when fewer than TOP_UP_BELOW_DAYS working days' worth remain, and the
ids are deterministic, so re-runs neither pile terms up nor duplicate one.

Idempotent: children are found again by name and serial, clinics by code, doses by record id,
insurance events by event id (the file is applied only when it brought something new). Runs
before guardianship's step in seed_demo: applying a file applies every pending event, and
guardianship leaves one pending on purpose (Staś's registration, "processing").
"""

import json
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import Person, User
from accounts.rules import add_months, build_pesel
from feeds.runner import ingest_file
from guardianship.demo import first_seeding_day
from guardianship.models import InsuranceEvent
from vaccinations.models import Clinic, Immunization, Slot, Vaccine
from vaccinations.services import open_slots, slot_withdraw

CLINIC_STAFF_EMAIL = "przychodnia@demo.ikp.pl"  # accounts/demo.py; staff of STAFFED_CLINIC
STAFFED_CLINIC = "DEMO-WAW-01"
WEEKS_AHEAD = 5
TOP_UP_BELOW_DAYS = 10
SLOT_MINUTES = 20


@dataclass(frozen=True)
class DemoChild:
    key: str
    serial: int  # the demo's PESEL serials are 900–999 (accounts/demo.py); 92x are ours
    first_name: str
    surname: str
    sex: str
    age: tuple[int, int]  # (years, months) on the day of the first seeding
    parent: str  # the key of the demo parent whose insurance covers the child


CHILDREN = [
    DemoChild("maja", 921, "Maja", "Kowalska", "F", (12, 4), "anna"),
    DemoChild("hania", 922, "Hania", "Kowalska", "F", (13, 6), "anna"),
    DemoChild("kacper", 923, "Kacper", "Wiśniewski", "M", (14, 2), "tomasz"),
    DemoChild("lena", 924, "Lena", "Wiśniewska", "F", (11, 7), "tomasz"),
]


@dataclass(frozen=True)
class DemoClinic:
    code: str
    name: str
    city: str
    address: str
    hours: tuple[str, ...]  # the day's terms, "HH:MM"


CLINICS = [
    DemoClinic(
        "DEMO-WAW-01",
        "Przychodnia Rodzinna Mokotów",
        "Warszawa",
        "ul. Puławska 101",
        ("08:00", "08:20", "08:40", "12:00", "15:00", "15:20", "15:40"),
    ),
    DemoClinic(
        "DEMO-KRK-01",
        "Centrum Medyczne Krowodrza",
        "Kraków",
        "ul. Królewska 57",
        ("09:00", "09:20", "13:00", "13:20", "16:00"),
    ),
    DemoClinic(
        "DEMO-KRK-02",
        "Przychodnia POZ Nowa Huta",
        "Kraków",
        "os. Centrum B 4",
        ("08:30", "11:00", "14:30", "17:00"),
    ),
    DemoClinic(
        "DEMO-GDN-01",
        "Przychodnia Przymorze",
        "Gdańsk",
        "ul. Obrońców Wybrzeża 12",
        ("10:00", "10:20", "14:00", "14:20"),
    ),
    DemoClinic(
        "DEMO-POZ-01",
        "Przychodnia Jeżyce",
        "Poznań",
        "ul. Dąbrowskiego 44",
        ("08:00", "11:40", "12:00", "15:00"),
    ),
    DemoClinic(
        "DEMO-LOW-01",
        "Ośrodek Zdrowia w Łowiczu",
        "Łowicz",
        "ul. Zduńska 20",
        ("09:00", "09:20", "12:00"),
    ),
]
WITHDRAWING_CLINIC = "DEMO-KRK-02"
FEED = "zus-insurance"


def seed(people: dict[str, Person]) -> dict[str, Person]:
    """Load the vaccination demo; return the children made here by key."""
    day = first_seeding_day(people)
    children = {spec.key: _child(spec, day) for spec in CHILDREN}
    _load_insurance(people, children)
    with transaction.atomic(durable=True):
        clinics = {spec.code: _clinic(spec) for spec in CLINICS}
        vaccine = Vaccine.objects.get(code="HPV9")
        _record_doses(children, clinics, vaccine, day)
        now = timezone.now()
        for spec in CLINICS:
            _publish_slots(clinics[spec.code], spec, vaccine, now)
    _withdraw_one(clinics[WITHDRAWING_CLINIC], vaccine)
    return children


# --- Children and their insurance -----------------------------------------------------------


def _child(spec: DemoChild, day: date) -> Person:
    existing = Person.objects.filter(
        first_name=spec.first_name, surname=spec.surname, pesel__regex=rf"^[0-9]{{6}}{spec.serial}"
    ).first()
    if existing:
        return existing
    born = add_months(day, -(12 * spec.age[0] + spec.age[1]))
    return Person.objects.create(
        pesel=build_pesel(born, sex=spec.sex, serial=spec.serial),
        first_name=spec.first_name,
        surname=spec.surname,
        birth_date=born,
        sex=spec.sex,
    )


def insurance_lines(people: dict[str, Person], children: dict[str, Person]) -> list[dict]:
    """Each new child registered by the parent's employer since birth, reported within days."""
    lines = []
    for spec in CHILDREN:
        parent, child = people[spec.parent], children[spec.key]
        lines.append(
            {
                "event_id": f"demo-vacc-reg-{spec.parent}-{spec.key}",
                "type": "family_member_registered",
                "insured_pesel": parent.pesel,
                "insured_first_name": parent.first_name,
                "insured_surname": parent.surname,
                "member_pesel": child.pesel,
                "member_first_name": child.first_name,
                "member_surname": child.surname,
                "valid_from": child.birth_date.isoformat(),
                "reported_on": (child.birth_date + timedelta(days=14)).isoformat(),
            }
        )
    return lines


def _load_insurance(people: dict[str, Person], children: dict[str, Person]) -> None:
    # Applying takes every pending event with it (guardianship/sync.py), so only a file that
    # brought something new is applied: a re-run leaves what is pending, pending.
    lines = insurance_lines(people, children)
    known = InsuranceEvent.objects.filter(event_id__in=[line["event_id"] for line in lines]).count()
    with tempfile.TemporaryDirectory(prefix="ikp-demo-") as folder:
        path = Path(folder) / "demo-zus-insurance-vaccinations.jsonl"
        path.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
            encoding="utf-8",
        )
        ingest_file(FEED, path, apply=known < len(lines))


# --- Clinics, doses and terms ---------------------------------------------------------------


def _clinic(spec: DemoClinic) -> Clinic:
    clinic, _ = Clinic.objects.get_or_create(
        code=spec.code, defaults={"name": spec.name, "city": spec.city, "address": spec.address}
    )
    if spec.code == STAFFED_CLINIC:
        staff = User.objects.filter(email=CLINIC_STAFF_EMAIL).first()
        if staff is not None:
            clinic.staff.add(staff)  # a no-op when already there
    return clinic


def _record_doses(
    children: dict[str, Person], clinics: dict[str, Clinic], vaccine: Vaccine, day: date
) -> None:
    kacper = children["kacper"]
    doses = [
        # (child, dose number, given on, clinic code, visit still open)
        ("maja", 1, day - timedelta(days=19), "DEMO-WAW-01", True),
        ("hania", 1, add_months(day, -13), "DEMO-POZ-01", False),
        ("hania", 2, add_months(day, -6), "DEMO-LOW-01", False),
        # Before his 14th birthday, so dose 2 may follow after it (the FAQ's 2010-born child).
        ("kacper", 1, add_months(kacper.birth_date, 13 * 12 + 9), "DEMO-KRK-01", False),
        ("lena", 1, add_months(day, -2), "DEMO-GDN-01", False),
    ]
    for key, number, given, code, visit_open in doses:
        clinic = clinics[code]
        Immunization.objects.get_or_create(
            record_id=f"demo-imm-{key}-{number}",
            defaults={
                "person": children[key],
                "vaccine": vaccine,
                "dose_number": number,
                "administered_on": given,
                "clinic_code": clinic.code,
                "clinic": clinic,
                "visit_status": "open" if visit_open else "completed",
                "closed_at": None if visit_open else _at(given, "16:00"),
            },
        )


def _at(day: date, hhmm: str) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.fromisoformat(hhmm)))


# Fixed-date public holidays in Poland (month, day), 24 December since 2025. The movable
# ones (Easter Monday, Corpus Christi) are not skipped: a demo can live with that.
HOLIDAYS = {
    (1, 1),
    (1, 6),
    (5, 1),
    (5, 3),
    (8, 15),
    (11, 1),
    (11, 11),
    (12, 24),
    (12, 25),
    (12, 26),
}


def _working_days(start: date, end: date) -> list[date]:
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5 and (d.month, d.day) not in HOLIDAYS]


def _publish_slots(clinic: Clinic, spec: DemoClinic, vaccine: Vaccine, now: datetime) -> None:
    future = Slot.objects.filter(clinic=clinic, withdrawn_at__isnull=True, starts_at__gt=now)
    if future.count() >= TOP_UP_BELOW_DAYS * len(spec.hours):
        return
    today = timezone.localdate(now)
    days = _working_days(today + timedelta(days=1), today + timedelta(weeks=WEEKS_AHEAD))
    Slot.objects.bulk_create(
        [
            Slot(
                slot_id=f"demo-slot-{clinic.code}-{starts:%Y%m%d%H%M}",
                clinic=clinic,
                vaccine=vaccine,
                starts_at=starts,
                duration_minutes=SLOT_MINUTES,
                source=Slot.Source.FEED,
            )
            for day in days
            for starts in (_at(day, hhmm) for hhmm in spec.hours)
        ],
        ignore_conflicts=True,  # a term already published (same id) stays as it is
    )


def _withdraw_one(clinic: Clinic, vaccine: Vaccine) -> None:
    """The clinic withdraws a free term about a week ahead, while it has none withdrawn ahead.
    A booked term is left alone: a re-run must not cancel what someone booked in the demo."""
    now = timezone.now()
    if clinic.slots.filter(withdrawn_at__isnull=False, starts_at__gt=now).exists():
        return
    free = open_slots(vaccine=vaccine, now=now + timedelta(weeks=1)).filter(clinic=clinic)
    if (slot := free.first()) is not None:
        slot_withdraw(slot=slot, now=now)
