"""Vaccination admin: programme versions are edited here (a programme change needs no code);
slots, appointments and doses are records written through services."""

from datetime import date, timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import hpv9, make_clinic, make_person, make_slot, record_dose
from feeds.tests.feed_lines import ingest_lines
from guardianship.models import AccessLogEntry
from vaccinations import services
from vaccinations.models import Appointment, Clinic, DoseReminder, Immunization, Programme
from vaccinations.reminders_clinic import clinics_to_remind

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


# --- clinics: doses recorded under a code before the clinic had it ---------------------------------


def fed_dose(tmp_path, child, clinic_code: str, *, record_id: str = "feed-open-1", dose_number: int = 1):
    """A dose of `child` three days ago whose visit is still open, through the immunization feed."""
    line = {
        "record_id": record_id, "pesel": child.pesel, "vaccine": "HPV9", "dose_number": dose_number,
        "administered_on": str(timezone.localdate() - timedelta(days=3)), "clinic_code": clinic_code,
        "visit_status": "open",
    }  # fmt: skip
    result = ingest_lines("immunization", tmp_path, f"{record_id}.jsonl", [line])
    assert (result.accepted, result.quarantined) == (1, 0)
    return Immunization.objects.get(record_id=record_id)


def test_a_clinic_added_in_the_admin_gets_the_open_visits_recorded_under_its_code(
    admin_client, tmp_path, clinic_user, child
):
    dose = fed_dose(tmp_path, child, "POZ-NOWA-1")
    assert dose.clinic is None  # a code the portal did not know yet

    response = admin_client.post(url(Clinic, "add"), {
        "code": "POZ-NOWA-1", "name": "Przychodnia Nowa", "city": "Poznań", "address": "ul. Nowa 1",
        "staff": [clinic_user.pk], "_save": "Save",
    }, follow=True, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert response.status_code == 200 and response.redirect_chain[-1][1] == 302
    clinic = Clinic.objects.get(code="POZ-NOWA-1")
    dose.refresh_from_db()
    assert dose.clinic == clinic
    assert "1 dose recorded under code POZ-NOWA-1 is now linked to this clinic." in response.content.decode()
    # The clinic's staff see the open visit (and can close it), and get the daily reminder.
    staff = Client()
    TOTP.activate(clinic_user, generate_totp_secret())
    staff.force_login(clinic_user)
    visits = staff.get(reverse("clinic:visits", kwargs={"clinic_id": clinic.public_id}))
    assert visits.status_code == 200 and child.full_name in visits.content.decode()
    assert clinics_to_remind(timezone.localdate()) == [(clinic, 1, dose.administered_on)]


def test_recoding_a_clinic_in_the_admin_links_the_doses_under_its_new_code_and_keeps_its_own(
    admin_client, tmp_path, child
):
    clinic = make_clinic(name="Przychodnia Stara")
    own = record_dose(child, on=timezone.localdate() - timedelta(days=250), clinic=clinic)
    waiting = fed_dose(tmp_path, child, "POZ-PRAWIDLOWY", dose_number=2)
    data = {"code": "POZ-PRAWIDLOWY", "name": clinic.name, "city": clinic.city, "address": clinic.address, "_save": "Save"}

    response = admin_client.post(url(Clinic, "change", clinic.pk), data)

    assert response.status_code == 302
    waiting.refresh_from_db()
    own.refresh_from_db()
    assert (waiting.clinic, own.clinic, own.clinic_code) == (clinic, clinic, own.clinic_code)


def test_a_clinic_saved_in_the_admin_never_takes_a_dose_linked_to_another(admin_client, tmp_path, child):
    elsewhere = make_clinic(name="Przychodnia Inna")
    dose = fed_dose(tmp_path, child, elsewhere.code)
    assert dose.clinic == elsewhere
    elsewhere.code = "POZ-INNY-KOD"  # recoded: its dose keeps the code it was recorded under
    elsewhere.save(update_fields=["code"])

    response = admin_client.post(url(Clinic, "add"), {
        "code": dose.clinic_code, "name": "Przychodnia Nowa", "city": "Łódź", "address": "", "_save": "Save",
    })  # fmt: skip

    assert response.status_code == 302
    dose.refresh_from_db()
    assert dose.clinic == elsewhere


# --- reading a child's vaccination data in the admin is logged --------------------------------------


def vaccination_records(parent, child) -> dict:
    """A dose, an appointment and a dose reminder of `child`: one of each model whose admin page
    shows a child's vaccination data."""
    appointment = Appointment.objects.create(
        child=child, slot=make_slot(make_clinic()), vaccine=hpv9(), dose_number=2, booked_by=parent
    )
    dose = record_dose(child, on=timezone.localdate() - timedelta(days=200))
    reminder = DoseReminder.objects.create(
        person=child, vaccine=hpv9(), dose_number=2, kind="opens",
        window_opens_on=timezone.localdate(), window_closes_on=timezone.localdate() + timedelta(days=180),
    )  # fmt: skip
    return {"Immunization": dose, "Appointment": appointment, "DoseReminder": reminder}


@pytest.mark.parametrize("model_name", ["Immunization", "Appointment", "DoseReminder"])
def test_opening_a_childs_vaccination_record_in_the_admin_is_in_the_childs_access_history(
    admin_client, admin_user, parent, insured_child, model_name
):
    record = vaccination_records(parent, insured_child)[model_name]

    changelist = admin_client.get(url(type(record), "changelist"))
    assert changelist.status_code == 200
    assert not AccessLogEntry.objects.exists()  # the lists name no child
    response = admin_client.get(url(type(record), "change", record.pk))

    assert response.status_code == 200
    [entry] = AccessLogEntry.objects.all()
    assert (entry.actor, entry.subject, entry.acting_for, entry.action, entry.basis, entry.target) == (
        admin_user, insured_child, insured_child, "view_vaccinations", "support", str(getattr(record, "public_id", "")),
    )  # fmt: skip


def test_an_unknown_vaccination_record_in_the_admin_logs_nothing(admin_client):
    response = admin_client.get(url(Immunization, "change", 999999))
    assert response.status_code == 302  # the admin redirects to its index with a message
    assert not AccessLogEntry.objects.exists()
