"""Admin of the hotline Q&A base: entries, synonyms and terms under one menu, and the two gap reports."""
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from cms.models import Department

from .models import QAEntry, SynonymGroup, VocabularyTerm
from .reports import LeastUsefulAnswersReport, UnansweredQueriesReport, can_view_reports


class QAEntryViewSet(SnippetViewSet):
    model = QAEntry
    icon = "help"
    menu_label = "政策问答"
    list_display = ["question", "department", "policy", "live", "updated_at"]
    list_filter = ["department", "live"]
    search_fields = ["question"]
    ordering = ["-updated_at"]

    def get_queryset(self, request):
        # 谁起草、谁负责: a department's editors see and edit only their own entries.
        queryset = QAEntry.objects.select_related("department", "policy")
        if request.user.is_superuser or request.user.has_perm("search.use_hotline"):
            return queryset
        return queryset.filter(department__in=Department.for_user(request.user))

    def get_form_class(self, for_update=False):
        form_class = super().get_form_class(for_update)

        class DepartmentScopedForm(form_class):
            def __init__(self, *args, for_user=None, **kwargs):
                super().__init__(*args, for_user=for_user, **kwargs)
                user = for_user
                if user is not None and not (user.is_superuser or user.has_perm("search.use_hotline")):
                    self.fields["department"].queryset = Department.for_user(user)

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
