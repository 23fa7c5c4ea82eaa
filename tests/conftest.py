"""Shared fixtures: a site tree with two departments, their editors and a reviewer."""
import pytest
from wagtail.models import Collection, Locale, Page, Site

from cms.factories import DepartmentFactory, HomePageFactory, PolicyIndexPageFactory, UserFactory
from cms.roles import REVIEWERS_GROUP, ensure_all_roles
from consultations.models import ConsultationIndexPage


def build_site_tree():
    """Home → 政策文件 under Wagtail's root, as the default site.

    Safe after a database flush (live-server tests): Wagtail's data migrations created the
    default Locale, the root page and the root Collection, and a flush removes all three.
    """
    Locale.objects.get_or_create(language_code="zh-hans")
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=Locale.get_default()))
    for child in root.get_children():
        if child.slug in {"home", "welcome"} or child.title.startswith("Welcome"):
            child.delete()
    home = HomePageFactory(parent=root, slug="home")
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "port": 80,
                                                                  "root_page": home, "site_name": "测试站点"})
    Site.objects.exclude(root_page=home).delete()
    policy_index = PolicyIndexPageFactory(parent=home)
    home.add_child(instance=ConsultationIndexPage(title="意见征集", slug="zhengqiu"))
    return home, policy_index


@pytest.fixture
def empty_cache():
    """The cache empty before and after the test: rate-limit counters, the sensitive-word list,
    remembered routes and permissions live there (the tests' in-process cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_search_index(settings, tmp_path):
    """Every test gets its own embedded search index and a freshly loaded vocabulary."""
    from search.analysis import reset_analyzer
    from search.backends import reset_backend

    settings.SEARCH_EMBEDDED_DIR = tmp_path / "search-index"
    reset_backend()
    reset_analyzer()
    yield
    reset_backend()
    reset_analyzer()


@pytest.fixture
def site_tree(db):
    home, policy_index = build_site_tree()
    ensure_all_roles()
    return {"home": home, "policy_index": policy_index}


@pytest.fixture
def departments(site_tree):
    rsj = DepartmentFactory(code="rsj", name="乌鲁木齐市人力资源和社会保障局", short_name="市人社局")
    ybj = DepartmentFactory(code="ybj", name="乌鲁木齐市医疗保障局", short_name="市医保局")
    rsj.refresh_from_db()
    ybj.refresh_from_db()
    return {"rsj": rsj, "ybj": ybj}


@pytest.fixture
def users(departments):
    from django.contrib.auth.models import Group

    reviewers = Group.objects.get(name=REVIEWERS_GROUP)
    return {
        "rsj_editor": UserFactory(username="rsj_editor", groups=[departments["rsj"].editors_group]),
        "ybj_editor": UserFactory(username="ybj_editor", groups=[departments["ybj"].editors_group]),
        "reviewer": UserFactory(username="reviewer", groups=[reviewers]),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
    }
