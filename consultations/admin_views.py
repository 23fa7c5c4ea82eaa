"""意见处理 (handling opinions) in the Wagtail admin: lists, decisions, bulk actions, results.

Who may handle a consultation's opinions: superusers, the reviewers (政务公开办, REVIEWERS_GROUP)
and the editors of the consultation's drafting department (谁起草、谁负责). Personal data (name,
phone, e-mail, attachments, the unmasked text) is shown only with the permission
``consultations.view_personal_data`` (C6); everybody else sees 张** and the masked public text.

Scale (C2: 75,899 opinions in one consultation): listings paginate in the database (50 rows),
filters use the ``(consultation, …)`` indexes, counts are aggregates, and the rows of a page are
decorated with a fixed number of extra queries (group sizes of the page; samples of the page's
groups). A bulk action is two statements whatever the number of opinions — one
``INSERT … SELECT`` of the audit-log entries and one ``UPDATE`` (see ``_bulk_change``) — so
answering a campaign of 75,000 identical opinions costs the same queries as answering ten.
"""
import copy
import datetime
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    UUIDField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, Now, NullIf, Trim
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BaseColumn, Column, StatusTagColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.coreutils import multigetattr
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from cms.models import Department
from cms.roles import REVIEWERS_GROUP

from .admin_forms import (
    FINGERPRINT_RE,
    BulkActionForm,
    ConsultationFilterSet,
    DecideForm,
    OpinionFilterSet,
    search_opinions,
    user_label,
)
from .grouping import decorate_groups, group_queryset, group_sizes
from .models import (
    ConsultationPage,
    ConsultationState,
    Decision,
    ModerationStatus,
    Opinion,
    OpinionAttachment,
    ReplyTemplate,
)
from .results import ResultsNotReady, publish_results

PERSONAL_DATA_PERMISSION = "consultations.view_personal_data"
EXPORT_PERMISSION = "consultations.export_opinions"
PAGE_SIZE = 50

ACTION_DECIDE = "consultations.decide"
ACTION_MODERATE = "consultations.moderate"
ACTION_ASSIGN = "consultations.assign"
ACTION_EXPORT = "consultations.export"
ACTION_ATTACHMENT = "consultations.download_attachment"
ACTION_PUBLISH = "consultations.publish_results"  # written by consultations.results.publish_results

MODERATION_ACTIONS = {
    "approve": ModerationStatus.APPROVED,
    "hide": ModerationStatus.HIDDEN,
    "spam": ModerationStatus.SPAM,
}
STATUS_LABELS = dict(ModerationStatus.choices)
DECISION_LABELS = dict(Decision.choices)


# --- who may do what ------------------------------------------------------------------------------
def _groups(user):
    """The user's groups as {id: name}, read once per request (cached on the user object)."""
    cached = getattr(user, "_consultations_groups", None)
    if cached is None:
        cached = dict(user.groups.values_list("pk", "name")) if user.is_authenticated else {}
        user._consultations_groups = cached
    return cached


def is_reviewer(user):
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or REVIEWERS_GROUP in _groups(user).values()


def can_handle(user, consultation):
    """Superusers, reviewers and the drafting department's editors."""
    if not (user.is_authenticated and user.is_active):
        return False
    if is_reviewer(user):
        return True
    department = consultation.drafting_department
    return bool(department and department.editors_group_id and department.editors_group_id in _groups(user))


def may_use_opinion_admin(user):
    """Shows the 意见征集 menu item: reviewers, superusers and any department's editors."""
    if not (user.is_authenticated and user.is_active):
        return False
    return is_reviewer(user) or Department.objects.filter(editors_group__in=list(_groups(user))).exists()


def can_view_personal_data(user):
    return user.is_authenticated and user.is_active and user.has_perm(PERSONAL_DATA_PERMISSION)


def can_export(user, consultation):
    return can_handle(user, consultation) or (user.is_authenticated and user.is_active
                                              and user.has_perm(EXPORT_PERMISSION))


def handleable_consultations(user):
    queryset = ConsultationPage.objects.select_related("drafting_department")
    if is_reviewer(user):
        return queryset
    return queryset.filter(drafting_department__editors_group__in=list(_groups(user)))


def overdue_condition(now=None):
    """Same rule as ConsultationPage.feedback_overdue, as a query (for live consultations)."""
    now = now or timezone.now()
    due_before = now - datetime.timedelta(days=settings.CONSULTATION_FEEDBACK_DAYS)
    return Q(live=True, results_published_at__isnull=True, end_at__lt=due_before)


