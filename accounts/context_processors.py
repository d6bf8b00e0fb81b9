from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.navigation import MENU, active_section
from accounts.notices import active_notices


def portal(request) -> dict:
    """What the layout needs on every page; lazy, so pages that do not use it pay nothing."""
    return {
        "dev_identity_provider": settings.DEV_IDENTITY_PROVIDER,
        "menu": MENU,
        "active_section": active_section(request.path),
        # Whose account is being viewed: the user's own, or the one they switched to.
        "acting_person": SimpleLazyObject(lambda: _acting_person(request)),
        # Shown by the start page and the login ("entrance") layout; queried only when used.
        "service_notices": SimpleLazyObject(active_notices),
    }


def _acting_person(request):
    from django.http import Http404

    from guardianship.policy import acting_subject

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.person_id is None:
        return None
    try:
        return acting_subject(request).subject
    except Http404:
        return user.person
