"""When each simulated person starts their next action (a locust ``wait_time``).

locust starts users in batches, ``floor(spawn rate)`` of them at the same instant once a second,
and ``constant_throughput`` then keeps every user on its own fixed period from that instant: the
users of a batch stay in lock-step for the whole run. With 110 users spawned at 11 per second, a
batch of eight residents opened the consultation at the same instant, two operators searched
together with them, and so on every period: bursts no population of independent residents and
callers produces, which the server answers with queueing (20 operators alone against an idle
stack, 1 search/s each: p50 76 ms at the client, against 11 ms for the same searches spread out).

``poisson_pacing(rate)`` keeps each user's rate but draws every gap from the exponential
distribution, as for independent arrivals (their sum is then a Poisson stream, the standard model
of people arriving at a service). Like ``constant_throughput`` it counts the gap from the start of
the previous action, so a slower server shows up as latency, not as a lower offered rate; an action
that takes longer than its gap is followed at once, and the debt is not carried over.

"paced" is locust's ``constant_throughput``, the earlier profile (``--arrivals paced``), kept so
that figures measured with it can be reproduced.
"""
import random
import time

PROFILES = ("poisson", "paced")


def poisson_pacing(rate, *, rng=random, clock=time.monotonic):
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")

    def wait_time(user):
        now = clock()
        last = getattr(user, "_arrivals_last_start", None)
        gap = rng.expovariate(rate)
        wait = gap if last is None else max(0.0, gap - (now - last))
        user._arrivals_last_start = now + wait  # the next action starts then
        return wait

    return wait_time


def wait_time_for(profile, rate):
    if profile not in PROFILES:
        raise ValueError(f"LOAD_ARRIVALS must be one of {', '.join(PROFILES)}, not {profile!r}")
    if profile == "poisson":
        return poisson_pacing(rate)
    from locust import constant_throughput  # only under locust: it monkey-patches with gevent

    return constant_throughput(rate)
