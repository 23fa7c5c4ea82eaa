"""Per-client rate limits for public writes and APIs, one budget per action (scope)."""
import time

from django.core.cache import caches


def rate_limited(scope, client_hash, limits):
    """Count a request of ``client_hash`` for ``scope``; return the seconds to wait, or 0 when allowed.

    ``limits`` are (count, seconds) windows that start at the client's first request (clock-aligned
    windows would let a burst straddle two windows). Each scope has its own counters: searching
    the API must not use up the budget for sending an opinion.

    A cache that can count several windows in one round trip (cms.cache.ResilientRedisCache's
    ``count_in_windows``: INCR, EXPIRE NX and TTL in one pipeline) does; otherwise each window
    costs an add, an add and an incr.
    """
    windows = [(f"rate:{scope}:{client_hash}:{window}", window) for _count, window in limits]
    cache = caches["default"]
    counter = getattr(cache, "count_in_windows", None)
    counted = counter(windows) if counter else None
    if counted is not None:
        for (count, _window), (hits, seconds_left) in zip(limits, counted, strict=True):
            if hits > count:
                return max(1, int(seconds_left))
        return 0
    now = time.time()
    for count, window in limits:
        key = f"rate:{scope}:{client_hash}:{window}"
        cache.add(f"{key}:start", now, window)
        cache.add(key, 0, window)
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)
            hits = 1
        if hits > count:
            started = cache.get(f"{key}:start", now)
            return max(1, int(window - (now - started)))
    return 0
