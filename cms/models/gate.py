"""The publication gate: content checks that block publishing unless a reviewer overrides them.

Policy documents must go live with an approved interpretation (同步解读, P6); interpretations
must pass the anti-formalism quality check (P4). Every publish path in Wagtail ends in
``Page.publish(revision)``, so the guard lives there; the review task offers reviewers an
"override with a reason" action instead of "approve" while findings exist.
"""
from django import forms
from django.conf import settings
from django.db import models, transaction
from wagtail.forms import TaskStateCommentForm
from wagtail.log_actions import log
from wagtail.models import AbstractGroupApprovalTask

OVERRIDE_LOG_ACTION = "cms.publication_override"


class PublicationBlocked(Exception):
    """Raised when a revision with unresolved findings is published without an override."""

    def __init__(self, findings):
        self.findings = findings
        super().__init__("；".join(f["message"] for f in findings))


class PublicationGateMixin:
    """Mixed into page models whose publication is checked. Subclasses define gate_findings()."""

    def gate_findings(self):
        """A list of findings: dicts with code, message and optional passages. Empty means pass."""
        return []

    def publish(self, revision, *args, user=None, **kwargs):
        content = revision.as_object()
        findings = content.gate_findings()
        if findings and not PublicationOverride.objects.filter(page_id=self.pk, revision=revision).exists():
            raise PublicationBlocked(findings)
        return super().publish(revision, *args, user=user, **kwargs)


class PublicationOverride(models.Model):
    """A reviewer's decision to publish despite findings; the reason is also in the audit log."""

    page = models.ForeignKey("wagtailcore.Page", verbose_name="页面", on_delete=models.CASCADE,
                             related_name="publication_overrides")
    revision = models.ForeignKey("wagtailcore.Revision", verbose_name="版本", on_delete=models.CASCADE,
                                 related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="放行人", on_delete=models.PROTECT,
                             related_name="+")
    reason = models.TextField("放行理由")
    findings = models.JSONField("当时的检查结果", default=list)
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "人工放行记录"
        verbose_name_plural = "人工放行记录"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.page} · {self.user} · {self.created_at:%Y-%m-%d %H:%M}"


def user_is_reviewer(user):
    from cms.roles import REVIEWERS_GROUP

    return user.is_superuser or user.groups.filter(name=REVIEWERS_GROUP).exists()


@transaction.atomic
def record_override(page, revision, user, reason, findings):
    """Store an override for one revision and write it to Wagtail's audit log."""
    if not user_is_reviewer(user):
        raise PermissionError("只有政务公开办审核人员可以人工放行。")
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValueError("放行理由至少 10 个字。")
    override = PublicationOverride.objects.create(page=page, revision=revision, user=user, reason=reason,
                                                  findings=findings)
    log(instance=page, action=OVERRIDE_LOG_ACTION, user=user, revision=revision,
        data={"reason": reason, "findings": [f["message"] for f in findings]})
    return override


class OverrideReasonForm(TaskStateCommentForm):
    comment = forms.CharField(label="放行理由", min_length=10, widget=forms.Textarea({"rows": 3}),
                              help_text="说明为什么检查未通过仍需发布（至少 10 个字），将记入审计日志",
                              error_messages={"required": "请填写放行理由。",
                                              "min_length": "放行理由至少 10 个字。"})


class ReviewTask(AbstractGroupApprovalTask):
    """政务公开办审核: group approval, plus the gate — failing content can only be overridden with a reason."""

    @staticmethod
    def findings_for(obj):
        page = obj.specific
        revision = page.get_latest_revision()
        content = revision.as_object() if revision else page
        return content.gate_findings() if hasattr(content, "gate_findings") else []

    def get_actions(self, obj, user):
        actions = super().get_actions(obj, user)
        if actions and self.findings_for(obj):
            return [("reject", "退回修改", True), ("override", "检查未通过，说明理由后放行", True)]
        return actions

    def get_form_for_action(self, action):
        return OverrideReasonForm if action == "override" else super().get_form_for_action(action)

    @transaction.atomic
    def on_action(self, task_state, user, action_name, **kwargs):
        if action_name == "override":
            page = task_state.workflow_state.content_object.specific
            record_override(page, page.get_latest_revision(), user, kwargs.get("comment"),
                            self.findings_for(page))
            task_state.approve(user=user, comment=kwargs.get("comment", ""))
            return None  # the view treats a return value as a redirect URL
        return super().on_action(task_state, user, action_name, **kwargs)

    @classmethod
    def get_description(cls):
        return "所选用户组成员审核发布；解读质量或同步解读检查未通过时，只能退回或说明理由后放行"

    class Meta:
        verbose_name = "政务公开办审核"
        verbose_name_plural = "政务公开办审核"
