import uuid

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from accounts.decorators import verified_identity_required
from accounts.models import User
from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP
from accounts.rules import VerificationMethod
from accounts.services import (
    current_verification,
    identity_verification_record,
    latest_verification,
)
from accounts.summary import start_summary_load
from guardianship.policy import acting_subject


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The acting account's summary; for visitors, the front page with service notices.

    Medical data only with a verified identity; without one the page says how to confirm it.
    """
    context = {}
    if request.user.is_authenticated:
        if request.user.person_id is None:
            # Staff logins (no person of their own) get the way to their pages, not a summary.
            context["staff_links"] = staff_links(request.user)
        context["verification"] = verification = current_verification(request.user)
        if verification is not None and request.user.person_id is not None:
            subject = acting_subject(request)
            context["acting"] = subject.subject
            context["summary"] = start_summary_load(
                request=request, subject=subject, today=timezone.localdate()
            )
    return render(request, "accounts/start.html", context)


def staff_links(user) -> list[tuple[str, str]]:
    """(label, url) of the staff pages this login may open, for its start page."""
    groups = set(user.groups.values_list("name", flat=True))
    links = []
    if CLINIC_STAFF_GROUP in groups:
        links.append((_("Your clinics: vaccination terms and open visits"), reverse("clinic:home")))
    if SUPPORT_GROUP in groups or user.is_superuser:
        links.append((_("ikp-pomoc desk: requests"), reverse("desk:queue")))
        links.append((_("Synchronisation monitor"), reverse("feeds:sync_monitor")))
    if user.is_staff:
        links.append((_("Administration"), reverse("admin:index")))
    return links


@login_required
@require_GET
def identity_verification_required(request: HttpRequest) -> HttpResponse:
    """Explains why medical pages are closed and how to confirm one's identity."""
    return render(
        request,
        "accounts/verification_required.html",
        {"latest": latest_verification(request.user)},
    )


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language, remembering the choice on the login for the e-mails we send."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if (
        request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and request.user.language != language
    ):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/help.html")


def coming_soon(title: str):
    """A menu section whose capability has not landed yet: says so, behind the same gate."""

    @verified_identity_required
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/coming_soon.html", {"title": title})

    return view


@require_http_methods(["GET", "POST"])
def dev_login(request: HttpRequest) -> HttpResponse:
    """Development identity provider: pick a seeded patient and log in as them, verified.

    Exists only with DEBUG on (settings.DEV_IDENTITY_PROVIDER); otherwise 404. Staff logins
    are not offered: they use password and TOTP like in production.
    """
    if not settings.DEV_IDENTITY_PROVIDER:
        raise Http404
    patients = (
        User.objects.filter(
            person__isnull=False, is_staff=False, is_superuser=False, groups__isnull=True
        )
        .select_related("person")
        .order_by("person__surname", "person__first_name")
    )
    if request.method == "POST":
        try:
            public_id = uuid.UUID(request.POST.get("person", ""))
        except ValueError:
            raise Http404 from None
        # `patients` already leaves out every account that must log in with TOTP.
        user = get_object_or_404(patients, person__public_id=public_id)
        login(request, user, backend="accounts.backends.ModelBackend")
        identity_verification_record(user=user, method=VerificationMethod.TRUSTED_PROFILE)
        return redirect("start")
    return render(request, "accounts/dev_login.html", {"patients": patients})
