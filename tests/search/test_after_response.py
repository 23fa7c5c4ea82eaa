"""Work deferred until the response is sent (cms/after_response.py): the hotline's query log is
written once the server closes the response, not while the operator waits; outside a request the
work runs at once; a failure is logged and does not stop the rest."""
import contextlib
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import RequestFactory

from cms import after_response
from search.models import SearchQueryLog

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@contextlib.contextmanager
def connections_kept_open():
    """As the test client does: the request signals must not close the test's database connection
    (on PostgreSQL, inside the test's transaction, Django would close it as obsolete)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def wsgi_get(path, query):
    """What gunicorn does: call the application, read the body (closing the response is up to the test)."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD="GET")
    statuses = []
    response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    body = b"".join(response)
    return statuses[0], body, response


def test_the_query_log_is_written_after_the_response_not_before(qa_base):
    with connections_kept_open():
        status, body, response = wsgi_get("/api/qa/search", "q=%E7%A4%BE%E4%BF%9D%E6%80%8E%E4%B9%88%E4%BA%A4")
        assert status.startswith("200") and b"results" in body
        assert SearchQueryLog.objects.count() == 0  # the body is complete: the operator has the answer
        response.close()
    log = SearchQueryLog.objects.get()
    assert log.channel == "api" and log.query == "社保怎么交" and log.total > 0


def test_outside_a_request_deferred_work_runs_at_once():
    done = []
    after_response.defer(lambda: done.append("now"))
    assert done == ["now"]


def test_a_failing_deferred_function_is_logged_and_the_next_one_still_runs(rf, caplog):
    done = []

    def broken():
        raise RuntimeError("disk full")

    def view(request):
        after_response.defer(broken)
        after_response.defer(lambda: done.append("second"))
        return HttpResponse("ok")

    response = after_response.AfterResponseMiddleware(view)(rf.get("/"))
    assert done == []
    with caplog.at_level(logging.ERROR, logger="cms.after_response"):
        response.close()  # never raises to the server
    assert done == ["second"]
    assert "deferred work after the response failed" in caplog.text and "disk full" in caplog.text


def test_when_the_view_raises_the_work_is_done_at_once(rf):
    done = []

    def view(request):
        after_response.defer(lambda: done.append("logged"))
        raise ValueError("boom")

    with pytest.raises(ValueError):
        after_response.AfterResponseMiddleware(view)(rf.get("/"))
    assert done == ["logged"]
    after_response.defer(lambda: done.append("outside"))  # and the thread is out of the request again
    assert done == ["logged", "outside"]
