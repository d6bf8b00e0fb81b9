"""The Redis cache, tolerant of Redis being away.

Sessions (cached_db: the database holds them), rate-limit counters and used TOTP codes live in
this cache. When Redis stops, Django's RedisCache raises on every call and every logged-in page
would answer 500. Here a call that cannot reach Redis behaves as a miss instead: reads return
the default, writes are dropped, `add` reports success and `incr` counts from the delta. The
portal keeps serving from PostgreSQL; what is lost while Redis is away is only what a cache may
lose (rate limits and the TOTP-reuse guard fail open until it is back). Each process logs the
outage at most once a minute, without keys or values.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_LOG_EVERY_SECONDS = 60.0


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

    def _unreachable(self, name: str) -> None:
        now = time.monotonic()
        if now - ResilientRedisCache._last_logged >= _LOG_EVERY_SECONDS:
            ResilientRedisCache._last_logged = now
            log.warning("Redis cache unreachable (%s): serving without the cache", name)


def _tolerant(name: str):
    method = getattr(RedisCache, name)

    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE:
            self._unreachable(name)
            return _miss(name, args, kwargs)

    call.__name__ = name
    call.__doc__ = method.__doc__
    return call


for _name in ("get", "get_many", "get_or_set", "set", "set_many", "add", "touch", "delete", "delete_many",
              "has_key", "incr", "decr", "clear"):  # fmt: skip
    setattr(ResilientRedisCache, _name, _tolerant(_name))
