"""Guardianship workflows: grants, switching accounts, the child-access diagnosis, "not my
child", and the access notices. Each service owns its transaction and writes its access-log
row inside it (STYLE.md)."""

from dataclasses import asdict
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Person, User
from accounts.rules import InvalidPesel, parse_pesel
from guardianship import rules, tasks
from guardianship.models import (
    AccessGrant,
    AccessLogEntry,
    AccessNotice,
    Coverage,
    InsuranceEvent,
    LinkSuspension,
)
from guardianship.policy import (
    SESSION_KEY,
    SubjectAccess,
    access_for,
    coverage_facts,
    log_access,
    surname_matches,
)
from ikp.tasks import enqueue_on_commit
from support.models import Ticket
from support.services import ticket_create


class GuardianshipError(Exception):
    """A workflow refused; `code` names why (views turn it into a message)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --- grants --------------------------------------------------------------------------------------


def grant_create(
    *,
    actor: User,
    subject_access: SubjectAccess,
    grantee_surname: str,
    grantee_pesel: str,
    kind: str,
    legal_guardian_confirmed: bool = False,
    source: str | None = None,
) -> AccessGrant:
    """Give a person (surname + PESEL) access to the subject's account.

    CHILD grants need the granter's confirmation that the grantee is the child's legal guardian
    (support's grants record that documents were checked instead) and end on the 18th birthday.
    A grantee with no login yet gets access when they first log in with a matching surname.
    Refusals: invalid_pesel, self (granting oneself), minor, surname_mismatch, already,
    confirm_required.
    """
    action = (
        AccessLogEntry.Action.GRANT_ADDED
        if kind == AccessGrant.Kind.CHILD
        else AccessLogEntry.Action.AUTHORISATION_ADDED
    )
    with transaction.atomic(durable=True):
        grant = grant_insert(
            actor=actor,
            subject=subject_access.subject,
            grantee_surname=grantee_surname,
            grantee_pesel=grantee_pesel,
            kind=kind,
            legal_guardian_confirmed=legal_guardian_confirmed,
            source=source,
        )
        log_access(actor, subject_access, action, target=str(grant.public_id))
    return grant


def grant_insert(
    *,
    actor: User,
    subject: Person,
    grantee_surname: str,
    grantee_pesel: str,
    kind: str,
    legal_guardian_confirmed: bool = False,
    source: str | None = None,
) -> AccessGrant:
    """Check and insert a grant inside the caller's transaction (which writes the audit):
    grant_create for patients and guardians, support.staff_actions for ikp-pomoc."""
    today = timezone.localdate()
    try:
        facts = parse_pesel(grantee_pesel, today=today)
    except InvalidPesel:
        raise GuardianshipError("invalid_pesel") from None
    if facts.pesel == subject.pesel or (actor.person is not None and facts.pesel == actor.person.pesel):
        raise GuardianshipError("self")  # support staff who are patients too: not to themselves
    if not rules.is_adult(facts.birth_date, today):
        raise GuardianshipError("minor")  # a guardian or an authorised person is an adult
    known = Person.objects.filter(pesel=facts.pesel).first()
    if known is not None and not surname_matches(grantee_surname, known):
        raise GuardianshipError("surname_mismatch")
    if kind == AccessGrant.Kind.CHILD:
        source = source or AccessGrant.Source.GUARDIAN
        if source != AccessGrant.Source.SUPPORT and not legal_guardian_confirmed:
            raise GuardianshipError("confirm_required")
        valid_until = rules.child_grant_valid_until(subject.birth_date)
    else:
        source = source or AccessGrant.Source.PATIENT
        valid_until = None
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives "already"
            return AccessGrant.objects.create(
                kind=kind,
                source=source,
                subject=subject,
                grantee_pesel=facts.pesel,
                grantee_surname=grantee_surname.strip(),
                legal_guardian_confirmed=legal_guardian_confirmed,
                granted_by=actor,
                valid_until=valid_until,
            )
    except IntegrityError:
        raise GuardianshipError("already") from None


def grant_revoke(*, actor: User, subject_access: SubjectAccess, grant: AccessGrant) -> None:
    with transaction.atomic(durable=True):
        grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None:
            return
        grant.revoked_at = timezone.now()
        grant.revoked_by = actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        action = (
            AccessLogEntry.Action.GRANT_REVOKED
            if grant.kind == AccessGrant.Kind.CHILD
            else AccessLogEntry.Action.AUTHORISATION_REVOKED
        )
        log_access(actor, subject_access, action, target=str(grant.public_id))


# --- switching accounts ----------------------------------------------------------------------------


def account_switch(*, request, subject_access: SubjectAccess) -> None:
    """Open another person's account in this session; recorded in that person's access log."""
    with transaction.atomic(durable=True):
        log_access(request, subject_access, AccessLogEntry.Action.SWITCH_ACCOUNT)
    request.session[SESSION_KEY] = str(subject_access.subject.public_id)


def account_switch_back(*, request) -> None:
    request.session.pop(SESSION_KEY, None)


# --- "Why can't I see my child's account?" -----------------------------------------------------


def child_access_diagnose(
    *, user: User, child: Person, on: date | None = None
) -> rules.DiagnosisResult:
    """Diagnose `user`'s access to `child` from the user's own coverages and events only."""
    on = on or timezone.localdate()
    me = user.person
    mine = Coverage.objects.filter(insured=me, member=child)
    pending = InsuranceEvent.objects.filter(
        type="family_member_registered",
        insured_pesel=me.pesel,
        person_pesel=child.pesel,
        applied_at__isnull=True,
    ).values_list("valid_from", "reported_on")
    return rules.diagnose(
        my_coverages=coverage_facts(mine),
        my_pending_registrations=list(pending),
        has_access=access_for(user, child, on=on).can_read,
        birth_date=child.birth_date,
        on=on,
    )


def diagnosis_as_data(result: rules.DiagnosisResult) -> dict:
    """What a ticket stores about a diagnosis: codes and dates, no one else's data."""
    data = asdict(result)
    return {
        key: (
            value.isoformat()
            if isinstance(value, date)
            else str(value)
            if value is not None
            else None
        )
        for key, value in data.items()
    }


def diagnosis_ticket_open(
    *, user: User, child: Person | None, result: rules.DiagnosisResult, description: str
) -> Ticket:
    """A support ticket prefilled with the diagnosis the parent was shown."""
    with transaction.atomic(durable=True):
        ticket = ticket_create(
            category=Ticket.Category.CHILD_ACCESS,
            source=Ticket.Source.DIAGNOSIS,
            requester=user,
            person=child,
            description=description,
            diagnosis={"child_access": diagnosis_as_data(result)},
        )
        if child is not None:
            log_access(
                user,
                child,
                AccessLogEntry.Action.DIAGNOSIS,
                target=str(ticket.public_id),
                acting_for=user.person,
                basis="",
            )
    return ticket


def not_my_child_report(
    *, user: User, subject_access: SubjectAccess, description: str = ""
) -> Ticket:
    """ "This is not my child": suspend this user's insurance link at once and open a ticket.

    The evidence is what the user's own records show: their coverages of this PESEL.
    """
    me = user.person
    child = subject_access.subject
    coverages = Coverage.objects.filter(insured=me, member=child).order_by("valid_from")
    evidence = {
        "not_my_child": {
            "coverages": [
                {"registration_event_id": c.registration_event_id, "valid_from": c.valid_from.isoformat(),
                 "valid_to": c.valid_to.isoformat() if c.valid_to else None, "reported_on": c.reported_on.isoformat()}
                for c in coverages
            ],
            "basis": subject_access.access.basis or "",
        }
    }  # fmt: skip
    with transaction.atomic(durable=True):
        ticket = ticket_create(
            category=Ticket.Category.NOT_MY_CHILD,
            source=Ticket.Source.DIAGNOSIS,
            requester=user,
            person=child,
            description=description,
            diagnosis=evidence,
        )
        LinkSuspension.objects.get_or_create(
            person=me, subject=child, lifted_at=None, defaults={"ticket": ticket}
        )
        log_access(
            user, subject_access, AccessLogEntry.Action.NOT_MY_CHILD, target=str(ticket.public_id)
        )
    return ticket


# --- notices ---------------------------------------------------------------------------------------


def access_notice_context(notice: AccessNotice, user: User) -> dict:
    """What an access e-mail says: which child, since when, the reason in the parent's terms."""
    context = {"notice": notice, "child": notice.subject, "user": user}
    if notice.kind == AccessNotice.Kind.LOST:
        context["diagnosis"] = child_access_diagnose(
            user=user, child=notice.subject, on=notice.effective_on
        )
    return context


def access_notices_send(*, batch: int = 200) -> int:
    """Send the queued access notices; each batch in its own transaction (rows locked, skipped
    by a parallel sender), so a crash resends a batch rather than losing it."""
    from guardianship.emails import send_access_notice

    sent = 0
    while True:
        with transaction.atomic(durable=True):
            notices = list(
                AccessNotice.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(sent_at__isnull=True)
                .select_related("subject", "recipient__user")
                .order_by("created_at", "pk")[:batch]
            )
            if not notices:
                return sent
            for notice in notices:
                user = getattr(notice.recipient, "user", None)
                if user is not None and user.is_active:
                    send_access_notice(notice, user, access_notice_context(notice, user))
                    notice.outcome = "sent"
                    sent += 1
                else:
                    notice.outcome = "no_login"
                notice.sent_at = timezone.now()
                notice.save(update_fields=["sent_at", "outcome"])


def enqueue_notices() -> None:
    enqueue_on_commit(tasks.send_access_notices)
