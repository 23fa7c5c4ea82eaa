"""URL configuration: admin, documents, the ledger export, and Wagtail's page tree."""
from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("search.urls")),
    path("", include("consultations.urls")),
    path("api/search/", include("search.urls_ik")),
]

if settings.SERVE_MEDIA:
    from django.views.static import serve

    def serve_media(request, path):
        return serve(request, path, document_root=settings.MEDIA_ROOT)  # read per request, not at import

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve_media)]

urlpatterns += [path("", include(wagtail_urls))]

# A database outage gets a 503 "请稍后再试" page with Retry-After; other errors the 500 page.
handler500 = "cms.dbdown.server_error"
