"""The clinics' daily open-visit reminder (vaccinations/reminders_clinic.py)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.roles import CLINIC_STAFF_GROUP
from conftest import make_clinic, make_person, make_user, record_dose, years_ago
from vaccinations import reminders_clinic
from vaccinations.reminders_clinic import open_visit_reminders_send


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def staff(db):
    return make_user(email="lekarz@example.test", groups=[CLINIC_STAFF_GROUP])


@pytest.fixture
def clinic(staff):
    return make_clinic(name="Przychodnia Pod Lipami", city="Kraków", staff=[staff])


def open_dose(clinic, *, days_ago: int, today):
    return record_dose(
        make_person(born=years_ago(11)),
        on=today - timedelta(days=days_ago),
        clinic=clinic,
        visit_open=True,
    )


def mails_to(user) -> list:
    return [m for m in mail.outbox if m.to == [user.email]]


def test_it_mails_each_staff_member_how_many_visits_are_open_and_since_when(
    staff, clinic, today, settings
):
    colleague = make_user(
        email="pielegniarka@example.test", groups=[CLINIC_STAFF_GROUP], language="en"
    )
    clinic.staff.add(colleague)
    open_dose(clinic, days_ago=2, today=today)
    open_dose(clinic, days_ago=9, today=today)
    open_dose(clinic, days_ago=0, today=today)  # fresh, but still counted as open
    record_dose(
        make_person(born=years_ago(12)), on=today - timedelta(days=30), clinic=clinic
    )  # closed

    assert open_visit_reminders_send(today=today) == 2

    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "clinic:visits", kwargs={"clinic_id": clinic.public_id}
    )
    [english] = mails_to(colleague)
    with translation.override("en"):
        oldest = formats.date_format(today - timedelta(days=9), "DATE_FORMAT")
    assert english.subject == "Przychodnia Pod Lipami: 3 vaccination visits are still open"
    assert "has 3 vaccination visits that are still open" in english.body
    assert f"The oldest dose was given on {oldest}." in english.body
    assert link in english.body
    [polish] = mails_to(staff)
    assert link in polish.body and clinic.name in polish.subject


def test_it_mails_once_a_day(staff, clinic, today):
    open_dose(clinic, days_ago=5, today=today)

    assert open_visit_reminders_send(today=today) == 1
    assert open_visit_reminders_send(today=today) == 0  # the task ran twice: still one mail
    assert len(mails_to(staff)) == 1

    assert open_visit_reminders_send(today=today + timedelta(days=1)) == 1  # the next day, again
    assert len(mails_to(staff)) == 2


def test_it_waits_more_than_a_day_before_reminding(staff, clinic, today):
    open_dose(clinic, days_ago=0, today=today)
    open_dose(clinic, days_ago=1, today=today)
    assert open_visit_reminders_send(today=today) == 0
    assert mail.outbox == []


def test_it_does_not_remind_about_closed_visits(staff, clinic, today):
    record_dose(make_person(born=years_ago(12)), on=today - timedelta(days=10), clinic=clinic)
    assert open_visit_reminders_send(today=today) == 0


def test_it_mails_only_the_clinics_own_staff_who_can_still_open_the_page(staff, clinic, today):
    left_the_role = make_user(
        email="byly@example.test"
    )  # on the staff list, no longer in the group
    inactive = make_user(
        email="nieaktywny@example.test", groups=[CLINIC_STAFF_GROUP], is_active=False
    )
    clinic.staff.add(left_the_role, inactive)
    elsewhere = make_user(email="gdzie-indziej@example.test", groups=[CLINIC_STAFF_GROUP])
    make_clinic(name="Przychodnia Inna", staff=[elsewhere])  # no open visits there
    open_dose(clinic, days_ago=3, today=today)

    open_visit_reminders_send(today=today)

    assert [m.to for m in mail.outbox] == [[staff.email]]


def test_a_failed_mail_is_tried_again_the_same_day(staff, clinic, today, monkeypatch):
    open_dose(clinic, days_ago=3, today=today)

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr(reminders_clinic, "send_mail", broken)
    assert open_visit_reminders_send(today=today) == 0
    monkeypatch.undo()

    assert open_visit_reminders_send(today=today) == 1
    assert len(mails_to(staff)) == 1