def is_overdue(consultation):
    return consultation.live and consultation.feedback_overdue


def get_consultation_for_handling(request, consultation_id):
    consultation = get_object_or_404(ConsultationPage.objects.select_related("drafting_department"),
                                     pk=consultation_id)
    if not can_handle(request.user, consultation):
        raise PermissionDenied("您不是本征集起草部门的编辑或政务公开办审核人员，不能处理这些意见。")
    return consultation


def _next_url(request, default):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return default


def opinions_url(consultation, **params):
    url = reverse("consultations_admin:opinions", args=[consultation.pk])
    return f"{url}?{urlencode(params)}" if params else url


# --- changing opinions (single and bulk), always with an audit-log entry per opinion ------------------
LOG_FIELDS = ["content_type", "label", "action", "data", "timestamp", "uuid", "user", "content_changed", "deleted",
              "object_id"]


def _text(value):
    """A typed SQL text value (PostgreSQL needs the type inside JSONB_BUILD_OBJECT)."""
    return Cast(Value(value), TextField())


def _int(value):
    return Cast(Value(value), IntegerField())


def _bulk_change(selection, *, user, action, values, data, content_changed=False):
    """Apply ``values`` to the selected opinions, with one ModelLogEntry per changed opinion.

    Two statements whatever the number of opinions, in one transaction:

    1. ``INSERT INTO wagtailcore_modellogentry … SELECT … FROM consultations_opinion WHERE <selection>``
       writes the audit entries, computing each entry's data (the old value) in the database;
    2. ``UPDATE consultations_opinion … WHERE id IN (the object ids of the entries just written)``.

    The UPDATE is driven by the log entries, so every opinion changed has its entry, even if an
    opinion joins a duplicate group while this runs. No row is loaded into Python. ``data`` is a
    ``JSONObject`` expression over the opinion's columns (evaluated before the update).
    Returns the number of opinions changed.
    """
    content_type = ContentType.objects.get_for_model(Opinion)
    action_uuid = uuid.uuid4()
    rows = selection.order_by().annotate(
        log_content_type=_int(content_type.pk),
        log_label=Coalesce(NullIf("receipt_number", Value("")), Concat(Value("意见 "), Cast("pk", CharField()))),
        log_action=_text(action),
        log_data=data,
        log_timestamp=Now(),
        log_uuid=Value(action_uuid, output_field=UUIDField()),
        log_user=_int(user.pk if user is not None and user.is_authenticated else None),
        log_content_changed=Value(content_changed, output_field=BooleanField()),
        log_deleted=Value(False, output_field=BooleanField()),
        log_object_id=Cast("pk", CharField(max_length=255)),
    ).values_list("log_content_type", "log_label", "log_action", "log_data", "log_timestamp", "log_uuid", "log_user",
                  "log_content_changed", "log_deleted", "log_object_id")
    select_sql, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(ModelLogEntry._meta.get_field(name).column) for name in LOG_FIELDS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {quote(ModelLogEntry._meta.db_table)} ({columns}) {select_sql}", params)
            changed = cursor.rowcount
        if changed:
            logged = (ModelLogEntry.objects.filter(uuid=action_uuid, action=action)
                      .annotate(opinion_id=Cast("object_id", IntegerField())).values("opinion_id"))
            Opinion.objects.filter(pk__in=logged).update(**values)
    return changed


def bulk_moderate(selection, user, status):
    """设为公开 / 不公开 / 垃圾信息; opinions already in that state are left alone (no entry)."""
    return _bulk_change(
        selection.exclude(moderation_status=status), user=user, action=ACTION_MODERATE,
        values={"moderation_status": status},
        data=JSONObject(old=F("moderation_status"), new=_text(str(status)), bulk=Value(True)))


def bulk_assign(selection, user, handler):
    old_name = Trim(Concat(F("handler__first_name"), Value(" "), F("handler__last_name"), output_field=CharField()))
    return _bulk_change(
        selection.exclude(handler=handler), user=user, action=ACTION_ASSIGN, values={"handler": handler},
        data=JSONObject(old=F("handler_id"), old_name=Coalesce(NullIf(old_name, Value("")), F("handler__username")),
                        new=_int(handler.pk), new_name=_text(user_label(handler)), bulk=Value(True)))


