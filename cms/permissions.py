"""Model permissions from the shared cache, forgotten the moment any grant changes.

Every hotline search checks ``search.use_hotline``: Django's ModelBackend answers with two queries
per request (the user's own permissions and their groups'). The answer only changes when someone
edits a grant, so it is kept in the shared cache under a *permissions version*: adding or removing
a user from a group, a permission to a user or a group, or deleting a group or a permission starts
a new version, and every process stops using the old answers at once, as cms/routing.py does for
the page tree. A lost cache only costs the two queries again.

Only what ModelBackend itself answers from those tables is kept: whether the user is active or a
superuser is read from the user row on every request, as before, and Wagtail's page and
collection permissions have their own tables and checks.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete
from django.dispatch import receiver

from cms import versions

VERSION_KEY = "auth:permissions:version"
SECONDS = 3600


def _key(user):
    return f"auth:permissions:v1:{user.pk}"


class SharedCachePermissionsBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous or hasattr(user_obj, "_perm_cache"):
            return super().get_all_permissions(user_obj, obj)
        key = _key(user_obj)
        version, stored = versions.read(VERSION_KEY, key)
        if isinstance(stored, frozenset):
            user_obj._perm_cache = set(stored)
            return user_obj._perm_cache
        permissions = super().get_all_permissions(user_obj)
        # Superusers and inactive users never reach here with a grant that matters: has_perm
        # answers them before asking any backend; is_active is the user row's, read per request.
        versions.store(key, version, frozenset(permissions), SECONDS)
        return permissions


def permissions_changed(action="post_", **kwargs):
    """A new version: every user's remembered grants are forgotten, in every process."""
    if action.startswith("post_"):  # m2m_changed says pre_add, then post_add: once is enough
        versions.renew(VERSION_KEY)


User = get_user_model()
for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
    m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"cms.permissions.{through._meta.label}")


@receiver(post_delete, sender=Group, dispatch_uid="cms.permissions.group_deleted")
@receiver(post_delete, sender=Permission, dispatch_uid="cms.permissions.permission_deleted")
def _grant_deleted(**kwargs):
    permissions_changed()
