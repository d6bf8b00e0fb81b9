"""A small fixed-window rate limit kept in the shared cache (Redis in tests and production).

Each limit counts hits per subject (a client IP, an e-mail address) in windows of `seconds`
numbered from the epoch: the window number is part of the key, so a new window starts a new
counter and the limit recovers when the window passes — whatever the cache's own clock says
(a test moves time with time-machine; Redis expires old keys later on its real clock).
Subjects are keyed by a keyed hash (HMAC with SECRET_KEY): no address or IP in a cache key.

Fixed windows allow up to twice the count across a window boundary; for "a handful of
requests an hour" that is good enough, and it costs one INCR per subject.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # hits allowed per window
    seconds: int  # window length


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_at: datetime  # when the current window ends (UTC)


def hit(limit: Limit, subject: str, *, now: float | None = None) -> Verdict:
    """Count one hit for `subject`; refused once the window already holds `limit.count` hits."""
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    key = _key(limit, subject, window)
    # Kept a little past its window: a late request still finds its counter.
    cache.add(key, 0, timeout=limit.seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: start the counter again
        cache.add(key, 1, timeout=limit.seconds + 60)
        count = 1
    retry_at = datetime.fromtimestamp((window + 1) * limit.seconds, tz=UTC)
    return Verdict(allowed=count <= limit.count, retry_at=retry_at)


def _key(limit: Limit, subject: str, window: int) -> str:
    digest = salted_hmac("support.ratelimit", subject.strip().lower(), algorithm="sha256").hexdigest()
    return f"ratelimit:{limit.name}:{window}:{digest}"
