"""The clinic staff pages (/obsluga/przychodnia/): slots, recording doses, open visits."""

import re
import threading
import time as time_module
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.models import Person
from accounts.roles import CLINIC_STAFF_GROUP
from accounts.rules import add_months
from conftest import hpv9, make_clinic, make_person, make_slot, make_user, record_dose, years_ago
from feeds.tests.feed_lines import ingest_lines
from guardianship.models import AccessLogEntry
from vaccinations import services
from vaccinations.models import Appointment, Clinic, Immunization, Slot
from vaccinations.tests.test_booking_views import OVERVIEW, open_child_account

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LOGIN = "/konto/login/"


def with_totp(user):
    """Clinic staff must have a second factor (accounts.middleware); the tests give them one."""
    TOTP.activate(user, generate_totp_secret())
    return user


def html(response) -> str:
    return response.content.decode()


def row_texts(page: str, table_id: str) -> list[str]:
    """The body rows of the table with this id, each as its text."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.DOTALL)
    assert table, f"no table #{table_id}"
    body = re.search(r"<tbody.*?</tbody>", table.group(0), re.DOTALL).group(0)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", row).split())
        for row in re.findall(r"<tr[^>]*>.*?</tr>", body, re.DOTALL)
    ]


def local_start(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days_ahead)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def book(slot: Slot, child: Person, by, dose_number: int = 1) -> Appointment:
    return Appointment.objects.create(
        child=child, slot=slot, vaccine=hpv9(), dose_number=dose_number, booked_by=by
    )


@pytest.fixture
def staff(clinic_user):
    return with_totp(clinic_user)


@pytest.fixture
def clinic(staff) -> Clinic:
    return make_clinic(name="Przychodnia Pod Lipami", city="Kraków", staff=[staff])


@pytest.fixture
def other_staff(db):
    return with_totp(make_user(email="inna@example.test", groups=[CLINIC_STAFF_GROUP]))


@pytest.fixture
def other_clinic(other_staff) -> Clinic:
    return make_clinic(name="Przychodnia Inna", city="Gdańsk", staff=[other_staff])


@dataclass
class World:
    clinic: Clinic
    slot: Slot
    dose: Immunization
    child: Person


@pytest.fixture
def world(clinic, child) -> World:
    return World(
        clinic,
        make_slot(clinic, days_ahead=5),
        record_dose(child, on=timezone.localdate(), clinic=clinic, visit_open=True),
        child,
    )


def _ids(w: World) -> dict:
    return {"clinic_id": w.clinic.public_id}


def _dose_form(w: World) -> dict:
    return {"pesel": w.child.pesel, "surname": w.child.surname, "vaccine": hpv9().pk,
            "administered_on": timezone.localdate().isoformat()}  # fmt: skip


def _publish_form() -> dict:
    tomorrow = timezone.localdate() + timedelta(days=1)
    return {
        "vaccine": hpv9().pk,
        "day": tomorrow.isoformat(),
        "start": "09:00",
        "duration_minutes": 15,
        "count": 3,
    }


# (name, method, url, POST data) for every page that names a clinic.
PAGES = {
    "slots": ("get", lambda w: reverse("clinic:slots", kwargs=_ids(w)), None),
    "slots_publish": ("post", lambda w: reverse("clinic:slots", kwargs=_ids(w)), lambda w: _publish_form()),
    "slot_withdraw": ("get", lambda w: reverse("clinic:slot_withdraw", kwargs=_ids(w) | {"slot_id": w.slot.public_id}), None),
    "slot_withdraw_post": ("post", lambda w: reverse("clinic:slot_withdraw", kwargs=_ids(w) | {"slot_id": w.slot.public_id}), lambda w: {}),
    "visits": ("get", lambda w: reverse("clinic:visits", kwargs=_ids(w)), None),
    "visit_close": ("post", lambda w: reverse("clinic:visit_close", kwargs=_ids(w) | {"dose_id": w.dose.public_id}), lambda w: {}),
    "record_dose": ("get", lambda w: reverse("clinic:record_dose", kwargs=_ids(w)), None),
    "record_dose_post": ("post", lambda w: reverse("clinic:record_dose", kwargs=_ids(w)), _dose_form),
}  # fmt: skip


def request(client, w: World, name: str):
    method, url, data = PAGES[name]
    if method == "post":
        return client.post(url(w), data(w), **EN)
    return client.get(url(w), **EN)


def state(w: World) -> tuple:
    """What any of the pages could change."""
    return (Slot.objects.count(), Slot.objects.filter(withdrawn_at__isnull=False).count(),
            Immunization.objects.count(), Immunization.objects.filter(visit_status="open").count(),
            AccessLogEntry.objects.count())  # fmt: skip


# --- the permission ladder ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_log_in(client, world, name):
    before = state(world)
    response = request(client, world, name)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert state(world) == before


@pytest.mark.parametrize("name", PAGES)
def test_it_forbids_logins_that_are_not_clinic_staff(client, world, parent, name):
    client.force_login(parent)
    before = state(world)
    assert request(client, world, name).status_code == 403
    assert state(world) == before


@pytest.mark.parametrize("name", PAGES)
def test_it_hides_a_clinic_from_the_staff_of_another(
    client, world, other_clinic, other_staff, name
):
    client.force_login(other_staff)
    before = state(world)
    assert request(client, world, name).status_code == 404
    assert state(world) == before


@pytest.mark.parametrize("name", PAGES)
def test_it_lets_its_own_staff_in(client, world, staff, name):
    client.force_login(staff)
    response = request(client, world, name)
    if PAGES[name][0] == "get":
        assert response.status_code == 200
        assert world.clinic.name in html(response)
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(f"/obsluga/przychodnia/{world.clinic.public_id}/")


def test_it_asks_clinic_staff_without_a_second_factor_to_set_one_up(client, world):
    newcomer = make_user(email="nowa@example.test", groups=[CLINIC_STAFF_GROUP])
    world.clinic.staff.add(newcomer)
    client.force_login(newcomer)
    response = client.get(reverse("clinic:visits", kwargs=_ids(world)))
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("slots", "delete"),
        ("slot_withdraw", "put"),
        ("visits", "post"),
        ("visit_close", "get"),
        ("record_dose", "put"),
    ],
)
def test_it_refuses_the_wrong_method(client, world, staff, name, method):
    client.force_login(staff)
    url = PAGES[name][1](world)
    assert getattr(client, method)(url).status_code == 405


# --- home -----------------------------------------------------------------------------------------


def test_home_lists_only_the_users_own_clinics(client, staff, clinic, other_clinic, child):
    record_dose(child, on=timezone.localdate(), clinic=clinic, visit_open=True)
    client.force_login(staff)
    response = client.get(reverse("clinic:home"), **EN)
    assert response.status_code == 200
    page = html(response)
    assert clinic.name in page and other_clinic.name not in page
    for name in ("slots", "visits", "record_dose"):
        assert reverse(f"clinic:{name}", kwargs={"clinic_id": clinic.public_id}) in page
    assert "1 open" in page


def test_home_walks_the_ladder(client, parent, staff):
    url = reverse("clinic:home")
    assert client.get(url)["Location"].startswith(LOGIN)
    client.force_login(parent)
    assert client.get(url).status_code == 403
    client.force_login(staff)
    assert client.post(url).status_code == 405
    response = client.get(url, **EN)
    assert response.status_code == 200 and "not on the staff of any clinic" in html(response)


# --- slots ----------------------------------------------------------------------------------------


def test_it_lists_coming_slots_soonest_first_with_their_state(
    client, staff, clinic, other_clinic, parent, child
):
    free = make_slot(clinic, starts_at=local_start(3, 11))
    booked = make_slot(clinic, starts_at=local_start(2, 9))
    withdrawn = make_slot(clinic, starts_at=local_start(4, 8))
    Slot.objects.filter(pk=withdrawn.pk).update(withdrawn_at=timezone.now())
    make_slot(clinic, starts_at=timezone.now() - timedelta(hours=1))  # past: not listed
    make_slot(other_clinic, starts_at=local_start(1, 7))  # another clinic's: not listed
    book(booked, child, parent, dose_number=2)
    client.force_login(staff)

    response = client.get(reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id}), **EN)

    assert [slot.pk for slot in response.context["page"]] == [booked.pk, free.pk, withdrawn.pk]
    rows = row_texts(html(response), "terms")
    assert "09:00" in rows[0] and "booked" in rows[0] and "dose 2" in rows[0]
    assert "11:00" in rows[1] and "free" in rows[1] and "Withdraw" in rows[1]
    assert "withdrawn" in rows[2] and "Withdraw" not in rows[2]
    assert child.first_name not in html(response) and child.surname not in html(response)


def test_it_pages_the_slots_by_fifty(client, staff, clinic):
    Slot.objects.bulk_create(
        [Slot(slot_id=f"page-{n}", clinic=clinic, vaccine=hpv9(), starts_at=local_start(1, 8) + timedelta(minutes=15 * n))
         for n in range(51)]
    )  # fmt: skip
    client.force_login(staff)
    url = reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id})
    assert len(client.get(url).context["page"]) == 50
    assert len(client.get(url, {"strona": 2}).context["page"]) == 1


def test_it_publishes_consecutive_slots(client, staff, clinic):
    client.force_login(staff)
    response = client.post(
        reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id}),
        _publish_form(),
        follow=True,
        **EN,
    )

    slots = list(Slot.objects.filter(clinic=clinic).order_by("starts_at"))
    assert [timezone.localtime(s.starts_at).strftime("%H:%M") for s in slots] == [
        "09:00",
        "09:15",
        "09:30",
    ]
    assert {(s.source, s.duration_minutes, s.vaccine.code) for s in slots} == {
        ("staff", 15, "HPV9")
    }
    assert {timezone.localtime(s.starts_at).date() for s in slots} == {
        timezone.localdate() + timedelta(days=1)
    }
    assert "Published 3 terms" in html(response)
    assert len(row_texts(html(response), "terms")) == 3


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"day": "2020-01-01"}, "start", "must start in the future"),
        ({"count": 41}, "count", "at most 40"),
        ({"count": 0}, "count", "at least 1"),
        ({"duration_minutes": ""}, "duration_minutes", "Enter the length"),
        ({"day": "31.02.2030"}, "day", "Enter a real date"),
        ({"day": "9999-12-31", "count": 40, "duration_minutes": 120}, "day", "at most two years ahead"),
        ({"day": "31.12.9999", "start": "23:59"}, "day", "at most two years ahead"),
    ],
)
def test_it_refuses_a_bad_publish_form(client, staff, clinic, change, field, message):
    client.force_login(staff)
    response = client.post(
        reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id}),
        _publish_form() | change,
        **EN,
    )
    assert response.status_code == 400  # refused: shown again with the reason
    assert message in " ".join(response.context["form"].errors[field])
    assert "govuk-error-summary" in html(response)
    assert not Slot.objects.exists()


def test_it_publishes_up_to_two_years_ahead_and_says_until_when(client, staff, clinic):
    last = add_months(timezone.localdate(), 24)
    url = reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id})
    client.force_login(staff)

    beyond = client.post(url, _publish_form() | {"day": (last + timedelta(days=1)).isoformat()}, **EN)
    published = client.post(url, _publish_form() | {"day": last.isoformat(), "count": 1}, **EN)

    assert beyond.status_code == 400
    with translation.override("en"):
        shown = formats.date_format(last, "DATE_FORMAT")
    assert f"no later than {shown}:" in " ".join(beyond.context["form"].errors["day"])
    assert published.status_code == 302
    assert timezone.localtime(Slot.objects.get().starts_at).date() == last
    assert client.get(url).status_code == 200


def test_the_service_refuses_a_term_beyond_the_horizon_whoever_calls_it(clinic):
    beyond = local_start((add_months(timezone.localdate(), 24) - timezone.localdate()).days + 1, 9)

    with pytest.raises(services.BookingRefused) as refused:
        services.slot_publish(clinic=clinic, vaccine=hpv9(), starts_at=beyond, duration_minutes=15)

    assert refused.value.code == "too_far"
    assert not Slot.objects.exists()


def test_it_accepts_a_polish_typed_date(client, staff, clinic):
    client.force_login(staff)
    day = timezone.localdate() + timedelta(days=2)
    client.post(
        reverse("clinic:slots", kwargs={"clinic_id": clinic.public_id}),
        _publish_form() | {"day": f"{day:%d.%m.%Y}", "count": 1},
    )
    assert timezone.localtime(Slot.objects.get().starts_at).date() == day


# --- withdrawing a slot ---------------------------------------------------------------------------


def withdraw_url(slot: Slot) -> str:
    return reverse(
        "clinic:slot_withdraw",
        kwargs={"clinic_id": slot.clinic.public_id, "slot_id": slot.public_id},
    )


def test_the_confirmation_warns_that_the_parent_will_be_told(client, staff, clinic, parent, child):
    booked, free = make_slot(clinic, days_ahead=3), make_slot(clinic, days_ahead=4)
    book(booked, child, parent)
    client.force_login(staff)
    assert 'id="booked-warning"' in html(client.get(withdraw_url(booked), **EN))
    assert 'id="booked-warning"' not in html(client.get(withdraw_url(free), **EN))
    assert Slot.objects.filter(withdrawn_at__isnull=False).count() == 0  # GET changes nothing


def test_withdrawing_a_booked_slot_cancels_the_appointment_and_mails_the_parent_after_commit(
    client, staff, clinic, parent, child, celery_eager, django_capture_on_commit_callbacks
):
    slot = make_slot(clinic, days_ahead=3)
    appointment = book(slot, child, parent)
    client.force_login(staff)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(withdraw_url(slot), **EN)
    assert mail.outbox == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()
    slot.refresh_from_db()
    appointment.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == reverse(
        "clinic:slots", kwargs={"clinic_id": clinic.public_id}
    )
    assert slot.withdrawn_at is not None
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "slot_withdrawn")
    assert [m.to for m in mail.outbox] == [[parent.email]]
    assert clinic.name in mail.outbox[0].body
    page = html(client.get(response["Location"], **EN))
    assert "the parent will be told by e-mail" in page


def test_withdrawing_a_free_slot_mails_nobody(
    client, staff, clinic, django_capture_on_commit_callbacks
):
    slot = make_slot(clinic, days_ahead=3)
    client.force_login(staff)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(withdraw_url(slot), follow=True, **EN)
    assert callbacks == []
    assert Slot.objects.get().withdrawn_at is not None
    assert "Nobody had booked it" in html(response)


def test_it_does_not_withdraw_another_clinics_slot_through_its_own_clinic(
    client, staff, clinic, other_clinic
):
    foreign = make_slot(other_clinic, days_ahead=3)
    client.force_login(staff)
    url = reverse(
        "clinic:slot_withdraw", kwargs={"clinic_id": clinic.public_id, "slot_id": foreign.public_id}
    )
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 404
    assert Slot.objects.get().withdrawn_at is None


def test_a_withdrawn_or_past_slot_is_left_as_it_is(client, staff, clinic):
    withdrawn = make_slot(clinic, days_ahead=3)
    earlier = timezone.now() - timedelta(days=1)
    Slot.objects.filter(pk=withdrawn.pk).update(withdrawn_at=earlier)
    past = make_slot(clinic, starts_at=timezone.now() - timedelta(hours=2))
    client.force_login(staff)
    for slot in (withdrawn, past):
        response = client.post(withdraw_url(slot))
        assert response.status_code == 302
    assert Slot.objects.get(pk=withdrawn.pk).withdrawn_at == earlier
    assert Slot.objects.get(pk=past.pk).withdrawn_at is None


# --- recording a dose -----------------------------------------------------------------------------


def record_url(clinic: Clinic) -> str:
    return reverse("clinic:record_dose", kwargs={"clinic_id": clinic.public_id})


def dose_form(child: Person, **change) -> dict:
    data = {
        "pesel": child.pesel,
        "surname": child.surname,
        "vaccine": hpv9().pk,
        "administered_on": timezone.localdate().isoformat(),
    }
    return data | change


def test_the_dose_form_starts_with_today(client, staff, clinic):
    client.force_login(staff)
    response = client.get(record_url(clinic), **EN)
    assert f'value="{timezone.localdate().isoformat()}"' in html(response)
    assert 'method="post"' in html(response)


def test_it_records_a_first_dose_with_the_visit_left_open(client, staff, clinic, child):
    client.force_login(staff)
    response = client.post(record_url(clinic), dose_form(child, surname="  KOWALSKA "), **EN)

    dose = Immunization.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "clinic:visits", kwargs={"clinic_id": clinic.public_id}
    )
    assert child.pesel not in response["Location"]
    assert (
        dose.person,
        dose.dose_number,
        dose.clinic,
        dose.clinic_code,
        dose.visit_status,
        dose.closed_at,
    ) == (
        child,
        1,
        clinic,
        clinic.code,
        "open",
        None,
    )
    assert (
        AccessLogEntry.objects.filter(
            action="clinic_record_dose", actor=staff, subject=child, basis="clinic"
        ).count()
        == 1
    )
    page = html(client.get(response["Location"], **EN))
    assert "The visit is still open" in page
    assert child.full_name in " ".join(row_texts(page, "open-visits"))


def test_the_next_dose_number_follows_the_record_and_can_close_the_visit(
    client, staff, clinic, child
):
    record_dose(
        child, on=timezone.localdate() - timedelta(days=200), clinic=make_clinic(name="Inna")
    )
    client.force_login(staff)
    response = client.post(
        record_url(clinic), dose_form(child, close_visit="on"), follow=True, **EN
    )

    dose = Immunization.objects.get(clinic=clinic)
    assert (dose.dose_number, dose.visit_status) == (2, "completed")
    assert dose.closed_at is not None
    assert "The visit is closed" in html(response)


def test_it_marks_the_booked_appointment_done(client, staff, clinic, child, parent):
    slot = make_slot(
        clinic, starts_at=timezone.now() - timedelta(hours=1)
    )  # the visit just happened
    appointment = book(slot, child, parent)
    client.force_login(staff)
    client.post(
        record_url(clinic),
        dose_form(child, administered_on=timezone.localtime(slot.starts_at).date().isoformat()),
    )
    appointment.refresh_from_db()
    assert appointment.status == "done"


def feed_dose(child: Person, clinic: Clinic, *, record_id: str, dose_number: int, days_ago: int) -> dict:
    """An `immunization` feed line: a dose given `days_ago` days ago at `clinic`, visit closed."""
    return {
        "record_id": record_id, "pesel": child.pesel, "vaccine": "HPV9", "dose_number": dose_number,
        "administered_on": str(timezone.localdate() - timedelta(days=days_ago)),
        "clinic_code": clinic.code, "visit_status": "completed",
    }  # fmt: skip


def test_a_gap_in_the_feeds_dose_numbers_does_not_stop_the_clinic_recording_the_next_dose(
    client, tmp_path, staff, clinic, insured_child, parent
):
    # Dose 2 came through the immunization feed; dose 1's line never arrived.
    fed = ingest_lines("immunization", tmp_path, "doses.jsonl", [
        feed_dose(insured_child, clinic, record_id="feed-d2", dose_number=2, days_ago=200),
    ])  # fmt: skip
    assert (fed.accepted, fed.quarantined) == (1, 0)
    client.force_login(staff)

    response = client.post(record_url(clinic), dose_form(insured_child, close_visit="on"), **EN)

    assert response.status_code == 302, html(response)
    recorded = Immunization.objects.get(clinic=clinic, record_id__startswith="staff-")
    assert (recorded.dose_number, recorded.visit_status) == (3, "completed")
    assert "Recorded: dose 3" in html(client.get(response["Location"], **EN))

    # The rule counts the doses in date order, not by their numbers: two doses recorded, and
    # the programme has two, so the child's page says the course is complete and offers none.
    open_child_account(client, parent, insured_child)
    page = client.get(OVERVIEW, **EN)
    assert page.status_code == 200
    [state] = page.context["states"]
    assert state.next_step.reason == "completed"
    assert [dose.dose_number for dose in state.doses] == [2, 3]
    assert not page.context["offers_booking"]

    # Dose 1 arriving late fills the gap: no number is taken twice, the course stays complete.
    late = ingest_lines("immunization", tmp_path, "late.jsonl", [
        feed_dose(insured_child, clinic, record_id="feed-d1", dose_number=1, days_ago=400),
    ])  # fmt: skip
    assert (late.accepted, late.quarantined) == (1, 0)
    [state] = client.get(OVERVIEW, **EN).context["states"]
    assert [dose.dose_number for dose in state.doses] == [1, 2, 3]
    assert state.next_step.reason == "completed"


_WAITING_DOSE_INSERTS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'
  AND query LIKE '%INSERT INTO "vaccinations_immunization"%'
"""