def bulk_decide(selection, user, decision, reply, template=None):
    """The same decision and reply for every selected opinion (or whole duplicate groups)."""
    return _bulk_change(
        selection.exclude(decision=decision, reply=reply), user=user, action=ACTION_DECIDE,
        values={"decision": decision, "reply": reply, "decided_at": timezone.now()},
        data=JSONObject(old=F("decision"), new=_text(decision), reply=_text(reply),
                        template=_int(template.pk if template is not None else None), bulk=Value(True)),
        content_changed=True)


def decide_opinion(opinion, user, decision, reply, template=None):
    """One opinion's decision (already validated by DecideForm / Opinion.clean)."""
    old_decision, old_reply = opinion.decision, opinion.reply
    with transaction.atomic():
        now = timezone.now()
        Opinion.objects.filter(pk=opinion.pk).update(decision=decision, reply=reply, decided_at=now)
        opinion.decision, opinion.reply, opinion.decided_at = decision, reply, now
        log(instance=opinion, action=ACTION_DECIDE, user=user, content_changed=True,
            data={"old": old_decision, "new": decision, "reply": reply, "old_reply": old_reply,
                  "template": template.pk if template is not None else None})
    return opinion


# --- table columns ------------------------------------------------------------------------------------
class SelectColumn(BaseColumn):
    """A checkbox named ``ids`` or ``groups`` for the bulk form (Wagtail's w-bulk controller)."""

    header_template_name = "consultations/admin/select_all_header.html"
    cell_template_name = "consultations/admin/select_cell.html"

    def __init__(self, name, *, field_name, value_accessor, describe, **kwargs):
        super().__init__(name, label=kwargs.pop("label", "选择"), **kwargs)
        self.field_name = field_name
        self.value_accessor = value_accessor
        self.describe = describe

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context.update(field_name=self.field_name, value=multigetattr(instance, self.value_accessor),
                       description=self.describe(instance))
        return context


class LinkColumn(Column):
    """Plain text with an optional link (escaped by the template)."""

    cell_template_name = "consultations/admin/link_cell.html"

    def __init__(self, name, *, get_url, **kwargs):
        super().__init__(name, **kwargs)
        self.get_url = get_url

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["link_url"] = self.get_url(instance)
        return context


class OverdueColumn(Column):
    cell_template_name = "consultations/admin/overdue_cell.html"


def _local(value, pattern):
    """Dates as written in government documents (absolute, local time), not "3 days ago"."""
    return timezone.localtime(value).strftime(pattern) if value else ""


def _detail_url(opinion):
    return reverse("consultations_admin:opinion", args=[opinion.pk])


