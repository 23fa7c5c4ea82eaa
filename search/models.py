"""The hotline's Q&A base (一号答): standalone Q&A entries, the vocabulary, the index outbox and the logs.

Q&A pairs inside interpretations and the policy documents themselves are indexed too; their text
lives on their pages (see documents.py). Nothing here stores a caller's personal data: queries are
masked before they are logged.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, LockableMixin, RevisionMixin
from wagtail.search import index


class QAEntryTopic(TaggedItemBase):
    content_object = ParentalKey("search.QAEntry", on_delete=models.CASCADE, related_name="tagged_topics")

    class Meta:
        verbose_name = "问答主题"


class QAEntry(DraftStateMixin, LockableMixin, RevisionMixin, ClusterableModel, index.Indexed):
    """One entry of the cross-department Q&A base, maintained by the department that answers it."""

    external_id = models.CharField(
        "外部编号", max_length=100, unique=True, blank=True, null=True,
        help_text="从其他知识库导入时的编号（导入时据此更新，不会重复）；手工新建可留空",
    )
    department = models.ForeignKey("cms.Department", verbose_name="答复部门", on_delete=models.PROTECT,
                                   related_name="qa_entries")
    question = models.CharField("标准问", max_length=300, help_text="用群众的说法写，例如：灵活就业人员怎么交社保？")
    alt_questions = models.TextField(
        "扩展问", blank=True,
        help_text="同一问题的其他问法，每行一个，例如：打零工的社保怎么缴 / 个体户能自己交养老保险吗",
    )
    short_answer = models.TextField(
        "答复口径", max_length=300,
        help_text="座席在电话里直接说的一两句话（300 字以内），先说结论，再说去哪办、带什么",
    )
    answer = RichTextField("完整答复", features=["bold", "link", "ol", "ul"])
    topics = ClusterTaggableManager("主题", through=QAEntryTopic, blank=True)
    policy = models.ForeignKey(
        "cms.PolicyDocumentPage", verbose_name="依据的政策文件", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="qa_entries",
        help_text="答复所依据的政策文件；其效力（现行有效、已废止……）随文件自动更新",
    )
    interpretation = models.ForeignKey(
        "interpretations.InterpretationPage", verbose_name="相关解读", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    panels = [
        FieldPanel("department"),
        MultiFieldPanel([FieldPanel("question"), FieldPanel("alt_questions")], heading="问题"),
        MultiFieldPanel([FieldPanel("short_answer"), FieldPanel("answer")], heading="答复"),
        MultiFieldPanel([FieldPanel("policy"), FieldPanel("interpretation"), FieldPanel("topics"),
                         FieldPanel("external_id")], heading="依据与分类"),
    ]
    # Wagtail's own admin search over titles; the hotline search has its own index (backends/).
    search_fields = [index.SearchField("question"), index.AutocompleteField("question"),
                     index.FilterField("department")]

    class Meta:
        verbose_name = "政策问答"
        verbose_name_plural = "政策问答"
        permissions = [("use_hotline", "使用 12345 热线政策问答检索")]

    def __str__(self):
        return self.question

    def clean(self):
        super().clean()
        if self.policy_id and self.interpretation_id and self.interpretation.policy_document_id != self.policy_id:
            raise ValidationError({"interpretation": "所选解读不属于所选的政策文件，请重新选择。"})

    def alt_question_list(self):
        return [line.strip() for line in self.alt_questions.splitlines() if line.strip()]

    @property
    def source_key(self):
        return f"qa:{self.pk}"


class SynonymGroup(models.Model):
    """同义词: one group of words meaning the same thing, as callers and documents say it."""

    terms = models.CharField(
        "同义词组", max_length=500, unique=True,
        help_text="用逗号分隔，口语说法和文件用语写在一起，例如：社保,社会保险",
    )
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    panels = [FieldPanel("terms"), FieldPanel("note")]

    class Meta:
        verbose_name = "同义词"
        verbose_name_plural = "同义词"
        ordering = ["terms"]

    def __str__(self):
        return self.terms

    @staticmethod
    def split(text):
        seen, terms = set(), []
        for raw in text.replace("，", ",").replace("、", ",").split(","):
            term = raw.strip().lower()
            if term and term not in seen:
                seen.add(term)
                terms.append(term)
        return terms

    def term_list(self):
        return self.split(self.terms)

    def clean(self):
        terms = self.term_list()
        if len(terms) < 2:
            raise ValidationError({"terms": "一组同义词至少要有两个词，用逗号分隔，例如：社保,社会保险。"})
        too_long = [t for t in terms if len(t) > 30]
        if too_long:
            raise ValidationError({"terms": f"每个词不超过 30 个字：{too_long[0]}"})
        self.terms = ",".join(terms)


class VocabularyTerm(models.Model):
    """专业词: a policy term or department name the segmenter must keep whole (用户词典)."""

    class Kind(models.TextChoices):
        POLICY = "policy", "政策术语"
        DEPARTMENT = "department", "部门名称"
        PLACE = "place", "地名"

    word = models.CharField("词语", max_length=30, unique=True, help_text="例如：灵活就业人员、异地就医备案")
    kind = models.CharField("类别", max_length=12, choices=Kind.choices, default=Kind.POLICY)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    panels = [FieldPanel("word"), FieldPanel("kind")]

    class Meta:
        verbose_name = "专业词"
        verbose_name_plural = "专业词"
        ordering = ["word"]

    def __str__(self):
        return self.word

    def clean(self):
        self.word = (self.word or "").strip()
        if not self.word or any(ch.isspace() for ch in self.word):
            raise ValidationError({"word": "词语不能为空，也不能包含空格。"})


class IndexOutbox(models.Model):
    """Durable record of an index change still to apply: survives a search backend outage."""

    source = models.CharField("来源", max_length=64, db_index=True)  # "qa:12", "interp:45", "policy:7", "department:3"
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "索引待办"
        indexes = [models.Index(fields=["done_at", "next_attempt_at"])]

    def __str__(self):
        return self.source


class SearchQueryLog(models.Model):
    """One search, for the unanswered-queries report. The query is masked (no phone or ID numbers)."""

    class Channel(models.TextChoices):
        HOTLINE = "hotline", "12345 热线"
        PORTAL = "portal", "门户网站"
        API = "api", "接口"

    query = models.CharField("检索词", max_length=200)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    department = models.ForeignKey("cms.Department", verbose_name="筛选部门", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    total = models.PositiveIntegerField("结果数")
    took_ms = models.FloatField("耗时（毫秒）")
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "检索记录"
        indexes = [models.Index(fields=["total", "created_at"])]

    def __str__(self):
        return self.query


class KnowledgeGap(models.Model):
    """没有找到答案: an operator records a question the base cannot answer yet."""

    query = models.CharField("检索词", max_length=200)
    note = models.CharField("补充说明", max_length=500, blank=True,
                            help_text="来电人想问什么（不要填写姓名、电话、身份证号）")
    department = models.ForeignKey("cms.Department", verbose_name="可能的答复部门", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="knowledge_gaps")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now, db_index=True)
    resolved_by = models.ForeignKey(QAEntry, verbose_name="已补充的问答", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "知识缺口"
        verbose_name_plural = "知识缺口"

    def __str__(self):
        return self.query


class AnswerFeedback(models.Model):
    """有用/没用 on one answer, for the least-useful-answers report."""

    doc_key = models.CharField("答案", max_length=80, db_index=True)
    question = models.CharField("问题", max_length=300)
    department = models.ForeignKey("cms.Department", verbose_name="答复部门", null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    helpful = models.BooleanField("有用")
    query = models.CharField("检索词", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "答案评价"

    def __str__(self):
        return f"{self.question}：{'有用' if self.helpful else '没用'}"
