from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control

SESSION_STARTED_KEY = "ikp_session_started"
SESSION_REFRESHED_KEY = "ikp_session_refreshed"


class SessionRefreshMiddleware:
    """Slide a logged-in session's 15 idle minutes, writing it at most once a minute.

    Django's SESSION_SAVE_EVERY_REQUEST would write the session row (an UPDATE, and the Redis
    copy) on every request, although nothing in it changed. Here a session is saved only when
    its content changed or its expiry was last moved more than SESSION_REFRESH_INTERVAL ago, so
    the idle limit counts from a moment at most a minute before the last request: a session
    may end up to that minute early, never late. Must come after SessionMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = request.session
        # keys() loads the session first: a stale cookie's key is dropped when it is loaded.
        if not session.keys() or session.session_key is None:
            # No session, an empty one, or one that has ended: nothing to slide, no row to create.
            return response
        now = datetime.now(UTC).timestamp()
        interval = settings.SESSION_REFRESH_INTERVAL.total_seconds()
        if session.modified or now - session.get(SESSION_REFRESHED_KEY, 0) >= interval:
            session[SESSION_REFRESHED_KEY] = now  # marks the session modified: it is saved
        return response


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
