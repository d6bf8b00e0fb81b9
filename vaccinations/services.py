"""HPV vaccination workflows: what a child may book, booking without overselling, cancelling,
rescheduling, and the clinic side (publishing and withdrawing slots, recording doses, closing
visits). Each writing service owns one durable transaction and writes its audit row in it.

Booking follows pretix's protocol (STYLE.md): lock the child's row, then the slot's row, re-read
what decides (the slot's bookings, the child's doses and appointment), judge with the pure
rule on the slot's date, insert. Two partial unique constraints back it up. A lock not granted
within LOCK_TIMEOUT becomes "busy, try again", never a 500.
"""

import functools
import operator
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Person, User
from guardianship.models import AccessLogEntry
from guardianship.policy import SubjectAccess, log_access
from ikp.tasks import enqueue_on_commit
from support.models import Ticket
from support.services import ticket_create
from vaccinations import rules, tasks
from vaccinations.catalogue import programmes_of
from vaccinations.models import Appointment, Clinic, Immunization, Slot, Vaccine

LOCK_TIMEOUT = "3s"  # a booker waits this long for a slot another booker holds


class BookingRefused(Exception):
    """A booking, cancellation or clinic action that cannot happen; `message` says why."""

    def __init__(self, code: str, message, eligibility: rules.Eligibility | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.eligibility = eligibility
        self.slot: Slot | None = None  # a refused booking: the slot as the service read it


def doses_of(child: Person, vaccine: Vaccine) -> list[Immunization]:
    return list(
        Immunization.objects.filter(person=child, vaccine=vaccine)
        .select_related("clinic")
        .order_by("administered_on", "dose_number")
    )


def active_appointment(child: Person, vaccine: Vaccine) -> Appointment | None:
    return (
        Appointment.objects.filter(child=child, vaccine=vaccine, status=Appointment.Status.BOOKED)
        .select_related("slot__clinic")
        .first()
    )


def slot_day(slot: Slot) -> date:
    return timezone.localtime(slot.starts_at).date()


@dataclass(frozen=True)
class VaccinationState:
    """What the child's Szczepienia page shows for one vaccine."""

    vaccine: Vaccine
    doses: list[Immunization]
    appointment: Appointment | None
    next_step: rules.Eligibility  # from today on, ignoring the appointment (rules.Outlook.step)
    offers_slots: bool  # some day from today on on which a slot may be booked

    @property
    def open_visit(self) -> Immunization | None:
        return next(
            (d for d in reversed(self.doses) if d.visit_status == Immunization.VisitStatus.OPEN),
            None,
        )


def vaccination_state(*, child: Person, vaccine: Vaccine, today: date) -> VaccinationState:
    doses = doses_of(child, vaccine)
    outlook = rules.booking_outlook(
        vaccine_code=vaccine.code,
        birth_date=child.birth_date,
        doses=[d.as_rule() for d in doses],
        appointment=None,
        programmes=programmes_of(vaccine),
        today=today,
    )
    return VaccinationState(
        vaccine=vaccine,
        doses=doses,
        appointment=active_appointment(child, vaccine),
        next_step=outlook.step,
        offers_slots=bool(outlook.days),
    )


# --- The rule's facts for booking, in one statement ---------------------------------------------
#
# The confirm page, the slot list and every booking attempt judge the rule on the child's doses
# and active appointment. Through the ORM that is two queries and ~4 ms of Python per request on
# the 2-core machine; this statement brings both as JSON in ~1 ms. The Szczepienia page, which
# shows the doses and the appointment themselves, loads the models (vaccination_state).
_RULE_FACTS = f"""
SELECT (SELECT json_build_array(a.id, s.starts_at, a.dose_number)
          FROM {Appointment._meta.db_table} a JOIN {Slot._meta.db_table} s ON s.id = a.slot_id
         WHERE a.child_id = %(child)s AND a.vaccine_id = %(vaccine)s AND a.status = %(booked)s
         LIMIT 1) AS appointment,
       (SELECT coalesce(json_agg(json_build_array(
                   i.administered_on, i.visit_status = %(open)s, coalesce(c.name, i.clinic_code))
                 ORDER BY i.administered_on, i.dose_number), '[]')
          FROM {Immunization._meta.db_table} i
          LEFT JOIN {Clinic._meta.db_table} c ON c.id = i.clinic_id
         WHERE i.person_id = %(child)s AND i.vaccine_id = %(vaccine)s) AS doses
"""


@dataclass(frozen=True)
class RuleFacts:
    """What the booking rule needs about one child and vaccine besides the programmes."""

    doses: list[rules.RecordedDose]  # in the order given
    appointment_id: int | None  # the active (booked) appointment
    appointment: rules.BookedAppointment | None


def rule_facts(child: Person, vaccine: Vaccine) -> RuleFacts:
    with connection.cursor() as cursor:
        cursor.execute(
            _RULE_FACTS,
            {
                "child": child.pk,
                "vaccine": vaccine.pk,
                "booked": Appointment.Status.BOOKED,
                "open": Immunization.VisitStatus.OPEN,
            },
        )
        booked, doses = cursor.fetchone()
    return RuleFacts(
        doses=[
            rules.RecordedDose(
                administered_on=date.fromisoformat(day), visit_open=is_open, clinic_name=clinic
            )
            for day, is_open, clinic in doses
        ],
        appointment_id=booked[0] if booked else None,
        appointment=rules.BookedAppointment(
            on=timezone.localdate(datetime.fromisoformat(booked[1])), dose_number=booked[2]
        )
        if booked
        else None,
    )


def _judge(
    child: Person, vaccine: Vaccine, on: date, facts: RuleFacts, *, with_appointment: bool = True
) -> rules.Eligibility:
    """The rule on `on`; `with_appointment=False` judges as if the active one were moved."""
    return rules.eligibility(
        vaccine_code=vaccine.code,
        birth_date=child.birth_date,
        doses=facts.doses,
        appointment=facts.appointment if with_appointment else None,
        programmes=programmes_of(vaccine),
        on=on,
    )


def open_slots(*, vaccine: Vaccine, now: datetime):
    """Published, future, unbooked slots of a vaccine, soonest first."""
    booked = Appointment.objects.filter(slot=OuterRef("pk"), status=Appointment.Status.BOOKED)
    return (
        Slot.objects.filter(vaccine=vaccine, withdrawn_at__isnull=True, starts_at__gt=now)
        .exclude(Exists(booked))
        .select_related("clinic")
        .order_by("starts_at", "pk")
    )


def bookable_slots(
    *,
    child: Person,
    vaccine: Vaccine,
    now: datetime,
    city: str = "",
    ignore_appointment: bool = False,
):
    """(slots, step): the slots this child may take, soonest first, as a queryset (the view
    paginates it), and the verdict the page explains them with.

    Eligibility depends only on the slot's day: for each stretch of days under one programme
    version the rule gives a window (rules.booking_outlook), and the windows become a date
    filter in SQL. The confirm step still judges the slot's own day (judge_slot).
    """
    facts = rule_facts(child, vaccine)
    outlook = rules.booking_outlook(
        vaccine_code=vaccine.code, birth_date=child.birth_date, doses=facts.doses,
        appointment=None if ignore_appointment else facts.appointment,
        programmes=programmes_of(vaccine), today=timezone.localdate(now),
    )  # fmt: skip
    if not outlook.days:
        return Slot.objects.none(), outlook.step
    slots = open_slots(vaccine=vaccine, now=now).filter(_on_days(outlook.days))
    if city:
        slots = slots.filter(clinic__city__iexact=city)
    return slots, outlook.step


def _on_days(days: tuple[tuple[date, date | None], ...]) -> Q:
    """Slots whose local day falls in one of the ranges (the last one may be open-ended)."""
    ranges = [
        Q(starts_at__date__gte=first) & (Q(starts_at__date__lte=last) if last else Q())
        for first, last in days
    ]
    return functools.reduce(operator.or_, ranges)


def judge_slot(
    *, child: Person, slot: Slot, ignore: Appointment | None = None
) -> rules.Eligibility:
    """The rule's verdict for booking `slot` (on its own day); `ignore`: the appointment
    being moved."""
    facts = rule_facts(child, slot.vaccine)
    moving = ignore is not None and facts.appointment_id == ignore.pk
    return _judge(child, slot.vaccine, slot_day(slot), facts, with_appointment=not moving)


def cities_with_slots(*, vaccine: Vaccine, now: datetime) -> list[str]:
    return list(
        open_slots(vaccine=vaccine, now=now)
        .order_by()
        .values_list("clinic__city", flat=True)
        .distinct()
        .order_by("clinic__city")
    )


def hpv_ticket_open(
    *, by: User, subject: SubjectAccess, state: VaccinationState, slot: Slot | None = None
) -> Ticket:
    """An ikp-pomoc ticket about booking this vaccine, carrying what the parent was shown,
    judged again here (nothing posted is trusted).

    Without a slot: the Szczepienia page's next step ("hpv_eligibility": the reason, the dose,
    the booking window, and for the FAQ's first problem the open visit and its clinic). With a
    slot: a booking that failed on the confirm page ("failed_booking": the verdict for that
    slot's day and whether the term was still free).
    """
    verdict = judge_slot(child=subject.subject, slot=slot) if slot else state.next_step
    facts = {
        "reason": verdict.reason.value,
        "vaccine": state.vaccine.code,
        "dose_number": verdict.dose_number,
        "opens_on": verdict.opens_on.isoformat() if verdict.opens_on else None,
        "closes_on": verdict.closes_on.isoformat() if verdict.closes_on else None,
        "shown": str(verdict.message),
    }
    dose = state.open_visit
    if dose is not None:
        facts |= {
            "open_visit_dose": dose.dose_number,
            "administered_on": dose.administered_on.isoformat(),
            "clinic_code": dose.clinic_code,
            "clinic_name": dose.clinic.name if dose.clinic else dose.clinic_code,
        }
    if slot is not None:
        facts |= {
            "slot_day": slot_day(slot).isoformat(),
            "slot_clinic": slot.clinic.name,
            "slot_state": _slot_state(slot),
        }
    with transaction.atomic(durable=True):
        ticket = ticket_create(
            category=Ticket.Category.HPV_BOOKING,
            source=Ticket.Source.DIAGNOSIS,
            requester=by,
            person=subject.subject,
            description=facts["shown"],
            diagnosis={"failed_booking" if slot else "hpv_eligibility": facts},
        )
        log_access(
            by, subject, AccessLogEntry.Action.VIEW_VACCINATIONS, target=str(ticket.public_id)
        )
    return ticket


def _slot_state(slot: Slot) -> str:
    if slot.withdrawn_at is not None:
        return "withdrawn"
    if slot.starts_at <= timezone.now():
        return "past"
    if Appointment.objects.filter(slot=slot, status=Appointment.Status.BOOKED).exists():
        return "taken"
    return "free"


def _lock_timeout() -> None:
    # set_config(..., true) is SET LOCAL as a SELECT: one plain statement (pghistory's
    # middleware prefixes its context to every writing statement of a POST, not to SELECTs).
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])


