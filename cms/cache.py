"""A Redis cache that degrades instead of failing when Redis is down (docs/faults.md).

Django's RedisCache raises on a dead or hung server. Wagtail's site lookup, the sessions, the rate
limits and the login throttling all go through the cache, so every page became a 500 while Redis was
down. ``ResilientRedisCache`` catches Redis connection errors and timeouts, and then:

- it logs one warning per outage, and one line when Redis answers again;
- it stops asking Redis for ``retry_seconds`` (OPTIONS, default 5). A hung Redis costs one socket
  timeout per interval and process, not one per call;
- meanwhile it serves each call from a small memory cache of the process (entries live 60 s at
  most). Each web process then behaves like a site without REDIS_URL. The opinion rate limits and
  the login throttling keep counting, per process, so a client gets at most "workers × limit".
  That is deliberate: fail-open would let a script flood a consultation for as long as Redis is
  down, and fail-closed would refuse every resident's opinion for that time;
- sessions and the readiness probe are never served from memory. A session is read from the
  database (``cached_db``), so a logout is seen by every process at once. /readyz has to see that
  Redis is down;
- it remembers the keys whose write or delete was lost, and deletes them from Redis once it
  answers again. Nothing written before the outage is served stale afterwards: not a session ended
  meanwhile, not a value that changed. After a Redis restart without persistence nothing is stale
  anyway; this is for a Redis that was only unreachable, or hung.
"""
import logging
import threading
import time
from functools import partial

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)
# Never from process memory: sessions (another process may have ended one) and the readiness probe.
NOT_FROM_MEMORY = ("django.contrib.sessions.", "health:")
MEMORY_SECONDS = 60
MEMORY_ENTRIES = 5_000
REMEMBER_KEYS = 10_000


