"""Policy documents (政策文件), the department folders that hold them, and 立、改、废."""
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.dispatch import Signal
from django.http import Http404
from django.utils import timezone
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageViewRestriction
from wagtail.search import index

from cms.blocks import PolicyBodyBlock
from cms.doc_numbers import normalize_doc_number, validate_doc_number
from cms.routing import RememberedRestrictionsMixin

from .gate import PublicationGateMixin

# Sent when 立改废 or an expiry date changes a policy's stored validity (search re-indexes on it).
policy_validity_changed = Signal()


class Validity(models.TextChoices):
    CURRENT = "current", "现行有效"
    AMENDED = "amended", "已修改"
    REPEALED = "repealed", "已废止"
    EXPIRED = "expired", "已失效"


class PolicyCategory(models.TextChoices):
    RULE = "rule", "规章"
    NORMATIVE = "normative", "行政规范性文件"
    OTHER = "other", "其他政策文件"
    WORK_POINTS = "work_points", "工作要点"
    PLAN = "plan", "规划计划"
    REPORT = "report", "工作报告"


class PolicyIndexPage(Page):
    """政策文件库: the one place where every department's policies are listed and filtered (P9)."""

    intro = models.TextField("栏目说明", blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.DepartmentPolicyIndexPage"]
    max_count = 1
    search_fields = Page.search_fields
    page_size = 20

    class Meta:
        verbose_name = "政策文件库"

    def get_context(self, request, *args, **kwargs):
        from cms.forms import PolicyFilterForm

        context = super().get_context(request, *args, **kwargs)
        form = PolicyFilterForm(request.GET or None)
        policies = PolicyDocumentPage.objects.live().public().select_related("drafting_department")
        if form.is_valid():
            policies = form.filter(policies)
        policies = policies.order_by("-publish_date", "-pk")
        paginator = Paginator(policies, self.page_size)
        try:
            page_obj = paginator.page(request.GET.get("page") or 1)
        except Exception as exc:  # bad or out-of-range page numbers are a 404, not a 500
            raise Http404("页码不存在") from exc
        context.update(filter_form=form, page_obj=page_obj, policies=page_obj.object_list,
                       query_string=form.query_string_without_page() if form.is_bound else "")
        return context


class DepartmentPolicyIndexPage(Page):
    """One department's folder: its editors' page permissions are granted here (谁起草、谁负责)."""

    department = models.OneToOneField("cms.Department", verbose_name="部门", on_delete=models.PROTECT,
                                      related_name="policy_index")
    content_panels = Page.content_panels + [FieldPanel("department")]
    parent_page_types = ["cms.PolicyIndexPage"]
    subpage_types = ["cms.PolicyDocumentPage", "consultations.ConsultationPage"]
    search_fields = Page.search_fields

    class Meta:
        verbose_name = "部门政策栏目"

    def route(self, request, path_components):
        # Most children are policies: fetch one typed, with its department, in a single query. The
        # child is found by its url_path (kept by Wagtail as parent's url_path + slug + "/", and
        # unique in the tree), like HomePage.route's jump: cheaper to build than child_of(), and with
        # no ORDER BY for a single row.
        if len(path_components) == 1:
            slug = path_components[0]
            policy = next(iter(PolicyDocumentPage.objects.filter(slug=slug, url_path=f"{self.url_path}{slug}/")
                               .select_related("drafting_department").order_by()[:1]), None)
            if policy is not None:
                policy._cached_parent_obj = self  # as Wagtail's own Page.route does
                return policy.route(request, [])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["policies"] = (PolicyDocumentPage.objects.live().public().child_of(self)
                               .order_by("-publish_date"))
        return context


class PolicyTopic(TaggedItemBase):
    content_object = ParentalKey("cms.PolicyDocumentPage", on_delete=models.CASCADE, related_name="tagged_topics")

    class Meta:
        verbose_name = "政策主题"


class PolicyDocumentPage(RememberedRestrictionsMixin, PublicationGateMixin, Page):
    """A policy document, the interpretations under it, and its place in the 立改废 chain."""
    route_select_related = ("drafting_department",)  # cms/routing.py: the remembered page, fetched typed

    doc_number = models.CharField("文号", max_length=60, blank=True, validators=[validate_doc_number],
                                  help_text="例如：乌政办〔2020〕83号。无文号的文件留空")
    issuing_authority = models.CharField("发文机关", max_length=100, help_text="例如：乌鲁木齐市人民政府办公厅")
    drafting_department = models.ForeignKey(
        "cms.Department", verbose_name="起草部门", on_delete=models.PROTECT, related_name="policies",
        null=True, editable=False, help_text="由所在部门栏目自动确定",
    )
    category = models.CharField("文件类别", max_length=20, choices=PolicyCategory.choices,
                                default=PolicyCategory.NORMATIVE)
    topics = ClusterTaggableManager("主题", through=PolicyTopic, blank=True,
                                    help_text="例如：就业、养老服务、义务教育、十四五规划；用逗号分隔")
    written_date = models.DateField("成文日期")
    publish_date = models.DateField("发布日期")
    effective_date = models.DateField("施行日期", null=True, blank=True)
    expiry_date = models.DateField("失效日期", null=True, blank=True, help_text="有效期届满的日期；长期有效留空")
    validity = models.CharField("效力状态", max_length=10, choices=Validity.choices, default=Validity.CURRENT,
                                editable=False, db_index=True)
    repeal_basis = models.CharField(
        "废止依据（本平台外的文件）", max_length=200, blank=True,
        help_text="被本平台以外的文件废止时填写，例如“新政发〔2022〕3号”；填写后本文件显示为已废止",
    )
    summary = models.TextField("内容摘要", max_length=500, help_text="一两句话说明文件要解决什么问题，用于列表和搜索结果")
    body = StreamField(PolicyBodyBlock(), verbose_name="正文", use_json_field=True)
    must_interpret = models.BooleanField(
        "需要解读", default=True,
        help_text="面向企业和公众的政策文件必须同步解读（解读全覆盖）。取消勾选须说明理由",
    )
    no_interpretation_reason = models.CharField("无需解读的理由", max_length=200, blank=True)
    amends = ParentalManyToManyField("self", verbose_name="修改的文件", symmetrical=False, blank=True,
                                     related_name="amended_by")
    repeals = ParentalManyToManyField("self", verbose_name="废止的文件", symmetrical=False, blank=True,
                                      related_name="repealed_by")

    content_panels = Page.content_panels + [
        MultiFieldPanel([
            FieldPanel("doc_number"), FieldPanel("issuing_authority"), FieldPanel("category"),
            FieldPanel("topics"),
        ], heading="文件信息"),
        MultiFieldPanel([
            FieldRowPanel([FieldPanel("written_date"), FieldPanel("publish_date")]),
            FieldRowPanel([FieldPanel("effective_date"), FieldPanel("expiry_date")]),
        ], heading="日期"),
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel("attachments", heading="附件", label="附件"),
        MultiFieldPanel([FieldPanel("must_interpret"), FieldPanel("no_interpretation_reason")],
                        heading="解读（谁起草、谁解读）"),
        MultiFieldPanel([FieldPanel("amends"), FieldPanel("repeals"), FieldPanel("repeal_basis")],
                        heading="立、改、废"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("doc_number"), index.SearchField("summary"), index.SearchField("body"),
        index.FilterField("validity"), index.FilterField("category"),
        index.FilterField("drafting_department"), index.FilterField("publish_date"),
    ]
    parent_page_types = ["cms.DepartmentPolicyIndexPage"]
    subpage_types = ["interpretations.InterpretationPage"]

    class Meta:
        verbose_name = "政策文件"
        verbose_name_plural = "政策文件"
        indexes = [models.Index(fields=["publish_date"])]

    # --- validation -------------------------------------------------------------------------
    def clean(self):
        super().clean()
        self.doc_number = normalize_doc_number(self.doc_number)
        errors = {}
        if self.expiry_date and self.written_date and self.expiry_date < self.written_date:
            errors["expiry_date"] = "失效日期不能早于成文日期。"
        if self.publish_date and self.written_date and self.publish_date < self.written_date:
            errors["publish_date"] = "发布日期不能早于成文日期。"
        if not self.must_interpret and len(self.no_interpretation_reason.strip()) < 4:
            errors["no_interpretation_reason"] = "取消“需要解读”时，请说明理由（至少 4 个字）。"
        if self.doc_number:
            clash = PolicyDocumentPage.objects.filter(doc_number=self.doc_number).exclude(pk=self.pk)
            if clash.exists():
                errors["doc_number"] = f"文号 {self.doc_number} 已被《{clash.first().title}》使用。"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.doc_number = normalize_doc_number(self.doc_number)
        parent = self.get_parent() if self.depth else None
        if parent is not None:
            folder = parent.specific
            if isinstance(folder, DepartmentPolicyIndexPage):
                self.drafting_department_id = folder.department_id
        if self.pk:
            self.validity = self.compute_validity()
        return super().save(*args, **kwargs)

    # --- 立、改、废 ----------------------------------------------------------------------------
    def compute_validity(self, today=None):
        """Validity follows from live documents that repeal or amend this one, and from dates."""
        today = today or timezone.localdate()
        if self.repeal_basis or (self.pk and self.repealed_by.live().exists()):
            return Validity.REPEALED
        if self.expiry_date and self.expiry_date < today:
            return Validity.EXPIRED
        if self.pk and self.amended_by.live().exists():
            return Validity.AMENDED
        return Validity.CURRENT

    def refresh_validity(self):
        """Store the computed validity without a new revision (the chain is not editorial content)."""
        new = self.compute_validity()
        if new != self.validity:
            PolicyDocumentPage.objects.filter(pk=self.pk).update(validity=new)
            self.validity = new
            policy_validity_changed.send(sender=PolicyDocumentPage, instance=self)
            return True
        return False

    @property
    def is_valid_now(self):
        return self.validity == Validity.CURRENT

    def superseding_documents(self):
        """Live documents that repeal or amend this one, newest first."""
        return (PolicyDocumentPage.objects.live().filter(models.Q(repeals=self) | models.Q(amends=self))
                .distinct().order_by("-publish_date"))

    # --- interpretations and the 同步解读 gate --------------------------------------------------
    def plain_text(self):
        """The policy's text (title, summary, body) from Wagtail's own searchable-content API."""
        parts = [self.title, self.summary]
        parts += self.body.stream_block.get_searchable_content(self.body)
        return "\n".join(p for p in parts if p)

    def gate_findings(self):
        if not self.must_interpret:
            return []
        from interpretations.models import InterpretationPage

        if InterpretationPage.objects.live().child_of(self).exists():
            return []
        pending = list(InterpretationPage.objects.child_of(self).values_list("title", flat=True))
        titles = "、".join(f"《{t}》" for t in pending)
        hint = (f"请先审核通过其解读：{titles}。" if pending
                else "请起草部门先在本文件下添加解读。")
        return [{"code": "no_interpretation", "passages": pending,
                 "message": "需要解读的政策文件必须与经审核的解读同步发布（谁起草、谁解读）。" + hint}]

    def live_interpretations(self, restricted_paths=None):
        from interpretations.models import InterpretationPage

        # Only the columns a listing needs: the twelve rich-text element fields are large.
        interpretations = (InterpretationPage.objects.live().child_of(self)
                           .only("id", "title", "slug", "url_path", "path", "depth", "locale_id", "content_type_id",
                                 "live", "kind", "stage", "summary", "first_published_at")
                           .order_by("stage", "-first_published_at"))
        return self._public_children(interpretations, restricted_paths)

    def _public_children(self, children, restricted_paths=None):
        """`children.public()` for children of this page, from the paths of the restricted pages.

        Wagtail's `public()` loads every view restriction with its page and excludes the subtree
        under each. A child of this page is in such a subtree exactly when a restriction is on
        this page, on one of its ancestors, or on the child itself, so the restricted pages' paths
        are enough (`restricted_paths`, else one narrow query); with no restriction on the site
        (the usual case) nothing is added to `children`.
        """
        if restricted_paths is None:
            restricted_paths = PageViewRestriction.objects.values_list("page__path", flat=True)
        restricted = set(restricted_paths)
        if not restricted:
            return children
        steplen = Page.steplen
        if any(self.path[:end] in restricted for end in range(steplen, len(self.path) + 1, steplen)):
            return children.none()
        child_depth_paths = [path for path in restricted
                             if len(path) == len(self.path) + steplen and path.startswith(self.path)]
        return children.exclude(path__in=child_depth_paths) if child_depth_paths else children

    def chain(self, amended=None, repealed=None):
        """The documents this one amends and repeals, from their ids if known (`related_listings()`),
        else from two narrow queries; the pages themselves only if there are any."""
        if amended is None or repealed is None:
            through_amends, through_repeals = PolicyDocumentPage.amends.through, PolicyDocumentPage.repeals.through
            amended = list(through_amends.objects.filter(from_policydocumentpage=self.pk)
                           .values_list("to_policydocumentpage", flat=True))
            repealed = list(through_repeals.objects.filter(from_policydocumentpage=self.pk)
                            .values_list("to_policydocumentpage", flat=True))
        if not amended and not repealed:
            return {"amended": [], "repealed": []}
        pages = {p.pk: p for p in PolicyDocumentPage.objects.filter(pk__in=[*amended, *repealed])}
        # In tree order, as `page.amends.all` / `page.repeals.all` list them.
        return {"amended": sorted((pages[i] for i in amended if i in pages), key=lambda p: p.path),
                "repealed": sorted((pages[i] for i in repealed if i in pages), key=lambda p: p.path)}

    def related_listings(self):
        """The small lists the page shows beside its body, in one round trip to the database.

        Returns the ids of the documents this one amends and repeals, the ids of its attachments,
        its topics (Tag objects, in the order they were added, like `self.topics.all()`) and the
        paths of every page with a view restriction (for `_public_children`). Five ORM queries
        would cost several times more to build than to run (benchmarks/page_render.py), so this
        is one UNION ALL, with table and column names taken from the models.
        """
        from django.db import connection

        amended, repealed, attachments, topics, restricted = [], [], [], [], []
        with connection.cursor() as cursor:
            cursor.execute(_related_listings_sql(connection), [self.pk] * 4)
            for kind, pk, order, text, slug in cursor.fetchall():
                if kind == 1:
                    amended.append(pk)
                elif kind == 2:
                    repealed.append(pk)
                elif kind == 3:
                    attachments.append(pk)
                elif kind == 4:
                    topics.append((order, pk, text, slug))
                else:
                    restricted.append(text)
        tag_model = PolicyTopic._meta.get_field("tag").related_model
        return {
            "amended": amended, "repealed": repealed, "attachments": attachments,
            "topics": [tag_model.from_db(connection.alias, ["id", "name", "slug"], [pk, name, slug])
                       for _, pk, name, slug in sorted(topics)],
            "restricted_paths": restricted,
        }

    def route(self, request, path_components):
        # An interpretation becomes visible together with its policy (同步解读), never before it.
        if path_components and not self.live:
            raise Http404
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["superseded_by"] = self.superseding_documents() if self.validity != Validity.CURRENT else []
        if getattr(request, "is_preview", False):
            # A preview shows the page as edited, not as saved: its topics, attachments and chain
            # live in memory (modelcluster), and only the relation managers know them.
            by_path = lambda page: page.path  # noqa: E731
            context.update(interpretations=self.live_interpretations(), topics=list(self.topics.all()),
                           chain={"amended": sorted(self.amends.all(), key=by_path),
                                  "repealed": sorted(self.repeals.all(), key=by_path)},
                           attachments=list(self.attachments.all()))
            return context
        related = self.related_listings()
        context["interpretations"] = self.live_interpretations(restricted_paths=related["restricted_paths"])
        context["topics"] = related["topics"]
        context["chain"] = self.chain(related["amended"], related["repealed"])
        context["attachments"] = list(self.attachments.select_related("document")) if related["attachments"] else []
        return context


def _related_listings_sql(connection):
    """The UNION ALL of PolicyDocumentPage.related_listings(): (kind, id, order, text, slug) rows."""
    qn = connection.ops.quote_name

    def table(model):
        return qn(model._meta.db_table)

    def col(model, name):
        return qn(model._meta.get_field(name).column)

    amends, repeals = PolicyDocumentPage.amends.through, PolicyDocumentPage.repeals.through
    tag = PolicyTopic._meta.get_field("tag").related_model
    to_a, from_a = col(amends, "to_policydocumentpage"), col(amends, "from_policydocumentpage")
    to_r, from_r = col(repeals, "to_policydocumentpage"), col(repeals, "from_policydocumentpage")
    return " UNION ALL ".join([
        f"SELECT 1, {to_a}, 0, '', '' FROM {table(amends)} WHERE {from_a} = %s",
        f"SELECT 2, {to_r}, 0, '', '' FROM {table(repeals)} WHERE {from_r} = %s",
        f"SELECT 3, {col(PolicyAttachment, 'id')}, 0, '', '' FROM {table(PolicyAttachment)} "
        f"WHERE {col(PolicyAttachment, 'page')} = %s",
        f"SELECT 4, g.{col(tag, 'id')}, t.{col(PolicyTopic, 'id')}, g.{col(tag, 'name')}, g.{col(tag, 'slug')} "
        f"FROM {table(PolicyTopic)} t INNER JOIN {table(tag)} g ON g.{col(tag, 'id')} = t.{col(PolicyTopic, 'tag')} "
        f"WHERE t.{col(PolicyTopic, 'content_object')} = %s",
        f"SELECT 5, 0, 0, p.{col(Page, 'path')}, '' FROM {table(PageViewRestriction)} r "
        f"INNER JOIN {table(Page)} p ON p.{col(Page, 'id')} = r.{col(PageViewRestriction, 'page')}",
    ])


class PolicyAttachment(Orderable):
    page = ParentalKey(PolicyDocumentPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("wagtaildocs.Document", verbose_name="文件", on_delete=models.CASCADE,
                                 related_name="+")
    title = models.CharField("附件名称", max_length=200, blank=True, help_text="留空时使用文件标题")

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = "附件"

    def clean(self):
        if self.document_id:
            ext = self.document.file_extension.lower()
            if ext not in {"pdf", "docx", "doc", "odt", "xlsx", "xls"}:
                raise ValidationError({"document": "附件只能是 PDF、Word、Excel 或 ODT 文件。"})

    @property
    def display_title(self):
        return self.title or self.document.title
