"""The parent's booking path (the FAQ's steps) and the child's Szczepienia page."""

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.rules import add_months, date_of_age
from conftest import make_clinic, make_grant, make_person, make_slot, record_dose, years_ago
from guardianship.models import AccessLogEntry
from guardianship.policy import SESSION_KEY
from support.models import Ticket
from vaccinations.models import Appointment

OVERVIEW = "/profilaktyka/szczepienia/"
BOOK = "/profilaktyka/szczepienia/umow/"
SLOTS = "/profilaktyka/szczepienia/umow/HPV9/"


def confirm_url(slot) -> str:
    return f"/profilaktyka/szczepienia/umow/termin/{slot.public_id}/"


def open_child_account(client, user, child) -> None:
    client.force_login(user)
    response = client.post(reverse("guardianship:switch_to", args=[child.public_id]))
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(child.public_id)


def book(client, slot, **extra):
    page = client.get(confirm_url(slot), extra.get("query", {}))
    assert page.status_code == 200
    token = page.context["request_token"]
    data = {"request_token": str(token), **extra.get("data", {})}
    return client.post(confirm_url(slot), data)


@pytest.fixture
def clinic(db):
    return make_clinic(name="Przychodnia Pod Lipami", city="Kraków")


# --- the FAQ's path ---------------------------------------------------------------------------


def test_it_books_a_first_dose_through_the_faq_path(client, parent, insured_child, clinic, celery_eager, django_capture_on_commit_callbacks):
    slot = make_slot(clinic, days_ahead=10)
    open_child_account(client, parent, insured_child)

    overview = client.get(OVERVIEW)
    assert overview.status_code == 200
    assert f'href="{BOOK}"' in overview.content.decode()

    choose = client.get(BOOK, {"szczepionka": "HPV9"})
    assert choose.status_code == 302 and choose["Location"] == SLOTS

    slots = client.get(SLOTS)
    assert [row["slot"] for row in slots.context["rows"]] == [slot]

    with django_capture_on_commit_callbacks(execute=True):
        response = book(client, slot)

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/profilaktyka/szczepienia/wizyty/{appointment.public_id}/"
    assert (appointment.child, appointment.slot, appointment.dose_number, appointment.booked_by) == (
        insured_child, slot, 1, parent,
    )
    assert AccessLogEntry.objects.filter(action="book_vaccination", subject=insured_child, actor=parent).count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [parent.email]
    assert clinic.name in mail.outbox[0].body
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert clinic.address in confirmation.content.decode()


def test_the_vaccine_step_asks_again_without_a_choice(client, parent, insured_child):
    open_child_account(client, parent, insured_child)
    response = client.get(BOOK, {"szczepionka": "nope"})
    assert response.status_code == 400
    assert response.context["error"]


def test_slots_are_soonest_first_filtered_by_city_and_only_those_the_child_may_take(client, parent, clinic):
    # Turns 9 in 20 days: only slots from the birthday on are offered (judged on the slot's day).
    child = make_person(born=add_months(timezone.localdate() + timedelta(days=20), -9 * 12), first_name="Ola")
    from conftest import insure

    insure(parent.person, child)
    before = make_slot(clinic, days_ahead=10)
    later = make_slot(clinic, days_ahead=30)
    soon_after = make_slot(clinic, days_ahead=25)
    elsewhere = make_slot(make_clinic(city="Gdańsk"), days_ahead=26)
    open_child_account(client, parent, child)

    everywhere = client.get(SLOTS).context["rows"]
    krakow = client.get(SLOTS, {"miasto": "kraków"}).context["rows"]

    assert [r["slot"] for r in everywhere] == [soon_after, elsewhere, later]
    assert [r["slot"] for r in krakow] == [soon_after, later]
    assert before not in [r["slot"] for r in everywhere]


def test_a_child_turning_14_next_week_cannot_book_a_first_dose_after_it(client, parent, clinic):
    birthday = timezone.localdate() + timedelta(days=7)
    child = make_person(born=date_of_age_back(birthday, 14), first_name="Tymek", sex="M")
    from conftest import insure

    insure(parent.person, child)
    ok = make_slot(clinic, days_ahead=3)
    too_late = make_slot(clinic, days_ahead=8)
    open_child_account(client, parent, child)

    assert [r["slot"] for r in client.get(SLOTS).context["rows"]] == [ok]
    page = client.get(confirm_url(too_late))
    assert page.context["verdict"].reason == "too_old"  # the page says why instead of a button
    refused = book(client, too_late)
    assert refused.status_code == 409
    assert refused.context["refusal"].code == "too_old"
    assert not Appointment.objects.exists()


