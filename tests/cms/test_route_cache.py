"""The remembered routes (cms/routing.py) and sites (cms/sites.py): fewer queries per page view,
and never a stale answer after the tree changes — unpublished, moved, restricted, deleted."""
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction, Site

from cms import routing, sites, versions
from cms.models import PolicyDocumentPage
from interpretations.factories import InterpretationPageFactory
from tests.cms.conftest import queries_of


def test_a_page_routed_once_is_found_again_with_fewer_queries(client, policy, monkeypatch):
    client.get(policy.url)  # Wagtail's own site root paths are cached after the first request
    with monkeypatch.context() as without_cache:
        without_cache.setattr(versions, "current", lambda version_key, values=None: None)  # no cache
        walked, walk = queries_of(client, policy.url)
    client.get(policy.url)
    remembered, warm = queries_of(client, policy.url)
    assert walked.status_code == remembered.status_code == 200
    assert remembered.content == walked.content
    # Walking: the folder by url_path, its specific row, the policy; remembered: the policy only (the
    # page then asks for its parent once, which the walk had at hand).
    assert warm < walk, (walk, warm)


def test_unpublished_page_is_gone_at_once(client, policy):
    client.get(policy.url)
    PolicyDocumentPage.objects.get(pk=policy.pk).unpublish()
    assert client.get(policy.url).status_code == 404


def test_interpretation_disappears_with_its_policy(client, policy):
    interpretation = policy.get_children().live().get()
    url = interpretation.url
    assert client.get(url).status_code == 200
    PolicyDocumentPage.objects.get(pk=policy.pk).unpublish()  # the interpretation stays live
    assert client.get(url).status_code == 404  # 同步解读: never visible without its policy


def test_moved_or_renamed_page_answers_at_its_new_address_only(client, policy, departments, users):
    old_url = policy.url
    client.get(old_url)
    page = PolicyDocumentPage.objects.get(pk=policy.pk)
    page.slug = "wending-2021"
    page.save_revision(user=users["admin"]).publish(user=users["admin"])
    assert client.get(old_url).status_code == 404
    assert client.get(PolicyDocumentPage.objects.get(pk=policy.pk).url).status_code == 200
    page = PolicyDocumentPage.objects.get(pk=policy.pk)
    page.move(departments["ybj"].policy_index, pos="last-child", user=users["admin"])
    moved = PolicyDocumentPage.objects.get(pk=policy.pk)
    assert "/ybj/" in moved.url and client.get(moved.url).status_code == 200


def test_a_view_restriction_applies_to_a_remembered_page(client, policy):
    assert client.get(policy.url).status_code == 200
    PageViewRestriction.objects.create(page=policy, restriction_type=PageViewRestriction.PASSWORD, password="mima")
    response = client.get(policy.url)
    assert response.status_code == 200 and "关于稳定就业的若干措施" not in response.content.decode()
    assert "password" in response.content.decode()  # Wagtail's password form instead of the page
    assert routing.is_restricted(PolicyDocumentPage.objects.get(pk=policy.pk))


def test_deleted_page_is_not_served_from_memory(client, policy):
    url = policy.url
    client.get(url)
    PolicyDocumentPage.objects.get(pk=policy.pk).delete()
    assert client.get(url).status_code == 404


def test_routable_sub_paths_still_route(client, site_tree):
    assert client.get("/zhengqiu/chaxun/").status_code == 200  # RoutablePage view, not remembered
    assert client.get("/zhengqiu/chaxun/").status_code == 200


def test_remembered_route_survives_in_another_process_only_until_the_tree_changes(client, policy):
    """The generation lives in the shared cache: a change made anywhere retires every answer."""
    client.get(policy.url)
    before = routing.generation()
    InterpretationPageFactory(parent=PolicyDocumentPage.objects.get(pk=policy.pk), slug="another")
    assert routing.generation() != before


def test_site_lookup_is_remembered_and_forgotten_when_a_site_changes(client, policy, settings):
    settings.SITE_CACHE_SECONDS = 60
    sites.clear()
    client.get(policy.url)
    with CaptureQueriesContext(connection) as captured:
        client.get(policy.url)
    assert not any("wagtailcore_site" in q["sql"] for q in captured.captured_queries)
    site = Site.objects.get(is_default_site=True)
    site.site_name = "改名后的站点"
    site.save()
    with CaptureQueriesContext(connection) as captured:
        client.get(policy.url)
    assert any("wagtailcore_site" in q["sql"] for q in captured.captured_queries)
    sites.clear()


def test_probes_do_not_look_up_the_site(client, site_tree, settings):
    settings.SITE_CACHE_SECONDS = 60
    sites.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/healthz").status_code == 200
    assert not captured.captured_queries


def test_view_restrictions_are_known_without_a_query_and_still_enforced(client, policy):
    page = PolicyDocumentPage.objects.get(pk=policy.pk)
    page.get_view_restrictions()  # fills the cache
    with CaptureQueriesContext(connection) as captured:
        assert list(page.get_view_restrictions()) == []
    assert not captured.captured_queries
    folder = page.get_parent()
    restriction = PageViewRestriction.objects.create(page=folder, restriction_type=PageViewRestriction.LOGIN)
    assert list(PolicyDocumentPage.objects.get(pk=policy.pk).get_view_restrictions()) == [restriction]
    response = client.get(policy.url)
    assert response.status_code == 302 and "/login" in response["Location"]  # a restricted ancestor applies


def test_with_an_alias_in_the_tree_wagtail_decides(client, policy, users):
    source = policy.get_children().get().specific  # the interpretation
    PageViewRestriction.objects.create(page=source, restriction_type=PageViewRestriction.LOGIN)
    alias = source.create_alias(update_slug=f"{source.slug}-alias", user=users["admin"])
    # The alias's own path has no restriction; its source's does, and Wagtail's method finds it.
    assert [r.page_id for r in alias.specific.get_view_restrictions()] == [source.pk]


def test_values_of_another_release_in_the_shared_cache_are_ignored(client, policy):
    """During a deploy, old and new web processes share the cache: a value of another shape is absent."""
    from django.core.cache import cache

    current = routing.generation()
    cache.set(routing.RESTRICTED_KEY, (current, []), 60)  # an older shape
    page = PolicyDocumentPage.objects.get(pk=policy.pk)
    assert list(page.get_view_restrictions()) == [] and not routing.is_restricted(page)
    cache.set(routing._key(page.get_site().root_page.specific, ["zhengce", "rsj", "wending"]), (current, "x"), 60)
    assert client.get(policy.url).status_code == 200


def test_a_live_page_by_id_comes_from_the_cache_until_it_changes(policy, users):
    queryset = PolicyDocumentPage.objects.all()
    assert routing.live_page(queryset, policy.pk).title == policy.title
    with CaptureQueriesContext(connection) as captured:
        again = routing.live_page(queryset, policy.pk)
    assert again.pk == policy.pk and len(captured) == 0
    page = PolicyDocumentPage.objects.get(pk=policy.pk)
    page.title = "关于稳定就业的若干措施（修订）"
    page.save_revision(user=users["admin"]).publish(user=users["admin"])
    assert routing.live_page(queryset, policy.pk).title == "关于稳定就业的若干措施（修订）"
    PolicyDocumentPage.objects.get(pk=policy.pk).unpublish()
    assert routing.live_page(queryset, policy.pk) is None
    assert routing.live_page(queryset, 999999) is None
