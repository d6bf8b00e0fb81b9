from django.shortcuts import redirect
from django.urls import reverse

from accounts.roles import requires_mfa

# Paths a staff member without a second factor may still reach: setting one up (allauth asks
# for the password again before activating TOTP), logging out, switching language, static files.
_ALLOWED_PREFIXES = (
    "/konto/2fa/",
    "/konto/reauthenticate/",
    "/konto/logout/",
    "/i18n/",
    "/static/",
    "/healthz",
)


class RequireMfaForStaffMiddleware:
    """Staff, support and clinic accounts must set up TOTP before they can do anything else.

    allauth has no setting for this; once TOTP is active, allauth asks for the code at login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and requires_mfa(user)
            and not _has_totp(user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
