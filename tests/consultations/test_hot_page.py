"""A hot consultation: the page from the anonymous page cache (cms/response_cache.py) and
the form's own submission address (/zhengqiu/tijiao/<id>/). Every visitor still gets their own
CSRF and form tokens, every opinion is stored once, and nothing stale or restricted leaks."""
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from cms import response_cache, routing
from consultations.models import Opinion
from tests.consultations.conftest import opinion_data

TOKEN = re.compile(r'name="token" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACTION = re.compile(r'<form method="post" enctype="multipart/form-data" action="([^"#]+)')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    cache.clear()


def visit(client, consultation, **params):
    response = client.get(consultation.url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_each_anonymous_visitor_gets_their_own_tokens_and_both_opinions_are_stored(consultation):
    residents = [Client(enforce_csrf_checks=True) for _ in range(2)]
    pages = [visit(residents[0], consultation)]
    with CaptureQueriesContext(connection) as captured:
        pages.append(visit(residents[1], consultation))
    assert not captured.captured_queries  # served from the cache
    tokens = [TOKEN.search(p).group(1) for p in pages]
    csrf = [CSRF.search(p).group(1) for p in pages]
    assert tokens[0] != tokens[1] and len(tokens[0]) == 32 and csrf[0] != csrf[1]
    for page in pages:
        assert response_cache.csrf_placeholder() not in page and response_cache.fresh_token_placeholder() not in page
    action = ACTION.search(pages[0]).group(1)
    assert action == f"/zhengqiu/tijiao/{consultation.pk}/"
    for resident, token, csrf_token in zip(residents, tokens, csrf, strict=True):
        data = opinion_data(Client(), consultation, token=token, csrfmiddlewaretoken=csrf_token)
        response = resident.post(action, data)
        assert response.status_code == 200 and "意见已提交" in response.content.decode()
    assert sorted(Opinion.objects.values_list("idempotency_key", flat=True)) == sorted(tokens)


def test_a_forged_or_missing_csrf_token_is_refused(consultation):
    resident = Client(enforce_csrf_checks=True)
    page = visit(resident, consultation)
    data = opinion_data(Client(), consultation, token=TOKEN.search(page).group(1),
                        csrfmiddlewaretoken=response_cache.csrf_placeholder())
    assert resident.post(ACTION.search(page).group(1), data).status_code == 403
    assert not Opinion.objects.exists()


def test_a_new_revision_is_shown_at_once(consultation, users):
    visit(Client(), consultation)  # the first version is in the cache now
    page = type(consultation).objects.get(pk=consultation.pk)
    page.title = "改过标题的征集（第二版）"
    page.save_revision(user=users["admin"]).publish(user=users["admin"])
    assert "改过标题的征集（第二版）" in visit(Client(), consultation)


def test_clause_links_get_their_own_copy_with_the_clause_chosen(client, consultation):
    assert '<option value="2" selected>' in visit(client, consultation, clause="2")
    assert '<option value="2" selected>' not in visit(client, consultation)


def test_a_closed_consultation_is_not_served_as_open(client, consultation):
    """The copy is kept no later than the deadline, even though nothing is published then."""
    import time

    from django.utils import timezone

    type(consultation).objects.filter(pk=consultation.pk).update(end_at=timezone.now() + timezone.timedelta(seconds=1.5))
    routing.tree_changed()  # what publishing the new deadline does
    assert "提交意见</button>" in visit(client, consultation)
    assert "提交意见</button>" in visit(Client(), consultation)  # the copy, until the deadline
    time.sleep(1.6)
    html = visit(Client(), consultation)
    assert "提交意见</button>" not in html and "已截止" in html


def test_staff_and_other_queries_are_rendered_for_them(consultation, users):
    staff = Client()
    staff.force_login(users["rsj_editor"])
    assert not response_cache.request_is_cacheable(staff.get(consultation.url).wsgi_request)
    visit(Client(), consultation, page="1")
    with CaptureQueriesContext(connection) as captured:
        html = visit(Client(), consultation, page="1")  # another query: rendered, never shared
    assert captured.captured_queries and response_cache.csrf_placeholder() not in html


def test_the_submission_address_stores_exactly_once_with_few_queries(client, consultation):
    data = opinion_data(client, consultation)
    url = f"/zhengqiu/tijiao/{consultation.pk}/"
    with CaptureQueriesContext(connection) as captured:
        first = client.post(url, data)
    second = client.post(url, data)  # the same form sent twice
    assert first.status_code == second.status_code == 200
    assert "该意见已提交过" in second.content.decode()
    assert Opinion.objects.count() == 1
    # page; token check; leader; insert; receipt; commit/savepoints aside — no tree walk, no site lookup
    reads_and_writes = [q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(reads_and_writes) <= 7, [q["sql"][:80] for q in reads_and_writes]


def test_the_submission_address_refuses_get_unknown_and_draft_pages(client, consultation, departments):
    from consultations.factories import ConsultationPageFactory

    url = f"/zhengqiu/tijiao/{consultation.pk}/"
    assert client.get(url).status_code == 405
    assert client.post("/zhengqiu/tijiao/999999/", {}).status_code == 404
    draft = ConsultationPageFactory(parent=departments["rsj"].policy_index, slug="caogao", live=False)
    data = opinion_data(client, consultation)
    assert client.post(f"/zhengqiu/tijiao/{draft.pk}/", data).status_code == 404
    assert not Opinion.objects.exists()


def test_a_restricted_consultation_goes_through_wagtails_check(client, consultation):
    data = opinion_data(client, consultation)
    PageViewRestriction.objects.create(page=consultation, restriction_type=PageViewRestriction.PASSWORD,
                                       password="mima")
    response = client.post(f"/zhengqiu/tijiao/{consultation.pk}/", data)
    assert response.status_code == 200 and "password" in response.content.decode()
    assert not Opinion.objects.exists()


@pytest.mark.parametrize("params", [{}, {"clause": "2"}])
def test_the_cached_copy_matches_a_fresh_render_apart_from_the_tokens(client, consultation, params, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    fresh = visit(client, consultation, **params)
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    visit(Client(), consultation, **params)  # fills the cache
    served = visit(Client(), consultation, **params)  # from the cache

    def normalise(html):
        return CSRF.sub("csrf", TOKEN.sub("token", html))
    assert normalise(fresh) == normalise(served)


def test_a_copy_cached_by_another_process_is_filled_in_here(consultation):
    """Web processes share the cache: the placeholders depend on the settings, not the process."""
    import importlib

    visit(Client(), consultation)
    holes = response_cache.csrf_placeholder(), response_cache.fresh_token_placeholder()
    importlib.reload(response_cache)  # what a freshly started worker computes
    assert (response_cache.csrf_placeholder(), response_cache.fresh_token_placeholder()) == holes
    served = visit(Client(enforce_csrf_checks=True), consultation)
    assert holes[0] not in served and holes[1] not in served
    assert re.search(r'name="token" value="[0-9a-f]{32}"', served)
