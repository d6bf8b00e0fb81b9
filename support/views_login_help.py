"""Login help (/pomoc/logowanie/): open to everyone, logged in or not.

The page shows the current service notices, a logged-in user's identity confirmation and its
expiry, what to do for each cause the FAQ names, and a request to ikp-pomoc (a LOGIN ticket
from the login help form). A logged-in user's request belongs to their login; anyone else
gives a name and an address, which is where the answer and the confirmation go.

Why the confirmation is rendered in the POST response rather than after a redirect: the page
after a redirect is a GET anyone holding its URL can repeat, and for a sender who is not logged
in there is nothing but the URL to tie the ticket to them — a signed URL would carry the
ticket to browser history and shared screens. Rendering on POST shows the number only in the
answer to the request that created it. The usual cost of that choice, a duplicate ticket when
the browser re-sends the form on reload, is avoided: the same form (its signed timestamp and
its content) sent again shows the ticket it already made (`_sent_before`).

Against abuse, without a CAPTCHA (support.forms_login_help): a honeypot field and a signed
form timestamp, then a rate limit (support.ratelimit) per client IP (REMOTE_ADDR: no proxy
header is trusted) and per e-mail address, counted only for requests that would open a ticket.
A bot that fills the honeypot is shown the confirmation page without a number and no ticket
is made: it learns nothing to adapt to, and a person (who never sees the field) cannot trip it.
"""

import hashlib
import json
import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import IdentityVerification, User
from accounts.notices import active_notices
from accounts.rules import verification_state
from accounts.services import latest_verification
from support import ratelimit, services
from support.forms_login_help import MAX_SECONDS, TOKEN, LoginHelpForm
from support.models import Ticket

logger = logging.getLogger(__name__)

PAGE_TEMPLATE = "support/login_help.html"
SENT_TEMPLATE = "support/login_help_sent.html"

PER_IP = ratelimit.Limit("login-help-ip", count=5, seconds=60 * 60)
PER_EMAIL = ratelimit.Limit("login-help-email", count=3, seconds=60 * 60)


@require_http_methods(["GET", "POST"])
def login_help(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    if request.method == "GET":
        return _page(request, LoginHelpForm(user=user))
    form = LoginHelpForm(request.POST, user=user)
    if form.honeypot_filled:
        logger.info("login help: honeypot filled, no ticket opened")
        return render(request, SENT_TEMPLATE, {"ticket": None})
    if not form.is_valid():
        return _page(request, form, status=400)
    ticket = _sent_before(form, user)
    if ticket is None:
        refused = _rate_limited(request, form.contact_email)
        if refused is not None:
            return _too_many(request, form, refused)
        ticket = _ticket_open(form, user)
    return render(request, SENT_TEMPLATE, {"ticket": ticket, "contact_email": form.contact_email})


def _page(request: HttpRequest, form: LoginHelpForm, *, status: int = 200) -> HttpResponse:
    notices = active_notices()
    context = {
        "form": form,
        "token": form.carried_token(),
        "token_name": TOKEN,
        "service_notices": notices,
        "notice_kinds": {notice.kind for notice in notices},
        "verification": _verification_shown(form.user),
    }
    return render(request, PAGE_TEMPLATE, context, status=status)


# --- the user's identity confirmation ---------------------------------------------------------


def _verification_shown(user: User | None) -> dict | None:
    if user is None:
        return None
    latest = latest_verification(user)
    if latest is None:
        return {"state": "none"}
    today = timezone.localdate()
    expires_on = timezone.localdate(latest.expires_at)
    return {
        "state": verification_state(expires_on, today),
        "method": latest.method,
        "method_label": latest.get_method_display(),
        "verified_on": timezone.localdate(latest.verified_at),
        "expires_on": expires_on,
        "days_left": (expires_on - today).days,
        "trusted_profile": latest.method == IdentityVerification.Method.TRUSTED_PROFILE,
    }


# --- sending ----------------------------------------------------------------------------------


def _rate_limited(request: HttpRequest, email: str) -> ratelimit.Verdict | None:
    """The first limit the request is over (each hit counts), or None."""
    for limit, subject in ((PER_IP, request.META.get("REMOTE_ADDR", "")), (PER_EMAIL, email)):
        verdict = ratelimit.hit(limit, subject)
        if not verdict.allowed:
            return verdict
    return None


def _too_many(
    request: HttpRequest, form: LoginHelpForm, refused: ratelimit.Verdict
) -> HttpResponse:
    """429 with the page, the form as it was sent, and when to try again."""
    at = formats.time_format(timezone.localtime(refused.retry_at), "TIME_FORMAT")
    form.add_error(None, _(
        "You have sent several requests in a short time. To protect ikp-pomoc from automated messages,"
        " you can send another one after %(time)s. We have kept what you wrote."
    ) % {"time": at})  # fmt: skip
    response = _page(request, form, status=429)
    response["Retry-After"] = str(max(1, int((refused.retry_at - timezone.now()).total_seconds())))
    return response


def _ticket_open(form: LoginHelpForm, user: User | None) -> Ticket:
    data = form.cleaned_data
    ticket = services.ticket_open(
        category=Ticket.Category.LOGIN,
        source=Ticket.Source.LOGIN_FORM,
        description=data["description"],
        requester=user,
        contact_email="" if user else data["email"],
        contact_name="" if user else data["name"],
        language=translation.get_language() or "pl",
        diagnosis={"login_help": _evidence(data, _verification_shown(user))},
    )
    cache.set(_sent_key(form, user), ticket.pk, timeout=MAX_SECONDS)
    return ticket


def _evidence(data: dict, verification: dict | None) -> dict:
    """What staff see of the request beyond its text: codes and dates, as the page showed them."""
    if verification is not None and verification["state"] != "none":
        verification = {
            "method": verification["method"],
            "verified_on": verification["verified_on"].isoformat(),
            "expires_on": verification["expires_on"].isoformat(),
            "state": verification["state"],
        }
    return {
        "method": data["method"],
        "when": data["when"],
        "verification": verification,
        "notices": sorted(notice.kind for notice in active_notices()),
    }


def _sent_before(form: LoginHelpForm, user: User | None) -> Ticket | None:
    """The ticket this very form (same signed timestamp, same content) already opened."""
    pk = cache.get(_sent_key(form, user))
    return Ticket.objects.filter(pk=pk).first() if pk is not None else None


def _sent_key(form: LoginHelpForm, user: User | None) -> str:
    content = json.dumps(
        [form.data.get(TOKEN, ""), user.pk if user else None, form.cleaned_data], sort_keys=True
    )
    return "login-help:sent:" + hashlib.sha256(content.encode()).hexdigest()
