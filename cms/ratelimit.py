"""Per-client rate limits for public writes and APIs, one budget per action (scope)."""
import time

from django.core.cache import cache


def rate_limited(scope, client_hash, limits):
    """Count a request of ``client_hash`` for ``scope``; return the seconds to wait, or 0 when allowed.

    ``limits`` are (count, seconds) windows that start at the client's first request (clock-aligned
    windows would let a burst straddle two windows). Each scope has its own counters: searching
    the API must not use up the budget for sending an opinion.
    """
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
