"""ikp-pomoc workflows: opening a ticket, the thread, status changes and assignment.

Each public service owns one durable transaction, locks the ticket row before changing it, and
records every change as a TicketMessage; `tasks.send_ticket_mail` mails each public change
once, after commit (support.emails decides to whom). Staff actions on a person's data live
in support.staff_actions.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Person, User
from accounts.roles import SUPPORT_GROUP
from ikp.tasks import enqueue_on_commit
from support import rules, tasks
from support.models import Attachment, Ticket, TicketMessage


class TicketRefused(Exception):
    """A change the ticket's state does not allow; `message` says why (Polish and English)."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


REFUSALS = {
    rules.Refusal.NOT_ALLOWED: _(
        "The request cannot be moved to that status from its current one."
    ),
    rules.Refusal.CLOSED: _(
        "This request is closed. Please send a new request and quote its number."
    ),
    rules.Refusal.REOPEN_EXPIRED: _(
        "This request was resolved more than 14 days ago and can no longer be reopened. Please send a new"
        " request and quote its number."
    ),
}


def _refuse(code: rules.Refusal):
    raise TicketRefused(code.value, REFUSALS[code])


@dataclass(frozen=True)
class NewFile:
    """An attachment already checked by support.attachments (type by content, size)."""

    name: str
    content_type: str
    data: bytes


# --- opening ---------------------------------------------------------------------------------


def ticket_open(**fields) -> Ticket:
    """Open a ticket in a transaction of its own; see ticket_create for the fields."""
    with transaction.atomic(durable=True):
        return ticket_create(**fields)


def ticket_create(
    *,
    category: str,
    description: str,
    source: str = Ticket.Source.PORTAL,
    requester: User | None = None,
    person: Person | None = None,
    diagnosis: dict | None = None,
    contact_email: str = "",
    contact_name: str = "",
    language: str = "pl",
    files: tuple[NewFile, ...] = (),
    mail_key: str = "",
) -> Ticket:
    """Create a ticket inside the caller's transaction (the diagnosis and "not my child"
    services write theirs with the evidence). The opening is the thread's first entry, which
    the patient is sent as a confirmation with the number."""
    ticket = Ticket.objects.create(
        category=category,
        description=description,
        source=source,
        requester=requester,
        person=person,
        diagnosis=diagnosis or {},
        contact_email="" if requester else contact_email,
        contact_name="" if requester else contact_name,
        language=requester.language if requester else language,
    )
    opening = _entry(
        ticket, TicketMessage.Kind.EVENT, author=requester, status=Ticket.Status.NEW,
        via_email=bool(mail_key), mail_key=mail_key,
    )  # fmt: skip
    _attach(ticket, None, files)
    _mail_on_commit(opening)
    return ticket


# --- the thread ------------------------------------------------------------------------------


def patient_message_add(
    *,
    ticket: Ticket,
    author: User | None,
    body: str,
    files: tuple[NewFile, ...] = (),
    mail_key: str = "",
) -> TicketMessage:
    """The patient writes (in the portal, or by e-mail with the number in the subject: then
    `mail_key` is the mail's SHA-256). A ticket waiting for them goes back in progress; a
    resolved one reopens within 14 days."""
    with transaction.atomic(durable=True):
        ticket = _locked(ticket)
        now = timezone.now()
        outcome = rules.after_patient_message(ticket.status, ticket.resolved_at, now)
        if isinstance(outcome, rules.Refusal):
            _refuse(outcome)
        message = _entry(
            ticket,
            TicketMessage.Kind.MESSAGE,
            author=author,
            body=body,
            via_email=bool(mail_key),
            mail_key=mail_key,
        )
        _attach(ticket, message, files)
        _mail_on_commit(message)
        if outcome != ticket.status:
            # Announced by the message's own mail (to the assignee): not mailed again.
            _status_set(ticket, outcome, author=author, now=now, mailed=True)
    return message


def patient_reopen(*, ticket: Ticket, by: User, body: str = "") -> None:
    """Reopen a resolved ticket within 14 days of its resolution (back to in progress)."""
    with transaction.atomic(durable=True):
        ticket = _locked(ticket)
        if ticket.status in rules.OPEN_STATUSES:
            return  # already open (a second click): nothing to do
        now = timezone.now()
        if not rules.can_reopen(ticket.status, ticket.resolved_at, now):
            _refuse(
                rules.Refusal.CLOSED
                if ticket.status == Ticket.Status.CLOSED
                else rules.Refusal.REOPEN_EXPIRED
            )
        event = _status_set(ticket, Ticket.Status.IN_PROGRESS, author=by, now=now, body=body)
        _mail_on_commit(event)


