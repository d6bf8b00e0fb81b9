from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control

SESSION_STARTED_KEY = "ikp_session_started"


class AbsoluteSessionLimitMiddleware:
    """End a session 12 hours after login, however active it has been.

    The idle limit (15 minutes) is the sliding cookie age; this adds the absolute cap.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = datetime.now(UTC).timestamp()
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_LIMIT.total_seconds():
                logout(request)
                return redirect(settings.LOGIN_URL)
        response = self.get_response(request)
        # A login during this request (login() replaces request.user) starts the clock now,
        # not at the next request, which may come up to 15 idle minutes later.
        if request.user.is_authenticated and SESSION_STARTED_KEY not in request.session:
            request.session[SESSION_STARTED_KEY] = now
        return response


class NoStoreForLoggedInMiddleware:
    """Pages shown to a logged-in person hold their data (or a child's): no browser or proxy
    may keep them, so the back button after logging out on a shared computer shows nothing.
    A response that set its own Cache-Control (downloads, /healthz) keeps it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
