"""The durable outbox between the site and the search index.

A change to anything the hotline can find (publish, unpublish, delete, move, edit of a Q&A entry,
a policy's validity after 立改废, a department's phone) writes one ``IndexOutbox`` row in the same
transaction as the change, so it cannot be lost. ``process_outbox`` applies pending rows to the
backend; while the backend is down the rows stay pending and are retried with backoff
(2, 4, 8 … seconds, at most SEARCH_OUTBOX_MAX_DELAY), so the index catches up when it returns.
Applying a source rebuilds its documents from the database, so applying it twice is harmless.
"""
import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .backends import SearchUnavailable, get_backend
from .documents import dependent_sources, documents_for_source
from .models import IndexOutbox

logger = logging.getLogger(__name__)
BATCH = 500
KEEP_DONE = datetime.timedelta(days=7)


def enqueue(*sources):
    """Record index changes and, once the transaction commits, ask the worker to apply them."""
    sources = [s for s in dict.fromkeys(sources) if s]
    if not sources:
        return
    IndexOutbox.objects.bulk_create([IndexOutbox(source=s) for s in sources])
    transaction.on_commit(schedule_processing)


TASK_PATH = "search.tasks.process_search_outbox"


def _already_queued():
    """A processing task that has not started yet will see every row committed before it runs.

    One row per imported entry would otherwise queue one task each (100k tasks for a big import).
    Only the database queue can be asked; other backends always get a new task.
    """
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return False
    from .tasks import process_search_outbox

    if not process_search_outbox.get_backend().__class__.__module__.startswith("django_tasks_db"):
        return False
    return DBTaskResult.objects.ready().filter(task_path=TASK_PATH).exists()


def schedule_processing(run_after=None):
    from .tasks import process_search_outbox

    try:
        task = process_search_outbox
        if run_after is not None and task.get_backend().supports_defer:
            task = task.using(run_after=run_after)
        elif _already_queued():
            return
        task.enqueue()
    except Exception:  # a broken queue must not turn a successful publish into an error page
        logger.exception("could not queue search outbox processing; rows stay pending")


def retry_delay(attempts):
    return datetime.timedelta(seconds=min(2 ** attempts, settings.SEARCH_OUTBOX_MAX_DELAY))


def pending(now=None):
    now = now or timezone.now()
    return IndexOutbox.objects.filter(done_at__isnull=True, next_attempt_at__lte=now)


def expand(sources):
    """The sources plus every source that copies data from them, in a stable order."""
    seen, queue = {}, list(sources)
    while queue:
        source = queue.pop(0)
        if source in seen:
            continue
        seen[source] = None
        queue.extend(dependent_sources(source))
    return list(seen)


def process_outbox(backend=None, now=None):
    """Apply every pending row; returns (applied sources, failed rows). Never raises for an outage."""
    backend = backend or get_backend()
    applied, failed = 0, 0
    while True:
        now = timezone.now() if now is None else now
        rows = list(pending(now).order_by("pk")[:BATCH])
        if not rows:
            break
        sources = expand(row.source for row in rows)
        changes = {source: documents_for_source(source) for source in sources}
        ids = [row.pk for row in rows]
        try:
            backend.replace_sources(changes)
        except SearchUnavailable as exc:
            failed += len(rows)
            attempts = max(row.attempts for row in rows) + 1
            next_at = timezone.now() + retry_delay(attempts)
            IndexOutbox.objects.filter(pk__in=ids).update(attempts=attempts, next_attempt_at=next_at,
                                                          last_error=str(exc)[:500])
            logger.warning("search outbox: backend unavailable, %d rows retry at %s", len(rows), next_at)
            schedule_processing(run_after=next_at)
            break
        IndexOutbox.objects.filter(pk__in=ids).update(done_at=timezone.now(), last_error="")
        applied += len(sources)
        now = None
    IndexOutbox.objects.filter(done_at__lt=timezone.now() - KEEP_DONE).delete()
    return applied, failed


def backlog():
    """Pending rows and the age of the oldest one, for readiness checks and the admin."""
    oldest = IndexOutbox.objects.filter(done_at__isnull=True).order_by("created_at").first()
    count = IndexOutbox.objects.filter(done_at__isnull=True).count()
    age = (timezone.now() - oldest.created_at).total_seconds() if oldest else 0.0
    return count, age
