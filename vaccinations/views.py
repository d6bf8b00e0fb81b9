"""Profilaktyka → Szczepienia, for the account open in the session (a parent switches to the
child's account first, as the FAQ describes), and the booking path: vaccine → date and place →
confirm → confirmation. Appointments appear in paths by opaque UUID only.

Gates: pages of the acting account go through policy.acting_subject (booking needs WRITE, so a
16-year-old viewing their own account or a read-only authorisation cannot book: 403); an
appointment named in a path goes through policy.resource_for (strangers 404). Each page that
shows the child's vaccination data writes one access-log row.
"""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import verified_identity_required
from guardianship.models import AccessLogEntry
from guardianship.policy import SubjectAccess, acting_subject, log_access, resource_for
from guardianship.rules import Level
from vaccinations import services
from vaccinations.catalogue import bookable_vaccines
from vaccinations.models import Appointment, Slot, Vaccine

SLOTS_PAGE_SIZE = 20
RESCHEDULE_PARAM = "zmiana"  # ?zmiana=<appointment public id>: choosing a new term for it


@verified_identity_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The child's Szczepienia page: doses, the booked appointment, the next step."""
    subject = acting_subject(request)
    today = timezone.localdate()
    states = [
        services.vaccination_state(child=subject.subject, vaccine=vaccine, today=today)
        for vaccine in bookable_vaccines()
    ]
    log_access(request, subject, AccessLogEntry.Action.VIEW_VACCINATIONS)
    return render(
        request,
        "vaccinations/overview.html",
        {
            "person": subject.subject,
            "states": states,
            "can_book": subject.access.level >= Level.WRITE,
            # The booking entry only where some vaccine has a slot to offer this child.
            "offers_booking": any(state.offers_slots for state in states),
            "today": today,
        },
    )


@verified_identity_required
@require_GET
def book(request: HttpRequest) -> HttpResponse:
    """Step 1: against what (the FAQ: registration will serve other vaccinations later)."""
    subject = acting_subject(request, need=Level.WRITE)
    vaccines = bookable_vaccines()
    chosen = request.GET.get("szczepionka", "")
    error = ""
    if "szczepionka" in request.GET:
        if any(v.code == chosen for v in vaccines):
            return redirect(_slots_url(chosen, request.GET.get(RESCHEDULE_PARAM, "")))
        error = _("Choose what you want to vaccinate the child against.")
    return render(
        request,
        "vaccinations/book_vaccine.html",
        {"person": subject.subject, "vaccines": vaccines, "error": error},
        status=400 if error else 200,
    )


def _slots_url(code: str, replacing: str = "") -> str:
    url = reverse("vaccinations:book_slots", args=[code])
    return f"{url}?{urlencode({RESCHEDULE_PARAM: replacing})}" if replacing else url


