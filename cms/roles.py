"""Groups, page permissions and the review workflow, created idempotently.

谁起草、谁负责 is enforced by Wagtail's own tree permissions: each department's editors group
may add and change pages only inside that department's folder (DepartmentPolicyIndexPage),
where its policies and their interpretations live. Only the reviewers (政务公开办) may publish,
and they do it through the ReviewTask workflow.
"""
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

REVIEWERS_GROUP = "政务公开办审核"
HOTLINE_GROUP = "12345热线座席"
WORKFLOW_NAME = "政策与解读发布审核"

EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "lock_page", "unlock_page"]
REVIEWER_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


def _perm(app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _grant_page(group, page, codenames):
    for codename in codenames:
        GroupPagePermission.objects.get_or_create(group=group, page=page, permission=_perm("wagtailcore", codename))


def _grant_collection(group, collection, codenames):
    for app_label, codename in codenames:
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=_perm(app_label, codename))


MEDIA_PERMISSIONS = [
    ("wagtailimages", "add_image"), ("wagtailimages", "change_image"), ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"), ("wagtaildocs", "change_document"), ("wagtaildocs", "choose_document"),
]


@transaction.atomic
def ensure_reviewers_group():
    from cms.models import PolicyIndexPage

    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    group.permissions.add(_perm("wagtailadmin", "access_admin"))
    # 政务公开办 may see submitters' contact details (to verify and reply) and export opinions.
    group.permissions.add(_perm("consultations", "view_personal_data"), _perm("consultations", "export_opinions"))
    # 政务公开办 also answers for the Q&A base: it reads the hotline and keeps the vocabulary.
    group.permissions.add(_perm("search", "use_hotline"), *[
        _perm("search", f"{action}_{model}") for model in ("qaentry", "synonymgroup", "vocabularyterm")
        for action in ("add", "change", "delete", "publish") if not (action == "publish" and model != "qaentry")])
    for index_page in PolicyIndexPage.objects.all():
        _grant_page(group, index_page, REVIEWER_PAGE_PERMISSIONS)
    root_collection = Collection.get_first_root_node()
    _grant_collection(group, root_collection, MEDIA_PERMISSIONS)
    return group


@transaction.atomic
def ensure_hotline_group():
    group, _ = Group.objects.get_or_create(name=HOTLINE_GROUP)
    group.permissions.add(_perm("search", "use_hotline"))
    return group


@transaction.atomic
def ensure_department_setup(department):
    """Create the department's editors group, media collection and policy folder, with permissions."""
    from cms.models import DepartmentPolicyIndexPage, PolicyIndexPage

    # Keep the existing group (and its members) when the department is renamed.
    group = department.editors_group or Group.objects.get_or_create(name=department.editors_group_name)[0]
    if group.name != department.editors_group_name and not Group.objects.filter(
            name=department.editors_group_name).exists():
        group.name = department.editors_group_name
        group.save(update_fields=["name"])
    group.permissions.add(_perm("wagtailadmin", "access_admin"))
    # Each department keeps its own entries of the hotline Q&A base (limited to them in search/wagtail_hooks.py).
    group.permissions.add(*[_perm("search", f"{action}_qaentry") for action in ("add", "change", "publish")])
    if department.collection_id is None:
        root = Collection.get_first_root_node()
        department.collection = root.add_child(name=department.short_name)
    department.editors_group = group
    type(department).objects.filter(pk=department.pk).update(editors_group=group,
                                                             collection=department.collection)
    _grant_collection(group, department.collection, MEDIA_PERMISSIONS)
    # Editors must be able to choose shared images (e.g. the site logo) but not change them.
    _grant_collection(group, Collection.get_first_root_node(),
                      [("wagtailimages", "choose_image"), ("wagtaildocs", "choose_document")])

    folder = DepartmentPolicyIndexPage.objects.filter(department=department).first()
    policy_index = PolicyIndexPage.objects.first()
    if folder is None and policy_index is not None:
        folder = DepartmentPolicyIndexPage(title=department.short_name, slug=department.code,
                                           department=department)
        policy_index.add_child(instance=folder)
        folder.save_revision().publish()
    if folder is not None:
        _grant_page(group, folder, EDITOR_PAGE_PERMISSIONS)
    return group


@transaction.atomic
def ensure_workflow():
    """One workflow on the policy library: every policy and interpretation passes the ReviewTask."""
    from cms.models import PolicyIndexPage, ReviewTask

    reviewers = ensure_reviewers_group()
    task = ReviewTask.objects.filter(name="政务公开办审核").first()
    if task is None:
        task = ReviewTask.objects.create(name="政务公开办审核")
    task.groups.add(reviewers)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    # WorkflowTask hangs off a ParentalKey: save it directly, not through the in-memory relation.
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    for index_page in PolicyIndexPage.objects.all():
        WorkflowPage.objects.update_or_create(page=index_page, defaults={"workflow": workflow})
    return workflow


def ensure_all_roles():
    from cms.models import Department

    ensure_workflow()
    ensure_hotline_group()
    for department in Department.objects.all():
        ensure_department_setup(department)