def staff_reply(
    *,
    ticket: Ticket,
    staff: User,
    body: str,
    files: tuple[NewFile, ...] = (),
    wait_for_patient: bool = False,
) -> TicketMessage:
    """A reply the patient reads and receives by e-mail; the first one stops the first-response
    clock. `wait_for_patient` puts the ticket in "waiting for the patient"."""
    with transaction.atomic(durable=True):
        ticket = _locked(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            _refuse(rules.Refusal.CLOSED)
        now = timezone.now()
        reply = _entry(ticket, TicketMessage.Kind.REPLY, author=staff, body=body)
        _attach(ticket, reply, files)
        _mail_on_commit(reply)
        _first_response(ticket, now)
        target = Ticket.Status.WAITING if wait_for_patient else Ticket.Status.IN_PROGRESS
        if ticket.status in rules.OPEN_STATUSES and target != ticket.status:
            # Announced by the reply's own e-mail: this entry is not mailed again.
            _status_set(ticket, target, author=staff, now=now, mailed=True)
    return reply


def note_add(*, ticket: Ticket, staff: User, body: str) -> TicketMessage:
    """An internal note: staff only, never mailed, never shown to the patient."""
    with transaction.atomic(durable=True):
        ticket = _locked(ticket)
        return _entry(ticket, TicketMessage.Kind.NOTE, author=staff, body=body, internal=True)


def status_change(*, ticket: Ticket, staff: User, to: str, body: str = "") -> TicketMessage:
    """Staff move the ticket (rules.staff_move); the patient is told by e-mail, with `body`."""
    with transaction.atomic(durable=True):
        ticket = _locked(ticket)
        refusal = rules.staff_move(ticket.status, to)
        if refusal:
            _refuse(refusal)
        now = timezone.now()
        if to in (Ticket.Status.WAITING, Ticket.Status.RESOLVED):
            _first_response(ticket, now)
        event = _status_set(ticket, to, author=staff, now=now, body=body)
        _mail_on_commit(event)
    return event


def ticket_assign(*, ticket: Ticket, by: User, to: User | None) -> None:
    """Assign to a support user (None: back to the queue). Taking a new ticket starts work on it."""
    if to is not None and not is_support(to):
        raise TicketRefused("not_support", _("Requests can be assigned to ikp-pomoc staff only."))
    with transaction.atomic(durable=True):
        ticket = _locked(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            _refuse(rules.Refusal.CLOSED)
        ticket.assignee = to
        ticket.save(update_fields=["assignee"])
        _entry(
            ticket, TicketMessage.Kind.EVENT, author=by, internal=True, body=_assignment_note(to)
        )
        if to is not None and ticket.status == Ticket.Status.NEW:
            event = _status_set(ticket, Ticket.Status.IN_PROGRESS, author=by, now=timezone.now())
            _mail_on_commit(event)


def close_resolved(*, now: datetime | None = None) -> int:
    """Close tickets resolved 14 or more days ago (the daily task); tell each patient."""
    now = now or timezone.now()
    closed = 0
    due = Ticket.objects.filter(
        status=Ticket.Status.RESOLVED, resolved_at__lte=now - rules.REOPEN_WITHIN
    )
    for pk in due.values_list("pk", flat=True).iterator():
        with transaction.atomic(durable=True):
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Ticket.Status.RESOLVED)
                .first()
            )
            if ticket is None or now < rules.closes_at(ticket.resolved_at):
                continue
            _mail_on_commit(_status_set(ticket, Ticket.Status.CLOSED, author=None, now=now))
            closed += 1
    return closed


def support_staff():
    return User.objects.filter(groups__name=SUPPORT_GROUP, is_active=True).order_by("email")


def is_support(user: User) -> bool:
    return user.is_active and (user.is_superuser or Group.objects.filter(name=SUPPORT_GROUP, user=user).exists())


def mail_delivered(mail_key: str) -> bool:
    """Whether the inbound e-mail with this SHA-256 already opened a ticket or joined one."""
    return TicketMessage.objects.filter(mail_key=mail_key).exists()


def find_by_number(number: str) -> Ticket | None:
    found = rules.find_ticket_number(number)
    if found is None:
        return None
    year, serial = found
    ticket = Ticket.objects.filter(pk=serial).first()
    return (
        ticket
        if ticket is not None and ticket.number == rules.ticket_number(year, serial)
        else None
    )


# --- inside a transaction --------------------------------------------------------------------


def _locked(ticket: Ticket) -> Ticket:
    return (
        Ticket.objects.select_for_update(of=("self",)).select_related("requester", "assignee").get(pk=ticket.pk)
    )


def _entry(ticket: Ticket, kind: str, *, author: User | None, **fields) -> TicketMessage:
    return TicketMessage.objects.create(ticket=ticket, kind=kind, author=author, **fields)


def _status_set(
    ticket: Ticket,
    to: str,
    *,
    author: User | None,
    now: datetime,
    body: str = "",
    mailed: bool = False,
) -> TicketMessage:
    """Set the status with its timestamps and record the change as a public thread entry."""
    ticket.status = to
    if to == Ticket.Status.RESOLVED:
        ticket.resolved_at = now
    elif to == Ticket.Status.CLOSED:
        ticket.closed_at = now
    else:
        ticket.resolved_at = None  # reopened: the 14 days count again from the next resolution
    ticket.save(update_fields=["status", "resolved_at", "closed_at"])
    return _entry(
        ticket,
        TicketMessage.Kind.EVENT,
        author=author,
        status=to,
        body=body,
        mailed_at=now if mailed else None,
    )


def _first_response(ticket: Ticket, now: datetime) -> None:
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.save(update_fields=["first_response_at"])


def _attach(ticket: Ticket, message: TicketMessage | None, files: tuple[NewFile, ...]) -> None:
    Attachment.objects.bulk_create(
        Attachment(
            ticket=ticket,
            message=message,
            name=f.name,
            content_type=f.content_type,
            size=len(f.data),
            sha256=hashlib.sha256(f.data).hexdigest(),
            content=f.data,
        )
        for f in files
    )


def _mail_on_commit(entry: TicketMessage) -> None:
    enqueue_on_commit(tasks.send_ticket_mail, entry.pk)


def _assignment_note(to: User | None) -> str:
    return f"→ {to.email}" if to is not None else "→ —"
