"""One view: POST token + text → one INSERT → 200 "ok <id>". GET /health/ → 200 for readiness."""
from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import path
from django.utils import timezone

from . import TABLE


def insert(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    token, body = request.POST.get("token", "")[:64], request.POST.get("text", "")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (token, body, created_at) VALUES (%s, %s, %s)",
                       [token, body, connection.ops.adapt_datetimefield_value(timezone.now())])
    return HttpResponse(f"ok {token}", content_type="text/plain")


def health(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("insert/", insert), path("health/", health)]
