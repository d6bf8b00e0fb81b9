from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

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
