"""Vaccination admin: programme versions are edited here (a programme change needs no code);
slots, appointments and doses are records written through services."""

from datetime import date, timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from conftest import hpv9, make_clinic, make_person, make_slot
from vaccinations import services
from vaccinations.models import Appointment, Programme

RECORDS = ["vaccinations.Slot", "vaccinations.Appointment", "vaccinations.Immunization", "vaccinations.DoseReminder"]


@pytest.fixture
def admin_client(client, admin_user):
    TOTP.activate(admin_user, generate_totp_secret())
    client.force_login(admin_user)
    return client


def url(model, view: str, *args) -> str:
    return reverse(f"admin:vaccinations_{model._meta.model_name}_{view}", args=args)


def test_every_vaccinations_model_is_in_the_admin():
    registered = {model._meta.label for model in admin.site._registry}
    assert {m._meta.label for m in apps.get_app_config("vaccinations").get_models()} <= registered


@pytest.mark.parametrize("label", RECORDS)
def test_records_cannot_be_added_by_hand(admin_client, label):
    model = apps.get_model(label)
    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "add")).status_code == 403


def test_a_new_programme_version_from_the_admin_changes_eligibility_without_code(admin_client, parent):
    # A child of 14 years and 1 month on the slot's day: too old under the 2024 programme.
    child = make_person(born=date.today().replace(day=1) - timedelta(days=14 * 365 + 40), first_name="Ela")
    slot = make_slot(make_clinic(), days_ahead=3)
    assert services.judge_slot(child=child, slot=slot).reason == "too_old"

    today = timezone.localdate()
    response = admin_client.post(url(Programme, "add"), {
        "vaccine": hpv9().pk, "name": "Program HPV 9-15", "effective_from": today.isoformat(), "effective_to": "",
        "first_dose_min_age": 9, "first_dose_max_age": 15, "doses": 2, "min_interval_months": 6,
        "max_interval_months": 12, "later_doses_after_max_age": "on",
    })  # fmt: skip

    assert response.status_code == 302, response.content
    assert services.judge_slot(child=child, slot=slot).eligible


def test_the_admin_refuses_a_programme_with_ages_in_the_wrong_order(admin_client):
    response = admin_client.post(url(Programme, "add"), {
        "vaccine": hpv9().pk, "name": "Zły", "effective_from": "2030-01-01", "first_dose_min_age": 14,
        "first_dose_max_age": 9, "doses": 2, "min_interval_months": 6, "max_interval_months": 12,
    })  # fmt: skip
    assert response.status_code == 200
    assert Programme.objects.count() == 1  # only the seeded one


def test_programme_and_appointment_pages_render(admin_client, parent, insured_child):
    slot = make_slot(make_clinic())
    appointment = Appointment.objects.create(child=insured_child, slot=slot, vaccine=hpv9(), dose_number=1, booked_by=parent)
    programme = Programme.objects.get()
    assert admin_client.get(url(Programme, "change", programme.pk)).status_code == 200
    assert admin_client.get(url(Appointment, "change", appointment.pk)).status_code == 200
