from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.navigation import MENU, active_section
from accounts.notices import active_notices


def portal(request) -> dict:
    """What the layout needs on every page; lazy, so pages that do not use it pay nothing."""
    user = getattr(request, "user", None)
    return {
        "dev_identity_provider": settings.DEV_IDENTITY_PROVIDER,
        "menu": MENU,
        "active_section": active_section(request.path),
        # Whose account is being viewed. Until account switching lands this is the user's own.
        "acting_person": SimpleLazyObject(lambda: _own_person(user)),
        # Shown by the start page and the login ("entrance") layout; queried only when used.
        "service_notices": SimpleLazyObject(active_notices),
    }


def _own_person(user):
    if user is None or not user.is_authenticated:
        return None
    return user.person
