"""The home page and topic columns (专题, P10)."""
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    intro = models.TextField("首页导语", blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["cms.PolicyIndexPage", "cms.TopicIndexPage", "interpretations.InterpretationIndexPage",
                     "consultations.ConsultationIndexPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    search_fields = Page.search_fields

    class Meta:
        verbose_name = "首页"

    def route(self, request, path_components):
        from cms import routing

        if not path_components:
            return super().route(request, path_components)
        page, generation = routing.remembered_page(self, path_components)
        if page is not None:
            return page.route(request, [])  # still checks live; a RoutablePage picks its index view
        result = self.route_through_tree(request, path_components)
        routing.remember(self, path_components, result, generation)
        return result

    def route_through_tree(self, request, path_components):
        # Wagtail routes one level at a time, two queries per level. Jump to the parent of the last
        # component by its url_path (one indexed query); the parent still takes the final step, so
        # each page type's own routing rules (e.g. PolicyDocumentPage hiding unpublished
        # interpretations) still apply. View restrictions are checked at serve time as usual.
        if len(path_components) >= 2:
            parent_url_path = self.url_path + "/".join(path_components[:-1]) + "/"
            # At most one page has a given url_path, so no ORDER BY (`.first()` would add one, and
            # compiling it costs more than the query itself).
            parent = next(iter(Page.objects.filter(slug=path_components[-2], url_path=parent_url_path)
                               .order_by()[:1]), None)
            if parent is not None:
                return parent.specific_deferred.route(request, path_components[-1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        from cms.models import PolicyDocumentPage, PolicyIndexPage, TopicIndexPage
        from interpretations.models import InterpretationIndexPage, visible_interpretations

        context = super().get_context(request, *args, **kwargs)
        context["latest_policies"] = (PolicyDocumentPage.objects.live().public()
                                      .select_related("drafting_department").order_by("-publish_date")[:8])
        context["latest_interpretations"] = (visible_interpretations().select_related("department", "policy_document")
                                             .order_by("-first_published_at")[:6])
        context["policy_index"] = PolicyIndexPage.objects.live().first()
        context["interpretation_index"] = InterpretationIndexPage.objects.live().first()
        topic_index = TopicIndexPage.objects.live().first()
        context["topics"] = TopicPage.objects.live().child_of(topic_index) if topic_index else []
        context["today"] = timezone.localdate()
        from consultations.models import ConsultationIndexPage, ConsultationPage

        now = timezone.now()
        context["open_consultations"] = [c for c in ConsultationPage.objects.live().public()
                                         .filter(start_at__lte=now, end_at__gt=now, results_published_at=None)
                                         .select_related("drafting_department").order_by("end_at")[:5]]
        context["consultation_index"] = ConsultationIndexPage.objects.live().first()
        return context


class TopicIndexPage(Page):
    intro = models.TextField("栏目说明", blank=True)
    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.TopicPage"]
    max_count = 1
    search_fields = Page.search_fields

    class Meta:
        verbose_name = "专题栏目"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["topics"] = TopicPage.objects.live().child_of(self)
        return context


class TopicPage(Page):
    """A topic column: every live policy tagged with the topic, with its interpretations."""

    topic = models.CharField("主题标签", max_length=100, help_text="与政策文件的“主题”一致，例如：就业")
    intro = models.TextField("专题说明", blank=True)
    content_panels = Page.content_panels + [FieldPanel("topic"), FieldPanel("intro")]
    parent_page_types = ["cms.TopicIndexPage"]
    subpage_types = []
    search_fields = Page.search_fields + [index.SearchField("intro")]

    class Meta:
        verbose_name = "专题"

    def get_context(self, request, *args, **kwargs):
        from cms.models import PolicyDocumentPage

        context = super().get_context(request, *args, **kwargs)
        context["policies"] = (PolicyDocumentPage.objects.live().public().filter(topics__name=self.topic)
                               .select_related("drafting_department").order_by("-publish_date"))
        return context