@pytest.mark.django_db(transaction=True)
def test_a_dose_another_writer_records_at_the_same_moment_is_reported_as_a_race(client, staff, clinic, child):
    """A writer that did not wait for the child's lock (another connection, its dose 1 inserted
    but not yet committed) takes the number first: the staff's insert waits on the unique index,
    fails when that writer commits, and the page says so; nothing of the staff's is stored."""
    form = dose_form(child)  # the vaccine and its programme committed before the race begins
    inserted, racer_dose = threading.Event(), []

    def racer() -> None:
        try:
            with transaction.atomic():
                racer_dose.append(record_dose(child, on=timezone.localdate(), clinic=clinic, dose_number=1))
                inserted.set()
                with connection.cursor() as cursor:
                    for _ in range(200):  # commit once the staff's insert waits on this row
                        cursor.execute("SELECT pg_stat_clear_snapshot()")
                        cursor.execute(_WAITING_DOSE_INSERTS)
                        if cursor.fetchone()[0]:
                            break
                        time_module.sleep(0.05)
        finally:
            connection.close()

    writer = threading.Thread(target=racer)
    writer.start()
    assert inserted.wait(10)
    client.force_login(staff)

    response = client.post(record_url(clinic), form, **EN)
    writer.join(10)

    assert response.status_code == 400
    assert "recorded at the same moment" in html(response)
    assert list(Immunization.objects.all()) == racer_dose  # the whole staff record rolled back