def _lock_child(child: Person) -> None:
    # Serialises one child's bookings: the second of two parents booking at once re-reads the
    # first one's appointment instead of racing to the unique constraint. FOR NO KEY UPDATE,
    # not FOR UPDATE: it still excludes another booker, but not the key-share lock that every
    # row referencing the child takes (an access-log row of a page of that child, an
    # appointment), so such pages do not wait for a booking to commit.
    Person.objects.select_for_update(no_key=True).filter(pk=child.pk).values_list(
        "pk", flat=True
    ).get()


def _busy() -> BookingRefused:
    return BookingRefused(
        "busy", _("Many people are booking right now. Please try again in a moment.")
    )


def _slot_taken() -> BookingRefused:
    return BookingRefused(
        "slot_taken", _("Someone else has just booked this term. Please choose another one.")
    )


def _refuse_unless_free(slot: Slot | None, now: datetime, *, taken: bool) -> None:
    refusal = None
    if slot is None or slot.withdrawn_at is not None or slot.starts_at <= now:
        refusal = BookingRefused(
            "slot_gone", _("This term is no longer available. Please choose another one.")
        )
    elif taken:
        refusal = _slot_taken()
    if refusal is not None:
        refusal.slot = slot
        raise refusal


def _slot_at_first_sight(slot_public_id, request_token: uuid.UUID | None, now: datetime) -> Slot:
    """The slot, read before any lock, refused at once if it is unknown, withdrawn, past or
    booked by another request.

    In a rush most attempts are for terms already taken: they are answered with this one
    statement instead of a locking transaction, and they no longer queue on the slot's lock.
    Each of these answers was true when read, and only a cancellation can undo one: refusing a
    term booked a moment ago is what the parent would have seen a moment earlier. A slot booked
    with this request's own token goes on, so that a double submit still returns the first
    booking. Whatever passes is checked again under the locks.
    """
    booked_by_another = Appointment.objects.filter(
        slot=OuterRef("pk"), status=Appointment.Status.BOOKED
    )
    if request_token is not None:
        booked_by_another = booked_by_another.exclude(request_token=request_token)
    slot = (
        Slot.objects.select_related("vaccine", "clinic")
        .annotate(taken=Exists(booked_by_another))
        .filter(public_id=slot_public_id)
        .first()
    )
    _refuse_unless_free(slot, now, taken=slot is not None and slot.taken)
    return slot


