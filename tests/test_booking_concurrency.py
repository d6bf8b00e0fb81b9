"""Booking under concurrency: parallel bookers against real PostgreSQL (issue #4, point 5).

After pretix's `test_order_creation_locking`: real threads, each on its own database
connection, released together by a Barrier, calling the real service. The rows must be
committed for the other connections to see them, hence `transaction=True`.

The control test at the end runs the naive protocol (check, then insert, without the lock)
and shows that more than one booker gets through the check: only the unique constraint stops
them there, while `appointment_book` refuses them before they try.
"""

import threading
import time
import uuid
from dataclasses import dataclass
from functools import partial

import pytest
from django.db import IntegrityError, connection, transaction

from conftest import (
    hpv9,
    insure,
    make_clinic,
    make_person,
    make_slot,
    make_user,
    years_ago,
)
from guardianship.models import AccessLogEntry
from guardianship.policy import SubjectAccess, access_for
from vaccinations.emails import APPOINTMENT_KINDS, render_mail
from vaccinations.models import Appointment
from vaccinations.services import (
    BookingRefused,
    appointment_book,
    appointment_cancel,
    slot_withdraw,
)

pytestmark = pytest.mark.django_db(transaction=True)

BOOKERS = 8
JOIN_TIMEOUT = 60  # seconds; a hung thread fails the test instead of hanging the suite


@pytest.fixture(autouse=True)
def sent_mails(celery_eager, mailoutbox):
    """The real path for the mails the bookings queue: the task runs on commit (these tests
    commit, so on-commit callbacks really run) and sends through the test mail backend."""
    return mailoutbox


def appointment_mails(outbox) -> list[tuple[int, str]]:
    """(appointment id, kind) of each appointment mail sent, in order, recognised by its
    rendered subject and recipient (other mail, such as access notices, is left out)."""
    known = {}
    for a in Appointment.objects.select_related("booked_by", "child", "slot__clinic", "vaccine"):
        for kind in APPOINTMENT_KINDS:
            context = {"appointment": a, "child": a.child, "slot": a.slot}
            subject, _ = render_mail(f"appointment_{kind}", context, a.booked_by.language)
            known[(subject, a.booked_by.email)] = (a.pk, kind)
    return [known[(m.subject, m.to[0])] for m in outbox if (m.subject, m.to[0]) in known]


@dataclass
class Outcome:
    appointment: Appointment | None = None
    refused: str = ""  # the BookingRefused code
    error: BaseException | None = None  # anything else: a bug


