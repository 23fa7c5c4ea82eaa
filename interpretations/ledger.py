"""解读清单 (P1 解读全覆盖, P6 清单管理, P7 跟踪解读): the data behind the interpretation ledger.

Everything the ledger shows per policy — the policy's own status, the best status of its
first-stage interpretations, the first publication date of a live interpretation and the number
of live follow-up interpretations — is computed by the database as annotations (``Exists`` and
``Subquery``) on one queryset, so a page of 50 rows or an export of thousands costs the same
handful of queries. Python only turns those annotated values into labels and a day count.

The one exception is the quality check (``attach_findings``): findings are not stored anywhere,
they are re-derived from each interpretation's latest revision by ``gate_findings()`` (the same
anti-formalism check the editor panel and the review task run). That is CPU work per
interpretation (an n-gram comparison against the policy text), so it is done only for the rows
on the page being displayed, with two batched queries for the whole page. Exports leave it out
on purpose: running the check over thousands of interpretations would make a download take
minutes, and a number computed at export time would already be stale by the time the
interpretation is edited again. Reviewers see the current findings in the report and in the
editor.
"""
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, CharField, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from wagtail.models import Page, WorkflowState

from cms.models import Department, PolicyDocumentPage
from cms.models.gate import user_is_reviewer

from .models import InterpretationPage, InterpretationStage


class InterpretationStatus(models.TextChoices):
    """Best status among a policy's first-stage interpretations (published > in moderation > draft)."""

    NONE = "none", "无解读"
    DRAFT = "draft", "草稿"
    MODERATION = "moderation", "审核中"
    PUBLISHED = "published", "已发布"


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    MODERATION = "moderation", "审核中"
    PUBLISHED = "published", "已发布"


SYNC_LABEL = "同步"


# --- who may see what ---------------------------------------------------------------------------
def can_view_ledger(user):
    """Superusers, reviewers (政务公开办) and the editors of any department."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user_is_reviewer(user) or Department.for_user(user).exists()


def visible_departments(user):
    """Reviewers and superusers see every department; a department editor only their own."""
    if user.is_authenticated and user_is_reviewer(user):
        return Department.objects.all()
    return Department.for_user(user)


# --- the queryset -----------------------------------------------------------------------------------
def _in_moderation():
    """Exists: a workflow in progress on the page referenced by ``OuterRef("pk")``.

    Pages store their workflow states against the base ``Page`` content type with the primary
    key as a string, the same lookup Wagtail's own ``annotate_approved_schedule`` uses.
    """
    return Exists(WorkflowState.objects.filter(
        status=WorkflowState.STATUS_IN_PROGRESS,
        base_content_type=ContentType.objects.get_for_model(Page),
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
    ))


def annotate_ledger(queryset):
    """Add the ledger's annotations to a PolicyDocumentPage queryset (no per-row queries).

    - ``policy_status``: published / moderation / draft for the policy itself;
    - ``interpretation_status``: best status among its first-stage interpretations;
    - ``first_interpretation_published_at``: first publication of its earliest live first-stage
      interpretation;
    - ``follow_up_count``: live follow-up interpretations (二次解读/跟踪解读);
    - ``interpretation_count``: interpretations of any stage and status.
    """
    interpretations = InterpretationPage.objects.filter(policy_document=OuterRef("pk"))
    first = interpretations.filter(stage=InterpretationStage.FIRST)
    live_first = first.filter(live=True)
    follow_ups = (interpretations.filter(stage=InterpretationStage.FOLLOW_UP, live=True)
                  .order_by().values("policy_document").annotate(n=Count("pk")).values("n"))
    all_count = interpretations.order_by().values("policy_document").annotate(n=Count("pk")).values("n")

    return queryset.annotate(
        policy_in_moderation=_in_moderation(),
        has_live_interpretation=Exists(live_first),
        has_interpretation_in_moderation=Exists(first.filter(_in_moderation())),
        has_first_interpretation=Exists(first),
        first_interpretation_published_at=Subquery(
            live_first.order_by("first_published_at").values("first_published_at")[:1]),
        follow_up_count=Coalesce(Subquery(follow_ups, output_field=IntegerField()), 0),
        interpretation_count=Coalesce(Subquery(all_count, output_field=IntegerField()), 0),
    ).annotate(
        interpretation_status=Case(
            When(has_live_interpretation=True, then=Value(InterpretationStatus.PUBLISHED.value)),
            When(has_interpretation_in_moderation=True, then=Value(InterpretationStatus.MODERATION.value)),
            When(has_first_interpretation=True, then=Value(InterpretationStatus.DRAFT.value)),
            default=Value(InterpretationStatus.NONE.value),
            output_field=CharField(),
        ),
        policy_status=Case(
            When(live=True, then=Value(PolicyStatus.PUBLISHED.value)),
            When(policy_in_moderation=True, then=Value(PolicyStatus.MODERATION.value)),
            default=Value(PolicyStatus.DRAFT.value),
            output_field=CharField(),
        ),
    )


def scoped_policies(user=None):
    """Policies that must be interpreted (live or not) that the user may see in the ledger.

    ``user=None`` means unscoped (management commands, tests of the builder itself).
    """
    queryset = PolicyDocumentPage.objects.filter(must_interpret=True)
    if user is not None and not user_is_reviewer(user):
        queryset = queryset.filter(drafting_department__in=Department.for_user(user))
    return queryset


def ledger_queryset(user=None):
    """The ledger's rows: ``scoped_policies`` with their department and all annotations."""
    return annotate_ledger(scoped_policies(user).select_related("drafting_department"))


