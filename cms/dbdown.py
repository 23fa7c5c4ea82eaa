"""A database outage is a 503 page in Chinese with Retry-After, not the 500 page (docs/faults.md).

``handler500`` (cms/urls.py) looks at the exception being handled: a database connection error
(django.db.OperationalError or InterfaceError, also when another exception was raised from one)
gets ``503.html``, which says the service is briefly unavailable and, after a form was sent, that
it was not saved and must be sent again. The opinion form's token makes a second sending of the
same form store it once. The API gets the same message as JSON. Every other error keeps Django's
500 page. Neither page shows a traceback or anything the person typed, and both are rendered
without the database (no context processors, no site settings).
"""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as default_server_error

RETRY_AFTER_SECONDS = 30
MESSAGE = "服务暂时不可用，请稍后再试。"


def is_database_outage(error):
    """True when ``error`` is, or was raised from, a failure to reach or use the database connection."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def database_unavailable(request):
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": MESSAGE}, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        html = loader.render_to_string("503.html", {"submitted": request.method == "POST",
                                                    "retry_minutes": max(1, RETRY_AFTER_SECONDS // 60)})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request, template_name="500.html"):
    if is_database_outage(sys.exc_info()[1]):
        return database_unavailable(request)
    return default_server_error(request, template_name)
