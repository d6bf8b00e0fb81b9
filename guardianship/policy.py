"""The one access policy: may this user act for this subject today, and how far?

Every subject-scoped view calls `acting_subject` (the account open in the session) or
`subject_for` (a subject named in the URL) first; both answer 404 to anyone without access,
and `log_access` writes the AccessLogEntry for each read or change. Nothing else decides access.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.models import Person, User
from guardianship import rules
from guardianship.models import AccessGrant, AccessLogEntry, Coverage, LinkSuspension, OwnTitle
from guardianship.rules import Access, Level

SESSION_KEY = "acting_subject"


def coverage_facts(coverages) -> list[rules.Coverage]:
    return [
        rules.Coverage(
            c.insured_id, c.valid_from, c.valid_to, c.reported_on, c.registration_event_id
        )
        for c in coverages
    ]


def title_periods(titles) -> list[rules.Period]:
    return [rules.Period(t.valid_from, t.valid_to) for t in titles]


def live_grants(on: date):
    """Grants in force on `on` (rules.grant_active as a query)."""
    return AccessGrant.objects.filter(revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=on)
    )


def surname_matches(typed: str, person: Person) -> bool:
    return typed.strip().casefold() == person.surname.strip().casefold()


def grants_to(person: Person, on: date):
    """Grants naming `person` by PESEL; the surname check happens in Python (casefold)."""
    return live_grants(on).filter(grantee_pesel=person.pesel)


@dataclass(frozen=True)
class SubjectAccess:
    subject: Person
    access: Access


def automatic_guardians(subjects: list[Person], on: date) -> dict[int, int | None]:
    """subject id → the Person id of their automatic guardian on `on` (two queries)."""
    coverages: dict[int, list] = {s.pk: [] for s in subjects}
    for c in Coverage.objects.filter(member__in=[s.pk for s in subjects]):
        coverages[c.member_id].append(c)
    titles: dict[str, list] = {s.pesel: [] for s in subjects}
    for t in OwnTitle.objects.filter(pesel__in=[s.pesel for s in subjects]):
        titles[t.pesel].append(t)
    return {
        s.pk: rules.automatic_guardian(
            coverages=coverage_facts(coverages[s.pk]),
            own_titles=title_periods(titles[s.pesel]),
            birth_date=s.birth_date,
            on=on,
        )
        for s in subjects
    }


def suspended_subject_ids(person: Person) -> set[int]:
    return set(
        LinkSuspension.objects.filter(person=person, lifted_at__isnull=True).values_list(
            "subject_id", flat=True
        )
    )


def accessible_subjects(user: User, *, on: date | None = None) -> list[SubjectAccess]:
    """Everyone `user` may act for besides themselves: children through insurance or a child
    grant, adults through an authorisation. A constant number of queries."""
    on = on or timezone.localdate()
    me = user.person
    if me is None:
        return []
    grants = [
        g
        for g in grants_to(me, on).select_related("subject")
        if surname_matches(g.grantee_surname, me)
    ]
    candidates = {
        c.member_id: c.member for c in Coverage.objects.filter(insured=me).select_related("member")
    }
    candidates.update({g.subject_id: g.subject for g in grants})
    candidates.pop(me.pk, None)
    suspended = suspended_subject_ids(me)
    guardians = automatic_guardians(list(candidates.values()), on)
    result = []
    for subject in candidates.values():
        kinds = {g.kind for g in grants if g.subject_id == subject.pk}
        is_guardian = guardians[subject.pk] == me.pk and subject.pk not in suspended
        access = _decide_for_other(subject, on, automatic_guardian=is_guardian, grant_kinds=kinds)
        if access.can_read:
            result.append(SubjectAccess(subject, access))
    return sorted(result, key=lambda item: (item.subject.birth_date, item.subject.first_name))


def access_for(user: User, subject: Person, *, on: date | None = None) -> Access:
    """How far `user` may act for `subject` on `on` (today by default)."""
    on = on or timezone.localdate()
    me = user.person if user.is_authenticated else None
    if me is None:
        return rules.NO_ACCESS
    if me.pk == subject.pk:
        return rules.own_access(subject.birth_date, on)
    kinds = {
        g.kind
        for g in grants_to(me, on).filter(subject=subject)
        if surname_matches(g.grantee_surname, me)
    }
    guardian = None
    if not rules.is_adult(subject.birth_date, on) and subject.pk not in suspended_subject_ids(me):
        guardian = automatic_guardians([subject], on)[subject.pk]
    return _decide_for_other(subject, on, automatic_guardian=guardian == me.pk, grant_kinds=kinds)


def _decide_for_other(
    subject: Person, on: date, *, automatic_guardian: bool, grant_kinds: set[str]
) -> Access:
    """rules.decide_access for someone other than the user, from the facts the callers load."""
    return rules.decide_access(
        is_self=False,
        subject_birth_date=subject.birth_date,
        on=on,
        automatic_guardian=automatic_guardian,
        child_grant=AccessGrant.Kind.CHILD in grant_kinds,
        authorisation=AccessGrant.Kind.AUTHORISATION in grant_kinds,
    )


def _require(access: Access, need: Level) -> None:
    if not access.can_read:
        raise Http404  # strangers learn nothing, not even that the subject exists
    if access.level < need:
        raise PermissionDenied


def subject_for(request, public_id, *, need: Level = Level.READ) -> SubjectAccess:
    """The subject named in a URL, if the user may act for them: else 404 (or 403 read-only)."""
    subject = Person.objects.filter(public_id=public_id).first()
    if subject is None:
        raise Http404
    access = access_for(request.user, subject)
    _require(access, need)
    return SubjectAccess(subject, access)


def resource_for(request, queryset, public_id, *, subject_field: str, need: Level = Level.READ):
    """A subject's resource named in a URL (an appointment, a document): (resource, SubjectAccess)
    if the user may act for its subject, else 404 (or 403 read-only) exactly as subject_for."""
    resource = queryset.filter(public_id=public_id).select_related(subject_field).first()
    if resource is None:
        raise Http404
    subject = getattr(resource, subject_field)
    access = access_for(request.user, subject)
    _require(access, need)
    return resource, SubjectAccess(subject, access)


def subject_through_ticket(request, ticket) -> SubjectAccess:
    """ikp-pomoc staff read a person's data only through an open ticket about that person that
    is assigned to them; anything else is 404. Staff act on the data through the support
    services (each with a justification), so the access is read-only here."""
    if ticket.person_id is None or not ticket.worked_by(request.user):
        raise Http404
    return SubjectAccess(ticket.person, SUPPORT_ACCESS)


# What an assigned ticket gives its support assignee; logged with basis "support".
SUPPORT_ACCESS = Access(Level.READ, basis="support")


def acting_subject(request, *, need: Level = Level.READ) -> SubjectAccess:
    """The account open in this session (the user's own unless they switched to another).

    If access to the switched-to account has ended, the session falls back to the user's own.
    Decided once per request (the view and the layout's banner both ask): the answer is kept
    on the request, and only the level check is repeated.
    """
    decided = getattr(request, "_acting_subject", None)
    if decided is None or decided.key != request.session.get(SESSION_KEY):
        decided = _ActingDecision(request.session.get(SESSION_KEY), _acting_subject(request))
        request._acting_subject = decided
    _require(decided.subject_access.access, need)
    return decided.subject_access


@dataclass(frozen=True)
class _ActingDecision:
    key: str | None  # the session's acting-account id it was decided for
    subject_access: SubjectAccess


def _acting_subject(request) -> SubjectAccess:
    me = request.user.person
    if me is None:
        raise Http404
    public_id = request.session.get(SESSION_KEY)
    if public_id and public_id != str(me.public_id):
        subject = Person.objects.filter(public_id=public_id).first()
        if subject is not None:
            access = access_for(request.user, subject)
            if access.can_read:
                return SubjectAccess(subject, access)
        request.session.pop(SESSION_KEY, None)
    return SubjectAccess(me, rules.own_access(me.birth_date, timezone.localdate()))


def log_access(
    request_or_user,
    subject_access: SubjectAccess | Person,
    action: str,
    *,
    target: str = "",
    acting_for=None,
    basis: str | None = None,
):
    """Write one AccessLogEntry. Call inside the service's transaction for changes."""
    user = getattr(request_or_user, "user", request_or_user)
    if isinstance(subject_access, SubjectAccess):
        subject = subject_access.subject
        basis = basis if basis is not None else (subject_access.access.basis or "")
    else:
        subject = subject_access
    return AccessLogEntry.objects.create(
        actor=user if user.is_authenticated else None,
        acting_for=acting_for or subject,
        subject=subject,
        action=action,
        basis=basis or "",
        target=target[:64],
    )
