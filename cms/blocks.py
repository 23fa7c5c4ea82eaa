"""The shared block library: policy text structured as numbered, linkable clauses."""
from django.utils.html import format_html
from wagtail import blocks


class SectionHeadingBlock(blocks.StructBlock):
    """A chapter heading of a policy text (一、…), linkable by its anchor."""

    heading = blocks.CharBlock(label="标题", max_length=200)
    anchor = blocks.RegexBlock(
        regex=r"^[a-z0-9\-]*$", required=False, label="锚点",
        help_text="可选，用于链接到本章节，例如 part-1；留空时自动生成",
        error_messages={"invalid": "锚点只能包含小写字母、数字和连字符。"},
    )

    class Meta:
        icon = "title"
        label = "章节标题"
        template = "cms/blocks/section_heading.html"
        preview_value = {"heading": "一、在推动“十四五”开好局起好步方面"}
        description = "政策文件的一级标题"


class ClauseBlock(blocks.StructBlock):
    """One numbered clause (条款) of a policy: the unit that interpretations and opinions link to."""

    number = blocks.RegexBlock(
        regex=r"^[0-9]{1,4}$", label="条款序号", help_text="阿拉伯数字，例如 21；网址锚点为 #clause-21",
        error_messages={"invalid": "条款序号请填写 1 至 4 位阿拉伯数字。"},
    )
    heading = blocks.CharBlock(label="条款小标题", required=False, max_length=200)
    text = blocks.RichTextBlock(label="条款内容", features=["bold", "italic", "link", "ol", "ul"])

    class Meta:
        icon = "list-ol"
        label = "条款"
        preview_value = {"number": "21", "text": "<p>加强政策咨询服务……</p>"}
        description = "带序号、可被链接的条款"

    def render_basic(self, value, context=None):
        # Rendered in Python, not a template: a long policy has dozens of clauses, and one template
        # render per block was most of the page's render time (benchmarks/page_render.py).
        number = value["number"]
        heading = format_html(" {}", value["heading"]) if value.get("heading") else ""
        return format_html(
            '<section class="clause" id="clause-{n}" aria-labelledby="clause-{n}-label">'
            '<h3 class="clause-label" id="clause-{n}-label"><a href="#clause-{n}" class="clause-anchor" '
            'title="复制此链接可直接定位到本条">{n}．</a>{heading}</h3>'
            '<div class="clause-text">{text}</div></section>',
            n=number, heading=heading, text=value["text"],
        )


class ParagraphBlock(blocks.RichTextBlock):
    """A free paragraph of rich text."""

    def render_basic(self, value, context=None):
        return format_html('<div class="rich-text">{}</div>', value)

    class Meta:
        label = "段落"
        icon = "pilcrow"


class PolicyBodyBlock(blocks.StreamBlock):
    """Body of a policy document: headings, numbered clauses and free paragraphs."""

    section = SectionHeadingBlock()
    clause = ClauseBlock()
    paragraph = ParagraphBlock(features=["bold", "italic", "link", "ol", "ul", "h3", "h4"])

    class Meta:
        block_counts = {}
