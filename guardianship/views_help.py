""""Why can't I see my child's account?" and "This is not my child".

The diagnosis speaks only of the user's own records (DESIGN.md): the child's name appears only
when the user can see the account anyway, and an unknown PESEL gets the same answer as a known
child the user never registered, so the page never tells whether a PESEL exists. The PESEL
travels in POST bodies only.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import verified_identity_required
from accounts.models import Person, User
from accounts.rules import PeselFacts
from guardianship import policy, rules, services
from guardianship.forms_help import ChildAccessTicketForm, ChildPeselForm, NotMyChildForm
from guardianship.models import AccessLogEntry
from guardianship.rules import Basis, Diagnosis, Level
from ikp.forms import form_status

HELP_TEMPLATE = "guardianship/child_access_help.html"
RESULT_TEMPLATE = "guardianship/child_access_result.html"


def _diagnose(user: User, facts: PeselFacts) -> tuple[Person | None, rules.DiagnosisResult]:
    child = Person.objects.filter(pesel=facts.pesel).first()
    if child is None:
        # Nobody has registered this PESEL with us: by the same rule, no registration of
        # yours (or the 18th birthday, which the PESEL itself tells).
        result = rules.diagnose(
            my_coverages=(), my_pending_registrations=(), has_access=False, birth_date=facts.birth_date, on=timezone.localdate()
        )
        return None, result
    return child, services.child_access_diagnose(user=user, child=child)


def _result_context(child: Person | None, result: rules.DiagnosisResult, pesel: str, **extra) -> dict:
    """What the result page may show: the child's name only when the user has access."""
    return {
        "result": result,
        "child": child if result.code == Diagnosis.HAS_ACCESS else None,
        "pesel": pesel,
        "ticket_form": ChildAccessTicketForm(initial={"pesel": pesel}, user=None),
        **extra,
    }


@verified_identity_required
@require_http_methods(["GET", "POST"])
def child_access_help(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, HELP_TEMPLATE, {"form": ChildPeselForm(user=request.user)})
    form = ChildPeselForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, HELP_TEMPLATE, {"form": form}, status=form_status(form))
    child, result = _diagnose(request.user, form.pesel_facts)
    if child is not None:
        policy.log_access(request, child, AccessLogEntry.Action.DIAGNOSIS, acting_for=request.user.person, basis="")
    return render(request, RESULT_TEMPLATE, _result_context(child, result, form.cleaned_data["pesel"]))


@verified_identity_required
@require_POST
def child_access_ticket(request: HttpRequest) -> HttpResponse:
    """Open a ticket with the diagnosis, computed again here: posted results are never trusted."""
    form = ChildAccessTicketForm(request.POST, user=request.user)
    if not form.is_valid() and "pesel" in form.errors:
        form = ChildPeselForm(request.POST, user=request.user)
        return render(request, HELP_TEMPLATE, {"form": form}, status=form_status(form))
    child, result = _diagnose(request.user, form.pesel_facts)
    if not form.is_valid():
        context = _result_context(child, result, form.cleaned_data["pesel"], ticket_form=form)
        return render(request, RESULT_TEMPLATE, context, status=form_status(form))
    description = form.cleaned_data["description"]
    ticket = services.diagnosis_ticket_open(user=request.user, child=child, result=result, description=description)
    context = _result_context(child, result, form.cleaned_data["pesel"], ticket=ticket, description=description)
    return render(request, "guardianship/child_access_ticket_sent.html", context)


@verified_identity_required
@require_http_methods(["GET", "POST"])
def not_my_child(request: HttpRequest, public_id) -> HttpResponse:
    subject_access = policy.subject_for(request, public_id, need=Level.READ)
    if subject_access.access.basis != Basis.INSURANCE:
        raise Http404  # only a link through one's own insurance can be reported and suspended
    child = subject_access.subject
    form = NotMyChildForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        ticket = services.not_my_child_report(
            user=request.user, subject_access=subject_access, description=form.cleaned_data["description"]
        )
        if request.session.get(policy.SESSION_KEY) == str(child.public_id):
            services.account_switch_back(request=request)
        messages.success(
            request,
            _("Your link to this child has been suspended. Your report %(number)s has been sent to ikp-pomoc.")
            % {"number": ticket.number},
        )
        return redirect("guardianship:children")
    return render(
        request, "guardianship/not_my_child.html", {"child": child, "form": form}, status=form_status(form)
    )
