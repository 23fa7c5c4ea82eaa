"""/healthz and /readyz: what a load balancer sees when dependencies are up, down or lagging."""
import datetime

from django.utils import timezone

from search.backends import reset_backend
from search.models import IndexOutbox


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")  # no db fixture: any query would raise
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_every_dependency(client, db):
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "cache": True, "search": True, "worker": True}
    assert body["checks"]["search"]["detail"] == "embedded"


def test_search_down_is_degraded_not_unready(client, db, settings, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    settings.SEARCH_EMBEDDED_DIR = blocked / "index"
    reset_backend()
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded" and body["checks"]["search"]["ok"] is False


def test_a_lagging_worker_shows(client, db):
    IndexOutbox.objects.create(source="qa:1", created_at=timezone.now() - datetime.timedelta(minutes=30))
    body = client.get("/readyz").json()
    worker = body["checks"]["worker"]["detail"]
    assert worker["search_outbox_pending"] == 1 and worker["lagging"] is True
    assert body["status"] == "degraded"


def test_cache_down_is_degraded_not_unready(client, db, settings):
    """The site serves without Redis (cms/cache.py): a 503 would take every web machine out at once."""
    settings.CACHES = {"default": {"BACKEND": "cms.cache.ResilientRedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache"]["ok"] is False
