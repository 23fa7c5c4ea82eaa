"""The real site for benchmarks/submission_throughput.py: the test settings without the rate limit.

Every benchmark client comes from 127.0.0.1, so the per-client limit (5 a minute) would answer 429
after the fifth request; in production each resident is a different client.
"""
from cms.settings.test import *  # noqa: F401,F403

OPINION_RATE_LIMITS = []  # consultations.submission.rate_limited: no windows → never limited
