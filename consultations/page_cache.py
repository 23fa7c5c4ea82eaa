"""The consultation page as anonymous residents get it, rendered once and filled in per visitor.

On the day a hot consultation closes, thousands of residents open the same page, and rendering it
(draft, questionnaire, the form's widgets) costs more CPU than storing their opinions. What differs
between two anonymous visitors is two strings: the CSRF token and the form's one-time token (the
idempotency key of the opinion). So the page is rendered with a placeholder for each, kept in the
shared cache for PAGE_SECONDS, and each visitor gets a copy with their own tokens put in.

The key holds everything else the page shows that can change: the page's revision (Wagtail's
cache_key), its state (upcoming/open/closed) and whether it accepts opinions, the published results
flag, and the clause asked for. The opinion count and the time left may lag by PAGE_SECONDS. Only
plain GETs by anonymous visitors, outside previews, are served this way.
"""
import hashlib

from django.conf import settings
from django.middleware.csrf import get_token

PAGE_SECONDS = 30


def _hole(name):
    # The same in every process (a page rendered by one worker is filled in by another), never a
    # valid token (CSRF tokens are letters and digits only), and not guessable without the key.
    digest = hashlib.sha256(f"{name}:{settings.SECRET_KEY}".encode()).hexdigest()[:24]
    return f"{name}-{digest}"


def csrf_hole():
    return _hole("csrf-hole")


def token_hole():
    return _hole("token-hole")


def cacheable(request):
    if request.method != "GET" or getattr(request, "is_preview", False):
        return False
    if set(request.GET) - {"clause"}:
        return False
    return not request.user.is_authenticated


def page_key(page, state, accepting, clause):
    clause_digest = hashlib.md5(clause.encode(), usedforsecurity=False).hexdigest()[:12] if clause else "-"
    return (f"consultations:page:{page.cache_key}:{state}:{int(bool(accepting))}:"
            f"{int(bool(page.results_published_at))}:{clause_digest}")


def fill_in(request, html, new_form_token):
    return html.replace(csrf_hole(), get_token(request)).replace(token_hole(), new_form_token)
