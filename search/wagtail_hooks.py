"""Admin of the hotline Q&A base: entries, synonyms and terms under one menu, and the two gap reports."""
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms.models import Department

from .models import QAEntry, SynonymGroup, VocabularyTerm
from .reports import LeastUsefulAnswersReport, UnansweredQueriesReport, can_view_reports


def _own_departments(user):
    """None when the user may act on every department's entries, else the ids of their departments."""
    if user.is_superuser:
        return None
    ids = set(Department.for_user(user).values_list("pk", flat=True))
    return ids or None  # not a department editor: reviewers (政务公开办) keep the whole base


class QAEntryPermissionPolicy(ModelPermissionPolicy):
    """谁起草、谁负责 for the Q&A base: department editors act only on their own department's entries."""

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        own = _own_departments(user)
        return own is None or instance.department_id in own

    def instances_user_has_any_permission_for(self, user, actions):
        queryset = super().instances_user_has_any_permission_for(user, actions)
        own = _own_departments(user)
        return queryset if own is None else queryset.filter(department_id__in=own)


register_permission_policy(QAEntry, QAEntryPermissionPolicy(QAEntry))


class OwnDepartmentOnly:
    """Wagtail's generic views check model permissions; this adds the per-entry department check."""

    instance_permission = "change"

    def get_object(self, *args, **kwargs):
        entry = super().get_object(*args, **kwargs)
        if not self.permission_policy.user_has_permission_for_instance(self.request.user, self.instance_permission, entry):
            raise PermissionDenied
        return entry


class QAEntryEditView(OwnDepartmentOnly, snippet_views.EditView):
    pass


class QAEntryDeleteView(OwnDepartmentOnly, snippet_views.DeleteView):
    instance_permission = "delete"


class QAEntryUnpublishView(OwnDepartmentOnly, snippet_views.UnpublishView):
    instance_permission = "publish"


class QAEntryHistoryView(OwnDepartmentOnly, snippet_views.HistoryView):
    pass


class QAEntryUsageView(OwnDepartmentOnly, snippet_views.UsageView):
    pass


class QAEntryRevisionsCompareView(OwnDepartmentOnly, snippet_views.RevisionsCompareView):
    pass


class QAEntryViewSet(SnippetViewSet):
    model = QAEntry
    icon = "help"
    menu_label = "政策问答"
    list_display = ["question", "department", "policy", "live", "updated_at"]
    list_filter = ["department", "live"]
    search_fields = ["question"]
    ordering = ["-updated_at"]
    edit_view_class = QAEntryEditView
    delete_view_class = QAEntryDeleteView
    unpublish_view_class = QAEntryUnpublishView
    history_view_class = QAEntryHistoryView
    usage_view_class = QAEntryUsageView
    revisions_compare_view_class = QAEntryRevisionsCompareView

    def get_queryset(self, request):
        queryset = QAEntry.objects.select_related("department", "policy")
        own = _own_departments(request.user)
        return queryset if own is None else queryset.filter(department_id__in=own)

    def get_form_class(self, for_update=False):
        form_class = super().get_form_class(for_update)

        class DepartmentScopedForm(form_class):
            def __init__(self, *args, for_user=None, **kwargs):
                super().__init__(*args, for_user=for_user, **kwargs)
                own = _own_departments(for_user) if for_user is not None else None
                if own is not None:
                    self.fields["department"].queryset = Department.objects.filter(pk__in=own)

        return DepartmentScopedForm


class SynonymGroupViewSet(SnippetViewSet):
    model = SynonymGroup
    icon = "link"
    menu_label = "同义词"
    list_display = ["terms", "note", "updated_at"]
    search_fields = ["terms"]


class VocabularyTermViewSet(SnippetViewSet):
    model = VocabularyTerm
    icon = "tag"
    menu_label = "专业词"
    list_display = ["word", "kind"]
    list_filter = ["kind"]
    search_fields = ["word"]


class QABaseGroup(SnippetViewSetGroup):
    items = (QAEntryViewSet, SynonymGroupViewSet, VocabularyTermViewSet)
    menu_label = "政策问答库"
    menu_icon = "help"
    menu_name = "qa-base"
    menu_order = 217


register_snippet(QABaseGroup)


@hooks.register("register_admin_urls")
def register_report_urls():
    return [
        path("reports/unanswered-queries/", UnansweredQueriesReport.as_view(), name="search_unanswered"),
        path("reports/unanswered-queries/results/", UnansweredQueriesReport.as_view(results_only=True),
             name="search_unanswered_results"),
        path("reports/least-useful-answers/", LeastUsefulAnswersReport.as_view(), name="search_least_useful"),
        path("reports/least-useful-answers/results/", LeastUsefulAnswersReport.as_view(results_only=True),
             name="search_least_useful_results"),
    ]


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_reports(request.user)


@hooks.register("register_reports_menu_item")
def register_unanswered_menu_item():
    return ReportMenuItem("未找到答案的检索", reverse("search_unanswered"), name="search-unanswered",
                          icon_name="help", order=660)


@hooks.register("register_reports_menu_item")
def register_least_useful_menu_item():
    return ReportMenuItem("评价最差的答复", reverse("search_least_useful"), name="search-least-useful",
                          icon_name="warning", order=670)
