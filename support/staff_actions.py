"""What ikp-pomoc staff do to a person's data from a ticket (DESIGN.md, the support issue).

Every action needs an open ticket about that person, assigned to the staff member
(guardianship.policy.subject_through_ticket is the gate), and a written justification. Each
writes, in one durable transaction with the change itself: a StaffAction (who, what, why), an
AccessLogEntry on the person with basis "support" and the ticket number as its target (so the
patient's access history names the ticket), and an internal entry in the ticket's thread.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Person, User
from guardianship import sync
from guardianship.models import AccessGrant, AccessLogEntry, Coverage, LinkSuspension
from guardianship.policy import SubjectAccess, log_access
from guardianship.services import grant_insert
from support.models import StaffAction, Ticket, TicketMessage, ZusCorrection
from support.services import TicketRefused

SUPPORT_BASIS = "support"


def person_view_log(*, staff: User, ticket: Ticket, subject: SubjectAccess) -> None:
    """Reading the person's data on the desk: one access-log row naming the ticket."""
    with transaction.atomic(durable=True):
        log_access(
            staff,
            subject,
            AccessLogEntry.Action.SUPPORT_VIEW_PERSON,
            target=ticket.number,
            basis=SUPPORT_BASIS,
        )


def pesel_search_log(*, staff: User, person: Person) -> None:
    """A desk search by PESEL found this person: logged on them (no ticket yet)."""
    with transaction.atomic(durable=True):
        StaffAction.objects.create(actor=staff, kind=StaffAction.Kind.SEARCH_PESEL, person=person)
        log_access(
            staff,
            person,
            AccessLogEntry.Action.SUPPORT_SEARCH,
            target="search",
            basis=SUPPORT_BASIS,
        )


def insurance_resync(
    *, staff: User, ticket: Ticket, subject: SubjectAccess, justification: str
) -> None:
    """Apply what is still pending from ZUS and recompute who may act for the person: the person
    themselves and, when they insure children, those children."""
    person = subject.subject
    members = list(Coverage.objects.filter(insured=person).values_list("member_id", flat=True))
    with transaction.atomic(durable=True):
        sync.recompute_subjects(subject_ids=[person.pk, *members], today=timezone.localdate())
        _record(
            staff,
            ticket,
            person,
            StaffAction.Kind.RESYNC,
            AccessLogEntry.Action.SUPPORT_RESYNC,
            justification,
        )


def guardian_grant(
    *,
    staff: User,
    ticket: Ticket,
    subject: SubjectAccess,
    grantee_surname: str,
    grantee_pesel: str,
    justification: str,
) -> AccessGrant:
    """Give a legal guardian access to the child after checking their documents. The grant shows
    on the child's guardian list as added by support. Raises GuardianshipError (the same
    refusals as a parent's grant: invalid PESEL, minor, surname mismatch, already)."""
    child = subject.subject
    with transaction.atomic(durable=True):
        grant = grant_insert(
            actor=staff,
            subject=child,
            grantee_surname=grantee_surname,
            grantee_pesel=grantee_pesel,
            kind=AccessGrant.Kind.CHILD,
            legal_guardian_confirmed=True,  # the documents were checked by support
            source=AccessGrant.Source.SUPPORT,
        )
        _record(
            staff,
            ticket,
            child,
            StaffAction.Kind.GRANT_GUARDIAN,
            AccessLogEntry.Action.SUPPORT_GRANT,
            justification,
        )
    return grant


def not_my_child_resolve(
    *, staff: User, ticket: Ticket, subject: SubjectAccess, confirmed: bool, justification: str
) -> None:
    """Settle a "this is not my child" report. Confirmed: the reporter's link stays ended (the
    suspension becomes final) and the ZUS correction to request is recorded with the
    registrations named in the report. Rejected: the suspension is lifted, so the reporter's
    insurance gives access again if it is decisive."""
    if (
        ticket.category != Ticket.Category.NOT_MY_CHILD
        or ticket.requester is None
        or ticket.requester.person is None
    ):
        raise TicketRefused("not_a_report", _("This request is not a “not my child” report."))
    reporter: Person = ticket.requester.person
    child = subject.subject
    with transaction.atomic(durable=True):
        suspension = (
            LinkSuspension.objects.select_for_update()
            .filter(person=reporter, subject=child, lifted_at__isnull=True, final=False)
            .first()
        )  # a final (confirmed) or lifted suspension has been settled already
        if suspension is None:
            raise TicketRefused("already_settled", _("This report has already been settled."))
        if confirmed:
            suspension.final = True
            suspension.save(update_fields=["final"])
            ZusCorrection.objects.create(
                ticket=ticket,
                insured=reporter,
                member=child,
                registration_event_ids=_reported_registrations(ticket),
                created_by=staff,
            )
            kind = StaffAction.Kind.NOT_MY_CHILD_CONFIRMED
        else:
            suspension.lifted_at = timezone.now()
            suspension.save(update_fields=["lifted_at"])
            kind = StaffAction.Kind.NOT_MY_CHILD_REJECTED
        _record(
            staff, ticket, child, kind, AccessLogEntry.Action.SUPPORT_NOT_MY_CHILD, justification
        )


def _reported_registrations(ticket: Ticket) -> list[str]:
    evidence = ticket.diagnosis.get("not_my_child", {})
    return [
        c["registration_event_id"]
        for c in evidence.get("coverages", [])
        if c.get("registration_event_id")
    ]


def _record(
    staff: User, ticket: Ticket, person: Person, kind: str, log_action: str, justification: str
) -> None:
    """The three traces of a staff action, inside its transaction."""
    StaffAction.objects.create(
        ticket=ticket, actor=staff, kind=kind, person=person, justification=justification
    )
    log_access(
        staff, person, log_action, target=ticket.number, acting_for=person, basis=SUPPORT_BASIS
    )
    TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.EVENT,
        internal=True,
        author=staff,
        body=f"{StaffAction.Kind(kind).label}: {justification}",
    )
