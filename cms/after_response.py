"""Work a request must do but its user need not wait for: done after the response has been sent.

A hotline search logs its query (search.models.SearchQueryLog: the knowledge-gap report counts
every unanswered question). That INSERT and its commit were one more round trip to PostgreSQL
inside the operator's wait, and under load each round trip waits for a core. ``defer(func)`` runs
``func`` once the WSGI server has written the response and closes it (Django's
``HttpResponse.close()``, which granian, gunicorn and the test client call), in the same thread and
with the same database connection, before Django's request_finished clean-up.

Outside a request (a management command, a task, a test calling the service directly) there is no
response to wait for: ``defer`` runs ``func`` at once. A deferred function that fails is logged
and does not stop the others.
"""
import logging
import threading

logger = logging.getLogger(__name__)
_local = threading.local()  # one request at a time per thread (granian's and gunicorn's)


def defer(func):
    queue = getattr(_local, "queue", None)
    if queue is None:
        func()
    else:
        queue.append(func)


def _run(queue):
    for func in queue:
        try:
            func()
        except Exception:
            logger.exception("deferred work after the response failed: %s", getattr(func, "__qualname__", func))


class AfterResponseMiddleware:
    """Placed near the top of MIDDLEWARE, so that it sees the response the server will send."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _local.queue = queue = []
        try:
            response = self.get_response(request)
        except BaseException:  # no response will be sent: do the work now
            _local.queue = None
            _run(queue)
            raise
        _local.queue = None
        if queue:
            # Django's own list of what close() runs (private, but how FileResponse closes its file):
            # it runs before the request_finished signal, whose receiver may close the connection.
            response._resource_closers.append(lambda: _run(queue))
        return response