# --- the per-consultation opinion list ----------------------------------------------------------------
class OpinionIndexView(BaseListingView):
    """意见处理: a consultation's opinions, filtered, searched, paginated in the database, or grouped."""

    template_name = "consultations/admin/opinion_index.html"
    results_template_name = "consultations/admin/opinion_results.html"
    header_icon = "comment"
    page_kwarg = "page"
    paginate_by = PAGE_SIZE
    is_searchable = True
    search_backend_name = None  # Opinion is not indexed: icontains, see admin_forms
    filterset_class = OpinionFilterSet
    default_ordering = "-pk"  # newest first: keys follow the order of arrival (and the receipt numbers)
    verbose_name = "意见"
    verbose_name_plural = "意见"

    def dispatch(self, request, *args, **kwargs):
        self.consultation = get_consultation_for_handling(request, kwargs["consultation_id"])
        return super().dispatch(request, *args, **kwargs)

    # header and navigation
    def get_page_title(self):
        return "意见处理"

    def get_page_subtitle(self):
        return self.consultation.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("consultations_admin:consultations"), "label": "意见征集"},
            {"url": "", "label": self.consultation.title},
        ]

    def get_index_url(self):
        return reverse("consultations_admin:opinions", args=[self.consultation.pk])

    def get_index_results_url(self):
        return reverse("consultations_admin:opinions_results", args=[self.consultation.pk])

    @cached_property
    def personal_allowed(self):
        return can_view_personal_data(self.request.user)

    @cached_property
    def grouped(self):
        return self.request.GET.get("group") == "1"

    @cached_property
    def fingerprint(self):
        value = self.request.GET.get("fingerprint", "")
        return value if FINGERPRINT_RE.match(value) else ""

    def _query(self, drop=(), **extra):
        params = self.request.GET.copy()
        for key in (self.page_kwarg, "_w_filter_fragment", *drop):
            params.pop(key, None)
        for key, value in extra.items():
            params[key] = value
        return params.urlencode()

    def export_url(self, file_format, **extra):
        query = self._query(drop=("group", "ordering"), format=file_format, **extra)
        return f"{reverse('consultations_admin:export', args=[self.consultation.pk])}?{query}"

    def get_header_buttons(self):
        if self.grouped:
            toggle = HeaderButton("逐条显示", f"{self.index_url}?{self._query(drop=('group',))}", icon_name="list-ul")
        else:
            toggle = HeaderButton("按相同意见分组", f"{self.index_url}?{self._query(drop=('fingerprint',), group='1')}",
                                  icon_name="group")
        self.header_buttons = [
            toggle,
            HeaderButton("导出 CSV", self.export_url("csv"), icon_name="download", priority=1010),
            HeaderButton("导出 Excel", self.export_url("xlsx"), icon_name="download", priority=1020),
        ]
        return super().get_header_buttons()

    def get_header_more_buttons(self):
        buttons = [
            Button("导出 CSV（含不公开和垃圾信息）", self.export_url("csv", include_hidden="1"), priority=10),
            Button("导出 Excel（含不公开和垃圾信息）", self.export_url("xlsx", include_hidden="1"), priority=20),
        ]
        if self.personal_allowed:
            buttons += [
                Button("导出 CSV（含姓名和联系方式）", self.export_url("csv", personal="1"), priority=30),
                Button("导出 Excel（含姓名和联系方式）", self.export_url("xlsx", personal="1"), priority=40),
            ]
        buttons.append(Button("编辑征集页面", reverse("wagtailadmin_pages:edit", args=[self.consultation.pk]),
                              priority=50))
        return buttons

    # data
    def get_filterset_kwargs(self):
        return {**super().get_filterset_kwargs(), "consultation": self.consultation}

    def get_base_queryset(self):
        return Opinion.objects.filter(consultation=self.consultation)

    def search_queryset(self, queryset):
        return search_opinions(queryset, self.search_query, self.personal_allowed)

    def get_queryset(self):
        queryset = self.search_queryset(self.filter_queryset(self.get_base_queryset()))
        if self.fingerprint:
            queryset = queryset.filter(fingerprint=self.fingerprint)
        if self.grouped:
            return group_queryset(queryset)
        # Only primary keys here: the page's rows are fetched by key in paginate_queryset.
        return self.order_queryset(queryset).values_list("pk", flat=True)

    def order_queryset(self, queryset):
        ordering = self.ordering or self.default_ordering
        if ordering.lstrip("-") == "pk":
            return queryset.order_by(ordering)
        # A unique tie-breaker keeps pagination stable when opinions share a timestamp.
        return queryset.order_by(ordering, "-pk" if ordering.startswith("-") else "pk")

    def paginate_queryset(self, queryset, page_size):
        """Paginate on primary keys, then load the page's 50 opinions by key ("deferred join").

        The database sorts and skips narrow rows (the key, from an index) instead of whole
        opinions with their texts; with the default order (newest first, by key) the page comes
        straight from the ``(consultation, …)`` indexes without any sort.
        """
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        if self.grouped:
            rows = decorate_groups(self.consultation, list(object_list))
        else:
            keys = list(object_list)
            by_key = Opinion.objects.select_related("handler").in_bulk(keys)
            rows = [by_key[key] for key in keys if key in by_key]
            sizes = group_sizes(self.consultation, [opinion.fingerprint for opinion in rows])
            for opinion in rows:
                opinion.group_size = sizes.get(opinion.fingerprint, 1)
        page.object_list = rows
        return paginator, page, rows, is_paginated

    @cached_property
    def columns(self):
        if self.grouped:
            return [
                SelectColumn("select", field_name="groups", value_accessor="fingerprint",
                             describe=lambda g: f"相同意见组（{g.total} 条）：{Truncator(g.sample).chars(30)}"),
                LinkColumn("sample", label="意见内容（本组第一条）", accessor=lambda g: Truncator(g.sample).chars(120),
                           get_url=lambda g: opinions_url(self.consultation, fingerprint=g.fingerprint)),
                Column("count_display", label="条数"),
                Column("category_summary", label="意见类别"),
                Column("decision_summary", label="处理情况"),
                Column("last_submitted_at", label="最近提交", accessor=lambda g: _local(g.last_submitted_at, "%Y-%m-%d %H:%M")),
            ]
        personal = self.personal_allowed
        return [
            SelectColumn("select", field_name="ids", value_accessor="pk", describe=str),
            TitleColumn("receipt", label="回执编号", accessor=str, get_url=_detail_url),
            Column("submitted_at", label="提交时间", sort_key="submitted_at",
                   accessor=lambda o: _local(o.submitted_at, "%Y-%m-%d %H:%M")),
            Column("submitter", label="提交人",
                   accessor=(lambda o: o.name or "匿名") if personal else (lambda o: o.masked_name)),
            Column("category", label="类别"),
            Column("clause", label="条款", accessor=lambda o: f"第{o.clause_number}条" if o.clause_number else "总体"),
            Column("text", label="意见内容",
                   accessor=lambda o: Truncator(o.text if personal else o.public_text).chars(80)),
            StatusTagColumn("status", label="审核状态", accessor="get_moderation_status_display",
                            primary=lambda o: o.moderation_status == ModerationStatus.APPROVED),
            Column("decision", label="处理结果", accessor=lambda o: o.get_decision_display() or "未答复"),
            Column("handler", label="承办人", accessor=lambda o: user_label(o.handler) if o.handler else ""),
            LinkColumn("group_size", label="相同意见", accessor=lambda o: o.group_size if o.group_size > 1 else "",
                       get_url=lambda o: opinions_url(self.consultation, fingerprint=o.fingerprint)
                       if o.group_size > 1 else None),
        ]

    def summary(self):
        """Counts for the whole consultation: two GROUP BY queries answered from the indexes alone."""
        opinions = Opinion.objects.filter(consultation=self.consultation).order_by()
        by_status = dict(opinions.values_list("moderation_status").annotate(n=Count("pk")))
        by_decision = dict(opinions.values_list("decision").annotate(n=Count("pk")))
        summary = {status: by_status.get(status, 0) for status in ModerationStatus.values}
        summary["total"] = sum(by_status.values())
        summary["undecided"] = by_decision.get("", 0)
        summary["decided"] = summary["total"] - summary["undecided"]
        return summary

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context.update(
            consultation=self.consultation,
            grouped=self.grouped,
            fingerprint=self.fingerprint,
            personal_allowed=self.personal_allowed,
            bulk_url=reverse("consultations_admin:bulk", args=[self.consultation.pk]),
            bulk_form=BulkActionForm(consultation=self.consultation),
            next_url=f"{self.index_url}?{self._query()}",
            page_query=self._query(),
            ungroup_url=f"{self.index_url}?{self._query(drop=('fingerprint',))}",
        )
        if not self.results_only:
            context.update(
                summary=self.summary(),
                status_labels=STATUS_LABELS,
                publish_url=reverse("consultations_admin:publish_results", args=[self.consultation.pk]),
                state_label=ConsultationState(self.consultation.state).label,
                overdue=is_overdue(self.consultation),
            )
        return context


