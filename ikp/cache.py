"""The Redis cache, tolerant of Redis being away.

Sessions (cached_db: the database holds them), rate-limit counters and used TOTP codes live in
this cache. When Redis stops, Django's RedisCache raises on every call and every logged-in page
would answer 500. Here a call that cannot reach Redis behaves as a miss instead: reads return
the default, writes are dropped, `add` reports success and `incr` counts from the delta. The
portal keeps serving from PostgreSQL; what is lost while Redis is away is only what a cache may
lose.

Security counters and guards would fail open on a miss (every login attempt would find an empty
history, every TOTP code would look unused), so the keys in SECURITY_KEY_PREFIXES — allauth's
rate limits (failed logins per address and per e-mail among them), allauth's used TOTP codes,
allauth's ID-token replay guard and support.ratelimit — go to a store in this process's memory
(Django's LocMemCache) instead, with the same timeouts. Limits still trip, but each process
counts on its own and from zero: with N worker processes (gunicorn runs 4 in
docker-compose.yml) an attacker gets at most N times the configured attempts while Redis is
away (N + 1 while it flaps, Redis keeping its own count), and a TOTP code is accepted at most
once in each process. Only these keys: a per-process copy of a session would outlive a logout
handled by another worker, and one of the vaccine catalogue would miss its invalidations, so
every other key keeps the miss.

When Redis answers again, every call goes to Redis again. What the process memory holds is
ignored, not copied back, and expires on its own timeouts: merging it into Redis would need to
notice the moment Redis returns and to combine counts that other processes made meanwhile,
while leaving it can only make a later outage stricter, never looser. Each process logs the
outage at most once a minute, without keys or values.
"""

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_LOG_EVERY_SECONDS = 60.0

# How the callers spell the keys (before KEY_PREFIX and version), read from their code.
SECURITY_KEY_PREFIXES = (
    "allauth:rl:",  # allauth.core.internal.ratelimit.get_cache_key, and cache_lock's ":lock"
    "allauth.mfa.totp.used?",  # allauth.mfa.totp.internal.auth.TOTP._get_used_cache_key
    "jwt:iss=",  # allauth.socialaccount.internal.jwtkit.verify_jti (OpenID Connect ID tokens)
    "ratelimit:",  # support.ratelimit._key
)
# LocMemCache's default of 300 entries would let anyone who sends requests from many addresses
# evict the counters of the account they are guessing at; a counter takes a few hundred bytes.
_FALLBACK_MAX_ENTRIES = 100_000
# The calls whose first argument (or `key=`) is a single key. The many-key calls and `clear`
# keep the miss: allauth and support.ratelimit read and write their keys one at a time.
_ONE_KEY_CALLS = frozenset(
    ("get", "get_or_set", "set", "add", "touch", "delete", "has_key", "incr", "decr")
)


def is_security_key(key) -> bool:
    """Whether a key is a security counter or guard's, kept in process memory in an outage."""
    return isinstance(key, str) and key.startswith(SECURITY_KEY_PREFIXES)


def _key_of(name: str, args: tuple, kwargs: dict):
    """The key of a one-key call, None for the others."""
    if name not in _ONE_KEY_CALLS:
        return None
    return kwargs["key"] if "key" in kwargs else args[0]


def _miss(name: str, args: tuple, kwargs: dict):
    """What a call answers while Redis is away."""
    if name in ("get", "get_or_set"):
        default = kwargs.get("default", args[1] if len(args) > 1 else None)
        return default() if name == "get_or_set" and callable(default) else default
    if name == "get_many":
        return {}
    if name == "add":
        return True
    if name in ("incr", "decr"):
        delta = kwargs.get("delta", args[1] if len(args) > 1 else 1)
        return delta if name == "incr" else -delta
    if name == "set_many":
        return []
    return False  # has_key, touch, delete; set, delete_many and clear return None anyway


class _OneClientPerPool(RedisCacheClient):
    """Django builds a new redis.Redis object for every cache call, and building one fills a
    table of response callbacks (profiled: ~5% of a bare logged-in page). A
    redis.Redis over a connection pool is safe to share, so one per pool serves every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        if index not in self._clients:
            self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return self._clients[index]


class ResilientRedisCache(RedisCache):
    _last_logged = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
        # Django makes a cache object per thread; LocMemCache objects of one name share one
        # dict and lock, so the threads of a process count together. KEY_PREFIX, VERSION and
        # TIMEOUT are the Redis cache's: the same key, and the same default timeout.
        self._fallback = LocMemCache(
            f"{__name__}.fallback:{server}",
            {**params, "OPTIONS": {"MAX_ENTRIES": _FALLBACK_MAX_ENTRIES}},
        )

    def _unreachable(self, name: str) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged >= _LOG_EVERY_SECONDS:
            ResilientRedisCache._last_logged = now
            log.warning(
                "Redis cache unreachable (%s): serving without the cache, security keys from memory",
                name,
            )


def _tolerant(name: str):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE:
            self._unreachable(name)
            if is_security_key(_key_of(name, args, kwargs)):
                return getattr(self._fallback, name)(*args, **kwargs)
            return _miss(name, args, kwargs)

    call.__name__ = name
    call.__doc__ = method.__doc__
    return call


for _name in ("get", "get_many", "get_or_set", "set", "set_many", "add", "touch", "delete", "delete_many",
              "has_key", "incr", "decr", "clear"):  # fmt: skip
    setattr(ResilientRedisCache, _name, _tolerant(_name))
