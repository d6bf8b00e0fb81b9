"""Historia leczenia → Dokumenty: the acting account's EDM documents, one document, its PDF.

Gates: the list shows the account open in the session (policy.acting_subject: a guardian
switches to the child's account first, as the FAQ describes); a document named in a path goes
through policy.resource_for, so a stranger gets 404 for a real document's URL and no log row.
Every page that shows a document (or the list) writes one access-log row.
"""

from datetime import date, datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import verified_identity_required
from guardianship.models import AccessLogEntry
from guardianship.policy import acting_subject, log_access, resource_for
from ikp.forms import form_status
from records import pdf
from records.forms import DocumentFilterForm
from records.models import Document

PAGE_SIZE = 20


def _facilities(person) -> list[str]:
    """The facilities of this person's documents, for the filter (one DISTINCT query)."""
    names = (
        Document.objects.filter(person=person)
        .order_by("facility_name")
        .values_list("facility_name", flat=True)
        .distinct()
    )
    return list(names)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _filtered(person, filters: dict):
    """The person's documents newest first, narrowed by the form's cleaned filters. Dates are
    whole Polish days turned into an issued_at range, so the (person, -issued_at) index serves."""
    documents = Document.objects.filter(person=person).order_by("-issued_at", "-id")
    if filters.get("typ"):
        documents = documents.filter(type=filters["typ"])
    if filters.get("od"):
        documents = documents.filter(issued_at__gte=_start_of(filters["od"]))
    if filters.get("do"):
        documents = documents.filter(issued_at__lt=_start_of(filters["do"] + timedelta(days=1)))
    if filters.get("placowka"):
        documents = documents.filter(facility_name=filters["placowka"])
    # The list shows no body: leave the longest column in the database.
    return documents.defer("body")


@verified_identity_required
@require_GET
def documents(request: HttpRequest) -> HttpResponse:
    """The list, newest first, with filters and pages. A constant number of queries: the
    facilities, the count and one page of rows, whatever the size of the history."""
    subject = acting_subject(request)
    facilities = _facilities(subject.subject)
    # No facility means no document at all: the FAQ's explanation instead of filters and a table.
    form = DocumentFilterForm(request.GET, facilities=facilities) if facilities else None
    page = None
    if form is not None and form.is_valid():
        matching = _filtered(subject.subject, form.cleaned_data)
        page = Paginator(matching, PAGE_SIZE).get_page(request.GET.get("strona"))
    log_access(request, subject, AccessLogEntry.Action.VIEW_DOCUMENTS)
    context = {
        "person": subject.subject,
        "form": form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number) if page else [],
    }
    # A bad date or choice: the form says which.
    return render(request, "records/documents.html", context, status=form_status(form))


@verified_identity_required
@require_GET
def document(request: HttpRequest, public_id) -> HttpResponse:
    found, subject = resource_for(
        request, Document.objects.all(), public_id, subject_field="person"
    )
    log_access(request, subject, AccessLogEntry.Action.VIEW_DOCUMENT, target=str(found.public_id))
    return render(request, "records/document.html", {"person": subject.subject, "document": found})


@verified_identity_required
@require_GET
@never_cache  # a medical document: no copy in shared or browser caches
def document_pdf(request: HttpRequest, public_id) -> HttpResponse:
    """The detail's content as a PDF, rendered from the same partial as the page."""
    found, subject = resource_for(
        request, Document.objects.all(), public_id, subject_field="person"
    )
    html = render_to_string(
        "records/document_pdf.html",
        {
            "person": subject.subject,
            "document": found,
            "downloaded_at": timezone.now(),
            "language": get_language(),
        },
    )
    content = pdf.render_pdf(html)
    log_access(
        request, subject, AccessLogEntry.Action.DOWNLOAD_DOCUMENT, target=str(found.public_id)
    )
    response = HttpResponse(content, content_type="application/pdf")
    # ASCII, and neither a name nor a PESEL: file names end up in download folders and logs.
    response["Content-Disposition"] = content_disposition_header(True, pdf.filename_for(found))
    return response