def appointment_book(
    *,
    by: User,
    subject: SubjectAccess,
    slot_public_id,
    request_token: uuid.UUID | None = None,
    replacing: Appointment | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book the slot for the child (or move `replacing` to it). Raises BookingRefused.

    The same `request_token` twice (a double submit) returns the first booking. A refusal
    carries the slot (with its clinic and vaccine) when the service got as far as reading it.
    """
    now = now or timezone.now()
    child = subject.subject
    slot = None
    try:
        slot = _slot_at_first_sight(slot_public_id, request_token, now)
        with transaction.atomic(durable=True):
            _lock_timeout()
            _lock_child(child)
            # After the child's lock: the second request of a double submit waits for the first
            # to commit, then finds its appointment by the form's token and returns it.
            if request_token and (
                done := Appointment.objects.filter(request_token=request_token).first()
            ):
                if done.child_id != child.pk:
                    raise BookingRefused(
                        "token_reused", _("This form was already used. Please start again.")
                    )
                return done
            slot = (
                Slot.objects.select_for_update(of=("self",))
                .select_related("vaccine", "clinic")
                .filter(public_id=slot_public_id)
                .first()
            )
            booked = Appointment.objects.filter(slot=slot, status=Appointment.Status.BOOKED)
            _refuse_unless_free(slot, now, taken=slot is not None and booked.exists())
            facts = rule_facts(child, slot.vaccine)
            if replacing is not None and facts.appointment_id != replacing.pk:
                raise BookingRefused(
                    "not_current",
                    _("This appointment has changed meanwhile. Please check it again."),
                )
            # When moving, judged as if the appointment were gone (it is cancelled below).
            verdict = _judge(
                child, slot.vaccine, slot_day(slot), facts, with_appointment=replacing is None
            )
            if not verdict.eligible:
                raise BookingRefused(verdict.reason.value, verdict.message, verdict)
            if replacing is not None:
                _cancel(replacing, Appointment.CancelReason.RESCHEDULED, now)
            appointment = Appointment.objects.create(
                child=child,
                slot=slot,
                vaccine=slot.vaccine,
                dose_number=verdict.dose_number,
                booked_by=by,
                request_token=request_token,
            )
            log_access(
                by,
                subject,
                AccessLogEntry.Action.BOOK_VACCINATION,
                target=str(appointment.public_id),
            )
            enqueue_on_commit(tasks.send_appointment_mail, appointment.pk, "booked")
            return appointment
    except BookingRefused as refusal:
        refusal.slot = refusal.slot or slot
        raise
    except OperationalError as error:
        if getattr(error, "sqlstate", None) == "55P03" or "lock timeout" in str(error):
            raise _busy() from None
        raise
    except IntegrityError:
        # The constraints caught what the locks should have: a race we did not foresee.
        refusal = _slot_taken()
        refusal.slot = slot
        raise refusal from None


def _cancel(appointment: Appointment, reason: str, now: datetime) -> None:
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancel_reason = reason
    appointment.cancelled_at = now
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_at"])


def appointment_cancel(*, by: User, subject: SubjectAccess, appointment: Appointment) -> None:
    """The parent cancels; the slot is free again at once."""
    with transaction.atomic(durable=True):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != Appointment.Status.BOOKED:
            raise BookingRefused("not_booked", _("This appointment is no longer booked."))
        _cancel(locked, Appointment.CancelReason.BY_GUARDIAN, timezone.now())
        log_access(
            by, subject, AccessLogEntry.Action.CANCEL_VACCINATION, target=str(locked.public_id)
        )
        enqueue_on_commit(tasks.send_appointment_mail, locked.pk, "cancelled")


# --- Clinic side --------------------------------------------------------------------------------


def clinics_of(user: User):
    return Clinic.objects.filter(staff=user).order_by("city", "name")


def link_doses_sql(codes: str) -> str:
    """The statement that links doses recorded under a clinic code the portal did not know yet
    to the clinic that now has that code, for the codes `codes` yields (SQL: a subquery, or a
    placeholder). The one definition: clinic_link_doses runs it for a clinic saved in admin,
    the clinic-slots feed for the clinics a file names (feeds/clinic_slots.py). Only unlinked
    doses are touched (the partial index immunization_unknown_clinic holds them)."""
    return f"""
UPDATE {Immunization._meta.db_table} i SET clinic_id = c.id
FROM {Clinic._meta.db_table} c
WHERE i.clinic_id IS NULL AND i.clinic_code = c.code AND c.code IN ({codes})
"""


def clinic_link_doses(*, clinic: Clinic) -> int:
    """Link to `clinic` the doses the immunization feed recorded under its code before the
    clinic existed (or before it took this code); returns how many. Without the link such a
    dose is on no clinic's open-visits page and in no reminder, and while its visit is open the
    child cannot book the next dose. Runs in the caller's transaction (the admin's save)."""
    with connection.cursor() as cursor:
        cursor.execute(link_doses_sql("%s"), [clinic.code])
        return cursor.rowcount


def slot_publish(
    *,
    clinic: Clinic,
    vaccine: Vaccine,
    starts_at: datetime,
    duration_minutes: int,
    count: int = 1,
) -> list[Slot]:
    """Publish `count` consecutive slots from `starts_at` (one child each)."""
    if starts_at <= timezone.now():
        raise BookingRefused("past", _("A term must start in the future."))
    if starts_at.date() > rules.slot_horizon(timezone.localdate())[1]:
        raise BookingRefused("too_far", _("A term can be published at most two years ahead."))
    with transaction.atomic(durable=True):
        return Slot.objects.bulk_create(
            [
                Slot(
                    slot_id=f"staff-{uuid.uuid4()}",
                    clinic=clinic,
                    vaccine=vaccine,
                    starts_at=starts_at + timedelta(minutes=duration_minutes * n),
                    duration_minutes=duration_minutes,
                    source=Slot.Source.STAFF,
                )
                for n in range(count)
            ]
        )


def slot_withdraw(*, slot: Slot, now: datetime | None = None) -> list[int]:
    """Withdraw a slot; an appointment on it is cancelled and its parent told (the ids of the
    cancelled appointments are returned). Idempotent."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = Slot.objects.select_for_update().get(pk=slot.pk)
        if locked.withdrawn_at is None:
            locked.withdrawn_at = now
            locked.save(update_fields=["withdrawn_at"])
        return cancel_bookings_of_withdrawn(Q(pk=locked.pk), now)


