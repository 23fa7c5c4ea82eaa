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