# --- the list of consultations ------------------------------------------------------------------------
def _opinion_count(**filters):
    return Coalesce(Subquery(
        Opinion.objects.filter(consultation=OuterRef("pk"), **filters).order_by().values("consultation")
        .annotate(n=Count("pk")).values("n"), output_field=IntegerField()), Value(0))


class ConsultationIndexView(BaseListingView):
    """意见征集: the consultations the user may handle, with counts and the feedback due date."""

    results_template_name = "consultations/admin/consultation_results.html"
    page_title = "意见征集"
    header_icon = "comment"
    page_kwarg = "page"
    paginate_by = PAGE_SIZE
    is_searchable = True
    search_backend_name = None
    search_fields = ["title"]
    filterset_class = ConsultationFilterSet
    default_ordering = "-end_at"
    index_url_name = "consultations_admin:consultations"
    index_results_url_name = "consultations_admin:consultations_results"
    verbose_name = "意见征集"
    verbose_name_plural = "意见征集"

    def dispatch(self, request, *args, **kwargs):
        if not may_use_opinion_admin(request.user):
            raise PermissionDenied("只有起草部门编辑和政务公开办审核人员可以处理意见。")
        return super().dispatch(request, *args, **kwargs)

    @property
    def feedback_days(self):
        return settings.CONSULTATION_FEEDBACK_DAYS

    def get_header_buttons(self):
        url = reverse(self.index_url_name)
        self.header_buttons = [HeaderButton("只看逾期", f"{url}?overdue=1", icon_name="warning")]
        return super().get_header_buttons()

    def get_base_queryset(self):
        return (handleable_consultations(self.request.user)
                .defer("draft", "questionnaire", "explanation", "results_summary", "privacy_notice")
                .annotate(opinion_count=_opinion_count(),
                          pending_count=_opinion_count(moderation_status__in=[ModerationStatus.PENDING,
                                                                               ModerationStatus.HELD]),
                          undecided_count=_opinion_count(decision="", moderation_status__in=[
                              ModerationStatus.PENDING, ModerationStatus.HELD, ModerationStatus.APPROVED])))

    def order_queryset(self, queryset):
        ordering = self.ordering or self.default_ordering
        return queryset.order_by(ordering, "-pk" if ordering.startswith("-") else "pk")

    def paginate_queryset(self, queryset, page_size):
        paginator, page, object_list, is_paginated = super().paginate_queryset(queryset, page_size)
        rows = list(object_list)
        for consultation in rows:
            consultation.state_label = ConsultationState(consultation.state).label
            consultation.overdue = is_overdue(consultation)
            consultation.overdue_days = (timezone.now() - consultation.feedback_due).days if consultation.overdue else 0
        page.object_list = rows
        return paginator, page, rows, is_paginated

    @cached_property
    def columns(self):
        return [
            TitleColumn("title", label="征集标题", sort_key="title",
                        get_url=lambda c: reverse("consultations_admin:opinions", args=[c.pk])),
            Column("department", label="起草部门", accessor=lambda c: c.drafting_department or ""),
            StatusTagColumn("state_label", label="状态", primary=lambda c: c.state == ConsultationState.OPEN),
            Column("opinion_count", label="意见数", sort_key="opinion_count"),
            Column("pending_count", label="待审核"),
            Column("undecided_count", label="未答复"),
            Column("end_at", label="截止时间", sort_key="end_at", accessor=lambda c: _local(c.end_at, "%Y-%m-%d %H:%M")),
            Column("feedback_due", label="反馈期限", accessor=lambda c: _local(c.feedback_due, "%Y-%m-%d")),
            OverdueColumn("overdue", label="逾期"),
        ]


