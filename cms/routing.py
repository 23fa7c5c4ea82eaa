"""Where a public URL leads, remembered in the shared cache until the page tree changes.

Wagtail routes a request one level of the tree at a time: for /zhengce/rsj/<consultation>/ that is
five queries and about 9 ms of CPU before the page is even asked to render, on every view. The
answer only changes when a page is published, unpublished, saved, moved or deleted, so it is kept
in the cache (shared by every web process) as (model, primary key) under a *generation*: any such
change starts a new generation, and every process stops using the old answers at once.

A remembered answer still ends in the page's own ``route(request, [])``, which checks that it is
live (and lets a RoutablePage pick its index view); view restrictions are checked at serve time,
as always. Only whole-page answers are kept: a RoutablePage's sub-path (/zhengqiu/chaxun/) is
routed the usual way.
"""
import hashlib

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms import versions

GENERATION_KEY = "routes:generation"
# The value's shape is part of the key: web processes of two releases share the cache during a deploy.
RESTRICTED_KEY = "routes:restricted:v3"
ROUTE_SECONDS = 3600


def generation(values=None):
    """The current generation; ``values``: what a get_many() that asked for GENERATION_KEY returned."""
    return versions.current(GENERATION_KEY, values)


def _current(key):
    """(generation, the value remembered under ``key`` if it was stored in this generation)."""
    return versions.read(GENERATION_KEY, key)


def tree_changed(**kwargs):
    """A new generation: every remembered route is forgotten, in every process (cms/versions.py)."""
    versions.renew(GENERATION_KEY)


@receiver(post_save)
@receiver(post_delete)
def _page_saved_or_deleted(sender, instance=None, **kwargs):
    if isinstance(instance, (Page, PageViewRestriction)):
        tree_changed()


page_published.connect(tree_changed, dispatch_uid="cms.routing.published")
page_unpublished.connect(tree_changed, dispatch_uid="cms.routing.unpublished")
post_page_move.connect(tree_changed, dispatch_uid="cms.routing.moved")


def is_restricted(page):
    """Whether a view restriction (password, login, groups) covers the page, without a query.

    The tree paths of restricted pages are kept per generation; a restriction added or removed
    starts a new one (above). Wagtail's PageQuerySet.public() reads the same table every time.
    A page from live_page() carries the answer already.
    """
    known = getattr(page, "_route_restricted", None)
    if known is not None:
        return known
    paths, _aliases = _restrictions()
    return any(page.path.startswith(path) for path in paths)


def _restrictions():
    """(the restricted pages' tree paths, whether the tree has aliases)."""
    current, found = _current(RESTRICTED_KEY)
    if not (isinstance(found, tuple) and len(found) == 2):
        paths = list(PageViewRestriction.objects.values_list("page__path", flat=True))
        found = (paths, Page.objects.filter(alias_of__isnull=False).exists())
        versions.store(RESTRICTED_KEY, current, found, ROUTE_SECONDS)
    return found


class RememberedRestrictionsMixin:
    """Page.get_view_restrictions() without its two queries when no restriction covers the page.

    Wagtail asks before serving every page (its before_serve_page hook). An alias takes its
    source's restrictions, which tree paths cannot tell, so with any alias in the tree Wagtail's
    own method answers.
    """

    def get_view_restrictions(self):
        paths, aliases = _restrictions()
        if not aliases and not any(self.path.startswith(path) for path in paths):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()


OBJECT_SECONDS = 60  # what a page shows of other rows (its department's name) may lag this much
_memo = {}  # key → (generation, value): this process's answers derived from the page tree


def per_generation(current, key, compute):
    """``compute()``, remembered in this process for as long as the tree's generation is ``current``.

    For what follows from the page tree alone (a page's URL, its form's choices): no round trip to
    the shared cache, and a new generation (any page saved, published, moved …) recomputes it. The
    caller read ``current`` in the same request (live_page() does); without one, nothing is kept.
    Keys are few (one per page and value), and a new generation overwrites the old entry.
    """
    if current is None:
        return compute()
    entry = _memo.get(key)
    if entry is not None and entry[0] == current:
        return entry[1]
    value = compute()
    _memo[key] = (current, value)
    return value


def generation_of(page):
    """The generation a page from live_page() was found in; None for any other page object."""
    return getattr(page, "_route_generation", None)


def live_page(queryset, pk):
    """The live page ``pk`` of ``queryset`` (typed, with its select_related), or None.

    The page carries the generation it was found in (generation_of()), for per_generation().

    Kept in the shared cache as the object itself under the generation, with whether a view
    restriction covers it (``is_restricted`` then needs no round trip): a page saved, published,
    unpublished or deleted, or a restriction added or removed, is read fresh at once. Unpickling
    costs 0.04 ms, the query 1.8 ms (measured for a consultation page), and the submission of
    every opinion needs its page.
    """
    key = f"routes:object:{queryset.model._meta.label_lower}:{int(pk)}"
    current, found = _current(key)
    if isinstance(found, tuple) and len(found) == 2:
        page, restricted = found
        if isinstance(page, queryset.model) and page.pk == int(pk) and page.live:
            page._route_restricted, page._route_generation = restricted, current
            return page
    page = queryset.live().filter(pk=pk).order_by().first()
    if page is not None and current is not None:
        restricted = is_restricted(page)
        versions.store(key, current, (page, restricted), OBJECT_SECONDS)
        page._route_restricted, page._route_generation = restricted, current
    return page


def _url_path(root, path_components):
    return root.url_path + "".join(f"{c}/" for c in path_components)


def _key(root, path_components):
    digest = hashlib.md5(_url_path(root, path_components).encode(), usedforsecurity=False).hexdigest()
    return f"routes:page:{digest}"


def remembered_page(root, path_components):
    """(page or None, generation): the page this path led to in this generation, fetched typed.

    The generation is read once, before routing, and passed to remember(): an answer found while
    the tree changed is filed under the old generation, which nobody reads any more.
    """
    current, found = _current(_key(root, path_components))
    if current is None or not found:  # no cache at all, or not routed in this generation
        return None, current
    if not (isinstance(found, tuple) and len(found) == 2):
        return None, current  # written by another release
    label, pk = found
    try:
        model = apps.get_model(label)
    except LookupError:
        return None, current
    queryset = model._default_manager.filter(pk=pk)
    related = getattr(model, "route_select_related", ())
    if related:
        queryset = queryset.select_related(*related)
    page = next(iter(queryset.order_by()[:1]), None)
    if page is None or page.url_path != _url_path(root, path_components):
        return None, current  # deleted or moved since: route the usual way
    return page, current


def remember(root, path_components, result, current):
    page = result[0] if result else None
    if current is None or page is None or page.url_path != _url_path(root, path_components):
        return  # no cache, no page, or a RoutablePage's sub-path: not a whole-page answer
    versions.store(_key(root, path_components), current, (page._meta.label_lower, page.pk), ROUTE_SECONDS)