def run_together(calls) -> list[Outcome]:
    """Run the calls in parallel threads released at the same instant; each thread uses (and
    closes) its own database connection. Returns one Outcome per call, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def worker(call, outcome: Outcome) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            outcome.appointment = call()
        except BookingRefused as refusal:
            outcome.refused = refusal.code
        except BaseException as error:  # noqa: BLE001 - reported by the test, not swallowed
            outcome.error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(c, o)) for c, o in zip(calls, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a booker hung"
    return outcomes


def family():
    """A parent who insures their own ten-year-old child: (user, child)."""
    user = make_user(person=make_person(born=years_ago(38), first_name="Ewa", surname="Zielińska"))
    child = make_person(born=years_ago(10, months=1), first_name="Ola", surname="Zielińska")
    insure(user.person, child)
    return user, child


def booking(user, child, slot, **kwargs):
    """The call a booking request makes, gate included."""
    return lambda: appointment_book(
        by=user,
        subject=SubjectAccess(child, access_for(user, child)),
        slot_public_id=slot.public_id,
        **kwargs,
    )


def booked_on(slot) -> list[Appointment]:
    return list(Appointment.objects.filter(slot=slot, status=Appointment.Status.BOOKED))


def test_it_books_a_slot_once_when_eight_parents_book_it_at_once(sent_mails):
    slot = make_slot(make_clinic())
    families = [family() for _ in range(BOOKERS)]

    outcomes = run_together([booking(user, child, slot) for user, child in families])

    assert [o.error for o in outcomes] == [None] * BOOKERS  # no IntegrityError, no 500
    winners = [o.appointment for o in outcomes if o.appointment is not None]
    assert len(winners) == 1
    assert sorted(o.refused for o in outcomes if o.refused) == ["slot_taken"] * (BOOKERS - 1)
    assert [a.pk for a in booked_on(slot)] == [winners[0].pk]
    assert appointment_mails(sent_mails) == [(winners[0].pk, "booked")]
    assert AccessLogEntry.objects.filter(action=AccessLogEntry.Action.BOOK_VACCINATION).count() == 1


def test_it_gives_a_child_one_appointment_when_two_guardians_book_two_slots_at_once(
    parent, granted_guardian, granted_child
):
    clinic = make_clinic()
    first, second = make_slot(clinic, hour=10), make_slot(clinic, hour=11)

    outcomes = run_together(
        [booking(parent, granted_child, first), booking(granted_guardian, granted_child, second)]
    )

    assert [o.error for o in outcomes] == [None, None]
    assert sum(o.appointment is not None for o in outcomes) == 1
    assert [o.refused for o in outcomes if o.refused] == ["has_appointment"]
    booked = Appointment.objects.filter(child=granted_child, status=Appointment.Status.BOOKED)
    assert booked.count() == 1


def test_it_books_once_when_the_same_form_is_submitted_twice_at_once(parent, insured_child):
    slot = make_slot(make_clinic())
    token = uuid.uuid4()

    outcomes = run_together([booking(parent, insured_child, slot, request_token=token)] * 2)

    assert [(o.error, o.refused) for o in outcomes] == [(None, ""), (None, "")]
    assert outcomes[0].appointment.pk == outcomes[1].appointment.pk
    assert Appointment.objects.filter(child=insured_child).count() == 1
    assert Appointment.objects.get().request_token == token


def test_it_frees_the_slot_at_once_when_the_booking_is_cancelled(sent_mails):
    slot = make_slot(make_clinic())
    (first_user, first_child), (second_user, second_child) = family(), family()
    booked = booking(first_user, first_child, slot)()

    appointment_cancel(
        by=first_user,
        subject=SubjectAccess(first_child, access_for(first_user, first_child)),
        appointment=booked,
    )
    rebooked = booking(second_user, second_child, slot)()

    assert [a.pk for a in booked_on(slot)] == [rebooked.pk]
    assert rebooked.child == second_child
    booked.refresh_from_db()
    assert booked.status == Appointment.Status.CANCELLED
    assert appointment_mails(sent_mails) == [
        (booked.pk, "booked"),
        (booked.pk, "cancelled"),
        (rebooked.pk, "booked"),
    ]


def test_a_booking_racing_the_slots_withdrawal_never_leaves_a_booked_appointment_on_it(
    sent_mails,
):
    """Both take the slot's row lock: either the booking wins and the withdrawal then cancels it
    (the parent is told), or the withdrawal wins and the booking is refused. Repeated, so both
    orders happen."""
    for _ in range(6):
        slot = make_slot(make_clinic())
        user, child = family()
        sent_mails.clear()

        outcomes = run_together([booking(user, child, slot), partial(slot_withdraw, slot=slot)])

        assert [o.error for o in outcomes] == [None, None]
        assert booked_on(slot) == []
        booked = outcomes[0].appointment
        if booked is None:
            assert outcomes[0].refused == "slot_gone"
            assert appointment_mails(sent_mails) == []
        else:  # booked first, then cancelled by the withdrawal, and the parent told both times
            booked.refresh_from_db()
            assert (booked.status, booked.cancel_reason) == ("cancelled", "slot_withdrawn")
            assert appointment_mails(sent_mails) == [
                (booked.pk, "booked"),
                (booked.pk, "withdrawn"),
            ]


def test_control_without_the_lock_every_booker_passes_the_check_and_only_the_constraint_stops_them():
    """The race is real: the naive protocol (SELECT "is the slot free?", some work, INSERT)
    without the slot lock lets every parallel booker through the check. The Barrier after the
    check makes that certain rather than likely; the unique index `one_booking_per_slot` is
    then the only thing that keeps the slot from being sold BOOKERS times."""
    slot = make_slot(make_clinic())
    families = [family() for _ in range(BOOKERS)]
    after_check = threading.Barrier(BOOKERS)
    passed_check = []

    def naive(user, child):
        def book() -> Appointment:
            with transaction.atomic():
                free = not Appointment.objects.filter(
                    slot=slot, status=Appointment.Status.BOOKED
                ).exists()
                if free:
                    passed_check.append(child.pk)
                after_check.wait(timeout=JOIN_TIMEOUT)  # everyone has looked before anyone books
                time.sleep(0.01)  # the request's work between check and insert (judging, rendering)
                if not free:
                    raise BookingRefused("slot_taken", "")
                return Appointment.objects.create(
                    child=child, slot=slot, vaccine=hpv9(), dose_number=1, booked_by=user
                )

        return book

    outcomes = run_together([naive(user, child) for user, child in families])

    assert len(passed_check) == BOOKERS > 1  # all believed the slot was theirs
    assert sum(o.appointment is not None for o in outcomes) == 1
    stopped = [o.error for o in outcomes if o.error is not None]
    assert len(stopped) == BOOKERS - 1
    assert all(isinstance(error, IntegrityError) for error in stopped)
    assert all("one_booking_per_slot" in str(error) for error in stopped)
    assert len(booked_on(slot)) == 1


def test_a_booking_that_waits_too_long_for_a_lock_is_told_to_try_again(
    client, monkeypatch, parent, insured_child
):
    """A lock not granted within LOCK_TIMEOUT becomes "busy" (429 with the message), never a
    500 and never a booking: here another transaction holds the slot's row lock throughout.
    The service and the page run in threads, so a missing timeout fails ("a booker hung")
    instead of hanging the suite."""
    import psycopg
    from django.conf import settings

    from guardianship.policy import SESSION_KEY

    monkeypatch.setattr("vaccinations.services.LOCK_TIMEOUT", "200ms")
    slot = make_slot(make_clinic())
    client.force_login(parent)
    session = client.session
    session[SESSION_KEY] = str(insured_child.public_id)
    session.save()

    def post_the_form():
        return client.post(
            f"/profilaktyka/szczepienia/umow/termin/{slot.public_id}/",
            {"request_token": str(uuid.uuid4())},
        )

    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    ) as holder:
        holder.execute("SELECT 1 FROM vaccinations_slot WHERE id = %s FOR UPDATE", [slot.pk])
        service, page = run_together([booking(parent, insured_child, slot), post_the_form])

    assert (service.refused, service.error) == ("busy", None)
    assert page.error is None and page.appointment.status_code == 429  # the response
    assert "Spróbuj ponownie za chwilę" in page.appointment.content.decode()
    assert not Appointment.objects.exists()


def test_a_term_already_taken_is_refused_before_any_lock(monkeypatch, parent, insured_child):
    """In a rush most attempts are for taken terms: they are refused on first sight, without
    queueing for a lock. Here another transaction holds the child's row lock (a second tab
    booking), yet the attempt on a taken term is answered "slot_taken" at once, not "busy"
    after the lock timeout; a free term still goes through the locks (and is "busy" here)."""
    import psycopg
    from django.conf import settings

    monkeypatch.setattr("vaccinations.services.LOCK_TIMEOUT", "200ms")
    clinic = make_clinic()
    taken, free = make_slot(clinic, hour=10), make_slot(clinic, hour=11)
    other_user, other_child = family()
    booking(other_user, other_child, taken)()

    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    ) as holder:
        holder.execute("SELECT 1 FROM accounts_person WHERE id = %s FOR UPDATE", [insured_child.pk])
        on_taken, on_free = run_together(
            [booking(parent, insured_child, taken), booking(parent, insured_child, free)]
        )

    assert (on_taken.refused, on_taken.error) == ("slot_taken", None)
    assert (on_free.refused, on_free.error) == ("busy", None)
    assert not Appointment.objects.filter(child=insured_child).exists()
