"""Shared-cache values that hold until a *version* changes, for every process at once.

Values are stored as (version, value) under a key without the version; reading asks for the
version and the value in one round trip, and a value of an older version counts as absent. One
write (a new version) forgets them all. The page tree's generation (cms/routing.py, and the page
cache of cms/response_cache.py) and the permission grants (cms/permissions.py) work this way.
Without a cache the version is None and nothing is kept.
"""
import uuid
from functools import partial

from django.core.cache import cache
from django.db import transaction


def current(version_key, values=None):
    """The version; ``values``: what a get_many() that asked for ``version_key`` returned."""
    value = (values if values is not None else cache.get_many([version_key])).get(version_key)
    if value is None:
        cache.add(version_key, uuid.uuid4().hex[:12], None)
        value = cache.get(version_key)
    return value


def read(version_key, key):
    """(version, the value stored under ``key`` in this version, or None)."""
    values = cache.get_many([version_key, key])
    version = current(version_key, values)
    stored = values.get(key)
    if version is None or not isinstance(stored, tuple) or len(stored) != 2 or stored[0] != version:
        return version, None
    return version, stored[1]


def store(key, version, value, seconds):
    if version is not None:
        cache.set(key, (version, value), seconds)


def _new(version_key):
    cache.set(version_key, uuid.uuid4().hex[:12], None)


def renew(version_key):
    """A new version now, and again when the transaction commits: a request in between read the
    state before the change and may have stored it under the new version."""
    _new(version_key)
    transaction.on_commit(partial(_new, version_key))
