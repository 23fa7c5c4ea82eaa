"""Public pages as anonymous visitors get them, kept rendered in the shared cache.

Nearly every request to a city portal is an anonymous GET of a page that is the same for everyone:
the home page, a policy, its interpretation, the consultation everybody is reading on its last
day. Rendering one costs 5–30 ms of CPU (routing, the page's queries, templates); serving a
rendered copy costs one cache round trip. This middleware sits near the top of the stack, so a
hit skips sessions, authentication, URL resolution and Wagtail's routing altogether.

What is served from the cache, and for how long:

* Only GET requests that carry no session and no messages cookie (nobody logged in, no pending
  message, no password-restricted page opened in this browser), outside the admin, the APIs and
  the searches, with a query string of at most QUERY_MAX characters.
* Only responses that are 200, not streamed, set no cookie, are not marked private/no-store, and
  did not use a CSRF token, unless the view put placeholders in for the tokens (below).
* For PUBLIC_PAGE_CACHE_SECONDS (default 60), or less if the view asked (``expire_at``), and never
  past a change of the page tree: a copy is filed under the page-tree generation of cms/routing.py,
  which any page saved, published, unpublished, moved or deleted, and any view restriction, renews
  in every process at once. Other data a page shows (a department's name, approved replies) may
  lag by the seconds above.

Per-visitor parts: a view whose page holds a form renders ``csrf_placeholder()`` where the CSRF
token goes and ``fresh_token_placeholder()`` where a one-time form token goes, and calls
``mark_placeholders(response)``. Each visitor, the first included, gets the copy with their own
CSRF token (Django's own middleware sets the cookie) and a new random form token in their place.
"""
import hashlib
import time
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token

from cms import routing, versions

KEY_VERSION = "v1"  # the stored value's shape: processes of two releases share the cache
QUERY_MAX = 200
# The searches are left out as well: every query is logged (SearchQueryLog), and a query nobody's
# answer matched is a knowledge gap that must be counted each time it is asked.
SKIP_PREFIXES = ("/admin/", "/django-admin/", "/api/", "/healthz", "/readyz", "/static/", "/media/",
                 "/documents/", "/hotline/", "/wenda/")
PLACEHOLDERS_ATTRIBUTE = "_response_cache_placeholders"
EXPIRES_ATTRIBUTE = "_response_cache_expires_at"
# Headers the outer middleware (security headers, CSP) adds to every response, hit or miss.
_NOT_STORED = {"set-cookie", "content-length"}


def _placeholder(name):
    # The same in every web process (a copy rendered by one is filled in by another), never a valid
    # token (CSRF tokens are letters and digits only), and not guessable without SECRET_KEY.
    digest = hashlib.sha256(f"{name}:{settings.SECRET_KEY}".encode()).hexdigest()[:24]
    return f"{name}-{digest}"


def csrf_placeholder():
    return _placeholder("csrf-hole")


def fresh_token_placeholder():
    return _placeholder("token-hole")


def placeholders_wanted(request):
    """Whether this request's page may be rendered with placeholders (this middleware handles it)."""
    return getattr(request, "response_cache_active", False)


def mark_placeholders(response):
    """The view rendered the placeholders above: fill them in for every visitor, this one too."""
    setattr(response, PLACEHOLDERS_ATTRIBUTE, True)
    return response


def expire_at(response, moment):
    """Keep this copy no later than ``moment`` (an aware datetime): e.g. when a consultation closes."""
    previous = getattr(response, EXPIRES_ATTRIBUTE, None)
    stamp = moment.timestamp()
    setattr(response, EXPIRES_ATTRIBUTE, stamp if previous is None else min(previous, stamp))
    return response


def seconds():
    return int(getattr(settings, "PUBLIC_PAGE_CACHE_SECONDS", 60))


def request_is_cacheable(request):
    if request.method != "GET" or not seconds():
        return False
    if request.path_info.startswith(SKIP_PREFIXES):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
        return False
    return len(request.META.get("QUERY_STRING", "")) <= QUERY_MAX


def _key(request):
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.md5(address.encode(), usedforsecurity=False).hexdigest()
    return f"response-cache:{KEY_VERSION}:{digest}"


def _storable(request, response):
    # A page that used a CSRF token sets the visitor's CSRF cookie (Django does so whenever the
    # token is used): that cookie, any cookie, keeps the page from other visitors. Only a page with
    # placeholders may set the CSRF cookie: its first visitor's, which is not stored (below).
    placeholders = getattr(response, PLACEHOLDERS_ATTRIBUTE, False)
    allowed_cookies = {settings.CSRF_COOKIE_NAME} if placeholders else set()
    if response.status_code != 200 or response.streaming or set(response.cookies) - allowed_cookies:
        return False
    if getattr(request, "is_preview", False):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cache_control = response.get("Cache-Control", "").lower()
    return not ("private" in cache_control or "no-store" in cache_control or "no-cache" in cache_control)


def _fill_in(request, content):
    if isinstance(content, bytes):
        content = content.decode()
    content = content.replace(csrf_placeholder(), get_token(request))
    return content.replace(fresh_token_placeholder(), uuid.uuid4().hex)


class AnonymousResponseCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # Django's own CSRF handling for copies served from the cache: it reads the visitor's
        # cookie and sets it when new, exactly as on a rendered page.
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        if not request_is_cacheable(request):
            return self.get_response(request)
        request.response_cache_active = True  # views may render placeholders: they are filled in here
        key = _key(request)
        current, stored = versions.read(routing.GENERATION_KEY, key)
        if stored is not None:
            served = self._serve(request, stored)
            if served is not None:
                return served
        response = self.get_response(request)
        if current is not None and _storable(request, response):
            self._store(response, key, current)
        if getattr(response, PLACEHOLDERS_ATTRIBUTE, False):
            response.content = _fill_in(request, response.content)
        return response

    def _store(self, response, key, current):
        now = time.time()
        lifetime = seconds()
        expires = getattr(response, EXPIRES_ATTRIBUTE, None)
        if expires is not None:
            lifetime = min(lifetime, int(expires - now))
        if lifetime <= 0:
            return
        placeholders = getattr(response, PLACEHOLDERS_ATTRIBUTE, False)
        headers = [(name, value) for name, value in response.items() if name.lower() not in _NOT_STORED]
        entry = {"status": response.status_code, "headers": headers, "content": response.content,
                 "placeholders": placeholders}
        versions.store(key, current, entry, lifetime)

    def _serve(self, request, entry):
        if not (isinstance(entry, dict) and {"status", "headers", "content", "placeholders"} <= entry.keys()):
            return None  # written by another release
        content = entry["content"]
        if entry["placeholders"]:
            self.csrf.process_request(request)  # the visitor's CSRF secret, from their cookie if any
            content = _fill_in(request, content)
        response = HttpResponse(content, status=entry["status"])
        for name, value in entry["headers"]:
            response[name] = value
        if entry["placeholders"]:
            response = self.csrf.process_response(request, response)  # sets the cookie when new
        return response