def date_of_age_back(birthday, years):
    """The birth date of someone who turns `years` on `birthday`."""
    return add_months(birthday, -12 * years)


def test_with_no_published_slot_the_page_sends_the_parent_to_the_poz_clinic(client, parent, insured_child):
    open_child_account(client, parent, insured_child)
    response = client.get(SLOTS)
    assert response.status_code == 200
    assert response.context["any_published"] is False
    assert "POZ" in response.content.decode()


def test_an_open_visit_explains_which_clinic_must_close_it_and_offers_a_ticket(client, parent, insured_child, clinic):
    record_dose(insured_child, on=timezone.localdate() - timedelta(days=200), clinic=clinic, visit_open=True)
    make_slot(clinic, days_ahead=5)
    open_child_account(client, parent, insured_child)

    page = client.get(OVERVIEW)
    body = page.content.decode()
    assert clinic.name in body
    assert page.context["states"][0].next_step.reason == "open_visit"
    assert f'href="{BOOK}"' not in body  # no "Umów się na szczepienie" entry either
    assert client.get(SLOTS).context["rows"] == []  # never a first-dose offer

    response = client.post(reverse("vaccinations:hpv_ticket"), {"vaccine": "HPV9"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.category == "hpv_booking" and ticket.person == insured_child and ticket.requester == parent
    assert ticket.diagnosis["hpv_eligibility"]["reason"] == "open_visit"
    assert ticket.diagnosis["hpv_eligibility"]["clinic_name"] == clinic.name
    assert clinic.name in ticket.diagnosis["hpv_eligibility"]["shown"]  # the sentence the parent read


def test_a_child_the_system_refuses_can_be_reported_with_the_reason_and_dates(client, parent, insured_child, clinic):
    """The FAQ: "the child meets the age conditions, the system says otherwise" — the report
    carries the reason and the booking window the parent saw."""
    insured_child.birth_date = timezone.localdate() - timedelta(days=365 * 8 + 100)  # 8 and a bit: too young
    insured_child.save()
    open_child_account(client, parent, insured_child)
    assert reverse("vaccinations:hpv_ticket") in client.get(OVERVIEW).content.decode()  # offered

    response = client.post(reverse("vaccinations:hpv_ticket"), {"vaccine": "HPV9"})

    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("support:ticket", args=[ticket.public_id])
    facts = ticket.diagnosis["hpv_eligibility"]
    assert facts["reason"] == "too_young" and facts["opens_on"] is not None
    assert facts["shown"] == ticket.description
    page = client.get(response["Location"]).content.decode()
    assert facts["shown"] in page  # the patient sees what they were shown


def test_a_failed_booking_is_reported_with_the_slot_judged_again(client, parent, insured_child, clinic, other_parent):
    slot = make_slot(clinic, days_ahead=5)
    Appointment.objects.create(child=make_person(born=years_ago(10), first_name="Ktoś"), slot=slot, vaccine=slot.vaccine,
                               dose_number=1, booked_by=other_parent)  # fmt: skip
    open_child_account(client, parent, insured_child)

    client.post(reverse("vaccinations:hpv_ticket"), {"vaccine": "HPV9", "slot": str(slot.public_id)})

    facts = Ticket.objects.get().diagnosis["failed_booking"]
    assert facts["slot_state"] == "taken" and facts["slot_clinic"] == clinic.name
    assert facts["reason"] == "first_dose"  # the child was eligible: the term was taken


def test_nothing_to_report_when_the_child_can_be_booked(client, parent, insured_child, clinic):
    open_child_account(client, parent, insured_child)

    response = client.post(reverse("vaccinations:hpv_ticket"), {"vaccine": "HPV9"})

    assert response.status_code == 302 and not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("doses_months_ago", "offered"),
    [
        ((), True),  # first dose due
        ((1,), True),  # second dose from a later day
        ((13, 7), False),  # both doses done: nothing to book
    ],
)
def test_the_booking_entry_shows_only_when_a_slot_can_be_offered(client, parent, insured_child, clinic, doses_months_ago, offered):
    for months in doses_months_ago:
        record_dose(insured_child, on=add_months(timezone.localdate(), -months), clinic=clinic)
    open_child_account(client, parent, insured_child)

    assert (f'href="{BOOK}"' in client.get(OVERVIEW).content.decode()) is offered


def test_a_programme_published_for_a_later_date_opens_its_slots_at_once(client, parent, clinic):
    """Today's programme ends at 14; a version for ages 9 to 15 starts in ten days (an admin
    edit, no code). A child of 14 and a month is refused today, and the list already offers the
    terms from the new version's first day, as the confirm step (the slot's own day) agrees."""
    from conftest import hpv9, insure
    from vaccinations.models import Programme

    today = timezone.localdate()
    Programme.objects.create(
        vaccine=hpv9(), name="Program od 9 do 15 lat", effective_from=today + timedelta(days=10),
        first_dose_min_age=9, first_dose_max_age=15, doses=2, min_interval_months=6,
        max_interval_months=12, later_doses_after_max_age=True,
    )  # fmt: skip
    child = make_person(born=years_ago(14, months=1), first_name="Kuba", sex="M")
    insure(parent.person, child)
    too_soon = make_slot(clinic, days_ahead=5)
    slot = make_slot(clinic, days_ahead=20)
    open_child_account(client, parent, child)

    assert [row["slot"] for row in client.get(SLOTS).context["rows"]] == [slot]
    assert client.get(confirm_url(slot)).context["verdict"].eligible
    assert not client.get(confirm_url(too_soon)).context["verdict"].eligible
    assert f'href="{BOOK}"' in client.get(OVERVIEW).content.decode()


def test_a_child_too_young_today_is_offered_booking_from_the_birthday(client, parent, clinic):
    from conftest import insure

    child = make_person(born=years_ago(8, months=11), first_name="Ola")
    insure(parent.person, child)
    open_child_account(client, parent, child)

    page = client.get(OVERVIEW)
    assert page.context["states"][0].next_step.reason == "too_young"
    assert f'href="{BOOK}"' in page.content.decode()


def test_the_history_shows_doses_and_the_next_dose_window(client, parent, insured_child, clinic):
    given = timezone.localdate() - timedelta(days=30)
    record_dose(insured_child, on=given, clinic=clinic)
    open_child_account(client, parent, insured_child)

    state = client.get(OVERVIEW).context["states"][0]
    assert [d.administered_on for d in state.doses] == [given]
    assert state.next_step.reason == "next_too_early"
    assert state.next_step.opens_on == add_months(given, 6)
    assert state.next_step.closes_on == add_months(given, 12)


def test_the_second_dose_after_the_14th_birthday_for_a_child_who_had_the_first_before(client, parent, clinic):
    from conftest import insure

    child = make_person(born=years_ago(14, months=5), first_name="Kacper", sex="M")
    insure(parent.person, child)
    record_dose(child, on=add_months(date_of_age(child.birth_date, 13), 9), clinic=clinic)  # at 13y9m, 8 months ago
    slot = make_slot(clinic, days_ahead=3)
    open_child_account(client, parent, child)

    response = book(client, slot)

    assert response.status_code == 302, response.context["refusal"].code
    assert Appointment.objects.get().dose_number == 2


# --- refusals, double submits, cancelling, rescheduling -----------------------------------------


def test_a_taken_slot_is_refused_with_409_and_nothing_is_lost(client, parent, other_parent, insured_child, clinic):
    from conftest import insure

    slot = make_slot(clinic)
    other_child = make_person(born=years_ago(11), first_name="Ala")
    insure(other_parent.person, other_child)
    open_child_account(client, other_parent, other_child)
    assert book(client, slot).status_code == 302

    open_child_account(client, parent, insured_child)
    response = book(client, slot)

    assert response.status_code == 409
    assert Appointment.objects.filter(status="booked").count() == 1
    assert Appointment.objects.get().child == other_child


def test_a_double_submit_books_once(client, parent, insured_child, clinic):
    slot = make_slot(clinic)
    open_child_account(client, parent, insured_child)
    token = client.get(confirm_url(slot)).context["request_token"]

    first = client.post(confirm_url(slot), {"request_token": str(token)})
    second = client.post(confirm_url(slot), {"request_token": str(token)})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Appointment.objects.count() == 1


def test_a_second_appointment_for_the_same_vaccine_is_refused(client, parent, insured_child, clinic):
    open_child_account(client, parent, insured_child)
    assert book(client, make_slot(clinic, days_ahead=3)).status_code == 302
    response = book(client, make_slot(clinic, days_ahead=4))
    assert response.status_code == 409
    assert response.context["refusal"].code == "has_appointment"
    assert Appointment.objects.filter(status="booked").count() == 1


def test_cancelling_frees_the_slot_at_once(client, parent, other_parent, insured_child, clinic, celery_eager, django_capture_on_commit_callbacks):
    from conftest import insure

    slot = make_slot(clinic)
    open_child_account(client, parent, insured_child)
    book(client, slot)
    appointment = Appointment.objects.get()
    url = reverse("vaccinations:appointment_cancel", args=[appointment.public_id])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("cancelled", "guardian")
    assert "cancelled" in mail.outbox[-1].subject.lower() or "odwoł" in mail.outbox[-1].subject.lower()
    other_child = make_person(born=years_ago(11), first_name="Ala")
    insure(other_parent.person, other_child)
    open_child_account(client, other_parent, other_child)
    assert book(client, slot).status_code == 302


def test_rescheduling_moves_the_appointment_in_one_step(client, parent, insured_child, clinic):
    first, second = make_slot(clinic, days_ahead=3), make_slot(clinic, days_ahead=5)
    open_child_account(client, parent, insured_child)
    book(client, first)
    old = Appointment.objects.get()

    listing = client.get(SLOTS, {"zmiana": str(old.public_id)})
    assert second in [r["slot"] for r in listing.context["rows"]]
    response = book(client, second, query={"zmiana": str(old.public_id)}, data={"zmiana": str(old.public_id)})

    assert response.status_code == 302
    old.refresh_from_db()
    new = Appointment.objects.get(status="booked")
    assert (old.status, old.cancel_reason) == ("cancelled", "rescheduled")
    assert new.slot == second and new.dose_number == 1


def test_a_withdrawn_or_past_slot_cannot_be_booked(client, parent, insured_child, clinic):
    slot = make_slot(clinic)
    open_child_account(client, parent, insured_child)
    token = client.get(confirm_url(slot)).context["request_token"]
    slot.withdrawn_at = timezone.now()
    slot.save(update_fields=["withdrawn_at"])

    response = client.post(confirm_url(slot), {"request_token": str(token)})

    assert response.status_code == 409
    assert response.context["refusal"].code == "slot_gone"


def test_an_unknown_slot_is_404_on_the_page_and_on_the_booking(client, parent, insured_child):
    open_child_account(client, parent, insured_child)
    url = f"/profilaktyka/szczepienia/umow/termin/{uuid.uuid4()}/"

    assert client.get(url).status_code == 404
    assert client.post(url, {"request_token": str(uuid.uuid4())}).status_code == 404
    assert not Appointment.objects.exists()


def test_a_refusal_page_shows_the_term_it_refused(client, parent, other_parent, insured_child, clinic):
    """The refusal page shows the slot as the booking service read it under its lock."""
    slot = make_slot(clinic, days_ahead=6)
    Appointment.objects.create(child=make_person(born=years_ago(10), first_name="Ktoś"), slot=slot, vaccine=slot.vaccine,
                               dose_number=1, booked_by=other_parent)  # fmt: skip
    open_child_account(client, parent, insured_child)

    response = client.post(confirm_url(slot), {"request_token": str(uuid.uuid4())})

    assert response.status_code == 409
    assert response.context["slot"] == slot
    assert clinic.name in response.content.decode() and clinic.address in response.content.decode()


# --- the permission ladder ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [OVERVIEW, BOOK, SLOTS])
def test_anonymous_users_go_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/konto/login/")


def test_a_granted_guardian_books_too(client, parent, granted_guardian, granted_child, clinic):
    slot = make_slot(clinic)
    open_child_account(client, granted_guardian, granted_child)
    assert book(client, slot).status_code == 302
    assert Appointment.objects.get().booked_by == granted_guardian


def test_a_read_only_authorisation_sees_but_cannot_book(client, parent, stranger, clinic):
    make_grant(parent.person, stranger.person, kind="authorisation", by=parent)
    slot = make_slot(clinic)
    stranger.refresh_from_db()
    open_child_account(client, stranger, parent.person)
    assert client.get(OVERVIEW).status_code == 200
    assert client.get(SLOTS).status_code == 403
    assert client.get(confirm_url(slot)).status_code == 403


def test_a_stranger_cannot_see_or_cancel_someone_elses_appointment(client, parent, stranger, insured_child, clinic):
    open_child_account(client, parent, insured_child)
    book(client, make_slot(clinic))
    appointment = Appointment.objects.get()
    client.force_login(stranger)
    log_before = AccessLogEntry.objects.count()

    assert client.get(reverse("vaccinations:appointment", args=[appointment.public_id])).status_code == 404
    assert client.post(reverse("vaccinations:appointment_cancel", args=[appointment.public_id])).status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert AccessLogEntry.objects.count() == log_before


def test_a_stranger_cannot_book_for_someone_elses_child_by_forging_the_session(client, stranger, insured_child, clinic):
    slot = make_slot(clinic)
    client.force_login(stranger)
    session = client.session
    session[SESSION_KEY] = str(insured_child.public_id)
    session.save()

    response = client.post(confirm_url(slot), {"request_token": "00000000-0000-0000-0000-000000000001"})

    # The forged account is dropped: the stranger books (or not) only for themselves, an adult.
    assert not Appointment.objects.filter(child=insured_child).exists()
    assert response.status_code in (200, 409)


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", OVERVIEW), ("post", BOOK), ("post", SLOTS), ("get", "/profilaktyka/szczepienia/zgloszenie/")],
)
def test_wrong_methods_get_405(client, parent, method, url):
    client.force_login(parent)
    assert getattr(client, method)(url).status_code == 405


