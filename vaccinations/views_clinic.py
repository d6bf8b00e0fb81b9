"""Clinic staff pages (/obsluga/przychodnia/, DESIGN.md "HPV vaccination"): publish and withdraw
slots, record a dose given, see and close the clinic's open visits.

Staff pages, not patient pages: clinic staff need no Person of their own. The gate is the
clinic-staff role (else 403; the MFA middleware has already insisted on TOTP), then the clinic
named in the URL, looked up among the user's own clinics only (else 404: staff of one clinic
learn nothing about another's). Slots and doses are looked up inside that clinic the same way.
"""


from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import clinic_staff_required
from guardianship.models import AccessLogEntry
from ikp.forms import form_status
from ikp.paging import page_of
from vaccinations import services
from vaccinations.forms_clinic import DoseRecordForm, SlotPublishForm
from vaccinations.models import Appointment, Clinic, Immunization, Slot

SLOTS_PER_PAGE = 50
VISITS_PER_PAGE = 50
CLINIC_BASIS = "clinic"  # AccessLogEntry.basis: the reader works at the clinic that gave the dose

WITHDRAWN_BOOKED = gettext_lazy(
    "The term is withdrawn. Its appointment is cancelled and the parent will be told by e-mail."
)
RECORDED_MEANWHILE = gettext_lazy(
    "A dose of this child was recorded at the same moment. Check the record and try again."
)
RECORDED_OPEN = gettext_lazy(
    "Recorded: dose %(number)s of %(vaccine)s for %(name)s, given on %(day)s."
    " The visit is still open: close it on this list when it is finished."
)
RECORDED_CLOSED = gettext_lazy(
    "Recorded: dose %(number)s of %(vaccine)s for %(name)s, given on %(day)s. The visit is closed."
)


def _clinic(request: HttpRequest, clinic_id) -> Clinic:
    """The gate: a clinic the user is on the staff of, else 404."""
    clinic = services.clinics_of(request.user).filter(public_id=clinic_id).first()
    if clinic is None:
        raise Http404
    return clinic


def _slots_with_state(clinic: Clinic):
    """The clinic's slots with the dose number booked on each (None: free). No child is loaded:
    the slot list says "booked", never for whom."""
    booked = Appointment.objects.filter(slot=OuterRef("pk"), status=Appointment.Status.BOOKED)
    return (
        Slot.objects.filter(clinic=clinic)
        .annotate(booked_dose=Subquery(booked.values("dose_number")[:1]))
        .select_related("vaccine")
    )


def _day(value) -> str:
    return formats.date_format(value, "DATE_FORMAT")


@clinic_staff_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    open_filter = Q(immunizations__visit_status=Immunization.VisitStatus.OPEN)
    clinics = services.clinics_of(request.user).annotate(
        open_visits=Count("immunizations", filter=open_filter, distinct=True)
    )
    return render(request, "vaccinations/clinic/home.html", {"clinics": clinics})


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def slots(request: HttpRequest, clinic_id) -> HttpResponse:
    """Future slots, soonest first, and the form that publishes new ones."""
    clinic = _clinic(request, clinic_id)
    form = SlotPublishForm(request.POST) if request.method == "POST" else SlotPublishForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            published = services.slot_publish(
                clinic=clinic, vaccine=data["vaccine"], starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"], count=data["count"],
            )  # fmt: skip
        except services.BookingRefused as refusal:
            form.add_error("start", str(refusal.message))
        else:
            messages.success(request, _published_message(published))
            return redirect("clinic:slots", clinic_id=clinic.public_id)
    future = (
        _slots_with_state(clinic).filter(starts_at__gt=timezone.now()).order_by("starts_at", "pk")
    )
    page, page_range = page_of(request, future, SLOTS_PER_PAGE)
    context = {"clinic": clinic, "form": form, "page": page, "page_range": page_range}
    return render(request, "vaccinations/clinic/slots.html", context, status=form_status(form))


