"""Forms and filters of the opinion-handling admin (意见处理).

Every filter works on a column that has an index together with ``consultation``
(see ``Opinion.Meta.indexes``): moderation_status, category, clause_number, decision,
fingerprint. The handler filter uses the foreign key's own index.

Full-text search is a plain ``icontains`` on the opinion text (``LIKE '%…%'``). It scans the
consultation's opinions, which is acceptable at the scale we know (75,899 opinions in one
consultation: a sequential scan of one consultation's rows, well under a second). Users who
may not see personal data search ``public_text`` (the text with phone and ID numbers masked)
so that the search box cannot be used to probe for a phone number. A receipt number
(``YJ-20260101-000123``) typed into the box finds that opinion exactly.
"""
import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from wagtail.admin.filters import WagtailFilterSet

from cms.roles import REVIEWERS_GROUP

from .models import ConsultationPage, Decision, ModerationStatus, Opinion, ReplyTemplate

NONE = "none"  # filter value for "no clause / no decision / no handler"
MAX_SELECTED_IDS = 5000
MAX_SELECTED_GROUPS = 1000
FINGERPRINT_RE = re.compile(r"^[0-9a-f]{40}$")
_RECEIPT = re.compile(r"^YJ-\d{8}-\d+$", re.IGNORECASE)


def user_label(user):
    full_name = (user.get_full_name() or "").strip()
    return full_name or user.get_username()


def handler_candidates(consultation):
    """Users who may be assigned an opinion: reviewers, the drafting department's editors, superusers."""
    condition = Q(is_superuser=True) | Q(groups__name=REVIEWERS_GROUP)
    department = consultation.drafting_department
    if department is not None and department.editors_group_id:
        condition |= Q(groups=department.editors_group_id)
    return get_user_model().objects.filter(condition, is_active=True).distinct().order_by("username")


def search_opinions(queryset, query, personal_allowed):
    """``icontains`` search (see the module docstring); exact match on a receipt number."""
    query = (query or "").strip()
    if not query:
        return queryset
    if _RECEIPT.match(query):
        return queryset.filter(receipt_number=query.upper())
    field = "text" if personal_allowed else "public_text"
    return queryset.filter(**{f"{field}__icontains": query})


# --- filters ----------------------------------------------------------------------------------------
class OpinionFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label="审核状态", field_name="moderation_status",
                                         choices=ModerationStatus.choices, empty_label="全部状态")
    category = django_filters.ChoiceFilter(label="意见类别", field_name="category", choices=[],
                                           empty_label="全部类别")
    clause = django_filters.ChoiceFilter(label="针对条款", method="filter_clause", choices=[],
                                         empty_label="全部条款")
    decision = django_filters.ChoiceFilter(label="处理结果", method="filter_decision",
                                           choices=[(NONE, "未答复"), *Decision.choices], empty_label="全部")
    handler = django_filters.ChoiceFilter(label="承办人", method="filter_handler", choices=[],
                                          empty_label="全部承办人")
    group = django_filters.ChoiceFilter(label="显示方式", method="filter_group",
                                        choices=[("1", "按相同意见分组")], empty_label="逐条显示")

    class Meta:
        model = Opinion
        fields = []

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        categories = consultation.category_list()
        present = (Opinion.objects.filter(consultation=consultation).order_by().values_list("category", flat=True)
                   .distinct())
        categories += sorted(set(present) - set(categories))
        self.filters["category"].extra["choices"] = [(c, c) for c in categories]
        self.filters["clause"].extra["choices"] = [(NONE, "总体意见（未针对具体条款）"),
                                                   *consultation.clause_choices()]
        self.filters["handler"].extra["choices"] = [(NONE, "未分配"), *[
            (str(user.pk), user_label(user)) for user in handler_candidates(consultation)]]

    def filter_clause(self, queryset, name, value):
        return queryset.filter(clause_number="" if value == NONE else value)

    def filter_decision(self, queryset, name, value):
        return queryset.filter(decision="" if value == NONE else value)

    def filter_handler(self, queryset, name, value):
        if value == NONE:
            return queryset.filter(handler__isnull=True)
        return queryset.filter(handler_id=int(value))

    def filter_group(self, queryset, name, value):
        return queryset  # a display mode, read by the view


class ConsultationFilterSet(WagtailFilterSet):
    overdue = django_filters.ChoiceFilter(label="只看逾期", method="filter_overdue",
                                          choices=[("1", "只看逾期（反馈期限已过仍未发布结果）")], empty_label="全部")
    department = django_filters.ModelChoiceFilter(label="起草部门", field_name="drafting_department",
                                                  queryset=lambda request: _visible_departments(request),
                                                  empty_label="全部部门")

    class Meta:
        model = ConsultationPage
        fields = []

    def filter_overdue(self, queryset, name, value):
        from .admin_views import overdue_condition

        return queryset.filter(overdue_condition()) if value == "1" else queryset


def _visible_departments(request):
    from cms.models import Department

    from .admin_views import is_reviewer

    if request is None:
        return Department.objects.none()
    if is_reviewer(request.user):
        return Department.objects.all()
    return Department.for_user(request.user)


# --- deciding ---------------------------------------------------------------------------------------
def _reason_error(decision, reply):
    """The model's own rule (Opinion.clean: 未采纳 needs a reason), as a message for the form."""
    try:
        Opinion(decision=decision or "", reply=reply or "").clean()
    except ValidationError as error:
        return error.message_dict.get("reply", error.messages)
    return None


