"""Public consultations (意见征集): a draft with its explanation, opinions in, adoption fed back."""
import datetime
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms import routing
from cms.blocks import PolicyBodyBlock
from cms.routing import RememberedRestrictionsMixin

from .blocks import QuestionnaireBlock
from .storage import private_storage

# The 16 categories of the 2020 Urumqi consultation (seed 001 一(三)一).
DEFAULT_CATEGORIES = [
    "就业创业", "社会保障", "环境保护", "卫生健康", "城市建设管理", "城市交通", "住房保障", "教育",
    "文化", "体育", "扶贫救助", "食品药品安全", "公共安全", "养老服务", "政务服务", "便民服务",
]

DEFAULT_PRIVACY_NOTICE = (
    "<p>您提交的姓名、电话、电子邮箱仅用于起草部门核实意见和反馈采纳情况，不会在网站公开，"
    "不会提供给任何第三方。公开展示意见时，姓名只显示姓氏，意见中出现的电话、身份证号和邮箱会被隐藏。"
    "意见征集结束并反馈后，联系方式将按档案管理规定保存，到期销毁。</p>"
)


class ConsultationState(models.TextChoices):
    DRAFT = "draft", "草稿"
    UPCOMING = "upcoming", "即将开始"
    OPEN = "open", "征集中"
    CLOSED = "closed", "已截止"
    ANSWERED = "answered", "已反馈"


class ContactRequirement(models.TextChoices):
    OPTIONAL = "optional", "选填"
    REQUIRED = "required", "必填（至少填写电话或邮箱之一）"


