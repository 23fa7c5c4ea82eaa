"""Model permissions from the shared cache (cms/permissions.py): no query once known, and every
change of a grant (group membership, a user's or a group's permissions, a deleted group) applies
to the very next request — in every process, since the version lives in the shared cache."""
import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms import permissions
from cms.factories import UserFactory
from cms.roles import HOTLINE_GROUP

pytestmark = pytest.mark.usefixtures("empty_cache")


@pytest.fixture
def operator(site_tree):
    return UserFactory(username="op", groups=[Group.objects.get(name=HOTLINE_GROUP)])


def permission_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, [q["sql"] for q in captured if "auth_permission" in q["sql"]]


def fresh(user):
    return type(user).objects.get(pk=user.pk)  # a new request's user object: no per-object cache


def test_the_hotline_check_needs_no_query_once_known(client, operator):
    client.force_login(operator)
    status, queries = permission_queries(client, "/hotline/")
    assert status == 200 and len(queries) == 2  # the user's and the groups' permissions, once
    status, queries = permission_queries(client, "/hotline/")
    assert status == 200 and queries == []


def test_leaving_the_group_takes_the_right_away_at_once(client, operator):
    client.force_login(operator)
    assert client.get("/hotline/").status_code == 200
    operator.groups.clear()
    assert client.get("/hotline/").status_code == 403
    operator.groups.add(Group.objects.get(name=HOTLINE_GROUP))
    assert client.get("/hotline/").status_code == 200


def test_a_group_losing_a_permission_applies_to_its_members_at_once(client, operator):
    client.force_login(operator)
    assert client.get("/hotline/").status_code == 200
    group = Group.objects.get(name=HOTLINE_GROUP)
    use_hotline = Permission.objects.get(codename="use_hotline")
    group.permissions.remove(use_hotline)
    assert client.get("/hotline/").status_code == 403
    group.permissions.add(use_hotline)
    assert client.get("/hotline/").status_code == 200


def test_a_permission_of_the_user_and_a_deleted_group(site_tree):
    user = UserFactory(username="someone")
    use_hotline = Permission.objects.get(codename="use_hotline")
    assert not fresh(user).has_perm("search.use_hotline")
    user.user_permissions.add(use_hotline)
    assert fresh(user).has_perm("search.use_hotline")
    user.user_permissions.remove(use_hotline)
    assert not fresh(user).has_perm("search.use_hotline")
    group = Group.objects.create(name="临时座席")
    group.permissions.add(use_hotline)
    user.groups.add(group)
    assert fresh(user).has_perm("search.use_hotline")
    group.delete()
    assert not fresh(user).has_perm("search.use_hotline")


def test_inactive_users_and_objects_are_asked_the_usual_way(operator):
    operator.is_active = False
    operator.save()
    assert not fresh(operator).has_perm("search.use_hotline")
    assert cache.get(permissions._key(operator)) is None  # nothing kept for an inactive user


def test_without_a_cache_the_answer_still_comes_from_the_database(operator, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert fresh(operator).has_perm("search.use_hotline")
    assert not UserFactory(username="nobody").has_perm("search.use_hotline")
