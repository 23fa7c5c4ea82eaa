"""When the load test's simulated people act (benchmarks/load/arrivals.py): random gaps with the
offered mean, counted from the start of the previous action, no debt carried after a slow one."""
import random
import statistics

import pytest

from tests.cms.conftest import load_test_module


@pytest.fixture(scope="module")
def arrivals():
    return load_test_module("arrivals")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class User:
    pass


def run(wait_time, clock, actions, duration):
    """One user: act (taking ``duration`` seconds), wait, act …; returns the start of each action."""
    user, starts = User(), []
    for _ in range(actions):
        starts.append(clock.now)
        clock.now += duration
        clock.now += wait_time(user)
    return starts


def test_gaps_are_random_with_the_offered_mean(arrivals):
    clock = Clock()
    wait_time = arrivals.poisson_pacing(2.75, rng=random.Random(1), clock=clock)
    starts = run(wait_time, clock, actions=20_000, duration=0.0)
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert statistics.mean(gaps) == pytest.approx(1 / 2.75, rel=0.03)
    # Exponential: the standard deviation equals the mean (a fixed period would have none).
    assert statistics.stdev(gaps) / statistics.mean(gaps) == pytest.approx(1.0, abs=0.05)


def test_the_gap_counts_from_the_start_of_the_previous_action(arrivals):
    clock = Clock()
    draws = iter([0.5, 0.8, 0.1, 0.6, 0.3])
    rng = type("FixedRng", (), {"expovariate": lambda self, rate: next(draws)})()
    wait_time = arrivals.poisson_pacing(2.0, rng=rng, clock=clock)
    starts = run(wait_time, clock, actions=5, duration=0.2)
    # First gap from the first action's end; then 0.8 from a start (0.2 of it spent acting); an
    # action of 0.2 s after a gap of 0.1 is followed at once, and the lost 0.1 s is not made up.
    assert starts == pytest.approx([0.0, 0.7, 1.5, 1.7, 2.3])


def test_users_spawned_together_do_not_act_together(arrivals):
    """locust spawns a batch of users in the same instant; their later actions must spread out."""
    clock = Clock()
    wait_time = arrivals.poisson_pacing(1.0, rng=random.Random(7), clock=clock)
    users = [User() for _ in range(11)]
    next_starts = [wait_time(user) for user in users]  # all at t = 0, right after their first action
    assert len({round(start, 3) for start in next_starts}) == 11
    assert max(next_starts) - min(next_starts) > 0.5


def test_profiles_and_rates_are_checked(arrivals):
    with pytest.raises(ValueError, match="LOAD_ARRIVALS"):
        arrivals.wait_time_for("burst", 1.0)
    with pytest.raises(ValueError, match="positive"):
        arrivals.poisson_pacing(0)
    assert callable(arrivals.wait_time_for("poisson", 1.0))
    # ("paced" is locust's own constant_throughput; importing locust here would monkey-patch the
    # test process with gevent, so it is exercised by the load test itself.)

