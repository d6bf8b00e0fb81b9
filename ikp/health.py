"""`/healthz`: is the database reachable, is Redis reachable. No personal data."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok() -> bool | None:
    if not settings.REDIS_URL:
        return None  # development: no Redis configured
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except redis.RedisError:
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(value is not False for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **{k: _label(v) for k, v in checks.items()}},
        status=200 if healthy else 503,
    )


def _label(value: bool | None) -> str:
    return {True: "ok", False: "unreachable", None: "not configured"}[value]
