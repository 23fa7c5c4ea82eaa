"""Admin of the hotline Q&A base: entries, synonyms and terms under one menu, and the two gap reports."""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.models.audit_log import ModelLogEntryManager
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views import chooser as chooser_views
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


def scope_to_own_department(queryset, user):
    """The entries a user may see in the admin: all of them, or their own department's."""
    own = _own_departments(user)
    return queryset if own is None else queryset.filter(department_id__in=own)


_wagtail_viewable_log_entries = ModelLogEntryManager.viewable_by_user


def viewable_log_entries(manager, user):
    """站点历史 (/admin/reports/site-history/) without other departments' Q&A entries.

    Wagtail's report lists ``ModelLogEntry.objects.viewable_by_user(user)``: every log entry of a
    model the user holds any permission on. Department editors hold ``search.change_qaentry`` (for
    their own entries), so they saw who edited which entry of every other department, drafts
    included. This keeps the Q&A part of the log to the entries the user may act on (the rule of
    the list view); entries since deleted have no department and show to reviewers and superusers
    only. Every other model keeps Wagtail's rule.
    """
    queryset = _wagtail_viewable_log_entries(manager, user)
    own = _own_departments(user)
    if own is None:
        return queryset
    own_entries = QAEntry.objects.filter(department_id__in=own).annotate(
        key=Cast("pk", output_field=CharField())).values("key")
    qa_type = ContentType.objects.get_for_model(QAEntry)
    return queryset.filter(~Q(content_type_id=qa_type.pk) | Q(object_id__in=own_entries))


# Snippets log to Wagtail's one ModelLogEntry table, and no hook filters the report. The supported
# alternative, a log entry model of QAEntry's own registered through register_log_actions, needs a
# new table and a migration. ModelLogEntryManager serves ModelLogEntry only; the site-history-qa-*
# cells of tests/security/test_access_matrix.py fail if an upgrade stops calling viewable_by_user.
ModelLogEntryManager.viewable_by_user = viewable_log_entries


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


class OwnDepartmentChoices:
    """The Q&A chooser lists (and returns) the same entries as the list view.

    Nothing in the product chooses a Q&A entry (no model or block points to one), so the chooser
    is reachable only by URL; it is scoped like the list rather than opened to other departments'
    live entries, which residents read on /wenda/ anyway.
    """

    def get_object_list(self):
        return scope_to_own_department(super().get_object_list(), self.request.user)


class QAEntryChooseView(OwnDepartmentChoices, chooser_views.ChooseView):
    pass


class QAEntryChooseResultsView(OwnDepartmentChoices, chooser_views.ChooseResultsView):
    pass


class QAEntryChosenView(chooser_views.SnippetChosenView):
    def get_object(self, pk):
        return scope_to_own_department(QAEntry.objects.all(), self.request.user).get(pk=pk)


class QAEntryChosenMultipleView(chooser_views.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return scope_to_own_department(QAEntry.objects.filter(pk__in=pks), self.request.user)


class QAEntryChooserViewSet(chooser_views.SnippetChooserViewSet):
    choose_view_class = QAEntryChooseView
    choose_results_view_class = QAEntryChooseResultsView
    chosen_view_class = QAEntryChosenView
    chosen_multiple_view_class = QAEntryChosenMultipleView


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
    chooser_viewset_class = QAEntryChooserViewSet

    def get_queryset(self, request):
        return scope_to_own_department(QAEntry.objects.select_related("department", "policy"), request.user)

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
