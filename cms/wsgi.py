"""WSGI entry point (gunicorn cms.wsgi; granian loads it through cms.granian_worker) and the warm-up."""
import logging
import os

from django.core.wsgi import get_wsgi_application

from cms.worker_start import warm_up_wanted

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
application = get_wsgi_application()
logger = logging.getLogger(__name__)


def warm_up():
    """One hotline search in this process before it takes requests.

    The first search in a process loads the segmenter's dictionary and opens the index (about
    0.4 s measured with make run-prod, against 1–20 ms afterwards): without this, the first caller
    after every worker (re)start waits for it. A failure is logged and the process serves anyway
    (search or database down: /readyz reports it). SERVER_WARMUP=0 (or GUNICORN_WARMUP=0) skips it.
    """
    if not warm_up_wanted():
        return
    from django.db import connections

    try:
        from search.service import hotline_search

        hotline_search("社保", log=False)
    except Exception as exc:
        logger.warning("warm-up search failed: %s: %s", type(exc).__name__, exc)
    finally:
        connections.close_all()  # a worker's connections are its own, opened by its first request
