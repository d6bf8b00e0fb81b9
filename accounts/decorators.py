from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.roles import CLINIC_STAFF_GROUP, SUPPORT_GROUP
from accounts.services import identity_confirmed


def verified_identity_required(view):
    """Medical pages: a logged-in user whose identity verification has not expired."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.person_id is None or not identity_confirmed(request.user):
            return redirect("identity_verification_required")
        return view(request, *args, **kwargs)

    return wrapper


def _group_required(group: str, *, superuser: bool):
    """Staff pages (/obsluga/): members of `group` (and superusers when `superuser`); other
    logins get 403. MFA for these accounts is enforced by RequireMfaForStaffMiddleware."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not ((superuser and user.is_superuser) or user.groups.filter(name=group).exists()):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# The ikp-pomoc desk: the support group or a superuser.
support_staff_required = _group_required(SUPPORT_GROUP, superuser=True)
# Clinic pages: clinic staff only. A superuser is on no clinic's staff, and clinic pages show
# only the user's own clinics, so admins work on clinics in /admin/ instead.
clinic_staff_required = _group_required(CLINIC_STAFF_GROUP, superuser=False)