def _replacing(subject: SubjectAccess, source) -> Appointment | None:
    """The child's booked appointment being moved, named by ?zmiana= or a hidden field."""
    value = source.get(RESCHEDULE_PARAM, "")
    if not value:
        return None
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        raise Http404 from None
    appointment = (
        Appointment.objects.filter(
            public_id=public_id, child=subject.subject, status=Appointment.Status.BOOKED
        )
        .select_related("slot__clinic", "vaccine")
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


@verified_identity_required
@require_GET
def book_slots(request: HttpRequest, vaccine_code: str) -> HttpResponse:
    """Step 2: date and place. Only slots this child may take, soonest first, by city."""
    subject = acting_subject(request, need=Level.WRITE)
    vaccine = get_object_or_404(Vaccine, code=vaccine_code)
    replacing = _replacing(subject, request.GET)
    now = timezone.now()
    city = request.GET.get("miasto", "").strip()
    slots, step = services.bookable_slots(
        child=subject.subject,
        vaccine=vaccine,
        now=now,
        city=city,
        ignore_appointment=replacing is not None,
    )
    page = Paginator(slots, SLOTS_PAGE_SIZE).get_page(request.GET.get("strona"))
    rows = [{"slot": slot, "day": services.slot_day(slot)} for slot in page.object_list]
    log_access(request, subject, AccessLogEntry.Action.VIEW_VACCINATIONS)
    return render(
        request,
        "vaccinations/book_slots.html",
        {
            "person": subject.subject,
            "vaccine": vaccine,
            "step": step,
            "page": page,
            "rows": rows,
            "cities": services.cities_with_slots(vaccine=vaccine, now=now),
            "city": city,
            "any_published": services.open_slots(vaccine=vaccine, now=now).exists(),
            "replacing": replacing,
            "reschedule_param": RESCHEDULE_PARAM,
            "today": timezone.localdate(now),
        },
    )


@verified_identity_required
@require_http_methods(["GET", "POST"])
def book_confirm(request: HttpRequest, slot_id) -> HttpResponse:
    """Step 3: confirm. POST books; a refusal re-renders with the reason (409, or 429 busy).

    The rule is judged for the page (GET); a POST goes straight to the service, which judges
    under its locks, and a refusal shows the service's own verdict with the slot the service
    read (an unknown slot is still 404: the service has none to give).
    """
    subject = acting_subject(request, need=Level.WRITE)
    source = request.POST if request.method == "POST" else request.GET
    replacing = _replacing(subject, source)
    if request.method == "GET":
        return _confirm_page(request, subject, _slot_or_404(slot_id), replacing)
    try:
        token = uuid.UUID(request.POST.get("request_token", ""))
    except ValueError:
        token = None
    try:
        appointment = services.appointment_book(
            by=request.user,
            subject=subject,
            slot_public_id=slot_id,
            request_token=token,
            replacing=replacing,
        )
    except services.BookingRefused as refusal:
        status = 429 if refusal.code == "busy" else 409
        slot = refusal.slot or _slot_or_404(slot_id)
        return _confirm_page(request, subject, slot, replacing, refusal=refusal, status=status)
    messages.success(
        request,
        _("The term has been changed.") if replacing else _("The vaccination has been booked."),
    )
    return redirect("vaccinations:appointment", public_id=appointment.public_id)


def _slot_or_404(public_id) -> Slot:
    return get_object_or_404(Slot.objects.select_related("clinic", "vaccine"), public_id=public_id)


def _confirm_page(request, subject, slot, replacing, *, refusal=None, status=200) -> HttpResponse:
    """The confirm step; after a refusal, the refusal's reason instead of the form. The rule is
    not judged again for a refusal page: the service's verdict (when the rule refused) gives the
    dose; a term taken or gone shows none, as nothing was booked.

    Either page shows the child's vaccination data (the verdict: dose and window, an open visit
    and its clinic; the appointment being replaced), so each writes one access-log row naming
    the slot. On a refused POST that row is the one statement the page adds after the service:
    nothing more is read. A successful booking never comes here (the service logs it)."""
    verdict = (
        refusal.eligibility
        if refusal is not None
        else services.judge_slot(child=subject.subject, slot=slot, ignore=replacing)
    )
    log_access(
        request, subject, AccessLogEntry.Action.VIEW_VACCINATIONS, target=str(slot.public_id)
    )
    context = {
        "person": subject.subject,
        "slot": slot,
        "verdict": verdict,
        "replacing": replacing,
        "reschedule_param": RESCHEDULE_PARAM,
        "request_token": uuid.uuid4(),
        "refusal": refusal,
    }
    return render(request, "vaccinations/book_confirm.html", context, status=status)


@verified_identity_required
@require_GET
def appointment(request: HttpRequest, public_id) -> HttpResponse:
    """The confirmation page and the appointment's details."""
    booked, subject = resource_for(
        request,
        Appointment.objects.select_related("slot__clinic", "vaccine"),
        public_id,
        subject_field="child",
    )
    log_access(
        request, subject, AccessLogEntry.Action.VIEW_VACCINATIONS, target=str(booked.public_id)
    )
    return render(
        request,
        "vaccinations/appointment.html",
        {
            "person": subject.subject,
            "appointment": booked,
            "can_change": subject.access.level >= Level.WRITE
            and booked.status == Appointment.Status.BOOKED,
            "reschedule_url": _slots_url(booked.vaccine.code, str(booked.public_id)),
        },
    )


@verified_identity_required
@require_http_methods(["GET", "POST"])
def appointment_cancel(request: HttpRequest, public_id) -> HttpResponse:
    booked, subject = resource_for(
        request,
        Appointment.objects.select_related("slot__clinic", "vaccine"),
        public_id,
        subject_field="child",
        need=Level.WRITE,
    )
    if request.method == "POST":
        try:
            services.appointment_cancel(by=request.user, subject=subject, appointment=booked)
        except services.BookingRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("vaccinations:appointment", public_id=booked.public_id)
        messages.success(
            request, _("The appointment has been cancelled. The term is free for others.")
        )
        return redirect("vaccinations:overview")
    log_access(
        request, subject, AccessLogEntry.Action.VIEW_VACCINATIONS, target=str(booked.public_id)
    )
    return render(
        request,
        "vaccinations/appointment_cancel.html",
        {"person": subject.subject, "appointment": booked},
    )


@verified_identity_required
@require_POST
def hpv_ticket(request: HttpRequest) -> HttpResponse:
    """Report a booking problem to ikp-pomoc with what the parent was shown: from the
    Szczepienia page (the FAQ: an open visit, or "the child is in the age group but the system
    will not let me book") or from a failed confirm page (`slot`). Judged again here."""
    subject = acting_subject(request, need=Level.WRITE)
    vaccine = get_object_or_404(Vaccine, code=request.POST.get("vaccine", ""))
    slot = _posted_slot(request.POST.get("slot", ""), vaccine)
    state = services.vaccination_state(child=subject.subject, vaccine=vaccine, today=timezone.localdate())
    if slot is None and state.open_visit is None and state.next_step.eligible:
        messages.info(request, _("The child can be booked now: there is nothing to report."))
        return redirect("vaccinations:overview")
    ticket = services.hpv_ticket_open(by=request.user, subject=subject, state=state, slot=slot)
    messages.success(
        request,
        _("We have sent your report to ikp-pomoc as ticket %(number)s. We will reply by e-mail.")
        % {"number": ticket.number},
    )
    return redirect("support:ticket", public_id=ticket.public_id)


def _posted_slot(value: str, vaccine: Vaccine) -> Slot | None:
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        return None
    return Slot.objects.select_related("clinic", "vaccine").filter(public_id=public_id, vaccine=vaccine).first()
