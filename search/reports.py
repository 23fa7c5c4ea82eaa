"""Admin reports that tell departments what the Q&A base is missing (一号答 feedback loop, Q3)."""
import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, FloatField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from cms.models import Department

from .models import AnswerFeedback, KnowledgeGap, SearchQueryLog


def can_view_reports(user):
    return user.is_active and (user.is_superuser or user.has_perm("search.use_hotline")
                               or Department.for_user(user).exists())


def departments_for(user):
    if user.is_superuser or user.has_perm("search.use_hotline"):
        return Department.objects.all()
    return Department.for_user(user)


class DepartmentFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(label="部门", field_name="department", empty_label="全部部门",
                                                  queryset=lambda request: departments_for(request.user))
    since = django_filters.DateFilter(label="起始日期", field_name="created_at", lookup_expr="date__gte")


class UnansweredFilterSet(DepartmentFilterSet):
    class Meta:
        model = SearchQueryLog
        fields = []


class FeedbackFilterSet(DepartmentFilterSet):
    class Meta:
        model = AnswerFeedback
        fields = []


class _DepartmentScopedReport(ReportView):
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if not can_view_reports(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def scope(self, queryset):
        user = self.request.user
        if user.is_superuser or user.has_perm("search.use_hotline"):
            return queryset
        # A department sees the searches filtered to it and the gaps operators assigned to it.
        return queryset.filter(department__in=Department.for_user(user))

    def decorate(self, item):
        return item

    def decorate_paginated_queryset(self, object_list):
        # In place: the table was built from this same list of row dicts.
        for item in object_list:
            self.decorate(item)
        return object_list

    def to_row_dict(self, item):
        return super().to_row_dict(self.decorate(dict(item)))

    def stream_csv(self, queryset):
        yield "\ufeff"  # Excel opens UTF-8 with the BOM
        yield from super().stream_csv(queryset)


class UnansweredQueriesReport(_DepartmentScopedReport):
    """The most frequent searches that found nothing, with the gaps operators recorded for them."""

    page_title = "未找到答案的检索"
    header_icon = "help"
    index_url_name = "search_unanswered"
    index_results_url_name = "search_unanswered_results"
    filterset_class = UnansweredFilterSet
    model = SearchQueryLog
    columns = [Column("query", label="检索词"), Column("searches", label="检索次数"),
               Column("gaps", label="座席登记次数"), Column("last_seen", label="最近一次")]
    list_export = ["query", "searches", "gaps", "last_seen"]
    export_headings = {"query": "检索词", "searches": "检索次数", "gaps": "座席登记次数", "last_seen": "最近一次"}

    def get_filename(self):
        return f"unanswered-queries-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        logs = self.scope(SearchQueryLog.objects.filter(total=0))
        gaps = (KnowledgeGap.objects.filter(query=OuterRef("query")).values("query")
                .annotate(n=Count("pk")).values("n"))
        return (logs.values("query").annotate(searches=Count("pk"), last_seen=Max("created_at"),
                                              gaps=Coalesce(Subquery(gaps), 0))
                .order_by("-searches", "-last_seen"))

    def decorate(self, item):
        if hasattr(item["last_seen"], "tzinfo"):
            item["last_seen"] = timezone.localtime(item["last_seen"]).strftime("%Y-%m-%d %H:%M")
        return item


class LeastUsefulAnswersReport(_DepartmentScopedReport):
    """Answers operators and residents marked 没用 most often, worst first."""

    page_title = "评价最差的答复"
    header_icon = "warning"
    index_url_name = "search_least_useful"
    index_results_url_name = "search_least_useful_results"
    filterset_class = FeedbackFilterSet
    model = AnswerFeedback
    columns = [Column("question", label="问题"), Column("department__short_name", label="答复部门"),
               Column("not_helpful", label="没用"), Column("helpful", label="有用"),
               Column("share_label", label="没用占比")]
    list_export = ["question", "department__short_name", "not_helpful", "helpful", "share_label"]
    export_headings = {"question": "问题", "department__short_name": "答复部门", "not_helpful": "没用",
                       "helpful": "有用", "share_label": "没用占比"}

    def get_filename(self):
        return f"least-useful-answers-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        votes = self.scope(AnswerFeedback.objects.all())
        return (votes.values("doc_key", "question", "department__short_name")
                .annotate(not_helpful=Count("pk", filter=Q(helpful=False)), helpful=Count("pk", filter=Q(helpful=True)))
                .filter(not_helpful__gt=0)
                .annotate(share=Cast(F("not_helpful"), FloatField()) / Cast(F("not_helpful") + F("helpful"), FloatField()))
                .order_by("-not_helpful", "-share", "question"))

    def decorate(self, item):
        item["share_label"] = f"{round(100 * item['share'])}%"
        return item
