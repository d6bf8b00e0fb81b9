from django.utils import timezone

from accounts.models import ServiceNotice


def active_notices(*, at=None) -> list[ServiceNotice]:
    at = at or timezone.now()
    return list(ServiceNotice.objects.filter(starts_at__lte=at, ends_at__gt=at).order_by("starts_at"))