def test_viewing_the_page_writes_the_access_log(client, parent, insured_child):
    open_child_account(client, parent, insured_child)
    client.get(OVERVIEW)
    entry = AccessLogEntry.objects.filter(action="view_vaccinations").get()
    assert (entry.actor, entry.subject) == (parent, insured_child)


def test_the_confirm_page_is_logged_naming_the_slot(client, parent, insured_child, clinic):
    slot = make_slot(clinic)
    open_child_account(client, parent, insured_child)

    assert client.get(confirm_url(slot)).status_code == 200

    entry = AccessLogEntry.objects.filter(action="view_vaccinations").get()
    assert (entry.actor, entry.subject, entry.target) == (parent, insured_child, str(slot.public_id))


def test_a_refusal_page_is_logged_with_one_insert_and_no_read_more(client, parent, other_parent, insured_child, clinic):
    """The refused POST shows the child's page again: one access-log row, written by one INSERT
    and nothing else (bench/booking_storm.py measures this POST)."""
    slot = make_slot(clinic)
    Appointment.objects.create(child=make_person(born=years_ago(10), first_name="Ktoś"), slot=slot, vaccine=slot.vaccine,
                               dose_number=1, booked_by=other_parent)  # fmt: skip
    open_child_account(client, parent, insured_child)

    def refused_post() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(confirm_url(slot), {"request_token": str(uuid.uuid4())})
        assert response.status_code == 409
        return [query["sql"] for query in queries.captured_queries]

    logged = refused_post()
    entry = AccessLogEntry.objects.filter(action="view_vaccinations").get()
    assert (entry.actor, entry.subject, entry.target) == (parent, insured_child, str(slot.public_id))
    # The user (with its person, MFA group and identity check), the access facts, the term
    # refused on first sight, and the log row: the page reads nothing more for the row.
    assert len(logged) == 4
    touching_the_log = [sql for sql in logged if "guardianship_accesslogentry" in sql]
    assert len(touching_the_log) == 1 and 'INSERT INTO "guardianship_accesslogentry"' in touching_the_log[0]


