"""The opinion form: works without JavaScript, explains every error in Chinese next to its field."""
import uuid

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from .models import ContactRequirement
from .privacy import clean_text, mask_personal_data

phone_validator = RegexValidator(r"^[0-9+\-\s]{7,20}$", "请填写有效的电话号码，例如 13912345678 或 0991-1234567。")
ALLOWED_ATTACHMENT_TYPES = {".pdf": b"%PDF", ".png": b"\x89PNG", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff"}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class OpinionForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50, required=False)
    phone = forms.CharField(label="电话", max_length=20, required=False, validators=[phone_validator])
    email = forms.EmailField(label="电子邮箱", required=False,
                             error_messages={"invalid": "请填写有效的电子邮箱，例如 name@example.com。"},
                             help_text="填写后，结果公布时会发邮件通知您")
    category = forms.ChoiceField(label="意见类别")
    clause = forms.ChoiceField(label="针对条款", required=False)
    text = forms.CharField(label="意见内容", widget=forms.Textarea(attrs={"rows": 8}))
    attachments = MultipleFileField(label="附件（可选）", required=False)
    consent = forms.BooleanField(label="我已阅读并同意个人信息保护说明",
                                 error_messages={"required": "请阅读并勾选同意个人信息保护说明后再提交。"})
    # A field people never see: bots fill it in.
    website = forms.CharField(label="请勿填写此项", required=False)
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, consultation, *args, clause=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        self.fields["category"].choices = [("", "请选择")] + [(c, c) for c in consultation.category_list()]
        self.fields["clause"].choices = [("", "总体意见（不针对具体条款）")] + consultation.clause_choices()
        if clause:
            self.fields["clause"].initial = clause
        self.fields["token"].initial = uuid.uuid4().hex
        min_len, max_len = settings.OPINION_TEXT_MIN, settings.OPINION_TEXT_MAX
        text = self.fields["text"]
        text.min_length, text.max_length = min_len, max_len
        text.help_text = f"{min_len}–{max_len} 字。请勿在意见中填写身份证号、电话等个人信息，系统会自动隐藏。"
        text.error_messages.update({"required": "请填写意见内容。",
                                    "min_length": f"意见内容至少 {min_len} 个字。",
                                    "max_length": f"意见内容不能超过 {max_len} 字（当前 %(show_value)d 字）。"})
        text.validators[:] = []
        max_mb = settings.OPINION_ATTACHMENT_MAX_MB
        self.fields["attachments"].help_text = (
            f"PDF、PNG 或 JPG，最多 {settings.OPINION_ATTACHMENT_MAX_FILES} 个，每个不超过 {max_mb} MB")
        self.fields["category"].error_messages["required"] = "请选择意见类别。"
        self.fields["category"].error_messages["invalid_choice"] = "请从列表中选择意见类别。"
        self.fields["clause"].error_messages["invalid_choice"] = "请从列表中选择条款。"
        if consultation.require_real_name:
            self.fields["name"].required = True
            self.fields["name"].error_messages["required"] = "本次征集要求实名，请填写姓名。"
            self.fields["name"].help_text = "公开展示时只显示姓氏，例如：张**"
        else:
            self.fields["name"].help_text = "选填；公开展示时只显示姓氏，例如：张**"
        self.contact_required = consultation.contact_requirement == ContactRequirement.REQUIRED
        self._add_question_fields()

    def _add_question_fields(self):
        self.question_fields = []
        for block_id, kind, value in self.consultation.questions():
            name = f"q_{block_id}"
            label, required = value["question"], value["required"]
            if kind == "choice":
                options = [(o.strip(), o.strip()) for o in value["options"].splitlines() if o.strip()]
                field_class = forms.MultipleChoiceField if value["multiple"] else forms.ChoiceField
                widget = forms.CheckboxSelectMultiple if value["multiple"] else forms.RadioSelect
                field = field_class(label=label, required=required, choices=options, widget=widget)
            elif kind == "rating":
                field = forms.TypedChoiceField(
                    label=label, required=required, coerce=int, widget=forms.RadioSelect,
                    choices=[(i, f"{i} 分") for i in range(1, 6)],
                    help_text=f"1 分：{value['low_label']}；5 分：{value['high_label']}")
            else:
                field = forms.CharField(label=label, required=required, max_length=200,
                                        error_messages={"max_length": "简答不超过 200 字。"})
            field.error_messages["required"] = f"请回答问卷题目：{label}"
            self.fields[name] = field
            self.question_fields.append((block_id, kind, name))

    def clean_text(self):
        text = clean_text(self.cleaned_data["text"])
        if len(text) < settings.OPINION_TEXT_MIN:
            raise forms.ValidationError(f"意见内容至少 {settings.OPINION_TEXT_MIN} 个字（去除格式后）。")
        return text

    def clean_name(self):
        return clean_text(self.cleaned_data["name"])

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        if len(files) > settings.OPINION_ATTACHMENT_MAX_FILES:
            raise forms.ValidationError(f"附件最多 {settings.OPINION_ATTACHMENT_MAX_FILES} 个。")
        for f in files:
            ext = "." + f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
            if ext not in ALLOWED_ATTACHMENT_TYPES:
                raise forms.ValidationError(f"附件“{f.name}”的类型不支持，只能上传 PDF、PNG 或 JPG。")
            if f.size > settings.OPINION_ATTACHMENT_MAX_MB * 1024 * 1024:
                raise forms.ValidationError(f"附件“{f.name}”超过 {settings.OPINION_ATTACHMENT_MAX_MB} MB。")
            head = f.read(8)
            f.seek(0)
            if not head.startswith(ALLOWED_ATTACHMENT_TYPES[ext]):
                raise forms.ValidationError(f"附件“{f.name}”的内容与扩展名不符，请上传真实的 PDF 或图片文件。")
        return files

    def clean(self):
        data = super().clean()
        if self.contact_required and not (data.get("phone") or data.get("email")):
            self.add_error("phone", "本次征集要求留下联系方式，请填写电话或电子邮箱。")
        return data

    @property
    def question_bound_fields(self):
        return [self[name] for _block_id, _kind, name in self.question_fields]

    @property
    def is_bot(self):
        return bool(self.data.get("website"))

    def answers(self):
        for block_id, kind, name in self.question_fields:
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            if kind == "choice":
                for choice in value if isinstance(value, list) else [value]:
                    yield {"question_id": block_id, "choice": choice}
            elif kind == "rating":
                yield {"question_id": block_id, "rating": value}
            else:
                # Short answers appear in public statistics: hide personal numbers typed into them.
                # Cut to the column after masking, which can lengthen the text (a@b.cn → [邮箱已隐藏]).
                yield {"question_id": block_id, "text": mask_personal_data(clean_text(value))[:200]}


class LookupForm(forms.Form):
    receipt = forms.CharField(label="回执编号", max_length=30,
                              error_messages={"required": "请填写回执编号。"})
    code = forms.CharField(label="查询码", max_length=8, min_length=8,
                           error_messages={"required": "请填写 8 位查询码。", "min_length": "查询码是 8 位数字。",
                                           "max_length": "查询码是 8 位数字。"})