def test_a_wrong_surname_and_an_unknown_pesel_get_the_same_answer(client, staff, clinic, child):
    unknown = make_person(born=years_ago(11), surname="Nowak")
    pesel = unknown.pesel
    unknown.delete()
    client.force_login(staff)

    answers = []
    for data in (dose_form(child, surname="Nowak"), dose_form(child, pesel=pesel, surname="Nowak")):
        response = client.post(record_url(clinic), data, **EN)
        assert response.status_code == 400  # refused: shown again with the reason
        answers.append(response.context["form"].errors.as_data()["pesel"][0].message)
        assert data["pesel"] not in html(response)  # a typed PESEL is never sent back
    assert answers[0] == answers[1]
    assert "No child with this PESEL and surname" in str(answers[0])
    assert not Immunization.objects.exists()
    assert not AccessLogEntry.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"administered_on": "2999-01-01"}, "administered_on", "cannot be in the future"),
        ({"administered_on": "2000-01-01"}, "administered_on", "before the child's date of birth"),
        ({"pesel": "12345678901"}, "pesel", "check digit"),
        ({"pesel": ""}, "pesel", "Enter the child's PESEL"),
        ({"surname": ""}, "surname", "Enter the child's surname"),
    ],
)
def test_it_refuses_a_bad_dose_form(client, staff, clinic, child, change, field, message):
    client.force_login(staff)
    response = client.post(record_url(clinic), dose_form(child, **change), **EN)
    assert response.status_code == 400  # refused: shown again with the reason
    assert message in " ".join(response.context["form"].errors[field])
    assert not Immunization.objects.exists()


