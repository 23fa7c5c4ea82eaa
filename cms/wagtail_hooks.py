"""Admin integration for the shared site: departments, the publication gate, audit log labels."""
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from cms.models import Department, DepartmentPolicyIndexPage, PolicyDocumentPage
from cms.models.gate import OVERRIDE_LOG_ACTION, PublicationGateMixin


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = "部门"
    menu_order = 210
    add_to_admin_menu = True
    list_display = ["name", "short_name", "code", "phone", "liaison_name"]
    search_fields = ["name", "short_name", "code"]


register_snippet(DepartmentViewSet)


@hooks.register("register_log_actions")
def register_gate_log_actions(actions):
    @actions.register_action(OVERRIDE_LOG_ACTION)
    class OverrideFormatter(LogFormatter):
        label = "人工放行"

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return f"检查未通过，人工放行。理由：{data.get('reason', '')}；当时的问题：{'；'.join(data.get('findings', []))}"


def _is_gated(page, parent_page):
    if page is not None and isinstance(page.specific if page.pk else page, PublicationGateMixin):
        return True
    return parent_page is not None and isinstance(parent_page.specific, (DepartmentPolicyIndexPage,
                                                                          PolicyDocumentPage))


@hooks.register("construct_page_action_menu")
def publish_only_through_review(menu_items, request, context):
    """Policies and interpretations are published by approving the review task, never directly."""
    if _is_gated(context.get("page"), context.get("parent_page")):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


def _refuse_direct_publish(request, page, parent_page, edit_url):
    if request.method == "POST" and "action-publish" in request.POST and _is_gated(page, parent_page):
        messages.error(request, "政策文件和解读须提交“政务公开办审核”流程，由审核人批准后发布，不能直接发布。")
        return redirect(edit_url)
    return None


@hooks.register("before_edit_page")
def refuse_direct_publish_on_edit(request, page):
    """The menu hides 「发布」; a crafted POST must not publish around the workflow either."""
    return _refuse_direct_publish(request, page, None, request.path)


@hooks.register("before_create_page")
def refuse_direct_publish_on_create(request, parent_page, page_class):
    return _refuse_direct_publish(request, None, parent_page, request.path)


@hooks.register("before_bulk_action")
def refuse_bulk_publish_of_gated_pages(request, action_type, objects, action_class_instance):
    if action_type != "publish":
        return None
    gated = [obj for obj in objects if isinstance(obj.specific, PublicationGateMixin)]
    if gated:
        messages.error(request, "政策文件和解读须通过“政务公开办审核”流程发布，不能批量发布："
                       + "、".join(p.title for p in gated[:5]))
        return redirect(request.GET.get("next") or "wagtailadmin_explore_root")
    return None


# Page permissions that let a user see a folder's drafts (in the explorer they are the same).
DRAFT_VISIBLE_PERMISSIONS = {"add_page", "change_page", "publish_page"}


@hooks.register("construct_page_chooser_queryset")
def hide_other_departments_drafts_in_chooser(pages, request):
    """The page chooser (browse and search) lists live pages, and drafts only where the user may edit.

    Editors link to any department's published policy or interpretation (rich text links, 相关解读),
    so live pages stay choosable; unpublished pages are listed only inside the folders the user
    holds add/change/publish on: a department's own folder, the whole library for 政务公开办审核,
    everything for superusers. The same drafts are hidden from them in the explorer, the admin page
    search and the admin API.

    Browsing *into* a page (/admin/choose-page/<id>/) shows that page as the first row, outside this
    queryset: a draft the user may not see answers 404 there, so its title cannot be read by id.
    """
    user = request.user
    if user.is_superuser:
        return pages
    visible = Q(live=True) | Q(depth=1)
    for permission in PagePermissionPolicy().get_cached_permissions_for_user(user):
        if permission.permission.codename in DRAFT_VISIBLE_PERMISSIONS:
            visible |= Q(path__startswith=permission.page.path)
    match = getattr(request, "resolver_match", None)
    parent_id = match.kwargs.get("parent_page_id") if match else None
    if parent_id is not None and not Page.objects.filter(visible, pk=parent_id).exists():
        raise Http404("页面不存在")
    return pages.filter(visible)