# --- one opinion ------------------------------------------------------------------------------------
def opinion_detail(request, opinion_id):
    opinion = get_object_or_404(Opinion.objects.select_related("consultation__drafting_department", "handler"),
                                pk=opinion_id)
    consultation = opinion.consultation
    if not can_handle(request.user, consultation):
        raise PermissionDenied("您不能处理本征集的意见。")
    personal = can_view_personal_data(request.user)
    group_size = Opinion.objects.filter(consultation=consultation, fingerprint=opinion.fingerprint).count()
    detail_url = reverse("consultations_admin:opinion", args=[opinion.pk])
    status = 200
    if request.method == "POST":
        # Bind a copy: an invalid form must not change what the page shows as the saved state.
        form = DecideForm(request.POST, instance=copy.copy(opinion), group_size=group_size)
        if form.is_valid():
            data = form.cleaned_data
            if data.get("apply_to_group"):
                count = bulk_decide(Opinion.objects.filter(consultation=consultation, fingerprint=opinion.fingerprint),
                                    request.user, data["decision"], data["reply"], data.get("template"))
                messages.success(request, f"已对本组 {count} 条相同意见作出“{DECISION_LABELS[data['decision']]}”的答复。")
            else:
                decide_opinion(opinion, request.user, data["decision"], data["reply"], data.get("template"))
                messages.success(request, f"已保存处理结果：{DECISION_LABELS[data['decision']]}。")
            return redirect(detail_url)
        status = 400
    else:
        initial = {}
        template_id = request.GET.get("template", "")
        if template_id.isdigit():
            template = ReplyTemplate.objects.filter(pk=int(template_id)).first()
            if template is not None:
                initial = {"decision": template.decision, "reply": template.text, "template": template.pk}
        form = DecideForm(instance=copy.copy(opinion), initial=initial, group_size=group_size)

    assign_form = BulkActionForm(consultation=consultation)
    assign_form.fields["handler"].help_text = ""
    context = {
        "opinion": opinion,
        "consultation": consultation,
        "personal_allowed": personal,
        "attachments": list(opinion.attachments.all()) if personal else [],
        "group_size": group_size,
        "group_url": opinions_url(consultation, fingerprint=opinion.fingerprint),
        "form": form,
        "detail_url": detail_url,
        "bulk_url": reverse("consultations_admin:bulk", args=[consultation.pk]),
        "bulk_form": assign_form,
        "moderation_actions": [(action, STATUS_LABELS[value]) for action, value in MODERATION_ACTIONS.items()
                               if value != opinion.moderation_status],
        "clause_label": dict(consultation.clause_choices()).get(opinion.clause_number, opinion.clause_number),
        "history": ModelLogEntry.objects.for_instance(opinion).select_related("user")[:50],
        "page_title": "意见处理",
        "header_title": f"意见 {opinion}",
        "header_icon": "comment",
        "breadcrumbs_items": [
            {"url": reverse("wagtailadmin_home"), "label": "首页"},
            {"url": reverse("consultations_admin:consultations"), "label": "意见征集"},
            {"url": opinions_url(consultation), "label": consultation.title},
            {"url": "", "label": str(opinion)},
        ],
    }
    return TemplateResponse(request, "consultations/admin/opinion_detail.html", context, status=status)


