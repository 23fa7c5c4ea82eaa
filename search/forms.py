"""Validation of search parameters (hotline page, public page, JSON API) and of operator feedback."""
import threading
from collections import OrderedDict

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from cms.models import Department, Validity
from consultations.privacy import clean_text, mask_personal_data

from .backends.base import SearchFilters
from .service import MAX_LIMIT, MAX_OFFSET

MAX_QUERY = 100


class RememberedSelect(forms.Select):
    """A <select> whose HTML this process keeps per name, value, attributes and choices.

    Django renders a select through its widget templates, one include per option: about 0.3 ms
    each, and the hotline page has three on every search (department ×2, validity) with the same
    few values each time. The HTML depends on nothing else, so it is kept (the most recent 256).
    """

    LIMIT = 256
    _rendered = OrderedDict()
    _lock = threading.Lock()

    def render(self, name, value, attrs=None, renderer=None):
        try:
            key = (name, repr(value), tuple(sorted({**self.attrs, **(attrs or {})}.items())), tuple(self.choices),
                   self.is_required, type(renderer))
            hash(key)
        except TypeError:  # choices or attributes that cannot be a key (option groups, lists)
            return super().render(name, value, attrs, renderer)
        with self._lock:
            html = self._rendered.get(key)
            if html is not None:
                self._rendered.move_to_end(key)
                return html
        html = super().render(name, value, attrs, renderer)
        with self._lock:
            self._rendered[key] = html
            while len(self._rendered) > self.LIMIT:
                self._rendered.popitem(last=False)
        return html


class SearchForm(forms.Form):
    q = forms.CharField(label="问题或关键词", max_length=MAX_QUERY, required=False, strip=True,
                        error_messages={"max_length": f"检索词太长，请控制在 {MAX_QUERY} 个字以内。"})
    department = forms.ChoiceField(label="部门", required=False, widget=RememberedSelect)
    topic = forms.CharField(label="主题", max_length=50, required=False)
    validity = forms.ChoiceField(label="效力", required=False, choices=[("", "现行有效和已修改")] + Validity.choices,
                                 widget=RememberedSelect)
    include_repealed = forms.BooleanField(label="含已废止", required=False)
    date_from = forms.DateField(label="发布日期从", required=False,
                                error_messages={"invalid": "日期格式应为 2021-06-01。"})
    date_to = forms.DateField(label="至", required=False, error_messages={"invalid": "日期格式应为 2021-06-01。"})
    page = forms.IntegerField(label="页码", required=False, min_value=1, max_value=MAX_OFFSET // 10,
                              error_messages={"invalid": "页码应为正整数。", "min_value": "页码应为正整数。",
                                              "max_value": f"页码不能超过 {MAX_OFFSET // 10}。"})

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        # departments: Department.short_names() when the view has it already (one cache read a page)
        self.fields["department"].choices = [("", "全部部门"), *(departments or Department.short_names())]
        self.fields["department"].error_messages["invalid_choice"] = "没有这个部门，请从列表中选择。"
        self.fields["validity"].error_messages["invalid_choice"] = "效力只能是 current、amended、repealed 或 expired。"
        for name in ("q", "topic"):
            for validator in self.fields[name].validators:
                if isinstance(validator, ProhibitNullCharactersValidator):
                    validator.message = "检索词里有不可见的空字符（\\x00），请删除后重新输入。"

    def clean_q(self):
        return clean_text(self.cleaned_data.get("q", ""))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data

    def filters(self):
        data = self.cleaned_data
        validity = (data["validity"],) if data.get("validity") else ()
        return SearchFilters(
            departments=(data["department"],) if data.get("department") else (), topic=data.get("topic", ""),
            validity=validity, include_repealed=bool(data.get("include_repealed")),
            date_from=data.get("date_from"), date_to=data.get("date_to"),
        )


class ApiSearchForm(SearchForm):
    """The JSON API: same parameters, plus limit/offset; ``q`` is required."""

    q = forms.CharField(max_length=MAX_QUERY, strip=True,
                        error_messages={"required": "缺少参数 q（检索词）。",
                                        "max_length": f"参数 q 太长，请控制在 {MAX_QUERY} 个字以内。"})
    include_repealed = forms.TypedChoiceField(
        required=False, choices=[("0", "否"), ("1", "是"), ("false", "否"), ("true", "是")],
        coerce=lambda v: v in ("1", "true"), empty_value=False,
        error_messages={"invalid_choice": "参数 include_repealed 只能是 0 或 1。"})
    limit = forms.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT,
                               error_messages={"invalid": "参数 limit 应为整数。",
                                               "min_value": "参数 limit 至少为 1。",
                                               "max_value": f"参数 limit 不能超过 {MAX_LIMIT}。"})
    offset = forms.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET,
                                error_messages={"invalid": "参数 offset 应为整数。",
                                                "min_value": "参数 offset 不能为负数。",
                                                "max_value": f"参数 offset 不能超过 {MAX_OFFSET}。"})

    def clean_q(self):
        q = super().clean_q()
        if not q:
            raise forms.ValidationError("参数 q（检索词）不能为空。")
        return q


class KnowledgeGapForm(forms.Form):
    query = forms.CharField(label="检索词", max_length=200,
                            error_messages={"required": "请先输入检索词再登记。", "max_length": "检索词太长（200 字以内）。"})
    note = forms.CharField(label="来电人想问什么（选填，不要填写姓名、电话、身份证号）", max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"max_length": "补充说明请控制在 500 字以内。"})
    department = forms.ChoiceField(label="可能的答复部门", required=False, widget=RememberedSelect)

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "不确定"), *(departments or Department.short_names())]
        self.fields["department"].error_messages["invalid_choice"] = "没有这个部门，请从列表中选择。"

    # Masking can lengthen a value (a@b.cn → [邮箱已隐藏]): cut to the column after it.
    def clean_query(self):
        return mask_personal_data(clean_text(self.cleaned_data["query"]))[:200]

    def clean_note(self):
        return mask_personal_data(clean_text(self.cleaned_data.get("note", "")))[:500]


class FeedbackForm(forms.Form):
    key = forms.RegexField(regex=r"^(qa|interp|policy):[0-9a-z:\-]{1,60}$", max_length=80,
                           error_messages={"invalid": "无法识别的答案。", "required": "无法识别的答案。"})
    helpful = forms.TypedChoiceField(choices=[("1", "有用"), ("0", "没用")], coerce=lambda v: v == "1",
                                     error_messages={"required": "请选择有用或没用。", "invalid_choice": "请选择有用或没用。"})
    query = forms.CharField(max_length=200, required=False)
    question = forms.CharField(max_length=300, required=False)
    department = forms.SlugField(max_length=30, required=False)

    def clean_query(self):
        return mask_personal_data(clean_text(self.cleaned_data.get("query", "")))[:200]

    def clean_question(self):
        return mask_personal_data(clean_text(self.cleaned_data.get("question", "")))[:300]
