from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect

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
