"""Admin views of the interpretations app: the 解读清单 report (P1 解读全覆盖, P6 清单管理, P7)."""
import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.functional import cached_property
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.reports import ReportView

from cms.charts import bar_chart_svg
from cms.models import PolicyDocumentPage

from .ledger import (
    InterpretationStatus,
    PolicyStatus,
    attach_findings,
    can_view_ledger,
    coverage_by_department,
    decorate_row,
    ledger_queryset,
    visible_departments,
    year_choices,
)


class LedgerFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label="起草部门", field_name="drafting_department", empty_label="全部部门",
        queryset=lambda request: visible_departments(request.user),
    )
    year = django_filters.ChoiceFilter(
        label="发布年度", field_name="publish_date", lookup_expr="year", empty_label="全部年度", choices=[],
    )
    status = django_filters.ChoiceFilter(
        label="解读状态", field_name="interpretation_status", empty_label="全部状态",
        choices=InterpretationStatus.choices,
    )

    class Meta:
        model = PolicyDocumentPage
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.request.user if self.request else None
        self.filters["year"].extra["choices"] = year_choices(user)


class DateColumn(Column):
    """A plain date (YYYY-MM-DD), as dates are written in government documents."""

    cell_template_name = "interpretations/admin/date_cell.html"


class DaysColumn(Column):
    cell_template_name = "interpretations/admin/days_cell.html"


class FindingsColumn(Column):
    cell_template_name = "interpretations/admin/findings_cell.html"


def _edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


class InterpretationLedgerView(ReportView):
    """解读清单: every policy that must be interpreted, with the state of its interpretations.

    Rows, statuses, dates and counts come from one annotated queryset (``ledger.ledger_queryset``);
    the quality-check column is computed for the displayed page only and is not exported —
    see ``interpretations.ledger`` for why.
    """

    model = PolicyDocumentPage
    page_title = "解读清单"
    header_icon = "clipboard-list"
    results_template_name = "interpretations/admin/ledger_results.html"
    index_url_name = "interpretation_ledger"
    index_results_url_name = "interpretation_ledger_results"
    filterset_class = LedgerFilterSet
    verbose_name = "需要解读的政策文件"
    verbose_name_plural = "需要解读的政策文件"
    default_ordering = "-publish_date"
    paginate_by = 50

    columns = [
        TitleColumn("title", label="政策标题", get_url=_edit_url, sort_key="title"),
        Column("doc_number", label="文号"),
        Column("department_name", label="起草部门", sort_key="drafting_department__code"),
        DateColumn("publish_date", label="发布日期", sort_key="publish_date"),
        StatusTagColumn("policy_status_label", label="政策状态",
                        primary=lambda p: p.policy_status == PolicyStatus.PUBLISHED),
        StatusTagColumn("interpretation_status_label", label="解读状态",
                        primary=lambda p: p.interpretation_status == InterpretationStatus.PUBLISHED),
        DateColumn("first_interpretation_date", label="首次解读发布日期",
                   sort_key="first_interpretation_published_at"),
        DaysColumn("days_to_interpretation", label="间隔天数"),
        Column("follow_up_count", label="跟踪解读数", sort_key="follow_up_count"),
        FindingsColumn("findings_count", label="质量检查"),
    ]

    list_export = [
        "title", "doc_number", "department_name", "publish_date", "policy_status_label",
        "interpretation_status_label", "first_interpretation_date", "days_to_interpretation", "sync_label",
        "follow_up_count",
    ]
    export_headings = {
        "title": "政策标题",
        "doc_number": "文号",
        "department_name": "起草部门",
        "publish_date": "发布日期",
        "policy_status_label": "政策状态",
        "interpretation_status_label": "解读状态",
        "first_interpretation_date": "首次解读发布日期",
        "days_to_interpretation": "间隔天数",
        "sync_label": "是否同步",
        "follow_up_count": "跟踪解读数",
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_view_ledger(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_filename(self):
        return f"interpretation-ledger-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        self.queryset = ledger_queryset(self.request.user)
        return super().get_queryset()

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        # A unique tie-breaker keeps pagination stable when many policies share a date.
        return queryset.order_by(*queryset.query.order_by, "-pk")

    def decorate_paginated_queryset(self, object_list):
        if self.is_export:
            return object_list  # rows are decorated one by one in to_row_dict
        # Mutate the instances in place: the table was built from this same (now evaluated) list.
        rows = [decorate_row(policy) for policy in object_list]
        attach_findings(rows)
        return object_list

    def to_row_dict(self, item):
        return super().to_row_dict(decorate_row(item))

    def stream_csv(self, queryset):
        # A byte-order mark so that Excel opens the UTF-8 file with the Chinese text intact.
        yield "\ufeff"
        yield from super().stream_csv(queryset)

    # --- coverage chart -----------------------------------------------------------------------
    def chart_queryset(self):
        """The rows the chart counts: same user scope, department and year filters, any status."""
        queryset = ledger_queryset(self.request.user)
        if self.filters and self.filters.is_valid():
            data = self.filters.form.cleaned_data
            if data.get("department"):
                queryset = queryset.filter(drafting_department=data["department"])
            if data.get("year"):
                queryset = queryset.filter(publish_date__year=data["year"])
        return queryset

    @cached_property
    def coverage(self):
        return coverage_by_department(self.chart_queryset())

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        if not self.is_export:
            coverage = self.coverage
            context["coverage"] = coverage
            context["coverage_totals"] = {
                "total": sum(r["total"] for r in coverage),
                "covered": sum(r["covered"] for r in coverage),
            }
            context["coverage_chart"] = bar_chart_svg(
                coverage, title="各部门解读覆盖率", id_prefix="ledger-coverage",
                desc="每个部门需要解读的政策文件中，已发布首次解读的比例。",
            )
        return context