def test_a_rule_refusal_is_logged_once_and_a_booking_only_by_the_service(client, parent, insured_child, clinic):
    open_child_account(client, parent, insured_child)
    rows = AccessLogEntry.objects.filter(actor=parent, subject=insured_child)
    first, second = make_slot(clinic, days_ahead=3), make_slot(clinic, days_ahead=4)
    token = client.get(confirm_url(first)).context["request_token"]
    before = rows.count()

    assert client.post(confirm_url(first), {"request_token": str(token)}).status_code == 302
    assert [row.action for row in rows.order_by("pk")[before:]] == ["book_vaccination"]  # not also a view

    refused = client.post(confirm_url(second), {"request_token": str(uuid.uuid4())})
    assert refused.status_code == 409 and refused.context["refusal"].code == "has_appointment"
    assert [(row.action, row.target) for row in rows.order_by("pk")[before + 1:]] == [
        ("view_vaccinations", str(second.public_id))
    ]


def test_the_slot_list_has_a_pinned_query_count(client, parent, insured_child, clinic, django_assert_max_num_queries):
    for day in range(1, 6):
        make_slot(clinic, days_ahead=day)
    open_child_account(client, parent, insured_child)
    client.get(SLOTS)  # warm the session
    with django_assert_max_num_queries(30) as few:
        client.get(SLOTS)
    for day in range(6, 40):
        make_slot(make_clinic(city="Gdańsk"), days_ahead=day % 30 + 1, hour=8 + day % 8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(SLOTS)


def test_the_pages_say_no_e_referral_is_needed(client, parent, insured_child, clinic):
    """The FAQ's "Brak skierowania na szczepienie przeciw HPV": none is issued, none is needed."""
    slot = make_slot(clinic)
    open_child_account(client, parent, insured_child)

    overview = client.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    confirm = client.get(confirm_url(slot), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No e-referral is issued for the HPV vaccination" in overview
    assert "between them" in overview  # the interval between the doses
    assert "No e-referral is needed" in confirm
