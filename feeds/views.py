"""The sync monitor (DESIGN.md, "Feeds"): support staff watch the ZUS deadline and fix bad lines.

Staff pages, not patient pages: support staff have no Person, so the gate is the support role
(or superuser), not a verified identity; the MFA middleware has already insisted on TOTP.
Nothing here shows a PESEL: events are named by their opaque event_id. Only a quarantined
line's own page shows its raw text, which staff need to correct it (it goes back by POST); when
that text names people the portal knows, each read is logged on each of them.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import support_staff_required
from feeds.forms import CorrectedLineForm
from feeds.kinds import LineProblem, UnknownFeedKind
from feeds.models import FeedFile, QuarantinedLine
from feeds.reads import log_people_named
from feeds.runner import run_corrected_line
from guardianship.models import EventType, InsuranceEvent
from guardianship.rules import SYNC_DEADLINE_DAYS, sync_deadline
from ikp.forms import form_status

NEAR_DEADLINE_DAYS = 14  # from this many days after reported_on an event is listed as near
LATE_LISTED = 100
LINES_PER_PAGE = 25
FEED_FILES_LISTED = 20

# The code before the colon of a quarantine reason (feeds.kinds.LineProblem); the detail after
# it is technical and shown as is.
REASONS = {
    "invalid_json": _("Not valid JSON"),
    "invalid_field": _("A field is missing or has a wrong value"),
    "invalid_pesel": _("Invalid PESEL"),
    "same_person": _("The insured person and the family member are the same person"),
    "self_cancel": _("The event cancels itself"),
    "too_long": _("The line is too long"),
    "id_conflict": _("This identifier was already received with other content"),
    "unknown_vaccine": _("The vaccine code is not known"),
    "unknown_slot": _("No term with this slot_id was published"),
    "slot_booked": _("A child is booked on this term, so it cannot be moved"),
    "slot_withdrawn": _("This term was withdrawn and cannot be published again"),
    "unknown_person": _("No person with this PESEL yet: run the line again once the person is known"),
    "duplicate_dose": _("This dose is already recorded under another record_id"),
    "invalid_nip": _("Invalid NIP of the employer"),
}


def reason_parts(reason: str) -> tuple[str, str]:
    """("translated code", "detail") of a quarantine reason; an unknown code is shown as is."""
    code, _colon, detail = reason.partition(":")
    label = REASONS.get(code.strip())
    return (str(label), detail.strip()) if label else (reason, "")


@dataclass(frozen=True)
class PendingEvent:
    event_id: str
    type_label: str
    reported_on: date
    deadline: date
    days_left: int  # negative: days past the deadline

    @property
    def past_deadline(self) -> bool:
        return self.days_left < 0

    @property
    def days_over(self) -> int:
        return -self.days_left


def _pending_event(event: InsuranceEvent, today: date) -> PendingEvent:
    deadline = sync_deadline(event.reported_on)
    label = str(EventType(event.type).label) if event.type in EventType.values else event.type
    return PendingEvent(event.event_id, label, event.reported_on, deadline, (deadline - today).days)


@support_staff_required
@require_GET
def sync_monitor(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    counts = InsuranceEvent.objects.aggregate(
        pending=Count("pk", filter=Q(applied_at__isnull=True)),
        applied=Count("pk", filter=Q(applied_at__isnull=False)),
        applied_last_day=Count(
            "pk", filter=Q(applied_at__gte=timezone.now() - timedelta(hours=24))
        ),
    )
    # Only the columns shown: no PESEL is ever loaded for this page.
    pending = InsuranceEvent.objects.filter(applied_at__isnull=True).only(
        "event_id", "type", "reported_on"
    )
    oldest = pending.order_by("reported_on", "pk").first()
    late = pending.filter(reported_on__lte=today - timedelta(days=NEAR_DEADLINE_DAYS)).order_by(
        "reported_on", "pk"
    )
    open_lines = QuarantinedLine.objects.filter(resolved_at__isnull=True)
    page = Paginator(
        open_lines.select_related("feed_file").order_by("-created_at", "line_number", "pk"),
        LINES_PER_PAGE,
    ).get_page(request.GET.get("strona"))
    for line in page:
        line.reason_label, line.reason_detail = reason_parts(line.reason)
    context = {
        "counts": counts,
        "oldest": _pending_event(oldest, today) if oldest else None,
        "late": [_pending_event(event, today) for event in late[:LATE_LISTED]],
        "near_days": NEAR_DEADLINE_DAYS,
        "deadline_days": SYNC_DEADLINE_DAYS,
        "quarantine_by_kind": open_lines.values("kind")
        .annotate(count=Count("pk"))
        .order_by("kind"),
        "page": page,
        "feed_files": FeedFile.objects.order_by("-started_at", "-pk")[:FEED_FILES_LISTED],
    }
    return render(request, "feeds/sync_monitor.html", context)


@support_staff_required
@require_http_methods(["GET", "POST"])
def quarantined_line(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A set-aside line: staff correct its text and run it again as its feed would. The raw
    text may name people the portal knows: every GET and POST logs a read on each of them."""
    line = get_object_or_404(
        QuarantinedLine.objects.select_related("feed_file", "resolved_by"), public_id=public_id
    )
    log_people_named(request, line)
    form = CorrectedLineForm(
        request.POST if request.method == "POST" else None, initial={"line": line.raw}
    )
    if request.method == "POST":
        if line.resolved_at is not None:
            messages.info(request, _("This line has already been resolved; nothing was run again."))
            return redirect("feeds:quarantined_line", public_id=line.public_id)
        if form.is_valid():
            try:
                run_corrected_line(line.kind, form.cleaned_data["line"])
            except LineProblem as problem:
                form.add_error(
                    "line", ": ".join(part for part in reason_parts(problem.reason) if part)
                )
            except UnknownFeedKind:
                form.add_error(
                    "line", _("This feed kind is no longer known; the line cannot be run.")
                )
            else:
                line.resolved_at = timezone.now()
                line.resolved_by = request.user
                line.save(update_fields=["resolved_at", "resolved_by"])
                messages.success(request, _("The corrected line was accepted and applied."))
                return redirect("feeds:sync_monitor")
    line.reason_label, line.reason_detail = reason_parts(line.reason)
    context = {"line": line, "form": form}
    return render(request, "feeds/quarantined_line.html", context, status=form_status(form))