class ConsultationIndexPage(RoutablePageMixin, Page):
    """意见征集 column: open, closed and answered consultations, filterable; receipt lookup."""

    intro = models.TextField("栏目说明", blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count = 1
    search_fields = Page.search_fields

    class Meta:
        verbose_name = "意见征集栏目"

    def get_context(self, request, *args, **kwargs):
        from .views import consultation_index_context

        context = super().get_context(request, *args, **kwargs)
        context.update(consultation_index_context(request))
        return context

    @path("")
    def index_route(self, request):
        return self.render(request)

    @path("chaxun/")
    def lookup_route(self, request):
        from .views import lookup

        return lookup(request, self)


class ConsultationPage(RememberedRestrictionsMixin, Page):
    """A draft decision out for public comment, in its drafting department's folder."""
    route_select_related = ("drafting_department",)  # cms/routing.py: the remembered page, fetched typed

    drafting_department = models.ForeignKey("cms.Department", verbose_name="起草部门", on_delete=models.PROTECT,
                                            null=True, editable=False, related_name="consultations")
    summary = models.TextField("征集说明", max_length=500, help_text="一两句话：征求什么意见、和谁有关")
    explanation = RichTextField("起草说明", features=["h3", "h4", "bold", "italic", "link", "ol", "ul"],
                                help_text="谁起草、谁解读：说明起草背景、主要内容和需要重点听取意见的问题")
    draft = StreamField(PolicyBodyBlock(), verbose_name="草案全文（按条款）", use_json_field=True)
    topics = models.CharField("主题", max_length=200, blank=True, help_text="用逗号分隔，例如：养老服务,医疗卫生")
    start_at = models.DateTimeField("开始时间")
    end_at = models.DateTimeField("截止时间", help_text="到此时刻（北京时间）起不再接受意见")
    contact_address = models.CharField("书面意见邮寄地址", max_length=200, blank=True)
    contact_email = models.EmailField("电子邮箱", blank=True)
    contact_fax = models.CharField("传真", max_length=50, blank=True)
    categories = models.TextField("意见类别", default="\n".join(DEFAULT_CATEGORIES), help_text="每行一个类别")
    require_real_name = models.BooleanField("要求实名", default=False)
    contact_requirement = models.CharField("联系方式", max_length=10, choices=ContactRequirement.choices,
                                           default=ContactRequirement.OPTIONAL)
    privacy_notice = RichTextField("个人信息保护说明", default=DEFAULT_PRIVACY_NOTICE, features=["bold", "link"])
    questionnaire = StreamField(QuestionnaireBlock(), verbose_name="问卷调查", blank=True, use_json_field=True)
    results_summary = RichTextField("意见采纳情况说明", blank=True,
                                    features=["h3", "h4", "bold", "italic", "link", "ol", "ul"],
                                    help_text="征集结束后由起草部门填写：总体情况、主要意见及采纳情况、未采纳的理由")
    results_published_at = models.DateTimeField("结果发布时间", null=True, blank=True, editable=False)

    content_panels = Page.content_panels + [
        FieldPanel("summary"), FieldPanel("topics"), FieldPanel("explanation"), FieldPanel("draft"),
        InlinePanel("attachments", heading="附件", label="附件"),
    ]
    settings_panels_ = [
        FieldRowPanel([FieldPanel("start_at"), FieldPanel("end_at")], heading="征集时间"),
        MultiFieldPanel([FieldPanel("contact_address"), FieldPanel("contact_email"), FieldPanel("contact_fax")],
                        heading="其他提交渠道"),
        FieldPanel("categories"),
        MultiFieldPanel([FieldPanel("require_real_name"), FieldPanel("contact_requirement"),
                         FieldPanel("privacy_notice")], heading="实名与个人信息"),
    ]
    edit_handler = TabbedInterface([
        ObjectList(content_panels, heading="草案"),
        ObjectList(settings_panels_, heading="征集设置"),
        ObjectList([FieldPanel("questionnaire")], heading="问卷"),
        ObjectList([FieldPanel("results_summary")], heading="采纳情况"),
        ObjectList(Page.promote_panels, heading="推广"),
        ObjectList(Page.settings_panels, heading="设置"),
    ])
    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("explanation"),
                                          index.FilterField("drafting_department"), index.FilterField("end_at")]
    parent_page_types = ["cms.DepartmentPolicyIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "意见征集"
        verbose_name_plural = "意见征集"

    def clean(self):
        super().clean()
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise ValidationError({"end_at": "截止时间必须晚于开始时间。"})
        if len(self.category_list()) < 1:
            raise ValidationError({"categories": "请至少填写一个意见类别。"})

    def save(self, *args, **kwargs):
        parent = self.get_parent() if self.depth else None
        if parent is not None and hasattr(parent.specific, "department_id"):
            self.drafting_department_id = parent.specific.department_id
        return super().save(*args, **kwargs)

    # --- lifecycle ----------------------------------------------------------------------------
    def state_at(self, now):
        if not self.live:
            return ConsultationState.DRAFT
        if self.results_published_at:
            return ConsultationState.ANSWERED
        if now < self.start_at:
            return ConsultationState.UPCOMING
        if now < self.end_at:
            return ConsultationState.OPEN
        return ConsultationState.CLOSED

    @property
    def state(self):
        return self.state_at(timezone.now())

    def accepts_opinions_at(self, now):
        """The boundary is exact: open from start_at inclusive to end_at exclusive."""
        return self.live and not self.results_published_at and self.start_at <= now < self.end_at

    @property
    def time_left(self):
        return max(self.end_at - timezone.now(), datetime.timedelta(0))

    @property
    def time_left_display(self):
        left = self.time_left
        days, hours, minutes = left.days, left.seconds // 3600, left.seconds % 3600 // 60
        return f"{days} 天 {hours} 小时" if days else f"{hours} 小时 {minutes} 分钟"

    @property
    def feedback_due(self):
        return self.end_at + datetime.timedelta(days=settings.CONSULTATION_FEEDBACK_DAYS)

    @property
    def feedback_overdue(self):
        return not self.results_published_at and timezone.now() > self.feedback_due

    def category_list(self):
        return [c.strip() for c in (self.categories or "").splitlines() if c.strip()]

    def topic_list(self):
        return [t.strip() for t in self.topics.replace("，", ",").split(",") if t.strip()]

    def clause_choices(self):
        return self._per_generation("clauses", lambda: [
            (b.value["number"], f"第{b.value['number']}条 {b.value.get('heading') or ''}".strip())
            for b in self.draft if b.block_type == "clause"])

    def questions(self):
        """Questionnaire questions with stable ids (the StreamField block ids)."""
        return self._per_generation(
            "questions", lambda: [(block.id, block.block_type, block.value) for block in self.questionnaire])

    def _per_generation(self, name, compute):
        # A page from routing.live_page() (every opinion's POST) knows the tree's generation: the
        # StreamField is then read once per process and publication, not on every submission.
        return routing.per_generation(routing.generation_of(self), ("consultation", name, self.pk), compute)

    def get_context(self, request, *args, **kwargs):
        from .views import consultation_context

        context = super().get_context(request, *args, **kwargs)
        context.update(consultation_context(self, request))
        return context

    def serve(self, request, *args, **kwargs):
        from .views import serve_consultation

        return serve_consultation(self, request, super().serve, *args, **kwargs)


class ConsultationAttachment(Orderable):
    page = ParentalKey(ConsultationPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("wagtaildocs.Document", verbose_name="文件", on_delete=models.CASCADE,
                                 related_name="+")
    title = models.CharField("附件名称", max_length=200, blank=True)
    panels = [FieldPanel("document"), FieldPanel("title")]

    @property
    def display_title(self):
        return self.title or self.document.title


class ModerationStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    HELD = "held", "敏感待审"
    APPROVED = "approved", "公开"
    HIDDEN = "hidden", "不公开"
    SPAM = "spam", "垃圾信息"


class Decision(models.TextChoices):
    ADOPTED = "adopted", "采纳"
    PARTLY = "partly", "部分采纳"
    NOT_ADOPTED = "not_adopted", "未采纳"
    EXISTING = "existing", "已有相关规定"
    OUT_OF_SCOPE = "out_of_scope", "不属于征集范围"


class Opinion(models.Model):
    """One resident's or company's opinion. Personal fields never leave the admin."""

    consultation = models.ForeignKey(ConsultationPage, verbose_name="意见征集", on_delete=models.CASCADE,
                                     related_name="opinions")
    receipt_number = models.CharField("回执编号", max_length=30, unique=True, null=True, editable=False)
    idempotency_key = models.CharField(max_length=64, editable=False)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    # Personal data (C6): only staff with the view_personal_data permission see these.
    name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=30, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    client_hash = models.CharField(max_length=32, editable=False, db_index=True)
    # The opinion itself.
    category = models.CharField("意见类别", max_length=50)
    clause_number = models.CharField("针对条款", max_length=10, blank=True)
    text = models.TextField("意见内容")
    public_text = models.TextField("公开文本", help_text="隐去个人信息后的文本，用于公开展示")
    sensitive_words = models.JSONField("命中的敏感词", default=list, blank=True)
    fingerprint = models.CharField("重复意见指纹", max_length=40, editable=False)  # indexed with the consultation
    duplicate_group = models.ForeignKey("self", verbose_name="相同意见组", null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="duplicates", editable=False)
    moderation_status = models.CharField("审核状态", max_length=10, choices=ModerationStatus.choices,
                                         default=ModerationStatus.PENDING)
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="承办人", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    decision = models.CharField("处理结果", max_length=15, choices=Decision.choices, blank=True)
    reply = models.TextField("答复", blank=True)
    decided_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "意见"
        verbose_name_plural = "意见"
        constraints = [models.UniqueConstraint(fields=["consultation", "idempotency_key"],
                                               name="opinion_unique_submission")]
        indexes = [
            models.Index(fields=["consultation", "moderation_status"]),
            # Also covers the statistics' grouped count (consultations.results), read from the index alone.
            models.Index(fields=["consultation", "category", "clause_number", "decision", "moderation_status"],
                         name="opinion_statistics_idx"),
            models.Index(fields=["consultation", "clause_number"]),
            models.Index(fields=["consultation", "decision"]),
            models.Index(fields=["consultation", "fingerprint"]),  # a duplicate group's members
            # Each group's leader (and every opinion without copies): the lookup that every submission
            # makes reads one entry, not the whole group of a letter-writing campaign.
            models.Index(fields=["consultation", "fingerprint", "id"], condition=Q(duplicate_group__isnull=True),
                         name="opinion_duplicate_leader_idx"),
        ]
        permissions = [("view_personal_data", "可查看意见提交人的个人信息"),
                       ("export_opinions", "可导出意见")]

    def __str__(self):
        return self.receipt_number or f"意见 {self.pk}"

    def clean(self):
        if self.decision == Decision.NOT_ADOPTED and len(self.reply.strip()) < 5:
            raise ValidationError({"reply": "“未采纳”必须说明理由（至少 5 个字）。"})

    @property
    def lookup_code(self):
        """The private code shown once with the receipt; derived, so a retried POST shows it again."""
        digest = hmac.new(settings.SECRET_KEY.encode(), f"{self.pk}:{self.idempotency_key}".encode(),
                          hashlib.sha256).hexdigest()
        return str(int(digest[:12], 16) % 10**8).zfill(8)

    def check_lookup_code(self, code):
        return hmac.compare_digest(self.lookup_code, (code or "").strip())

    @property
    def masked_name(self):
        from .privacy import mask_name

        return mask_name(self.name)


class OpinionAttachment(models.Model):
    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("附件", upload_to="opinions/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = "意见附件"

    def __str__(self):
        return self.original_name


class QuestionAnswer(models.Model):
    """One answer to one questionnaire question; rows so that results aggregate in SQL."""

    opinion = models.ForeignKey(Opinion, on_delete=models.CASCADE, related_name="answers")
    consultation = models.ForeignKey(ConsultationPage, on_delete=models.CASCADE, related_name="+")
    question_id = models.CharField(max_length=40)
    choice = models.CharField(max_length=200, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["consultation", "question_id"])]

    def __str__(self):
        return self.choice or (str(self.rating) if self.rating else self.text)


class SensitiveWord(models.Model):
    """敏感词 (C5): matches are held for moderation or masked, never silently dropped."""

    class Action(models.TextChoices):
        HOLD = "hold", "转人工审核"
        MASK = "mask", "替换为＊"

    word = models.CharField("词语", max_length=50, unique=True)
    action = models.CharField("处理方式", max_length=10, choices=Action.choices, default=Action.HOLD)
    panels = [FieldPanel("word"), FieldPanel("action")]

    class Meta:
        verbose_name = "敏感词"
        verbose_name_plural = "敏感词"
        ordering = ["word"]

    def __str__(self):
        return self.word


class ReplyTemplate(models.Model):
    """Reusable replies for bulk decisions (answering tens of thousands one by one is the pain)."""

    title = models.CharField("模板名称", max_length=100)
    decision = models.CharField("处理结果", max_length=15, choices=Decision.choices)
    text = models.TextField("答复内容")
    panels = [FieldPanel("title"), FieldPanel("decision"), FieldPanel("text")]

    class Meta:
        verbose_name = "答复模板"
        verbose_name_plural = "答复模板"

    def __str__(self):
        return f"{self.title}（{self.get_decision_display()}）"


class ResultNotification(models.Model):
    """One e-mail telling a participant the outcome; retried with backoff by a background task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"

    opinion = models.OneToOneField(Opinion, on_delete=models.CASCADE, related_name="notification")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.opinion} · {self.get_status_display()}"
