"""ikp/cache.py against the real Redis of the test run."""

from django.conf import settings

from ikp.cache import ResilientRedisCache


def test_one_redis_client_serves_every_call_of_a_pool():
    """Django would build a new redis.Redis object (with its callback table) for every call."""
    cache = ResilientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-client-reuse"})
    try:
        cache.set("probe", 1)
        client = cache._cache.get_client(write=True)
        assert cache.get("probe") == 1
        assert cache._cache.get_client(write=True) is client
        assert cache._cache.get_client() is client  # one server: reads share the pool
    finally:
        cache.delete("probe")
