"""Permissions ("Uprawnienia"): children's accounts, guardian lists, authorisations, switching
accounts, and the access history of the acting account.

Every view gates first through guardianship.policy (404 for strangers, 403 for read-only
access on a change), then form → service → redirect. Each read of a subject's data and each
change writes one AccessLogEntry (changes inside their service's transaction). Subjects and
grants appear in paths only by opaque UUID, and no page shows a PESEL.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import verified_identity_required
from accounts.models import Person, User
from guardianship import policy, rules, services
from guardianship.forms import AuthorisationForm, GuardianForm
from guardianship.models import AccessGrant, AccessLogEntry, Coverage, LinkSuspension
from guardianship.rules import Basis, Level
from ikp.forms import form_status
from ikp.paging import page_of

LOG_PAGE_SIZE = 20

# Why someone may act for a subject, in the words the access history uses.
BASIS_LABELS = {
    Basis.OWN: gettext_lazy("own account"),
    Basis.INSURANCE: gettext_lazy("ZUS insurance"),
    Basis.GRANT: gettext_lazy("added as guardian"),
    Basis.AUTHORISATION: gettext_lazy("authorisation"),
    "support": gettext_lazy("ikp-pomoc support"),
    "clinic": gettext_lazy("vaccination clinic"),
}


# --- what the pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    grant: AccessGrant
    name: str  # the grantee's full name once we know them, else the surname the granter typed
    pending: bool  # nobody with this PESEL and surname has a login yet: access starts at the first


def grant_rows(grants) -> list[GrantRow]:
    """Grants with their grantees' names: two queries, whatever the number of grants."""
    grants = list(grants)
    pesels = {grant.grantee_pesel for grant in grants}
    people = {p.pesel: p for p in Person.objects.filter(pesel__in=pesels).select_related("user")}
    rows = []
    for grant in grants:
        person = people.get(grant.grantee_pesel)
        known = person is not None and policy.surname_matches(grant.grantee_surname, person)
        has_login = known and getattr(person, "user", None) is not None
        rows.append(
            GrantRow(grant, person.full_name if known else grant.grantee_surname, not has_login)
        )
    return rows


def automatic_guardian_coverage(child: Person, today: date) -> Coverage | None:
    """The coverage that makes someone the child's automatic guardian today, if any.

    A parent who said "this is not my child" has the link suspended and no access: not listed.
    """
    guardian_id = policy.automatic_guardians([child], today)[child.pk]
    if guardian_id is None:
        return None
    suspended = LinkSuspension.objects.filter(person_id=guardian_id, subject=child, lifted_at=None)
    if suspended.exists():
        return None
    active = Coverage.objects.filter(insured_id=guardian_id, member=child, valid_from__lte=today)
    active = active.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
    # The one rules.automatic_guardian picks: latest start, then latest report, then event id.
    latest_first = ("-valid_from", "-reported_on", "-registration_event_id")
    return active.select_related("insured").order_by(*latest_first).first()


@dataclass(frozen=True)
class LogRow:
    at: datetime
    who: str
    account: str
    what: str
    why: str


def log_row(entry: AccessLogEntry, viewer: User) -> LogRow:
    if entry.actor_id is not None and entry.actor_id == viewer.pk:
        who = _("You")
    elif entry.basis == "clinic":
        who = _("Clinic staff")
    elif entry.basis == "support" or (entry.actor is not None and entry.actor.person is None):
        who = _("ikp-pomoc support")
    elif entry.actor is None:
        who = _("A login that no longer exists")
    else:
        who = entry.actor.person.full_name
    account = entry.acting_for.full_name if entry.acting_for else "—"
    return LogRow(
        entry.at, who, account, entry.get_action_display(), str(BASIS_LABELS.get(entry.basis, "—"))
    )


# --- permissions and children's accounts ------------------------------------------------------------


@verified_identity_required
@require_GET
def permissions(request: HttpRequest) -> HttpResponse:
    """Uprawnienia: the "My account" panel leading to children's accounts and authorisations."""
    return render(request, "guardianship/permissions.html")


@verified_identity_required
@require_GET
def children(request: HttpRequest) -> HttpResponse:
    """Konta Twoich dzieci: one tile per child the user may act for as a guardian."""
    tiles = [
        item
        for item in policy.accessible_subjects(request.user)
        if item.access.basis in (Basis.INSURANCE, Basis.GRANT)
    ]
    return render(request, "guardianship/children.html", {"children": tiles})


@verified_identity_required
@require_POST
def switch_to(request: HttpRequest, public_id) -> HttpResponse:
    """Open a child's (or an authorising adult's) account in this session."""
    subject_access = policy.subject_for(request, public_id, need=Level.READ)
    if subject_access.access.basis == Basis.OWN:
        services.account_switch_back(request=request)
        messages.success(request, _("You are back on your own account."))
    else:
        services.account_switch(request=request, subject_access=subject_access)
        messages.success(
            request,
            _("You are now viewing the account of %(name)s.")
            % {"name": subject_access.subject.full_name},
        )
    return redirect("start")


@verified_identity_required
@require_POST
def switch_back(request: HttpRequest) -> HttpResponse:
    services.account_switch_back(request=request)
    messages.success(request, _("You are back on your own account."))
    return redirect("start")


# --- a child's guardian list ----------------------------------------------------------------------


