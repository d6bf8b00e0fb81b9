"""Ticket e-mails: each public change of a ticket is mailed once, to the other side.

Changes made by ikp-pomoc (the opening confirmation, replies, status changes) go to the patient:
the requester's login address, or the contact address of a ticket that came by e-mail or from
the login help form. What the patient does (a message, a reopening) goes to the assigned staff
member, without its text: staff read it on the desk. Internal entries are never mailed. Every
subject carries the ticket number, so a reply by e-mail joins the ticket (support.inbound).
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from ikp.mail import render_mail
from support.models import TicketMessage


def ticket_mail_send(*, message_id: int) -> bool:
    """Mail one thread entry if it is owed; False when nothing was sent. Safe to run twice: the
    entry is locked and marked in the transaction that sends it."""
    with transaction.atomic():
        entry = (
            TicketMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("ticket__requester", "ticket__assignee", "author")
            .filter(pk=message_id, mailed_at__isnull=True)
            .first()
        )
        if entry is None:
            return False
        entry.mailed_at = timezone.now()
        entry.save(update_fields=["mailed_at"])
        route = mail_route(entry)
        if route is None:
            return False
        template, address, language = route
        subject, body = render_mail(
            f"support/emails/{template}", {"ticket": entry.ticket, "entry": entry}, language
        )
        EmailMessage(
            subject, body, None, [address], reply_to=[settings.SUPPORT_MAIL_ADDRESS]
        ).send()
    return True


def unmailed_entries(*, older_than: timedelta = timedelta(hours=1)) -> list[int]:
    """Public thread entries whose mail is still owed (the send failed for good, or the worker
    died before sending). Internal entries are never mailed and never marked."""
    cutoff = timezone.now() - older_than
    return list(
        TicketMessage.objects.filter(mailed_at__isnull=True, internal=False, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )


def mail_route(entry: TicketMessage) -> tuple[str, str, str] | None:
    """(template, address, language) for an entry, or None when nobody is to be mailed."""
    ticket = entry.ticket
    if entry.internal:
        return None
    from_patient = entry.kind == TicketMessage.Kind.MESSAGE or (
        entry.author_id is not None and entry.author_id == ticket.requester_id
        and entry.status != ticket.Status.NEW
    )  # fmt: skip
    if from_patient:
        staff = ticket.assignee
        return ("staff_update", staff.email, staff.language) if staff is not None else None
    if not ticket.reply_address:
        return None
    if entry.kind == TicketMessage.Kind.REPLY:
        template = "ticket_reply"
    elif entry.status == ticket.Status.NEW:
        template = "ticket_opened"
    else:
        template = "ticket_status"
    return template, ticket.reply_address, ticket.reply_language
