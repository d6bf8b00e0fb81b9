"""services.rule_facts: the booking rule's facts in one statement give what the models give.

The Szczepienia page reads the same facts as models (doses_of, active_appointment); the booking
path reads them with one SQL statement. Both must hand the rule the same doses, in the same
order, and the same active appointment on the same local day.
"""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from conftest import make_clinic, make_person, make_slot, record_dose, years_ago
from vaccinations.models import Appointment, Immunization
from vaccinations.rules import BookedAppointment
from vaccinations.services import active_appointment, doses_of, rule_facts, slot_day


def as_models(child, vaccine):
    """The facts as the Szczepienia page derives them from the models."""
    booked = active_appointment(child, vaccine)
    return (
        [dose.as_rule() for dose in doses_of(child, vaccine)],
        booked.pk if booked else None,
        BookedAppointment(slot_day(booked.slot), booked.dose_number) if booked else None,
    )


def loaded(child, vaccine):
    facts = rule_facts(child, vaccine)
    return facts.doses, facts.appointment_id, facts.appointment


@pytest.fixture
def child(db):
    return make_person(born=years_ago(11), first_name="Ola")


def test_a_child_with_nothing_recorded_has_no_facts(child):
    slot = make_slot(make_clinic())

    assert loaded(child, slot.vaccine) == ([], None, None) == as_models(child, slot.vaccine)


def test_doses_come_in_date_order_with_their_visit_state_and_clinic(child, parent):
    today = timezone.localdate()
    clinic = make_clinic(name="Przychodnia Pod Lipami")
    second = record_dose(
        child, on=today - timedelta(days=10), clinic=clinic, visit_open=True, dose_number=2
    )
    record_dose(child, on=today - timedelta(days=200), dose_number=1)
    # A dose known only by the feed's clinic code (no clinic row): the code stands for the name.
    Immunization.objects.filter(pk=second.pk).update(clinic=None, clinic_code="POZ-ZNIKNIETA")

    doses, _, _ = loaded(child, second.vaccine)

    assert [(d.visit_open, d.clinic_name) for d in doses] == [
        (False, Immunization.objects.get(dose_number=1).clinic.name),
        (True, "POZ-ZNIKNIETA"),
    ]
    assert loaded(child, second.vaccine) == as_models(child, second.vaccine)


def test_only_the_booked_appointment_counts_and_only_this_childs(child, parent):
    clinic = make_clinic()
    cancelled, booked, elsewhere = (make_slot(clinic, days_ahead=n) for n in (3, 5, 7))
    Appointment.objects.create(child=child, slot=cancelled, vaccine=cancelled.vaccine, dose_number=1,
                               booked_by=parent, status=Appointment.Status.CANCELLED)  # fmt: skip
    mine = Appointment.objects.create(
        child=child, slot=booked, vaccine=booked.vaccine, dose_number=1, booked_by=parent
    )
    other = make_person(born=years_ago(10), first_name="Ktoś")
    Appointment.objects.create(
        child=other, slot=elsewhere, vaccine=elsewhere.vaccine, dose_number=1, booked_by=parent
    )

    assert (
        loaded(child, booked.vaccine)
        == (
            [],
            mine.pk,
            BookedAppointment(slot_day(booked), 1),
        )
        == as_models(child, booked.vaccine)
    )


@pytest.mark.parametrize("local_time", [time(0, 15), time(23, 45)], ids=["00:15", "23:45"])
def test_the_appointment_falls_on_its_local_day_not_the_utc_one(child, parent, local_time):
    """Warsaw is UTC+1/+2: a 00:15 slot is the previous day in UTC, and the rule judges days."""
    day = timezone.localdate() + timedelta(days=4)
    slot = make_slot(
        make_clinic(), starts_at=timezone.make_aware(datetime.combine(day, local_time))
    )
    Appointment.objects.create(
        child=child, slot=slot, vaccine=slot.vaccine, dose_number=1, booked_by=parent
    )

    assert rule_facts(child, slot.vaccine).appointment.on == day
