"""The shared block library: policy text structured as numbered, linkable clauses.

The policy body is rendered in Python rather than with one template per block: a long policy has
dozens of blocks, and a template render per block (plus one per rich-text value, and a copy of the
whole page context for each `{% include_block %}`) was most of the policy page's render time
(benchmarks/page_render.py). The HTML is the same as the templates produced.
"""
import functools
from pathlib import Path

import wagtail
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from wagtail import blocks
from wagtail.rich_text import RichText, expand_db_html

_WAGTAIL_RICHTEXT_TEMPLATE = Path(wagtail.__file__).parent / "templates" / "wagtailcore" / "shared" / "richtext.html"


@functools.cache
def _richtext_template_is_wagtails():
    """True while `wagtailcore/shared/richtext.html` is Wagtail's own `{{ html|safe }}` (not overridden)."""
    from django.template.loader import get_template

    origin = getattr(get_template("wagtailcore/shared/richtext.html"), "origin", None)
    return origin is not None and Path(origin.name) == _WAGTAIL_RICHTEXT_TEMPLATE


def richtext_html(value):
    """The HTML of a rich-text value, exactly as `{{ value|richtext }}` renders it.

    Wagtail renders every RichText through the template `wagtailcore/shared/richtext.html`, which is
    `{{ html|safe }}`: the expanded HTML and nothing else. Expanding directly saves a template render
    per value; if a project overrides that template, it is used as before.
    """
    if not _richtext_template_is_wagtails():
        return str(value) if isinstance(value, RichText) else str(RichText(value))
    source = value.source if isinstance(value, RichText) else (value or "")
    return expand_db_html(source)


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
        preview_value = {"heading": "一、在推动“十四五”开好局起好步方面"}
        description = "政策文件的一级标题"

    def render_basic(self, value, context=None):
        anchor = value.get("anchor") or "sec-" + str((context or {}).get("block_id") or "x")[:8]
        return format_html('<h2 class="policy-section" id="{}">{}</h2>\n', anchor, value["heading"])


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
        n = escape(value["number"])
        heading = " " + escape(value["heading"]) if value.get("heading") else ""
        return mark_safe(  # noqa: S308 - every part is escaped above or is rich text expanded by Wagtail
            f'<section class="clause" id="clause-{n}" aria-labelledby="clause-{n}-label">'
            f'<h3 class="clause-label" id="clause-{n}-label"><a href="#clause-{n}" class="clause-anchor" '
            f'title="复制此链接可直接定位到本条">{n}．</a>{heading}</h3>'
            f'<div class="clause-text">{richtext_html(value["text"])}</div></section>'
        )


class ParagraphBlock(blocks.RichTextBlock):
    """A free paragraph of rich text."""

    def render_basic(self, value, context=None):
        return mark_safe(f'<div class="rich-text">{richtext_html(value)}</div>')  # noqa: S308 - expanded rich text

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

    def render_basic(self, value, context=None):
        """Every block in order, the same HTML as `{% for b in value %}{% include_block b %}{% endfor %}`,
        but with the page context passed to each block as it is instead of copied once per block."""
        return mark_safe("".join(  # noqa: S308 - each part comes from a block's own (escaping) render
            child.block.render(child.value, context=context) for child in value))
