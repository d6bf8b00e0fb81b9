"""The gates of ikp-pomoc's resources. A ticket is the requester's (patients) or the desk's
(support staff); a person's data behind a ticket goes through guardianship.policy
(subject_through_ticket). Strangers get 404 everywhere."""

from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header

from guardianship import policy
from guardianship.models import AccessLogEntry
from support.models import Attachment, Ticket


def ticket_of_requester(request, public_id, *, log: bool = True) -> Ticket:
    """The user's own ticket, else 404. Reading it is written to the user's access history
    (`log`: the reply and reopen actions read nothing)."""
    ticket = (
        Ticket.objects.filter(public_id=public_id, requester=request.user)
        .select_related("person")
        .first()
    )
    if ticket is None:
        raise Http404
    if log:
        log_ticket_view(request, ticket)
    return ticket


def log_ticket_view(request, ticket: Ticket) -> None:
    """The requester read their ticket: a line in their own access history."""
    if request.user.person_id is not None:
        policy.log_access(
            request, request.user.person, AccessLogEntry.Action.VIEW_TICKET, target=ticket.number, basis="own"
        )


def person_name_for_requester(request, ticket: Ticket) -> str | None:
    """The concerned person's name, only while the requester may still see that person."""
    if ticket.person is None:
        return None
    if ticket.person_id == request.user.person_id:
        return ticket.person.full_name
    return (
        ticket.person.full_name if policy.access_for(request.user, ticket.person).can_read else None
    )


def ticket_for_staff(public_id) -> Ticket:
    ticket = (
        Ticket.objects.filter(public_id=public_id)
        .select_related("requester__person", "assignee", "person")
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def attachment_listing():
    """Attachments as pages list them: name, type and size, never the file's bytes."""
    return Attachment.objects.defer("content").order_by("created_at", "pk")


def opening_files(ticket: Ticket) -> list[Attachment]:
    """The files sent with the request itself (not with a later message)."""
    return list(attachment_listing().filter(ticket=ticket, message__isnull=True))


def thread_of(ticket: Ticket, *, internal: bool):
    """The thread with each entry's attachments (listed, not loaded); staff see internal entries."""
    entries = ticket.messages.all() if internal else ticket.messages.filter(internal=False)
    return list(
        entries.select_related("author").prefetch_related(Prefetch("attachments", queryset=attachment_listing()))
    )


def attachment_of(ticket: Ticket, attachment_id, *, internal: bool) -> Attachment:
    """An attachment of this ticket; patients (internal=False) only those they can see."""
    found = ticket.attachments.filter(public_id=attachment_id)
    if not internal:
        found = found.filter(Q(message__isnull=True) | Q(message__internal=False))
    item = found.first()
    if item is None:
        raise Http404
    return item


def attachment_response(item: Attachment) -> HttpResponse:
    """The file as a download of its proven type; never rendered inline by the browser."""
    response = HttpResponse(bytes(item.content), content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(True, item.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