def _published_message(published: list[Slot]) -> str:
    first = timezone.localtime(published[0].starts_at)
    last = timezone.localtime(published[-1].starts_at)
    count = len(published)
    text = ngettext(
        "Published %(count)s term on %(day)s at %(first)s.",
        "Published %(count)s terms on %(day)s, from %(first)s to %(last)s.",
        count,
    )
    return text % {
        "count": count,
        "day": _day(first),
        "first": f"{first:%H:%M}",
        "last": f"{last:%H:%M}",
    }


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def slot_withdraw(request: HttpRequest, clinic_id, slot_id) -> HttpResponse:
    """Confirm, then withdraw a term; a booking on it is cancelled and the parent told by e-mail."""
    clinic = _clinic(request, clinic_id)
    slot = _slots_with_state(clinic).filter(public_id=slot_id).first()
    if slot is None:
        raise Http404
    if slot.withdrawn_at is not None:
        messages.info(request, _("This term has already been withdrawn."))
        return redirect("clinic:slots", clinic_id=clinic.public_id)
    if slot.starts_at <= timezone.now():
        # Past terms stay as they were: the visit may have happened.
        messages.info(
            request, _("This term has already started, so it can no longer be withdrawn.")
        )
        return redirect("clinic:slots", clinic_id=clinic.public_id)
    if request.method == "POST":
        cancelled = services.slot_withdraw(slot=slot)
        if cancelled:
            messages.success(request, WITHDRAWN_BOOKED)
        else:
            messages.success(request, _("The term is withdrawn. Nobody had booked it."))
        return redirect("clinic:slots", clinic_id=clinic.public_id)
    return render(
        request, "vaccinations/clinic/slot_withdraw.html", {"clinic": clinic, "slot": slot}
    )


def _visit_read(request: HttpRequest, dose: Immunization) -> AccessLogEntry:
    """What policy.log_access would write for one row, unsaved, for a bulk insert."""
    return AccessLogEntry(
        actor=request.user,
        acting_for=dose.person,
        subject=dose.person,
        action=AccessLogEntry.Action.CLINIC_VIEW_VISITS,
        basis=CLINIC_BASIS,
        target=str(dose.public_id),
    )


@clinic_staff_required
@require_GET
def visits(request: HttpRequest, clinic_id) -> HttpResponse:
    """Open visits (dose recorded, visit not closed), oldest first.

    Each row shows a child's data, so each row shown is one AccessLogEntry, written in one
    query for the page: the number of queries does not grow with the rows.
    """
    clinic = _clinic(request, clinic_id)
    page, page_range = page_of(request, services.open_visits(clinic), VISITS_PER_PAGE)
    doses = list(page.object_list)
    AccessLogEntry.objects.bulk_create([_visit_read(request, dose) for dose in doses])
    today = timezone.localdate()
    rows = [(dose, (today - dose.administered_on).days) for dose in doses]
    context = {"clinic": clinic, "rows": rows, "page": page, "page_range": page_range}
    return render(request, "vaccinations/clinic/visits.html", context)


@clinic_staff_required
@require_POST
def visit_close(request: HttpRequest, clinic_id, dose_id) -> HttpResponse:
    clinic = _clinic(request, clinic_id)
    dose = (
        Immunization.objects.filter(clinic=clinic, public_id=dose_id)
        .select_related("person")
        .first()
    )
    if dose is None:
        raise Http404
    if dose.visit_status != Immunization.VisitStatus.OPEN:
        messages.info(request, _("This visit was already closed."))
    else:
        services.visit_close(by=request.user, clinic=clinic, dose=dose)
        messages.success(
            request,
            _("The visit is closed: dose %(number)s for %(name)s.")
            % {"number": dose.dose_number, "name": dose.person.full_name},
        )
    return redirect("clinic:visits", clinic_id=clinic.public_id)


@clinic_staff_required
@require_http_methods(["GET", "POST"])
def record_dose(request: HttpRequest, clinic_id) -> HttpResponse:
    """Record a dose given here. The child's PESEL travels in the POST body only."""
    clinic = _clinic(request, clinic_id)
    form = DoseRecordForm(request.POST) if request.method == "POST" else DoseRecordForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dose = services.immunization_record(
                by=request.user, clinic=clinic, child=data["child"], vaccine=data["vaccine"],
                administered_on=data["administered_on"], close_visit=data["close_visit"],
            )  # fmt: skip
        except services.BookingRefused as refusal:
            form.add_error("administered_on", str(refusal.message))
        except IntegrityError:
            # Another record of this child's dose (the feed, a colleague) landed meanwhile.
            form.add_error(None, RECORDED_MEANWHILE)
        else:
            messages.success(request, _recorded_message(dose))
            return redirect("clinic:visits", clinic_id=clinic.public_id)
    context = {"clinic": clinic, "form": form}
    return render(request, "vaccinations/clinic/record_dose.html", context, status=form_status(form))


def _recorded_message(dose: Immunization) -> str:
    facts = {
        "number": dose.dose_number,
        "vaccine": dose.vaccine.name,
        "name": dose.person.full_name,
        "day": _day(dose.administered_on),
    }
    still_open = dose.visit_status == Immunization.VisitStatus.OPEN
    return str(RECORDED_OPEN if still_open else RECORDED_CLOSED) % facts