# --- open visits ----------------------------------------------------------------------------------


def visits_url(clinic: Clinic) -> str:
    return reverse("clinic:visits", kwargs={"clinic_id": clinic.public_id})


def test_it_lists_open_visits_oldest_first_and_logs_each_row(client, staff, clinic, other_clinic):
    today = timezone.localdate()
    newer = make_person(born=years_ago(12), first_name="Ola", surname="Nowa")
    older = make_person(born=years_ago(13), first_name="Ula", surname="Stara")
    closed = make_person(born=years_ago(11), first_name="Ela", surname="Zamknięta")
    foreign = make_person(born=years_ago(11), first_name="Iza", surname="Obca")
    record_dose(newer, on=today - timedelta(days=2), clinic=clinic, visit_open=True)
    record_dose(older, on=today - timedelta(days=30), clinic=clinic, visit_open=True)
    record_dose(closed, on=today - timedelta(days=40), clinic=clinic)
    record_dose(foreign, on=today - timedelta(days=50), clinic=other_clinic, visit_open=True)
    client.force_login(staff)

    response = client.get(visits_url(clinic), **EN)

    rows = row_texts(html(response), "open-visits")
    assert len(rows) == 2
    assert rows[0].startswith("Ula Stara") and " 30 " in f" {rows[0]} "
    assert rows[1].startswith("Ola Nowa") and " 2 " in f" {rows[1]} "
    logged = AccessLogEntry.objects.filter(action="clinic_view_visits")
    assert sorted((e.subject_id, e.actor_id, e.basis, e.acting_for_id) for e in logged) == sorted(
        [(older.pk, staff.pk, "clinic", older.pk), (newer.pk, staff.pk, "clinic", newer.pk)]
    )