def year_choices(user=None):
    """Publication years present among the user's ledger rows, newest first (one query)."""
    years = scoped_policies(user).dates("publish_date", "year", order="DESC")
    return [(str(d.year), f"{d.year} 年") for d in years]


# --- per-row values computed in Python from the annotations (no queries) ---------------------
def days_to_interpretation(publish_date, first_interpretation_published_at):
    """Days from the policy's 发布日期 to the first publication of a live first-stage interpretation.

    The policy's ``publish_date`` (the official 发布日期 shown in the ledger) is the reference, so
    the number agrees with the two date columns next to it. Zero or negative means the
    interpretation was out no later than the policy (同步); ``None`` means none is live yet.
    """
    if publish_date is None or first_interpretation_published_at is None:
        return None
    return (timezone.localdate(first_interpretation_published_at) - publish_date).days


def decorate_row(policy):
    """Set display/export attributes on an annotated policy row. Idempotent, no queries."""
    policy.policy_status_label = PolicyStatus(policy.policy_status).label
    policy.interpretation_status_label = InterpretationStatus(policy.interpretation_status).label
    published_at = policy.first_interpretation_published_at
    policy.first_interpretation_date = timezone.localdate(published_at) if published_at else None
    days = days_to_interpretation(policy.publish_date, published_at)
    policy.days_to_interpretation = days
    if days is None:
        policy.sync_label = ""
    elif days <= 0:
        policy.sync_label = SYNC_LABEL
    else:
        policy.sync_label = f"滞后 {days} 天"
    policy.department_name = str(policy.drafting_department) if policy.drafting_department_id else ""
    return policy


def with_latest_revision_fields(page):
    """The page with its own (non-relational) field values replaced by those of its latest revision.

    What ``revision.as_object()`` gives the check, without its cost: ``as_object`` goes through
    modelcluster's ``from_serializable_data``, which looks up every foreign key of the revision
    (locale, content type, department, policy ...) — four or five queries per interpretation.
    The quality check reads only the page's own text fields, so those are copied here.
    """
    revision = page.latest_revision
    if revision is None:
        return page
    data = revision.content
    for field in type(page)._meta.concrete_fields:
        if field.is_relation or field.primary_key or field.attname not in data:
            continue
        setattr(page, field.attname, field.to_python(data[field.attname]))
    return page


def attach_findings(policies):
    """Quality findings for the latest revision of every interpretation of the given policies.

    Per-row work, for the displayed page only (see the module docstring): two queries for the
    whole page (interpretations with their latest revisions), then ``gate_findings()`` on each
    interpretation rebuilt from its latest revision. Sets ``findings`` (a list of
    ``(interpretation title, [messages])`` for interpretations with findings) and
    ``findings_count`` on each policy; ``findings_count`` is ``None`` when there is nothing to check.
    """
    policies = list(policies)
    by_pk = {policy.pk: policy for policy in policies}
    for policy in policies:
        policy.findings, policy.findings_count = [], None
    if not by_pk:
        return policies
    interpretations = (InterpretationPage.objects.filter(policy_document_id__in=by_pk)
                       .select_related("latest_revision").order_by("path"))
    for interpretation in interpretations:
        policy = by_pk[interpretation.policy_document_id]
        title = interpretation.draft_title or interpretation.title
        content = with_latest_revision_fields(interpretation)
        content.policy_document = policy  # the policy row is already loaded: no query in .policy
        messages = [f["message"] for f in content.gate_findings()]
        policy.findings_count = (policy.findings_count or 0) + len(messages)
        if messages:
            policy.findings.append((title, messages))
    return policies


# --- coverage per department (the chart) ------------------------------------------------------
def coverage_by_department(queryset):
    """One aggregate query: per department, policies requiring interpretation and how many are covered.

    "Covered" means a live first-stage interpretation (status 已发布), the same test as the
    status column. Returns dicts with label, covered, total and percent, by department code.
    """
    rows = (queryset.order_by().values("drafting_department", "drafting_department__short_name",
                                       "drafting_department__code")
            .annotate(total=Count("pk"), covered=Count("pk", filter=Q(has_live_interpretation=True))))
    result = []
    for row in rows:
        total, covered = row["total"], row["covered"]
        result.append({
            "label": row["drafting_department__short_name"] or "未指定部门",
            "code": row["drafting_department__code"] or "",
            "total": total,
            "covered": covered,
            # Rounded down, so a department is never shown as 100% while one policy is missing.
            "percent": covered * 100 // total if total else 0,
        })
    result.sort(key=lambda r: (r["code"] == "", r["code"]))
    return result