class DecideForm(forms.ModelForm):
    """处理结果 and 答复 for one opinion; a reply template can fill both in."""

    template = forms.ModelChoiceField(label="答复模板", queryset=ReplyTemplate.objects.order_by("title"),
                                      required=False, empty_label="不使用模板",
                                      help_text="选择后点击“套用模板”把模板内容填入下面的答复，再按需修改")
    apply_to_group = forms.BooleanField(label="同时答复全部相同意见", required=False)

    class Meta:
        model = Opinion
        fields = ["decision", "reply"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 6})}
        labels = {"decision": "处理结果", "reply": "答复"}
        help_texts = {"reply": "将告知提交人并随征集结果公开；“未采纳”必须说明理由（至少 5 个字）"}

    def __init__(self, *args, group_size=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].required = True
        self.fields["decision"].choices = [("", "请选择处理结果"), *Decision.choices]
        self.fields["decision"].error_messages["required"] = "请选择处理结果。"
        if group_size > 1:
            self.fields["apply_to_group"].label = f"同时答复全部 {group_size} 条相同意见（同一重复组）"
        else:
            del self.fields["apply_to_group"]

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is not None and not (data.get("reply") or "").strip():
            # An empty reply takes the template's text; Opinion.clean (run by the ModelForm after
            # this method) then checks the 未采纳 rule against the reply actually saved.
            data["reply"] = template.text
        return data


class BulkActionForm(forms.Form):
    ACTIONS = [("approve", "设为公开"), ("hide", "设为不公开"), ("spam", "标记为垃圾信息"),
               ("assign", "分配承办人"), ("decide", "批量答复")]

    action = forms.ChoiceField(label="批量操作", choices=ACTIONS,
                               error_messages={"required": "请选择批量操作。", "invalid_choice": "无效的批量操作。"})
    ids = forms.CharField(required=False)  # cleaned into a list of ints (see clean_ids)
    groups = forms.CharField(required=False)  # cleaned into a list of fingerprints
    handler = forms.ModelChoiceField(label="承办人", queryset=None, required=False, empty_label="选择承办人",
                                     help_text="“分配承办人”时选择",
                                     error_messages={"invalid_choice": "所选承办人不能处理本征集的意见。"})
    decision = forms.ChoiceField(label="处理结果", choices=[("", "按模板"), *Decision.choices], required=False,
                                 help_text="“批量答复”时选择；“未采纳”必须说明理由")
    reply = forms.CharField(label="答复", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text="“批量答复”时填写；留空则使用答复模板的内容")
    template = forms.ModelChoiceField(label="答复模板", queryset=ReplyTemplate.objects.order_by("title"),
                                      required=False, empty_label="不使用模板",
                                      help_text="“批量答复”时可选：未选择的处理结果和未填写的答复取自模板",
                                      error_messages={"invalid_choice": "所选答复模板不存在。"})

    def __init__(self, data=None, *, consultation, **kwargs):
        kwargs.setdefault("auto_id", "bulk-%s")
        super().__init__(data, **kwargs)
        self.consultation = consultation
        self.fields["handler"].queryset = handler_candidates(consultation)
        self.fields["handler"].label_from_instance = user_label
        self._raw_ids = data.getlist("ids") if data is not None else []
        self._raw_groups = data.getlist("groups") if data is not None else []

    def clean_ids(self):
        try:
            ids = sorted({int(value) for value in self._raw_ids if str(value).strip()})
        except (TypeError, ValueError) as error:
            raise ValidationError("所选意见无效。") from error
        if len(ids) > MAX_SELECTED_IDS:
            raise ValidationError(f"一次最多选择 {MAX_SELECTED_IDS} 条意见；整批相同意见请按“相同意见组”处理。")
        return ids

    def clean_groups(self):
        groups = sorted({value.strip().lower() for value in self._raw_groups if value.strip()})
        if any(not FINGERPRINT_RE.match(value) for value in groups):
            raise ValidationError("所选相同意见组无效。")
        if len(groups) > MAX_SELECTED_GROUPS:
            raise ValidationError(f"一次最多选择 {MAX_SELECTED_GROUPS} 组相同意见。")
        return groups

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if not data.get("ids") and not data.get("groups"):
            raise ValidationError("请至少选择一条意见或一组相同意见。")
        action = data.get("action")
        if action == "assign" and data.get("handler") is None:
            self.add_error("handler", "请选择承办人。")
        if action == "decide":
            template = data.get("template")
            data["decision"] = data.get("decision") or (template.decision if template else "")
            data["reply"] = (data.get("reply") or "").strip() or (template.text if template else "")
            if not data["decision"]:
                self.add_error("decision", "请选择处理结果或答复模板。")
            elif not data["reply"].strip():
                self.add_error("reply", "批量答复必须填写答复内容或选择答复模板。")
            else:
                error = _reason_error(data["decision"], data["reply"])
                if error:
                    self.add_error("reply", error)
        return data

    def selection(self):
        """The consultation's opinions chosen by id or by whole duplicate group (fingerprint)."""
        data = self.cleaned_data
        condition = Q()
        if data["ids"]:
            condition |= Q(pk__in=data["ids"])
        if data["groups"]:
            condition |= Q(fingerprint__in=data["groups"])
        return Opinion.objects.filter(condition, consultation=self.consultation)

    def error_text(self):
        messages = []
        for field, errors in self.errors.items():
            label = self.fields[field].label if field in self.fields and field not in ("ids", "groups") else ""
            for error in errors:
                messages.append(f"{label}：{error}" if label else error)
        return "；".join(messages)