def test_it_says_when_no_visit_is_open(client, staff, clinic):
    client.force_login(staff)
    response = client.get(visits_url(clinic), **EN)
    assert "No open visits" in html(response)
    assert not AccessLogEntry.objects.exists()


def test_it_pages_the_open_visits_by_fifty(client, staff, clinic):
    day = timezone.localdate() - timedelta(days=3)
    for n in range(51):
        record_dose(
            make_person(born=years_ago(10), first_name=f"Dziecko{n}"),
            on=day,
            clinic=clinic,
            visit_open=True,
        )
    client.force_login(staff)
    assert len(row_texts(html(client.get(visits_url(clinic))), "open-visits")) == 50
    assert len(row_texts(html(client.get(visits_url(clinic), {"strona": 2})), "open-visits")) == 1
    assert AccessLogEntry.objects.filter(action="clinic_view_visits").count() == 51


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_open_visits_page_costs_the_same_queries_for_one_row_or_thirty(
    client, staff, clinic, django_assert_num_queries
):
    day = timezone.localdate() - timedelta(days=3)
    record_dose(make_person(born=years_ago(10)), on=day, clinic=clinic, visit_open=True)
    client.force_login(staff)
    _queries(client, visits_url(clinic))  # warm the session cache
    one = _queries(client, visits_url(clinic))
    for _ in range(29):
        record_dose(make_person(born=years_ago(10)), on=day, clinic=clinic, visit_open=True)
    with django_assert_num_queries(one):
        client.get(visits_url(clinic))
    assert one <= 12  # session, user, MFA, role, clinic, count, page, audit