@verified_identity_required
@require_http_methods(["GET", "POST"])
def guardians(request: HttpRequest, public_id) -> HttpResponse:
    """Lista opiekunów: who may act for the child and why; guardians add another (the FAQ's steps)."""
    subject_access = policy.subject_for(
        request, public_id, need=Level.WRITE if request.method == "POST" else Level.READ
    )
    child, today = subject_access.subject, timezone.localdate()
    if rules.is_adult(child.birth_date, today):
        raise Http404  # guardians' access ends at 18; adults authorise people instead
    form = GuardianForm(request.POST) if request.method == "POST" else GuardianForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_create(
                actor=request.user, subject_access=subject_access, kind=AccessGrant.Kind.CHILD,
                grantee_surname=form.cleaned_data["surname"], grantee_pesel=form.cleaned_data["pesel"],
                legal_guardian_confirmed=form.cleaned_data["legal_guardian_confirmed"],
            )  # fmt: skip
        except services.GuardianshipError as error:
            form.refuse(error.code)
        else:
            messages.success(
                request,
                _("Saved: %(surname)s is now on the guardian list of %(child)s.")
                % {"surname": form.cleaned_data["surname"], "child": child.full_name},
            )
            return redirect("guardianship:guardians", public_id=child.public_id)
    policy.log_access(request, subject_access, AccessLogEntry.Action.VIEW_GUARDIANS)
    grants = (
        policy.live_grants(today)
        .filter(subject=child, kind=AccessGrant.Kind.CHILD)
        .order_by("created_at", "pk")
    )
    context = {
        "child": child, "can_write": subject_access.access.can_write, "form": form,
        "automatic": automatic_guardian_coverage(child, today), "grants": grant_rows(grants),
    }  # fmt: skip
    return render(request, "guardianship/guardians.html", context, status=form_status(form))


@verified_identity_required
@require_POST
def guardian_revoke(request: HttpRequest, public_id, grant_id) -> HttpResponse:
    subject_access = policy.subject_for(request, public_id, need=Level.WRITE)
    child = subject_access.subject
    grant = (
        policy.live_grants(timezone.localdate())
        .filter(subject=child, kind=AccessGrant.Kind.CHILD, public_id=grant_id)
        .first()
    )
    if grant is None:
        raise Http404
    services.grant_revoke(actor=request.user, subject_access=subject_access, grant=grant)
    messages.success(
        request,
        _("Access revoked: %(surname)s can no longer see the account of %(child)s.")
        % {"surname": grant.grantee_surname, "child": child.full_name},
    )
    if grant.grantee_pesel == request.user.person.pesel:  # one's own access: the list is a 404 now
        return redirect("guardianship:children")
    return redirect("guardianship:guardians", public_id=child.public_id)


# --- authorisations ----------------------------------------------------------------------------------


@verified_identity_required
@require_http_methods(["GET", "POST"])
def authorisations(request: HttpRequest) -> HttpResponse:
    """Upoważnienia: whom the user lets see their own data, and whose data they may see.

    Always the user's own account, even while switched to a child's: one authorises people to
    see one's own data, and only an adult may (16- and 17-year-olds read, and get 403 on changes).
    """
    need = Level.WRITE if request.method == "POST" else Level.READ
    subject_access = policy.subject_for(request, request.user.person.public_id, need=need)
    form = AuthorisationForm(request.POST) if request.method == "POST" else AuthorisationForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_create(
                actor=request.user, subject_access=subject_access, kind=AccessGrant.Kind.AUTHORISATION,
                grantee_surname=form.cleaned_data["surname"], grantee_pesel=form.cleaned_data["pesel"],
            )  # fmt: skip
        except services.GuardianshipError as error:
            form.refuse(error.code)
        else:
            messages.success(
                request,
                _("Saved: %(surname)s may now see your data.")
                % {"surname": form.cleaned_data["surname"]},
            )
            return redirect("guardianship:authorisations")
    given = policy.live_grants(timezone.localdate()).filter(
        subject=subject_access.subject, kind=AccessGrant.Kind.AUTHORISATION
    )
    context = {
        "form": form, "can_write": subject_access.access.can_write, "given": grant_rows(given.order_by("created_at", "pk")),
        "received": [s for s in policy.accessible_subjects(request.user) if s.access.basis == Basis.AUTHORISATION],
    }  # fmt: skip
    return render(request, "guardianship/authorisations.html", context, status=form_status(form))


@verified_identity_required
@require_POST
def authorisation_revoke(request: HttpRequest, grant_id) -> HttpResponse:
    subject_access = policy.subject_for(request, request.user.person.public_id, need=Level.WRITE)
    grant = (
        policy.live_grants(timezone.localdate())
        .filter(
            subject=subject_access.subject, kind=AccessGrant.Kind.AUTHORISATION, public_id=grant_id
        )
        .first()
    )
    if grant is None:
        raise Http404
    services.grant_revoke(actor=request.user, subject_access=subject_access, grant=grant)
    messages.success(
        request,
        _("Authorisation revoked: %(surname)s can no longer see your data.")
        % {"surname": grant.grantee_surname},
    )
    return redirect("guardianship:authorisations")


# --- access history ------------------------------------------------------------------------------------


@verified_identity_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """Historia dostępu of the acting account: who read or changed its data, newest first.

    Reading the history is itself recorded first, so it is the top line."""
    subject_access = policy.acting_subject(request, need=Level.READ)
    policy.log_access(request, subject_access, AccessLogEntry.Action.VIEW_ACCESS_LOG)
    entries = (
        AccessLogEntry.objects.filter(subject=subject_access.subject)
        .select_related("actor__person", "acting_for")
        .order_by("-at", "-pk")
    )
    page, page_range = page_of(request, entries, LOG_PAGE_SIZE)  # bad numbers: first or last page
    context = {
        "subject": subject_access.subject, "page": page, "rows": [log_row(entry, request.user) for entry in page],
        "page_range": page_range,
    }  # fmt: skip
    return render(request, "guardianship/access_log.html", context)
