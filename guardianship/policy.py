"""The one access policy: may this user act for this subject today, and how far?

Every subject-scoped view calls `acting_subject` (the account open in the session) or
`subject_for` (a subject named in the URL) first; both answer 404 to anyone without access,
and `log_access` writes the AccessLogEntry for each read or change. Nothing else decides access.
"""

import uuid
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
    return surnames_match(typed, person.surname)


def surnames_match(typed: str, surname: str) -> bool:
    """Whether the surname typed on a grant names the person (case and spaces aside)."""
    return typed.strip().casefold() == surname.strip().casefold()


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


# --- The facts that decide access, in one statement ---------------------------------------------
#
# Every page asks the policy first, so its facts come in one SQL statement per question instead
# of a query per kind of fact (the ORM path was five queries and ~6 ms of Python per page on the
# 2-core machine; this statement ~1 ms). For each person the WHERE clause picks, it brings the
# live grants naming the user by PESEL, whether the user's insurance link to them is suspended,
# all their coverages and their own insurance titles; the decision is made in Python by the pure
# rules, exactly as before. `live_grants` is the same grant condition for the ORM.
_LIVE_GRANT = "g.revoked_at IS NULL AND (g.valid_until IS NULL OR g.valid_until > %(on)s)"
_PEOPLE_WITH_ACCESS_FACTS = f"""
SELECT p.*,
       (SELECT coalesce(json_agg(json_build_array(g.kind, g.grantee_surname)), '[]')
          FROM {AccessGrant._meta.db_table} g
         WHERE g.subject_id = p.id AND g.grantee_pesel = %(me_pesel)s AND {_LIVE_GRANT})
           AS facts_grants,
       EXISTS (SELECT 1 FROM {LinkSuspension._meta.db_table} s
                WHERE s.person_id = %(me)s AND s.subject_id = p.id AND s.lifted_at IS NULL)
           AS facts_suspended,
       (SELECT coalesce(json_agg(json_build_array(
                   c.insured_id, c.valid_from, c.valid_to, c.reported_on, c.registration_event_id)),
               '[]')
          FROM {Coverage._meta.db_table} c WHERE c.member_id = p.id) AS facts_coverages,
       (SELECT coalesce(json_agg(json_build_array(t.valid_from, t.valid_to)), '[]')
          FROM {OwnTitle._meta.db_table} t WHERE t.pesel = p.pesel) AS facts_titles
FROM {Person._meta.db_table} p
WHERE {{where}}
"""
_BY_PUBLIC_ID = "p.public_id = %(subject)s"
_BY_ID = "p.id = %(subject)s"
# Everyone the user might act for: children they insure (now or once) and people whose live
# grant names them; the facts then decide who of them is readable today.
_CANDIDATES = f"""p.id <> %(me)s AND p.id IN (
    SELECT c.member_id FROM {Coverage._meta.db_table} c WHERE c.insured_id = %(me)s
    UNION
    SELECT g.subject_id FROM {AccessGrant._meta.db_table} g
     WHERE g.grantee_pesel = %(me_pesel)s AND {_LIVE_GRANT})"""
_FACT_COLUMNS = ("facts_grants", "facts_suspended", "facts_coverages", "facts_titles")


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _people_with_access(me: Person, on: date, where: str, **params) -> list[SubjectAccess]:
    """How far `me` may act, on `on`, for each other person `where` picks (one statement)."""
    found = Person.objects.raw(
        _PEOPLE_WITH_ACCESS_FACTS.format(where=where),
        {"me": me.pk, "me_pesel": me.pesel, "on": on, **params},
    )
    result = []
    for subject in found:
        facts = {key: subject.__dict__.pop(key) for key in _FACT_COLUMNS}
        kinds = {kind for kind, surname in facts["facts_grants"] if surname_matches(surname, me)}
        guardian = None
        if not facts["facts_suspended"]:
            guardian = rules.automatic_guardian(
                coverages=[
                    rules.Coverage(insured, _day(start), _day(end), _day(reported), event_id)
                    for insured, start, end, reported, event_id in facts["facts_coverages"]
                ],
                own_titles=[rules.Period(_day(s), _day(e)) for s, e in facts["facts_titles"]],
                birth_date=subject.birth_date,
                on=on,
            )
        access = _decide_for_other(
            subject, on, automatic_guardian=guardian == me.pk, grant_kinds=kinds
        )
        result.append(SubjectAccess(subject, access))
    return result


def accessible_subjects(user: User, *, on: date | None = None) -> list[SubjectAccess]:
    """Everyone `user` may act for besides themselves: children through insurance or a child
    grant, adults through an authorisation. One query."""
    on = on or timezone.localdate()
    me = user.person
    if me is None:
        return []
    readable = [item for item in _people_with_access(me, on, _CANDIDATES) if item.access.can_read]
    return sorted(readable, key=lambda item: (item.subject.birth_date, item.subject.first_name))


def access_for(user: User, subject: Person, *, on: date | None = None) -> Access:
    """How far `user` may act for `subject` on `on` (today by default)."""
    on = on or timezone.localdate()
    me = user.person if user.is_authenticated else None
    if me is None:
        return rules.NO_ACCESS
    if me.pk == subject.pk:
        return rules.own_access(subject.birth_date, on)
    found = _people_with_access(me, on, _BY_ID, subject=subject.pk)
    return found[0].access if found else rules.NO_ACCESS


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
        on = timezone.localdate()
        for found in _people_with_access(me, on, _BY_PUBLIC_ID, subject=_uuid_or_none(public_id)):
            if found.access.can_read:
                return found
        request.session.pop(SESSION_KEY, None)
    return SubjectAccess(me, rules.own_access(me.birth_date, timezone.localdate()))


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None  # matches nobody: the session falls back to the user's own account


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
