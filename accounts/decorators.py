from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.roles import SUPPORT_GROUP
from accounts.services import current_verification


def verified_identity_required(view):
    """Medical pages: a logged-in user whose identity verification has not expired."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.person_id is None or current_verification(request.user) is None:
            return redirect("identity_verification_required")
        return view(request, *args, **kwargs)

    return wrapper


def support_staff_required(view):
    """Staff pages of the ikp-pomoc desk (/obsluga/): the support group or a superuser; other
    logins get 403. MFA for these accounts is enforced by RequireMfaForStaffMiddleware."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_superuser or user.groups.filter(name=SUPPORT_GROUP).exists()):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
