"""The vaccination demo (vaccinations/demo.py, run by `manage.py seed_demo`): clinics with terms
in five cities and a child in every FAQ situation, each reachable from a demo parent; seeding
again changes nothing."""

from datetime import datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Person, User
from accounts.rules import add_months, date_of_age
from conftest import hpv9
from feeds.models import QuarantinedLine
from guardianship.models import AccessLogEntry, Coverage, InsuranceEvent
from guardianship.policy import access_for
from guardianship.rules import Level
from vaccinations.demo import HOLIDAYS, TOP_UP_BELOW_DAYS, WEEKS_AHEAD
from vaccinations.models import Appointment, Clinic, DoseReminder, Immunization, Slot
from vaccinations.rules import Reason
from vaccinations.services import bookable_slots, open_visits, vaccination_state

pytestmark = pytest.mark.django_db


def seed_demo() -> None:
    call_command("seed_demo", stdout=StringIO())


def login(email_name: str) -> User:
    return User.objects.select_related("person").get(email=f"{email_name}@demo.ikp.pl")


def person(first_name: str) -> Person:
    return Person.objects.get(first_name=first_name, pesel__regex=r"^[0-9]{6}9")


def next_step(first_name: str):
    return vaccination_state(
        child=person(first_name), vaccine=hpv9(), today=timezone.localdate()
    ).next_step


def clinic(city: str, n: int = 1) -> Clinic:
    return Clinic.objects.get(code__startswith="DEMO-", city=city, code__endswith=f"-{n:02d}")


@pytest.fixture
def demo():
    seed_demo()


def counts() -> dict[str, int]:
    models = (
        Person,
        User,
        Clinic,
        Slot,
        Immunization,
        Appointment,
        DoseReminder,
        InsuranceEvent,
        Coverage,
        AccessLogEntry,
        QuarantinedLine,
    )
    result = {model.__name__: model.objects.count() for model in models}
    result["withdrawn"] = Slot.objects.filter(withdrawn_at__isnull=False).count()
    result["staff"] = Clinic.staff.through.objects.count()
    return result


def test_it_changes_nothing_when_seeded_again(demo):
    before = counts()
    seed_demo()
    assert counts() == before


@pytest.mark.parametrize(
    ("parent", "child", "reason"),
    [
        ("anna.kowalska", "Ola", Reason.TOO_YOUNG),
        ("anna.kowalska", "Zosia", Reason.FIRST_DOSE),
        ("anna.kowalska", "Maja", Reason.OPEN_VISIT),
        ("anna.kowalska", "Hania", Reason.COMPLETED),
        ("tomasz.wisniewski", "Kacper", Reason.NEXT_TOO_EARLY),
        ("tomasz.wisniewski", "Lena", Reason.NEXT_TOO_EARLY),
    ],
)
def test_it_gives_each_child_its_faq_situation_and_a_parent_who_can_book(
    demo, parent, child, reason
):
    assert next_step(child).reason == reason
    assert access_for(login(parent), person(child)).level == Level.WRITE


def test_it_opens_olas_booking_on_her_ninth_birthday(demo):
    assert next_step("Ola").opens_on == date_of_age(person("Ola").birth_date, 9)


def test_it_leaves_zosia_unbooked_with_terms_to_choose_from(demo):
    zosia = person("Zosia")
    assert not Appointment.objects.filter(child=zosia).exists()
    slots, step = bookable_slots(child=zosia, vaccine=hpv9(), now=timezone.now())
    assert step.eligible and slots.count() > 50
    assert {slot.clinic.city for slot in slots} >= {
        "Warszawa",
        "Kraków",
        "Gdańsk",
        "Poznań",
        "Łowicz",
    }


def test_it_names_the_warszawa_clinic_that_must_close_majas_visit(demo):
    step = next_step("Maja")
    warszawa = clinic("Warszawa")
    assert (step.clinic_name, step.recorded_dose) == (warszawa.name, 1)
    assert [dose.person for dose in open_visits(warszawa)] == [person("Maja")]
    assert login("przychodnia").clinics.get() == warszawa


def test_it_lets_kacper_take_dose_two_after_his_fourteenth_birthday(demo):
    kacper = person("Kacper")
    [dose] = Immunization.objects.filter(person=kacper)
    fourteenth = date_of_age(kacper.birth_date, 14)
    assert dose.administered_on < fourteenth < timezone.localdate()
    step = next_step("Kacper")
    assert step.opens_on == add_months(dose.administered_on, 6) > fourteenth
    slots, _ = bookable_slots(child=kacper, vaccine=hpv9(), now=timezone.now())
    assert slots.exists()  # the window opens within the five weeks of published terms
    assert all(timezone.localdate(slot.starts_at) >= step.opens_on for slot in slots)


def test_it_opens_lenas_second_dose_in_four_months(demo):
    step = next_step("Lena")
    assert (step.dose_number, step.opens_on) == (2, add_months(timezone.localdate(), 4))


def test_it_covers_the_new_children_through_the_insurance_feed(demo):
    events = InsuranceEvent.objects.filter(event_id__startswith="demo-vacc-")
    assert events.count() == 4
    assert all(event.applied_at is not None and event.feed_file_id for event in events)
    assert not QuarantinedLine.objects.exists()
    # Guardianship's fresh registration of Staś is still waiting (its demo case).
    assert InsuranceEvent.objects.get(event_id="demo-reg-marta-stas").applied_at is None


def test_it_publishes_terms_on_working_days_over_five_weeks_in_five_cities(demo):
    slots = Slot.objects.filter(slot_id__startswith="demo-slot-").select_related("clinic")
    today = timezone.localdate()
    days = {timezone.localdate(slot.starts_at) for slot in slots}
    assert min(days) > today and max(days) <= today + timedelta(weeks=WEEKS_AHEAD)
    assert all(day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS for day in days)
    assert {c.city for c in Clinic.objects.filter(slots__in=slots)} == {
        "Warszawa",
        "Kraków",
        "Gdańsk",
        "Poznań",
        "Łowicz",
    }
    for slot in slots[:20]:
        local = timezone.localtime(slot.starts_at)
        assert slot.slot_id == f"demo-slot-{slot.clinic.code}-{local:%Y%m%d%H%M}"


def test_it_shows_one_term_withdrawn_by_a_krakow_clinic(demo):
    [withdrawn] = Slot.objects.filter(withdrawn_at__isnull=False)
    assert withdrawn.clinic.city == "Kraków"
    assert withdrawn.starts_at > timezone.now()


def test_it_tops_terms_up_only_when_few_are_left(demo):
    warszawa = clinic("Warszawa")
    first = Slot.objects.filter(clinic=warszawa).count()
    later = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=10), time(7))
    )
    with time_machine.travel(later, tick=False):
        seed_demo()  # two weeks of terms left: enough
        assert Slot.objects.filter(clinic=warszawa).count() == first
    much_later = later + timedelta(days=18)
    with time_machine.travel(much_later, tick=False):
        seed_demo()
        future = Slot.objects.filter(clinic=warszawa, starts_at__gt=timezone.now())
        assert future.count() > TOP_UP_BELOW_DAYS * 7
        assert timezone.localdate(
            future.latest("starts_at").starts_at
        ) > timezone.localdate() + timedelta(weeks=4)
        topped_up = Slot.objects.count()
        seed_demo()
        assert Slot.objects.count() == topped_up
