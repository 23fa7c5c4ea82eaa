"""Whole-index operations shared by the management commands: rebuild, and compare with the database."""
from dataclasses import dataclass, field

from django.utils import timezone

from .backends import get_backend
from .documents import all_documents
from .models import IndexOutbox
from .outbox import process_outbox


def rebuild_index(progress=None):
    """Build a fresh index version from the database and swap it in; returns the document count.

    Changes that arrive while the rebuild runs are applied by the worker to the old version; so
    once the new one is live, the outbox rows written since the start are applied to it again.
    """
    started = timezone.now()
    backend = get_backend()
    if hasattr(backend, "sync_synonyms"):  # Elasticsearch: a synonym edit made while it was down
        backend.sync_synonyms()
    count = backend.rebuild(all_documents(), progress=progress)
    IndexOutbox.objects.filter(created_at__gte=started).update(done_at=None, next_attempt_at=timezone.now())
    process_outbox()
    return count


@dataclass
class IndexDrift:
    missing: list = field(default_factory=list)  # in the database, not in the index
    stale: list = field(default_factory=list)    # in both, but the index holds an old version
    extra: list = field(default_factory=list)    # in the index, no longer in the database
    checked: int = 0

    @property
    def clean(self):
        return not (self.missing or self.stale or self.extra)

    def sources(self):
        keys = self.missing + self.stale + self.extra
        return sorted({":".join(key.split(":")[:2]) for key in keys})


def check_index(progress=None):
    expected = {}
    for doc in all_documents():
        expected[doc.key] = doc.content_hash()
        if progress:
            progress(1)
    indexed = get_backend().indexed_hashes()
    drift = IndexDrift(checked=len(expected))
    for key, digest in expected.items():
        if key not in indexed:
            drift.missing.append(key)
        elif indexed[key] != digest:
            drift.stale.append(key)
    drift.extra = sorted(set(indexed) - set(expected))
    return drift