# --- bulk actions -------------------------------------------------------------------------------------
@require_POST
def bulk_action(request, consultation_id):
    consultation = get_consultation_for_handling(request, consultation_id)
    next_url = _next_url(request, opinions_url(consultation))
    form = BulkActionForm(request.POST, consultation=consultation)
    if not form.is_valid():
        messages.error(request, f"未执行批量操作：{form.error_text()}")
        return redirect(next_url)
    data = form.cleaned_data
    action = data["action"]
    selection = form.selection()
    total = selection.count()
    if action in MODERATION_ACTIONS:
        status = MODERATION_ACTIONS[action]
        changed = bulk_moderate(selection, request.user, status)
        message = f"已将 {changed} 条意见设为“{STATUS_LABELS[status]}”。"
    elif action == "assign":
        changed = bulk_assign(selection, request.user, data["handler"])
        message = f"已将 {changed} 条意见分配给 {user_label(data['handler'])}。"
    else:
        changed = bulk_decide(selection, request.user, data["decision"], data["reply"], data.get("template"))
        message = f"已对 {changed} 条意见作出“{DECISION_LABELS[data['decision']]}”的答复。"
    if total > changed:
        message += f"另有 {total - changed} 条原本就是如此，未改动。"
    messages.success(request, message)
    return redirect(next_url)


# --- results ------------------------------------------------------------------------------------------
@require_POST
def publish_results_view(request, consultation_id):
    consultation = get_consultation_for_handling(request, consultation_id)
    try:
        publish_results(consultation, request.user)
    except ResultsNotReady as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "征集结果已发布：采纳情况已在征集页面公开，提交人将陆续收到通知。")
    return redirect(_next_url(request, opinions_url(consultation)))


# --- attachments (private storage, never served publicly) ---------------------------------------------
def attachment_download(request, pk):
    attachment = get_object_or_404(
        OpinionAttachment.objects.select_related("opinion__consultation__drafting_department"), pk=pk)
    opinion = attachment.opinion
    if not (can_view_personal_data(request.user) and can_handle(request.user, opinion.consultation)):
        raise PermissionDenied("您没有查看意见附件的权限。")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404("附件文件不存在。") from error
    log(instance=opinion, action=ACTION_ATTACHMENT, user=request.user,
        data={"attachment": attachment.pk, "name": attachment.original_name})
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Cache-Control"] = "private, no-store"
    return response


# --- dashboard ---------------------------------------------------------------------------------------
class OverdueConsultationsPanel(Component):
    """Dashboard panel: consultations of the user's departments whose feedback is overdue."""

    name = "overdue_consultations"
    template_name = "consultations/admin/overdue_panel.html"
    order = 90

    def __init__(self, consultations):
        self.consultations = consultations

    def get_context_data(self, parent_context):
        return {"consultations": self.consultations}


def overdue_consultations_for(user):
    consultations = list(handleable_consultations(user).filter(overdue_condition())
                         .defer("draft", "questionnaire", "explanation", "results_summary", "privacy_notice")
                         .order_by("end_at", "pk")[:20])
    for consultation in consultations:
        consultation.opinions_url = opinions_url(consultation)
        consultation.overdue_days = (timezone.now() - consultation.feedback_due).days
    return consultations
