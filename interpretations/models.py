"""Interpretation pages (政策解读): written by the policy's drafting department, published with it."""
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList, TabbedInterface
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.models.gate import PublicationGateMixin
from cms.routing import RememberedRestrictionsMixin

from .blocks import InterpretationBodyBlock
from .panels import QualityFindingsPanel
from .quality import ELEMENTS, check_interpretation, text_units


class InterpretationKind(models.TextChoices):
    TEXT = "text", "文字解读"
    GRAPHIC = "graphic", "图解"
    VIDEO = "video", "视频解读"
    QA = "qa", "问答"
    EXPERT = "expert", "专家解读/访谈"
    CASE = "case", "案例解读"
    PRESS = "press", "新闻发布会"


class InterpretationStage(models.TextChoices):
    FIRST = "first", "首次解读"
    FOLLOW_UP = "follow_up", "二次解读/跟踪解读"


ELEMENT_FEATURES = ["bold", "italic", "link", "ol", "ul"]


def _element_fields():
    fields = {}
    for name, label in ELEMENTS:
        fields[name] = RichTextField(label, blank=True, features=ELEMENT_FEATURES)
        fields[f"{name}_na_reason"] = models.CharField(
            f"“{label}”不适用的理由", max_length=200, blank=True,
            help_text="本项确实不适用时填写理由（例如首次出台、无旧政策可比），并留空上面的内容",
        )
    return fields


class InterpretationPage(RememberedRestrictionsMixin, PublicationGateMixin, Page):
    """One interpretation of one policy; lives under the policy page and nowhere else."""

    kind = models.CharField("解读形式", max_length=10, choices=InterpretationKind.choices,
                            default=InterpretationKind.TEXT)
    stage = models.CharField("解读阶段", max_length=10, choices=InterpretationStage.choices,
                             default=InterpretationStage.FIRST,
                             help_text="政策实施中出现新情况、新问题时，发布二次解读或跟踪解读")
    department = models.ForeignKey("cms.Department", verbose_name="解读部门", on_delete=models.PROTECT,
                                   related_name="interpretations", null=True, editable=False)
    # Denormalised from the tree so lists and the ledger can join instead of walking paths.
    policy_document = models.ForeignKey("cms.PolicyDocumentPage", verbose_name="政策文件", null=True,
                                        editable=False, on_delete=models.SET_NULL, related_name="interpretations")
    summary = models.TextField("导读", max_length=300, help_text="一两句话告诉读者：这项政策和我有什么关系")
    locals().update(_element_fields())
    body = StreamField(InterpretationBodyBlock(), verbose_name="图解、视频、问答与案例", blank=True,
                       use_json_field=True)
    interpreter = models.CharField("解读人", max_length=100, blank=True, help_text="例如：市人社局就业促进处负责同志")
    related_interpretations = ParentalManyToManyField(
        "self", verbose_name="相关解读", symmetrical=False, blank=True, related_name="related_from",
        help_text="其他部门相关政策的解读，形成互链的政策问答体系",
    )

    element_panels = [
        MultiFieldPanel([FieldPanel(name), FieldPanel(f"{name}_na_reason")], heading=label)
        for name, label in ELEMENTS
    ]
    content_panels = Page.content_panels + [
        QualityFindingsPanel(heading="解读质量检查"),
        MultiFieldPanel([FieldPanel("kind"), FieldPanel("stage"), FieldPanel("interpreter"),
                         FieldPanel("summary")], heading="基本信息"),
    ]
    edit_handler = TabbedInterface([
        ObjectList(content_panels, heading="基本信息"),
        ObjectList(element_panels, heading="六要素"),
        ObjectList([FieldPanel("body"), FieldPanel("related_interpretations")], heading="图解·视频·问答"),
        ObjectList(Page.promote_panels, heading="推广"),
    ])
    search_fields = Page.search_fields + [
        index.SearchField("summary"), index.SearchField("body"),
        *[index.SearchField(name) for name, _ in ELEMENTS],
        index.FilterField("kind"), index.FilterField("stage"), index.FilterField("department"),
    ]
    parent_page_types = ["cms.PolicyDocumentPage"]
    subpage_types = []

    class Meta:
        verbose_name = "政策解读"
        verbose_name_plural = "政策解读"

    @property
    def policy(self):
        if self.policy_document_id:
            return self.policy_document
        parent = self.get_parent() if self.depth else None
        return parent.specific if parent else None

    def save(self, *args, **kwargs):
        self.sync_from_parent()
        return super().save(*args, **kwargs)

    def sync_from_parent(self):
        parent = self.get_parent() if self.depth else None
        if parent is not None:
            policy = parent.specific
            self.policy_document_id = policy.pk
            self.department_id = policy.drafting_department_id

    def elements(self):
        """The six elements for display: label, content, or the reason it does not apply."""
        return [
            {"name": name, "label": label, "value": getattr(self, name),
             "na_reason": getattr(self, f"{name}_na_reason")}
            for name, label in ELEMENTS
        ]

    def body_text_units(self):
        units = []
        for chunk in self.body.stream_block.get_searchable_content(self.body):
            units.extend(text_units(chunk))
        return units

    def gate_findings(self):
        policy = self.policy
        return check_interpretation(self, policy.plain_text() if policy else "")

    def related_live(self):
        ids = set(self.related_interpretations.values_list("pk", flat=True))
        ids |= set(self.related_from.values_list("pk", flat=True))
        return InterpretationPage.objects.live().public().filter(pk__in=ids).select_related("department")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["policy"] = self.policy
        context["related"] = self.related_live()
        context["siblings"] = (InterpretationPage.objects.live().public().sibling_of(self, inclusive=False)
                               .order_by("first_published_at"))
        return context


class InterpretationIndexPage(Page):
    """政策解读 column: every live interpretation whose policy is live, newest first."""

    intro = models.TextField("栏目说明", blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count = 1
    search_fields = Page.search_fields
    page_size = 20

    class Meta:
        verbose_name = "政策解读栏目"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        kind = request.GET.get("kind", "")
        items = visible_interpretations().select_related("department").order_by("-first_published_at")
        if kind in InterpretationKind.values:
            items = items.filter(kind=kind)
        paginator = Paginator(items, self.page_size)
        try:
            page_obj = paginator.page(request.GET.get("page") or 1)
        except Exception as exc:
            raise Http404("页码不存在") from exc
        context.update(page_obj=page_obj, kinds=InterpretationKind.choices, current_kind=kind,
                       current_kind_qs=f"kind={kind}" if kind in InterpretationKind.values else "")
        return context


def visible_interpretations():
    """Interpretations the public can see: live, and under a live policy (同步解读)."""
    return InterpretationPage.objects.live().public().filter(policy_document__live=True)
