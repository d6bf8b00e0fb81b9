"""The patient's side of ikp-pomoc (/pomoc/zgloszenia/): their own requests only.

A ticket belongs to the login that sent it; anyone else gets 404 (support.access). Like every
page that may name a person, these need a verified identity; someone whose confirmation has
lapsed follows the answers by e-mail and can always write through the login help form. Internal
notes and internal events never reach these pages. The person a ticket concerns is named only
while the policy still lets the requester see that person (a parent whose child vanished sees
"the child you asked about" instead). Opening a ticket page writes a line in the requester's
own access history.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import verified_identity_required
from accounts.models import Person
from guardianship import policy
from ikp.forms import form_status
from ikp.paging import page_of
from support import access, diagnosis, rules, services
from support.forms import MessageForm, TicketForm
from support.models import Ticket

PER_PAGE = 20


@verified_identity_required
@require_GET
def tickets(request: HttpRequest) -> HttpResponse:
    mine = Ticket.objects.filter(requester=request.user).order_by("-created_at", "-pk")
    page, page_range = page_of(request, mine, PER_PAGE)
    return render(request, "support/tickets.html", {"page": page, "page_range": page_range})


@verified_identity_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    people = _people(request)
    form = TicketForm(
        request.POST or None,
        request.FILES or None,
        people=[(p.public_id, p.full_name) for p in people],
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["person"]
        ticket = services.ticket_open(
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
            requester=request.user,
            person=next((p for p in people if str(p.public_id) == chosen), None),
            files=form.cleaned_data["attachments"],
        )
        messages.success(
            request,
            _("Your request has been sent. Its number is %(number)s.") % {"number": ticket.number},
        )
        return redirect("support:ticket", public_id=ticket.public_id)
    return render(request, "support/ticket_new.html", {"form": form}, status=form_status(form))


@verified_identity_required
@require_GET
def ticket(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_of_requester(request, public_id)
    return render(request, "support/ticket.html", _ticket_context(request, found, MessageForm()))


@verified_identity_required
@require_POST
def ticket_reply(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_of_requester(request, public_id, log=False)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.patient_message_add(
                ticket=found,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except services.TicketRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Your message has been added to the request."))
        return redirect("support:ticket", public_id=found.public_id)
    access.log_ticket_view(request, found)  # the page is shown again, with the form's errors
    return render(request, "support/ticket.html", _ticket_context(request, found, form), status=400)


@verified_identity_required
@require_POST
def ticket_reopen(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_of_requester(request, public_id, log=False)
    try:
        services.patient_reopen(ticket=found, by=request.user)
    except services.TicketRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("The request is open again. ikp-pomoc will come back to you."))
    return redirect("support:ticket", public_id=found.public_id)


@verified_identity_required
@require_GET
def attachment(request: HttpRequest, public_id, attachment_id) -> HttpResponse:
    found = access.ticket_of_requester(request, public_id)
    return access.attachment_response(access.attachment_of(found, attachment_id, internal=False))


def _people(request: HttpRequest) -> list[Person]:
    """The user and everyone they may act for: whom a new request may concern."""
    me = request.user.person
    if me is None:
        return []
    return [me] + [item.subject for item in policy.accessible_subjects(request.user)]


def _ticket_context(request: HttpRequest, found: Ticket, form) -> dict:
    can_reopen = rules.can_reopen(found.status, found.resolved_at, timezone.now())
    entries = access.thread_of(found, internal=False)
    return {
        "ticket": found,
        "entries": entries,
        "opening_files": access.opening_files(found),
        "person_name": access.person_name_for_requester(request, found),
        "shown": diagnosis.as_shown(found.diagnosis),
        "form": form,
        "can_reopen": can_reopen,
        # The patient may write while it is open, or resolved recently enough to reopen.
        "can_write": found.status in rules.OPEN_STATUSES or can_reopen,
    }
