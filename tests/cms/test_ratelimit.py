"""Rate limits: each action has its own budget per client, over windows that start at the first request."""
import pytest
from django.core.cache import cache

from cms.ratelimit import rate_limited


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_the_window_refuses_past_the_count_and_says_how_long():
    assert [rate_limited("opinion", "client-a", [(3, 60)]) for _ in range(3)] == [0, 0, 0]
    wait = rate_limited("opinion", "client-a", [(3, 60)])
    assert 1 <= wait <= 60
    assert rate_limited("opinion", "client-b", [(3, 60)]) == 0  # another client is not affected


def test_searching_does_not_use_up_the_budget_for_sending_an_opinion():
    for _ in range(10):
        rate_limited("qa-api", "client-a", [(60, 60)])
    assert rate_limited("opinion", "client-a", [(5, 60)]) == 0


# --- on Redis: one round trip for every window ---------------------------------------------------------
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_cache(settings):
    """The production cache class on the machine's Redis (database 15, a prefix of its own)."""
    import uuid

    import redis
    from django.core.cache import caches

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis 不可用（{REDIS_URL}）：跳过 Redis 上的限流测试")
    settings.CACHES = {**settings.CACHES, "default": {
        "BACKEND": "cms.cache.ResilientRedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": f"ratelimit-test-{uuid.uuid4().hex}",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    backend = caches["default"]
    yield backend
    client = backend._cache.get_client(write=True)
    keys = list(client.scan_iter(f"{backend.key_prefix}*"))
    if keys:
        client.delete(*keys)
    caches["default"].close()


def test_on_redis_every_window_is_counted_in_one_round_trip(redis_cache):
    from unittest import mock

    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=True) is client  # one redis.Redis per pool, not per call
    limits = [(3, 60), (5, 3600)]
    with mock.patch.object(type(client), "execute_command", wraps=client.execute_command) as single:
        answers = [rate_limited("opinion", "client-a", limits) for _ in range(4)]
    assert answers[:3] == [0, 0, 0] and 55 <= answers[3] <= 60
    assert single.call_count == 0  # every count went through a pipeline: one round trip per request
    redis_key = redis_cache.make_and_validate_key("rate:opinion:client-a:3600")
    assert int(client.get(redis_key)) == 4 and 3590 <= client.ttl(redis_key) <= 3600
    assert rate_limited("opinion", "client-b", limits) == 0


def test_on_redis_the_window_starts_at_the_first_request_and_is_not_extended(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    rate_limited("qa-api", "client-a", [(10, 60)])
    redis_key = redis_cache.make_and_validate_key("rate:qa-api:client-a:60")
    client.expire(redis_key, 5)  # as if 55 seconds had passed
    rate_limited("qa-api", "client-a", [(10, 60)])
    assert client.ttl(redis_key) <= 5  # EXPIRE NX: later hits do not push the window back
