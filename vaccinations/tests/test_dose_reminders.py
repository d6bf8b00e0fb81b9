"""Next-dose reminders (vaccinations/reminders.py; issue #4, point 7): the guardians of a child
with a dose recorded get an e-mail on the day the next dose's window opens and two weeks before
it closes, once, in their own language, with the FAQ's booking path."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import formats, timezone, translation

from accounts.rules import add_months
from conftest import insure, make_clinic, make_grant, make_person, make_slot, make_user, record_dose
from guardianship.models import LinkSuspension
from vaccinations.models import Appointment, DoseReminder
from vaccinations.reminders import dose_reminders_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_dose(insured_child) -> date:
    """Dose 1 of the ten-year-old `insured_child`, two months ago, visit closed."""
    given = timezone.localdate() - timedelta(days=60)
    record_dose(insured_child, on=given)
    return given


@pytest.fixture
def opens_on(first_dose) -> date:
    return add_months(first_dose, 6)


@pytest.fixture
def closing_day(first_dose) -> date:
    return add_months(first_dose, 12) - timedelta(days=14)


def day(value: date, language: str) -> str:
    with translation.override(language):
        return formats.date_format(value, "DATE_FORMAT")


def recipients() -> list[list[str]]:
    return sorted(message.to for message in mail.outbox)


def test_it_mails_the_parent_on_the_day_the_next_dose_window_opens(
    parent, insured_child, first_dose, opens_on
):
    parent.language = "en"
    parent.save(update_fields=["language"])

    assert dose_reminders_send(today=opens_on) == 1

    [message] = mail.outbox
    assert message.to == [parent.email]
    assert message.subject == "Zosia Kowalska: dose 2 of Gardasil 9 can now be booked"
    assert "From today you can book Zosia Kowalska for dose 2 of Gardasil 9." in message.body
    closes = add_months(first_dose, 12)
    assert f"from {day(opens_on, 'en')} to {day(closes, 'en')}" in message.body
    reminder = DoseReminder.objects.get()
    assert (reminder.person, reminder.dose_number, reminder.kind) == (insured_child, 2, "opens")
    assert (reminder.window_opens_on, reminder.window_closes_on) == (opens_on, closes)
    assert reminder.sent_at is not None


def test_it_tells_how_to_book_and_that_no_e_referral_is_needed(parent, insured_child, opens_on):
    parent.language = "en"
    parent.save(update_fields=["language"])

    dose_reminders_send(today=opens_on)

    body = mail.outbox[0].body
    # The FAQ's path: children's accounts → the child → Profilaktyka → Szczepienia → book.
    for step in (
        "Your children's accounts (Konta Twoich dzieci)",
        "Prevention (Profilaktyka)",
        "Vaccinations (Szczepienia)",
        "Book a vaccination (Umów się na szczepienie)",
    ):
        assert step in body
    assert "/uprawnienia/dzieci/" in body
    assert "No e-referral is needed" in body


def test_it_mails_two_weeks_before_the_window_closes(
    parent, insured_child, first_dose, closing_day
):
    parent.language = "en"
    parent.save(update_fields=["language"])

    assert dose_reminders_send(today=closing_day) == 1

    [message] = mail.outbox
    assert message.subject == "Zosia Kowalska: two weeks left for dose 2 of Gardasil 9"
    closes = add_months(first_dose, 12)
    assert f"the dose can be given until {day(closes, 'en')}." in message.body
    assert DoseReminder.objects.get().kind == "closing"


def test_it_sends_nothing_on_other_days(insured_child, first_dose, opens_on, closing_day):
    closes = add_months(first_dose, 12)
    for today in (
        first_dose,
        opens_on - timedelta(days=1),
        opens_on + timedelta(days=1),
        closing_day - timedelta(days=1),
        closing_day + timedelta(days=1),
        closes,
    ):
        assert dose_reminders_send(today=today) == 0
    assert mail.outbox == []
    assert not DoseReminder.objects.exists()


def test_it_mails_once_when_run_twice(parent, insured_child, opens_on, closing_day):
    dose_reminders_send(today=opens_on)
    assert dose_reminders_send(today=opens_on) == 0
    dose_reminders_send(today=closing_day)
    assert dose_reminders_send(today=closing_day) == 0

    assert len(mail.outbox) == 2
    assert sorted(DoseReminder.objects.values_list("kind", flat=True)) == ["closing", "opens"]


def test_it_skips_the_closing_mail_when_the_child_has_a_booked_appointment(
    parent, insured_child, closing_day
):
    slot = make_slot(make_clinic())
    Appointment.objects.create(
        child=insured_child, slot=slot, vaccine=slot.vaccine, dose_number=2, booked_by=parent
    )

    assert dose_reminders_send(today=closing_day) == 0
    assert mail.outbox == []
    assert not DoseReminder.objects.exists()


def test_it_mails_again_once_the_appointment_is_cancelled(parent, insured_child, closing_day):
    slot = make_slot(make_clinic())
    Appointment.objects.create(
        child=insured_child,
        slot=slot,
        vaccine=slot.vaccine,
        dose_number=2,
        booked_by=parent,
        status=Appointment.Status.CANCELLED,
    )

    assert dose_reminders_send(today=closing_day) == 1


def test_it_sends_nothing_for_a_completed_course(insured_child, first_dose, opens_on, closing_day):
    record_dose(insured_child, on=opens_on)

    for today in (
        opens_on,
        closing_day,
        add_months(opens_on, 6),
        add_months(opens_on, 12) - timedelta(days=14),
    ):
        assert dose_reminders_send(today=today) == 0
    assert mail.outbox == []


def test_it_sends_nothing_while_the_visit_of_the_last_dose_is_open(parent, child):
    insure(parent.person, child)
    given = timezone.localdate() - timedelta(days=60)
    record_dose(child, on=given, visit_open=True)

    assert dose_reminders_send(today=add_months(given, 6)) == 0  # the clinic must close it first
    assert mail.outbox == []


def test_it_skips_a_guardian_without_a_login(db):
    child = make_person(born=add_months(timezone.localdate(), -130), first_name="Ela")
    insure(make_person(born=date(1980, 1, 1), first_name="Jan", sex="M"), child)
    given = timezone.localdate() - timedelta(days=30)
    record_dose(child, on=given)

    assert dose_reminders_send(today=add_months(given, 6)) == 0

    assert mail.outbox == []
    assert DoseReminder.objects.get().sent_at is not None  # handled: not retried every day


def test_it_mails_the_holder_of_a_child_grant_too(
    parent, granted_child, granted_guardian, opens_on
):
    assert dose_reminders_send(today=opens_on) == 2

    assert recipients() == [[parent.email], [granted_guardian.email]]


def test_it_ignores_a_grant_whose_surname_does_not_match(parent, insured_child, opens_on):
    other = make_user(
        person=make_person(born=date(1970, 5, 5), first_name="Ewa", surname="Zielińska")
    )
    grant = make_grant(insured_child, other.person)
    grant.grantee_surname = "Kowalska"
    grant.save(update_fields=["grantee_surname"])

    dose_reminders_send(today=opens_on)

    assert recipients() == [[parent.email]]


def test_it_does_not_mail_a_parent_who_said_this_is_not_their_child(
    parent, insured_child, opens_on
):
    LinkSuspension.objects.create(person=parent.person, subject=insured_child)

    assert dose_reminders_send(today=opens_on) == 0


def test_it_writes_in_polish(parent, insured_child, first_dose, opens_on):
    assert parent.language == "pl"

    dose_reminders_send(today=opens_on)

    [message] = mail.outbox
    assert message.subject == "Zosia Kowalska: można już umówić dawkę nr 2 szczepionki Gardasil 9"
    assert message.body.startswith("Dzień dobry,")
    assert (
        "Od dziś możesz zapisać dziecko (Zosia Kowalska) na dawkę nr 2 szczepionki Gardasil 9."
        in message.body
    )
    closes = add_months(first_dose, 12)
    assert f"od {day(opens_on, 'pl')} do {day(closes, 'pl')}" in message.body
    assert "„Profilaktyka”, a następnie „Szczepienia” i „Umów się na szczepienie”" in message.body
    assert "nie potrzebujesz e-skierowania" in message.body


def test_it_writes_to_each_guardian_in_their_own_language(
    parent, granted_child, granted_guardian, closing_day
):
    granted_guardian.language = "en"
    granted_guardian.save(update_fields=["language"])

    dose_reminders_send(today=closing_day)

    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {
        parent.email: "Zosia Kowalska: zostały dwa tygodnie na dawkę nr 2 szczepionki Gardasil 9",
        granted_guardian.email: "Zosia Kowalska: two weeks left for dose 2 of Gardasil 9",
    }


def test_it_sends_a_reminder_left_unsent_by_an_earlier_run(
    parent, insured_child, first_dose, opens_on
):
    dose_reminders_send(today=opens_on)
    DoseReminder.objects.update(sent_at=None)  # as if the run had stopped before sending
    mail.outbox.clear()

    assert dose_reminders_send(today=opens_on + timedelta(days=1)) == 1


def test_it_loads_the_children_set_based(parent, django_assert_max_num_queries):
    given = timezone.localdate() - timedelta(days=60)
    for n in range(6):
        child = make_person(
            born=add_months(timezone.localdate(), -120 - n), first_name=f"Dziecko{n}"
        )
        insure(parent.person, child)
        record_dose(child, on=given)

    with django_assert_max_num_queries(11):  # the same for one child or a million
        assert dose_reminders_send(today=add_months(given, 6)) == 6
