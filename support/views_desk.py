"""The ikp-pomoc desk (/obsluga/zgloszenia/): the queue, a ticket with its thread, and the
actions staff take from it.

Gate: support group (or superuser) with MFA (RequireMfaForStaffMiddleware). Every support user
sees the queue and tickets (category, status, description, the attached diagnosis: codes and
dates) to triage them. The person a ticket concerns — name, PESEL, insurance, guardians — and
the ticket's attachments are shown only to the staff member the open ticket is assigned to,
through guardianship.policy.subject_through_ticket; every such read and every action writes an
access-log row naming the ticket. Searching by PESEL is a POST and is logged on each person found.
"""

from datetime import timedelta

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import support_staff_required
from accounts.models import Person
from guardianship import policy
from guardianship.models import (
    AccessGrant,
    AccessLogEntry,
    Coverage,
    InsuranceEvent,
    LinkSuspension,
    OwnTitle,
)
from guardianship.services import GuardianshipError
from ikp.forms import form_status
from ikp.paging import page_of
from support import access, diagnosis, rules, services, staff_actions
from support.forms import (
    AssignForm,
    GrantForm,
    JustificationForm,
    NoteForm,
    NotMyChildForm,
    PeselSearchForm,
    ReplyForm,
    StatusForm,
)
from support.models import ResponseTarget, StaffAction, Ticket

PER_PAGE = 50
AGES = {"1": 1, "3": 3, "7": 7, "14": 14}  # ?wiek=N: opened at least N days ago
GRANT_REFUSALS = {
    "invalid_pesel": gettext_lazy("Enter a valid 11-digit PESEL number."),
    "self": gettext_lazy("The guardian cannot be the child or yourself."),
    "minor": gettext_lazy("A guardian must be an adult."),
    "surname_mismatch": gettext_lazy("The surname does not match this PESEL number."),
    "already": gettext_lazy("This person already has access to the child's account."),
}


# --- the queue -------------------------------------------------------------------------------