def cancel_bookings_of_withdrawn(slots: Q, now: datetime) -> list[int]:
    """Inside a transaction: cancel the booked appointments on withdrawn slots matching
    `slots`; queue a mail to each booker. The clinic-slots feed calls it too."""
    cancelled = list(
        Appointment.objects.select_for_update()
        .filter(
            status=Appointment.Status.BOOKED,
            slot__in=Slot.objects.filter(slots, withdrawn_at__isnull=False),
        )
        .values_list("pk", flat=True)
    )
    Appointment.objects.filter(pk__in=cancelled).update(
        status=Appointment.Status.CANCELLED,
        cancel_reason=Appointment.CancelReason.SLOT_WITHDRAWN,
        cancelled_at=now,
    )
    for pk in cancelled:
        enqueue_on_commit(tasks.send_appointment_mail, pk, "withdrawn")
    return cancelled


def immunization_record(
    *,
    by: User,
    clinic: Clinic,
    child: Person,
    vaccine: Vaccine,
    administered_on: date,
    close_visit: bool,
) -> Immunization:
    """Clinic staff record a dose given at their clinic; the dose number follows the record."""
    if administered_on > timezone.localdate():
        raise BookingRefused("future", _("A dose cannot be recorded with a future date."))
    with transaction.atomic(durable=True):
        _lock_child(child)
        # After the highest number recorded, not after the count: the immunization feed may have
        # stored a later dose without an earlier one (dose 2 arrived, dose 1's line never did),
        # and count() + 1 would then repeat a stored number, which one_dose_per_number refuses
        # on every retry. The child's row lock orders this with the feed (which locks the
        # people it names); a collision left is a true race, which the view reports as one.
        highest = Immunization.objects.filter(person=child, vaccine=vaccine).aggregate(
            highest=Max("dose_number")
        )["highest"]
        number = (highest or 0) + 1
        dose = Immunization.objects.create(
            record_id=f"staff-{uuid.uuid4()}",
            person=child,
            vaccine=vaccine,
            dose_number=number,
            administered_on=administered_on,
            clinic_code=clinic.code,
            clinic=clinic,
            visit_status=Immunization.VisitStatus.COMPLETED
            if close_visit
            else Immunization.VisitStatus.OPEN,
            closed_at=timezone.now() if close_visit else None,
        )
        # The appointment the dose was given at is done: it no longer blocks the next booking.
        Appointment.objects.filter(
            child=child,
            vaccine=vaccine,
            status=Appointment.Status.BOOKED,
            slot__starts_at__date__lte=administered_on,
        ).update(status=Appointment.Status.DONE)
        log_access(
            by,
            child,
            AccessLogEntry.Action.CLINIC_RECORD_DOSE,
            target=str(dose.public_id),
            basis="clinic",
        )
        return dose


def visit_close(*, by: User, clinic: Clinic, dose: Immunization) -> None:
    with transaction.atomic(durable=True):
        updated = Immunization.objects.filter(
            pk=dose.pk, clinic=clinic, visit_status=Immunization.VisitStatus.OPEN
        ).update(visit_status=Immunization.VisitStatus.COMPLETED, closed_at=timezone.now())
        if updated:
            log_access(
                by,
                dose.person,
                AccessLogEntry.Action.CLINIC_CLOSE_VISIT,
                target=str(dose.public_id),
                basis="clinic",
            )


def open_visits(clinic: Clinic):
    """The clinic's doses whose visit is still open, oldest first."""
    return (
        Immunization.objects.filter(clinic=clinic, visit_status=Immunization.VisitStatus.OPEN)
        .select_related("person", "vaccine")
        .order_by("administered_on", "pk")
    )
