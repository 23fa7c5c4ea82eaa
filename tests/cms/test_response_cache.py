"""Anonymous visitors' pages from the shared cache (cms/response_cache.py): served without a query,
renewed the moment a page changes, and never anyone's personal copy — no logged-in page, no CSRF
token, no cookie, no restricted page, no error reaches another visitor."""
import pytest
from django.core.cache import cache
from django.test import Client
from wagtail.models import PageViewRestriction

from cms import response_cache
from cms.models import PolicyDocumentPage
from tests.cms.conftest import queries_of as fetch


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 60
    cache.clear()


def test_the_second_anonymous_visitor_gets_the_same_page_without_a_query(policy):
    first, rendered = fetch(Client(), policy.url)
    second, cached = fetch(Client(), policy.url)
    assert first.status_code == second.status_code == 200
    assert rendered > 0 and cached == 0
    assert second.content == first.content


def test_the_copy_carries_the_same_headers(policy):
    first = Client().get(policy.url)
    second = Client().get(policy.url)
    for header in ("Content-Type", "Content-Security-Policy", "X-Frame-Options", "Content-Language"):
        assert second.headers.get(header) == first.headers.get(header), header
    assert "Content-Security-Policy" in second.headers and "Set-Cookie" not in second.headers


def test_a_published_change_is_shown_at_once(policy, users):
    Client().get(policy.url)
    page = PolicyDocumentPage.objects.get(pk=policy.pk)
    page.title = "关于稳定就业的若干措施（修订）"
    page.save_revision(user=users["admin"]).publish(user=users["admin"])
    assert "关于稳定就业的若干措施（修订）" in Client().get(policy.url).content.decode()


def test_an_unpublished_page_is_gone_at_once(policy):
    Client().get(policy.url)
    PolicyDocumentPage.objects.get(pk=policy.pk).unpublish()
    assert Client().get(policy.url).status_code == 404


def test_logged_in_staff_never_get_or_leave_a_shared_copy(policy, users):
    staff = Client()
    staff.force_login(users["rsj_editor"])
    staff.get(policy.url)
    staff_page, staff_queries = fetch(staff, policy.url)
    assert staff_queries > 0  # rendered for them, every time
    _anonymous, anonymous_queries = fetch(Client(), policy.url)
    assert anonymous_queries > 0  # the staff member's page was not kept for others


def test_a_page_with_a_csrf_token_is_never_shared(site_tree):
    """The receipt lookup form holds the visitor's CSRF token: a shared copy would hand it to others."""
    url = "/zhengqiu/chaxun/"
    first, _ = fetch(Client(), url)
    second, queries = fetch(Client(), url)
    assert first.status_code == second.status_code == 200
    assert queries > 0 and "csrftoken" in second.cookies


def test_errors_and_restricted_pages_are_not_kept(policy):
    Client().get("/zhengce/no-such-page/")
    _missing, queries = fetch(Client(), "/zhengce/no-such-page/")
    assert queries > 0
    PageViewRestriction.objects.create(page=policy, restriction_type=PageViewRestriction.PASSWORD, password="mima")
    for _ in range(2):
        response, queries = fetch(Client(), policy.url)
        assert queries > 0 and 'name="password"' in response.content.decode()


@pytest.mark.parametrize("url", ["/api/qa/search?q=社保", "/admin/login/", "/wenda/?q=没有答案的问题"])
def test_the_admin_the_apis_and_the_searches_are_left_alone(site_tree, url):
    """The searches log every query (a repeated unanswered one is a knowledge gap counted each time)."""
    request = Client().get(url).wsgi_request
    assert not response_cache.request_is_cacheable(request)
    assert not any(key.startswith(":1:response-cache:") for key in cache._cache)  # nothing kept


def test_visitors_with_a_session_or_a_message_are_rendered_for(policy):
    Client().get(policy.url)  # the copy exists
    with_session = Client()
    with_session.cookies["sessionid"] = "x" * 32
    with_message = Client()
    with_message.cookies["messages"] = "m"
    for client in (with_session, with_message):
        _response, queries = fetch(client, policy.url)
        assert queries > 0


def test_very_long_query_strings_are_rendered_not_kept(policy):
    url = f"{policy.url}?q={'很长' * 200}"
    Client().get(url)
    _response, queries = fetch(Client(), url)
    assert queries > 0


def test_a_different_query_string_is_a_different_page(site_tree, policy):
    Client().get("/zhengce/")
    filtered, _ = fetch(Client(), "/zhengce/?department=ybj")
    assert filtered.status_code == 200
    _again, queries = fetch(Client(), "/zhengce/?department=ybj")
    assert queries == 0
    _plain, queries = fetch(Client(), "/zhengce/")
    assert queries == 0


def test_off_when_the_setting_is_zero(settings, policy):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    Client().get(policy.url)
    _response, queries = fetch(Client(), policy.url)
    assert queries > 0


def test_a_copy_from_another_release_is_ignored(policy):
    """Two releases share the cache during a deploy: a value of another shape is rendered over."""
    Client().get(policy.url)
    request = Client().get(policy.url).wsgi_request
    key = response_cache._key(request)
    generation, _entry = cache.get(key)
    cache.set(key, (generation, {"old": "shape"}), 60)
    response, queries = fetch(Client(), policy.url)
    assert response.status_code == 200 and queries > 0