@support_staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Open tickets oldest first (or the chosen status), filtered by category, age, assignee."""
    chosen = {key: request.GET.get(key, "") for key in ("kategoria", "status", "wiek", "kto")}
    tickets = Ticket.objects.select_related("assignee").order_by("created_at", "pk")
    if chosen["status"] in Ticket.Status.values:
        tickets = tickets.filter(status=chosen["status"])
    else:
        tickets = tickets.filter(status__in=rules.OPEN_STATUSES)
    if chosen["kategoria"] in Ticket.Category.values:
        tickets = tickets.filter(category=chosen["kategoria"])
    if chosen["wiek"] in AGES:
        tickets = tickets.filter(
            created_at__lte=timezone.now() - timedelta(days=AGES[chosen["wiek"]])
        )
    if chosen["kto"] == "moje":
        tickets = tickets.filter(assignee=request.user)
    elif chosen["kto"] == "nieprzypisane":
        tickets = tickets.filter(assignee__isnull=True)
    page, page_range = page_of(request, tickets, PER_PAGE)
    targets = _targets()
    now = timezone.now()
    rows = [{"ticket": t, **_clocks(t, targets, now)} for t in page]
    return render(
        request,
        "support/desk/queue.html",
        {
            "page": page,
            "page_range": page_range,
            "rows": rows,
            "chosen": chosen,
            "categories": Ticket.Category.choices,
            "statuses": Ticket.Status.choices,
            "ages": AGES,
            "search_form": PeselSearchForm(),
        },
    )


@support_staff_required
@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """By number (GET ?numer=, not personal) or by PESEL (POST only; logged on the person)."""
    if request.method == "GET":
        found = services.find_by_number(request.GET.get("numer", ""))
        if found is None:
            messages.error(request, _("No request has this number."))
            return redirect("desk:queue")
        return redirect("desk:ticket", public_id=found.public_id)
    form = PeselSearchForm(request.POST)
    results = None
    if form.is_valid():
        person = Person.objects.filter(pesel=form.cleaned_data["pesel"]).first()
        results = []
        if person is not None:
            results = list(
                Ticket.objects.filter(Q(person=person) | Q(requester__person=person))
                .select_related("assignee")
                .order_by("-created_at")[:100]
            )
            staff_actions.pesel_search_log(staff=request.user, person=person)
    return render(
        request,
        "support/desk/search.html",
        {"form": form, "results": results},
        status=form_status(form),
    )


# --- one ticket ------------------------------------------------------------------------------


@support_staff_required
@require_GET
def ticket(request: HttpRequest, public_id) -> HttpResponse:
    return _ticket_page(request, access.ticket_for_staff(public_id))


@support_staff_required
@require_POST
def assign(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    staff = list(services.support_staff())
    if request.POST.get("me"):
        to = request.user
    else:
        form = AssignForm(request.POST, staff=staff)
        if not form.is_valid():
            return _ticket_page(request, found, assign_form=form, status=400)
        to = next((u for u in staff if str(u.pk) == form.cleaned_data["assignee"]), None)
    return _run(
        request,
        found,
        lambda: services.ticket_assign(ticket=found, by=request.user, to=to),
        _("The assignment is saved."),
    )


@support_staff_required
@require_POST
def reply(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _ticket_page(request, found, reply_form=form, status=400)
    data = form.cleaned_data
    return _run(
        request,
        found,
        lambda: services.staff_reply(
            ticket=found,
            staff=request.user,
            body=data["body"],
            files=data["attachments"],
            wait_for_patient=data["wait_for_patient"],
        ),
        _("The reply is sent to the patient."),
    )


@support_staff_required
@require_POST
def note(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, found, note_form=form, status=400)
    return _run(
        request,
        found,
        lambda: services.note_add(ticket=found, staff=request.user, body=form.cleaned_data["body"]),
        _("The note is saved."),
    )


@support_staff_required
@require_POST
def status(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    form = StatusForm(request.POST, current=found.status)
    if not form.is_valid():
        return _ticket_page(request, found, status_form=form, status=400)
    data = form.cleaned_data
    return _run(
        request,
        found,
        lambda: services.status_change(
            ticket=found, staff=request.user, to=data["status"], body=data["body"]
        ),
        _("The status has been changed and the patient will be told."),
    )


@support_staff_required
@require_GET
def attachment(request: HttpRequest, public_id, attachment_id) -> HttpResponse:
    """Attachments may hold a person's documents: only for the open ticket's assignee, and each
    download of a ticket about a person is logged on that person, naming the ticket."""
    found = access.ticket_for_staff(public_id)
    # A ticket about nobody in particular (login help, a mail from an unknown sender): the
    # assignee alone may download, and there is no subject whose access log could list it.
    subject = policy.subject_through_ticket(request, found) if found.person_id else None
    if subject is None:
        _assigned(request, found)
    item = access.attachment_of(found, attachment_id, internal=True)  # an unknown one: 404, no row
    if subject is not None:
        staff_actions.person_view_log(staff=request.user, ticket=found, subject=subject)
    return access.attachment_response(item)


# --- the person behind a ticket --------------------------------------------------------------


@support_staff_required
@require_GET
def person(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    subject = policy.subject_through_ticket(request, found)
    staff_actions.person_view_log(staff=request.user, ticket=found, subject=subject)
    return render(
        request, "support/desk/person.html", {"ticket": found, **_person_data(subject.subject)}
    )


@support_staff_required
@require_POST
def resync(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    subject = policy.subject_through_ticket(request, found)
    form = JustificationForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, found, resync_form=form, status=400)
    staff_actions.insurance_resync(
        staff=request.user,
        ticket=found,
        subject=subject,
        justification=form.cleaned_data["justification"],
    )
    messages.success(request, _("The insurance data of this person has been synchronised again."))
    return redirect("desk:person", public_id=found.public_id)


@support_staff_required
@require_http_methods(["GET", "POST"])
def grant(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    subject = policy.subject_through_ticket(request, found)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff_actions.guardian_grant(
                staff=request.user,
                ticket=found,
                subject=subject,
                grantee_surname=data["grantee_surname"],
                grantee_pesel=data["grantee_pesel"],
                justification=data["justification"],
            )
        except GuardianshipError as refused:
            form.add_error(None, GRANT_REFUSALS.get(refused.code, refused.code))
        else:
            messages.success(
                request,
                _("Access is granted. The guardian will see the child's account on the next page they open."),
            )
            return redirect("desk:ticket", public_id=found.public_id)
    return render(
        request,
        "support/desk/grant.html",
        {"ticket": found, "form": form, "child": subject.subject},
        status=form_status(form),
    )


@support_staff_required
@require_POST
def not_my_child(request: HttpRequest, public_id) -> HttpResponse:
    found = access.ticket_for_staff(public_id)
    subject = policy.subject_through_ticket(request, found)
    form = NotMyChildForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, found, nmc_form=form, status=400)
    confirmed = form.cleaned_data["outcome"] == "confirmed"
    return _run(
        request,
        found,
        lambda: staff_actions.not_my_child_resolve(
            staff=request.user,
            ticket=found,
            subject=subject,
            confirmed=confirmed,
            justification=form.cleaned_data["justification"],
        ),
        _("The report is settled. A correction to request from ZUS has been recorded.")
        if confirmed
        else _("The report is settled. The link is restored."),
    )


# --- helpers ---------------------------------------------------------------------------------


def _assigned(request: HttpRequest, found: Ticket) -> None:
    if not found.worked_by(request.user):
        raise Http404


def _run(request: HttpRequest, found: Ticket, action, done: str) -> HttpResponse:
    try:
        action()
    except services.TicketRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("desk:ticket", public_id=found.public_id)


def _targets() -> dict[str, ResponseTarget]:
    return {t.category: t for t in ResponseTarget.objects.all()}


def _clocks(found: Ticket, targets: dict[str, ResponseTarget], now) -> dict:
    target = targets.get(found.category)
    if target is None:
        return {"first": None, "resolution": None}
    return {
        "first": rules.target_clock(
            found.created_at, found.first_response_at, target.first_response, now
        ),
        "resolution": rules.target_clock(
            found.created_at, found.resolved_at, target.resolution, now
        ),
    }


def _ticket_page(
    request: HttpRequest, found: Ticket, *, status: int = 200, **forms
) -> HttpResponse:
    mine = found.worked_by(request.user)
    entries = access.thread_of(found, internal=True)
    context = {
        "ticket": found,
        "entries": entries,
        "opening_files": access.opening_files(found),
        "facts": diagnosis.as_facts(found.diagnosis),
        "shown": diagnosis.as_shown(found.diagnosis),
        "mine": mine,
        "can_see_person": mine and found.person_id is not None,
        "actions": list(found.actions.select_related("actor").order_by("created_at")),
        **_clocks(found, _targets(), timezone.now()),
        "assign_form": forms.get("assign_form") or AssignForm(staff=services.support_staff()),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": forms.get("status_form") or StatusForm(current=found.status),
        "resync_form": forms.get("resync_form") or JustificationForm(),
        "nmc_form": forms.get("nmc_form") or NotMyChildForm(),
        "is_report": found.category == Ticket.Category.NOT_MY_CHILD,
    }
    context["error_forms"] = [form for form in forms.values() if form.errors]
    return render(request, "support/desk/ticket.html", context, status=status)


def _person_data(person: Person) -> dict:
    """What support may read about the person of an assigned ticket to settle access cases."""
    on = timezone.localdate()
    guardian_id = policy.automatic_guardians([person], on)[person.pk]
    return {
        "person": person,
        "automatic_guardian": Person.objects.filter(pk=guardian_id).first()
        if guardian_id
        else None,
        "coverages": Coverage.objects.filter(member=person)
        .select_related("insured")
        .order_by("-valid_from"),
        "insures": Coverage.objects.filter(insured=person)
        .select_related("member")
        .order_by("-valid_from"),
        "titles": OwnTitle.objects.filter(pesel=person.pesel).order_by("-valid_from"),
        "grants": AccessGrant.objects.filter(subject=person).order_by("-created_at"),
        "suspensions": LinkSuspension.objects.filter(subject=person)
        .select_related("person")
        .order_by("-created_at"),
        "pending": InsuranceEvent.objects.filter(
            Q(person_pesel=person.pesel) | Q(insured_pesel=person.pesel), applied_at__isnull=True
        ).count(),
        "recent_access": AccessLogEntry.objects.filter(subject=person)
        .select_related("actor")
        .order_by("-at")[:20],
        "action_kinds": StaffAction.Kind,
    }