def test_closing_a_visit(client, staff, clinic, child):
    dose = record_dose(child, on=timezone.localdate(), clinic=clinic, visit_open=True)
    client.force_login(staff)
    url = reverse(
        "clinic:visit_close", kwargs={"clinic_id": clinic.public_id, "dose_id": dose.public_id}
    )

    response = client.post(url, follow=True, **EN)

    dose.refresh_from_db()
    assert (dose.visit_status, dose.closed_at is not None) == ("completed", True)
    assert (
        AccessLogEntry.objects.filter(
            action="clinic_close_visit", subject=child, actor=staff
        ).count()
        == 1
    )
    assert "The visit is closed" in html(response) and "No open visits" in html(response)

    again = client.post(url, follow=True, **EN)
    assert "already closed" in html(again)
    assert AccessLogEntry.objects.filter(action="clinic_close_visit").count() == 1


def test_it_does_not_close_another_clinics_visit_through_its_own_clinic(
    client, staff, clinic, other_clinic, child
):
    dose = record_dose(child, on=timezone.localdate(), clinic=other_clinic, visit_open=True)
    client.force_login(staff)
    url = reverse(
        "clinic:visit_close", kwargs={"clinic_id": clinic.public_id, "dose_id": dose.public_id}
    )
    assert client.post(url).status_code == 404
    dose.refresh_from_db()
    assert dose.visit_status == "open"
