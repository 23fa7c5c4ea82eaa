"""Public filter form for the policy list; every filter combination is a stable GET URL."""
from urllib.parse import urlencode

from django import forms

from cms.models.departments import Department
from cms.models.policies import PolicyCategory, Validity


class PolicyFilterForm(forms.Form):
    q = forms.CharField(label="标题或文号", required=False, max_length=100)
    department = forms.ModelChoiceField(label="起草部门", queryset=Department.objects.all(), required=False,
                                        to_field_name="code", empty_label="全部部门")
    topic = forms.CharField(label="主题", required=False, max_length=100)
    category = forms.ChoiceField(label="文件类别", required=False,
                                 choices=[("", "全部类别"), *PolicyCategory.choices])
    validity = forms.ChoiceField(label="效力状态", required=False, choices=[("", "全部"), *Validity.choices])
    year = forms.IntegerField(label="发布年份", required=False, min_value=1949, max_value=2100,
                              error_messages={"invalid": "请输入四位数年份，例如 2021。",
                                              "min_value": "年份不能早于 1949。",
                                              "max_value": "年份不能晚于 2100。"})

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("q"):
            from django.db.models import Q

            queryset = queryset.filter(Q(title__icontains=data["q"]) | Q(doc_number__icontains=data["q"]))
        if data.get("department"):
            queryset = queryset.filter(drafting_department=data["department"])
        if data.get("topic"):
            queryset = queryset.filter(topics__name=data["topic"])
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        if data.get("validity"):
            queryset = queryset.filter(validity=data["validity"])
        if data.get("year"):
            queryset = queryset.filter(publish_date__year=data["year"])
        return queryset.distinct()

    def query_string_without_page(self):
        """The current filters in a fixed order, so that each combination has one stable URL."""
        pairs = [(name, self.data.get(name)) for name in self.fields if self.data.get(name)]
        return urlencode(pairs)