class _Outage:
    """The state of one Redis location in this process, shared by every thread's backend instance."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since = None        # time.monotonic() when the outage was noticed; None while Redis answers
        self.retry_at = 0.0
        self.unwritten = set()   # Redis keys whose set or delete was lost during the outage
        self.overflow = False


_outages = {}
_outages_lock = threading.Lock()


class ReusingRedisCacheClient(RedisCacheClient):
    """One redis.Redis per connection pool, instead of Django's new one for every cache call.

    Building a redis.Redis fills its table of response callbacks: 0.3–0.5 ms of CPU, more than the
    round trip itself, on every get and set (measured with py-spy on a gunicorn worker under
    benchmarks/load_test.py). The client is thread-safe and holds no state of its own.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class ResilientRedisCache(RedisCache):
    retry_seconds = 5.0

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_seconds = float(options.pop("retry_seconds", self.retry_seconds))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusingRedisCacheClient
        name = f"{server}|{self.key_prefix}"
        with _outages_lock:
            self._outage = _outages.setdefault(name, _Outage())
        self._memory = LocMemCache(f"resilient-redis-fallback:{name}", {
            "TIMEOUT": MEMORY_SECONDS, "OPTIONS": {"MAX_ENTRIES": MEMORY_ENTRIES},
            "KEY_PREFIX": self.key_prefix, "VERSION": self.version})

    # --- the outage --------------------------------------------------------------------------------
    def _call(self, redis_call, fallback, unwritten=()):
        outage = self._outage
        if outage.since is not None and time.monotonic() < outage.retry_at:
            self._lost(unwritten)
            return fallback()
        try:
            if outage.since is not None:
                self._recover()
            return redis_call()
        except OUTAGE_ERRORS as error:
            self._down(error)
            self._lost(unwritten)
            return fallback()

    def _down(self, error):
        outage, now = self._outage, time.monotonic()
        with outage.lock:
            first = outage.since is None
            if first:
                outage.since = now
            outage.retry_at = now + self.retry_seconds
        if first:
            logger.warning("Redis cache unavailable (%s: %s): serving from process memory, retrying every %g s",
                           type(error).__name__, error, self.retry_seconds)

    def _lost(self, keys):
        if not keys:
            return
        outage = self._outage
        with outage.lock:
            if len(outage.unwritten) + len(keys) <= REMEMBER_KEYS:
                outage.unwritten.update(keys)
                return
            warn, outage.overflow = not outage.overflow, True
        if warn:
            logger.warning("Redis cache: more than %d keys changed during the outage; the rest cannot be "
                           "invalidated when Redis returns (FLUSHDB of the cache database is safe then)", REMEMBER_KEYS)

    def _recover(self):
        """Redis is due for a retry: delete what was written meanwhile, then use it again (raises if still down)."""
        outage = self._outage
        client = self._cache.get_client(None, write=True)
        client.ping()
        invalidated = 0
        while True:
            with outage.lock:
                keys = list(outage.unwritten)[:1000]
                if not keys:
                    seconds, outage.since, outage.overflow = time.monotonic() - (outage.since or 0), None, False
                    break
            client.delete(*keys)
            invalidated += len(keys)
            with outage.lock:
                outage.unwritten.difference_update(keys)
        self._memory.clear()
        logger.info("Redis cache available again after %.0f s; %d keys changed meanwhile were invalidated",
                    seconds, invalidated)

    def _in_memory(self, key):
        return not str(key).startswith(NOT_FROM_MEMORY)

    def _memory_timeout(self, timeout):
        timeout = self.get_backend_timeout(timeout)
        return MEMORY_SECONDS if timeout is None else min(timeout, MEMORY_SECONDS)

    def _redis_keys(self, keys, version):
        return [self.make_and_validate_key(key, version=version) for key in keys]

    # --- the cache API -----------------------------------------------------------------------------
    def get(self, key, default=None, version=None):
        return self._call(partial(super().get, key, default, version),
                          lambda: self._memory.get(key, default, version) if self._in_memory(key) else default)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        def fallback():
            if self._in_memory(key):
                self._memory.set(key, value, self._memory_timeout(timeout), version)

        self._call(partial(super().set, key, value, timeout, version), fallback, self._redis_keys([key], version))

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        def fallback():
            if not self._in_memory(key):
                return True
            return self._memory.add(key, value, self._memory_timeout(timeout), version)

        return self._call(partial(super().add, key, value, timeout, version), fallback)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(partial(super().touch, key, timeout, version),
                          lambda: self._in_memory(key) and self._memory.touch(key, self._memory_timeout(timeout), version))

    def delete(self, key, version=None):
        return self._call(partial(super().delete, key, version),
                          lambda: self._in_memory(key) and self._memory.delete(key, version),
                          self._redis_keys([key], version))

    def has_key(self, key, version=None):
        return self._call(partial(super().has_key, key, version),
                          lambda: self._in_memory(key) and self._memory.has_key(key, version))

    def incr(self, key, delta=1, version=None):
        def fallback():
            if not self._in_memory(key):
                raise ValueError(f"Key '{key}' not found")
            return self._memory.incr(key, delta, version)  # ValueError when missing, as Redis

        return self._call(partial(super().incr, key, delta, version), fallback)

    def get_many(self, keys, version=None):
        keys = list(keys)
        return self._call(partial(super().get_many, keys, version),
                          lambda: self._memory.get_many([k for k in keys if self._in_memory(k)], version))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        def fallback():
            kept = {k: v for k, v in data.items() if self._in_memory(k)}
            self._memory.set_many(kept, self._memory_timeout(timeout), version)
            return []

        return self._call(partial(super().set_many, data, timeout, version), fallback,
                          self._redis_keys(data, version))

    def delete_many(self, keys, version=None):
        keys = list(keys)
        return self._call(partial(super().delete_many, keys, version),
                          lambda: self._memory.delete_many([k for k in keys if self._in_memory(k)], version),
                          self._redis_keys(keys, version))

    def clear(self):
        return self._call(super().clear, lambda: self._memory.clear() or False)

    # --- beyond Django's API ---------------------------------------------------------------------
    def count_in_windows(self, windows):
        """Count one hit in each (key, seconds) window: [(hits, seconds left)], in one round trip.

        INCR, EXPIRE NX (the window starts with the first hit) and TTL for every window in one
        pipeline; the rate limits (cms/ratelimit.py) used three round trips per window. While Redis
        is down this answers None and the caller counts with add/incr, which fall back to memory.
        """
        def redis_call():
            pipeline = self._cache.get_client(None, write=True).pipeline(transaction=False)
            for key, seconds in windows:
                redis_key = self.make_and_validate_key(key)
                pipeline.incr(redis_key)
                pipeline.expire(redis_key, seconds, nx=True)
                pipeline.ttl(redis_key)
            replies = pipeline.execute()
            return [(replies[3 * i], replies[3 * i + 2] if replies[3 * i + 2] > 0 else seconds)
                    for i, (_key, seconds) in enumerate(windows)]

        return self._call(redis_call, lambda: None)
