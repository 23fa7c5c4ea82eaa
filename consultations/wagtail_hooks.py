"""Admin integration of the consultations app: 意见处理 views, menu, dashboard panel, snippets, log labels."""
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogFormatter
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from . import admin_views
from .exports import export_opinions
from .models import Decision, ModerationStatus, ReplyTemplate, SensitiveWord
from .submission import SENSITIVE_CACHE_KEY

app_name = "consultations_admin"

urlpatterns = [
    path("", admin_views.ConsultationIndexView.as_view(), name="consultations"),
    path("results/", admin_views.ConsultationIndexView.as_view(results_only=True), name="consultations_results"),
    path("<int:consultation_id>/opinions/", admin_views.OpinionIndexView.as_view(), name="opinions"),
    path("<int:consultation_id>/opinions/results/", admin_views.OpinionIndexView.as_view(results_only=True),
         name="opinions_results"),
    path("<int:consultation_id>/opinions/bulk/", admin_views.bulk_action, name="bulk"),
    path("<int:consultation_id>/opinions/export/", export_opinions, name="export"),
    path("<int:consultation_id>/publish-results/", admin_views.publish_results_view, name="publish_results"),
    path("opinions/<int:opinion_id>/", admin_views.opinion_detail, name="opinion"),
    path("attachments/<int:pk>/", admin_views.attachment_download, name="attachment"),
]


@hooks.register("register_admin_urls")
def register_consultation_admin_urls():
    return [path("consultations/", include((urlpatterns, app_name), namespace=app_name))]


class ConsultationsMenuItem(MenuItem):
    def is_shown(self, request):
        return admin_views.may_use_opinion_admin(request.user)


@hooks.register("register_admin_menu_item")
def register_consultations_menu_item():
    return ConsultationsMenuItem("意见征集", reverse("consultations_admin:consultations"),
                                 name="consultations-admin", icon_name="comment", order=215)


@hooks.register("construct_homepage_panels")
def add_overdue_consultations_panel(request, panels):
    if not admin_views.may_use_opinion_admin(request.user):
        return
    consultations = admin_views.overdue_consultations_for(request.user)
    if consultations:
        panels.append(admin_views.OverdueConsultationsPanel(consultations))


# --- settings: sensitive words and reply templates ----------------------------------------------------
class SensitiveWordViewSet(SnippetViewSet):
    model = SensitiveWord
    icon = "warning"
    menu_label = "敏感词"
    list_display = ["word", "action"]
    list_filter = ["action"]
    search_fields = ["word"]
    ordering = ["word"]


class ReplyTemplateViewSet(SnippetViewSet):
    model = ReplyTemplate
    icon = "doc-full"
    menu_label = "答复模板"
    list_display = ["title", "decision"]
    list_filter = ["decision"]
    search_fields = ["title", "text"]
    ordering = ["title"]


class ConsultationSettingsGroup(SnippetViewSetGroup):
    items = (SensitiveWordViewSet, ReplyTemplateViewSet)
    menu_label = "意见征集设置"
    menu_icon = "cog"
    menu_name = "consultation-settings"
    menu_order = 216


register_snippet(ConsultationSettingsGroup)


def clear_sensitive_word_cache(sender, **kwargs):
    """The submission code caches the word list for 5 minutes; a change applies at once."""
    cache.delete(SENSITIVE_CACHE_KEY)


post_save.connect(clear_sensitive_word_cache, sender=SensitiveWord, dispatch_uid="consultations_sensitive_saved")
post_delete.connect(clear_sensitive_word_cache, sender=SensitiveWord, dispatch_uid="consultations_sensitive_deleted")


# --- audit log labels ---------------------------------------------------------------------------------
STATUS_LABELS = dict(ModerationStatus.choices)
DECISION_LABELS = dict(Decision.choices)


@hooks.register("register_log_actions")
def register_consultation_log_actions(actions):
    @actions.register_action(admin_views.ACTION_DECIDE)
    class DecideFormatter(LogFormatter):
        label = "意见答复"

        def format_message(self, log_entry):
            data = log_entry.data or {}
            old = DECISION_LABELS.get(data.get("old") or "", "未答复")
            new = DECISION_LABELS.get(data.get("new") or "", "未答复")
            prefix = "批量答复" if data.get("bulk") else "答复"
            return f"{prefix}：处理结果 {old} → {new}"

        def format_comment(self, log_entry):
            return (log_entry.data or {}).get("reply", "")

    @actions.register_action(admin_views.ACTION_MODERATE)
    class ModerateFormatter(LogFormatter):
        label = "意见审核"

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return (f"审核状态：{STATUS_LABELS.get(data.get('old'), data.get('old'))} → "
                    f"{STATUS_LABELS.get(data.get('new'), data.get('new'))}")

    @actions.register_action(admin_views.ACTION_ASSIGN)
    class AssignFormatter(LogFormatter):
        label = "分配承办人"

        def format_message(self, log_entry):
            data = log_entry.data or {}
            return f"承办人：{data.get('old_name') or '未分配'} → {data.get('new_name') or '未分配'}"

    @actions.register_action(admin_views.ACTION_EXPORT)
    class ExportFormatter(LogFormatter):
        label = "导出意见"

        def format_message(self, log_entry):
            data = log_entry.data or {}
            extras = [label for key, label in (("personal", "含个人信息"), ("include_hidden", "含不公开和垃圾信息"))
                      if data.get(key)]
            return f"导出意见（{(data.get('format') or '').upper()}{'，' + '，'.join(extras) if extras else ''}）"

    @actions.register_action(admin_views.ACTION_ATTACHMENT)
    class AttachmentFormatter(LogFormatter):
        label = "下载意见附件"

        def format_message(self, log_entry):
            return f"下载附件：{(log_entry.data or {}).get('name', '')}"

    @actions.register_action(admin_views.ACTION_PUBLISH)
    class PublishResultsFormatter(LogFormatter):
        label = "发布征集结果"

        def format_message(self, log_entry):
            count = (log_entry.data or {}).get("opinions")
            return f"发布征集结果（共 {count} 条意见）" if count is not None else "发布征集结果"
