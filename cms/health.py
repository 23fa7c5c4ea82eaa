"""Health (/healthz: the process answers) and readiness (/readyz: it can serve) for load balancers.

Readiness checks the database, the cache, the search backend and how far the task worker lags
(the oldest task waiting to run, and the oldest pending search index change). Answers JSON, never
personal data; 503 when a dependency the site cannot serve without is down.
"""
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

WORKER_LAG_WARN_SECONDS = getattr(settings, "WORKER_LAG_WARN_SECONDS", 300)


def _timed(check):
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as exc:  # any failure of a dependency is a finding, not a 500
        detail, ok = f"{type(exc).__name__}: {exc}"[:200], False
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), "detail": detail}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _cache():
    key = "health:probe"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return what was written")
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _search():
    from search.backends import get_backend
    from search.service import index_lost

    backend = get_backend()
    if not backend.ping():
        raise RuntimeError(f"{backend.name} backend does not answer")
    if index_lost(backend):
        raise RuntimeError(f"{backend.name} index is empty while the database has content: run rebuild_search_index")
    return backend.name


def _worker():
    from search.outbox import backlog

    lag = 0.0
    try:
        from django_tasks_db.models import DBTaskResult

        oldest = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    except Exception:  # another task backend: only the outbox tells
        pass
    pending, outbox_age = backlog()
    return {"oldest_task_seconds": round(lag, 1), "search_outbox_pending": pending,
            "search_outbox_oldest_seconds": round(outbox_age, 1),
            "lagging": max(lag, outbox_age) > WORKER_LAG_WARN_SECONDS}


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _timed(_database), "cache": _timed(_cache), "search": _timed(_search),
              "worker": _timed(_worker)}
    # The site serves without search (a clear message), with a lagging worker (updates wait) and
    # without Redis (cms/cache.py serves uncached, sessions from the database): only the database
    # makes it unready. A 503 for a Redis outage would take every web machine out of the load
    # balancer at once, for a dependency they can all do without.
    ready = checks["database"]["ok"]
    degraded = not checks["cache"]["ok"] or not checks["search"]["ok"] or not checks["worker"]["ok"] or (
        checks["worker"]["ok"] and checks["worker"]["detail"]["lagging"])
    status = "ready" if ready and not degraded else ("degraded" if ready else "unavailable")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503,
                        json_dumps_params={"ensure_ascii": False})
