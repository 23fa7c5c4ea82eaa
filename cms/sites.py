"""Which Wagtail Site answers a request, remembered for a few seconds per process.

Wagtail looks the site up with one annotated query on every request that renders a page or a page
URL (Site.find_for_request caches it on the request only). Sites change a few times a year; a
busy page view should not pay that query. Each process keeps the answer per (host, port) for
SITE_CACHE_SECONDS and forgets it at once when a Site is saved or deleted in that process; other
processes see a change within those seconds.
"""
import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http.request import split_domain_port
from wagtail.models import Site

_lock = threading.Lock()
_sites = {}  # (hostname, port) → (expires at, Site or None)


def clear():
    with _lock:
        _sites.clear()


@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def _site_changed(**kwargs):
    clear()


def site_for_request(request):
    seconds = getattr(settings, "SITE_CACHE_SECONDS", 10)
    key = (split_domain_port(request._get_raw_host())[0], request.get_port())
    now = time.monotonic()
    cached = _sites.get(key)
    if cached and cached[0] > now:
        return cached[1]
    site = Site._find_for_request(request)
    with _lock:
        if len(_sites) > 100:  # unknown Host headers must not grow this without bound
            _sites.clear()
        _sites[key] = (now + seconds, site)
    return site


class SiteMiddleware:
    """Sets request._wagtail_site (where Site.find_for_request looks first) from the cache above.

    Not for the probes (/healthz must answer without the database), files and the JSON APIs.
    """

    SKIP = ("/healthz", "/readyz", "/static/", "/media/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(self.SKIP):
            request._wagtail_site = site_for_request(request)
        return self.get_response(request)
