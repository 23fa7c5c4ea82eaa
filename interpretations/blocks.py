"""Blocks for the forms an interpretation takes (P5): text, 图解, video, Q&A, case, expert quote."""
from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock


class GraphicBlock(blocks.StructBlock):
    """图解: an image with mandatory alt text, served as responsive renditions."""

    image = ImageChooserBlock(label="图片")
    alt_text = blocks.CharBlock(
        label="替代文字", max_length=500,
        help_text="必填：用一两句话说明图中的要点，供读屏软件和图片无法显示时使用",
    )
    caption = blocks.CharBlock(label="图注", required=False, max_length=200)
    long_description = blocks.RichTextBlock(
        label="图解文字版", required=False, features=["bold", "ol", "ul"],
        help_text="复杂图表请逐项写出图中数据，满足无障碍要求",
    )

    class Meta:
        icon = "image"
        label = "图解"
        template = "interpretations/blocks/graphic.html"
        description = "图片解读，必须填写替代文字"


class VideoBlock(blocks.StructBlock):
    """视频解读: an uploaded video with poster and captions or a transcript (no internet needed)."""

    video = DocumentChooserBlock(label="视频文件", help_text="上传 MP4 或 WebM 文件到文档库后选择")
    poster = ImageChooserBlock(label="封面图", required=False)
    captions = DocumentChooserBlock(label="字幕文件（WebVTT）", required=False)
    transcript = blocks.RichTextBlock(label="文字稿", required=False, features=["bold", "ol", "ul"])
    external_url = blocks.URLBlock(label="外部视频地址（可选）", required=False)

    class Meta:
        icon = "media"
        label = "视频"
        template = "interpretations/blocks/video.html"
        description = "视频须附字幕或文字稿"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("captions") and not value.get("transcript"):
            raise blocks.StructBlockValidationError(
                block_errors={"transcript": ValidationError("请上传字幕文件或填写文字稿（听障用户需要）。")}
            )
        return value


class QuestionAnswerBlock(blocks.StructBlock):
    """One question and its answer, in the words people actually ask."""

    question = blocks.CharBlock(label="问题", max_length=300)
    answer = blocks.RichTextBlock(label="回答", features=["bold", "link", "ol", "ul"])

    class Meta:
        icon = "help"
        label = "问答"


class QuestionAnswerListBlock(blocks.StructBlock):
    """简明问答: a list of Q&A pairs rendered as <details> so each opens on its own."""

    title = blocks.CharBlock(label="标题", required=False, default="简明问答")
    items = blocks.ListBlock(QuestionAnswerBlock(), label="问答", min_num=1)

    class Meta:
        icon = "help"
        label = "简明问答"
        template = "interpretations/blocks/qa_list.html"
        preview_value = {"title": "简明问答", "items": [{"question": "这项政策对我有什么影响？",
                                                        "answer": "<p>……</p>"}]}


class CaseBlock(blocks.StructBlock):
    """案例解读: a concrete situation and how the policy applies to it."""

    title = blocks.CharBlock(label="案例标题", max_length=200)
    situation = blocks.RichTextBlock(label="情形", features=["bold", "ol", "ul"])
    application = blocks.RichTextBlock(label="政策如何适用", features=["bold", "link", "ol", "ul"])
    outcome = blocks.RichTextBlock(label="结果", required=False, features=["bold", "ol", "ul"])

    class Meta:
        icon = "doc-full"
        label = "案例"
        template = "interpretations/blocks/case.html"


class ExpertQuoteBlock(blocks.StructBlock):
    """专家解读: a quotation from an expert, with who they are."""

    quote = blocks.TextBlock(label="观点")
    name = blocks.CharBlock(label="专家姓名", max_length=50)
    affiliation = blocks.CharBlock(label="单位与职务", max_length=200, required=False)

    class Meta:
        icon = "openquote"
        label = "专家观点"
        template = "interpretations/blocks/expert_quote.html"


class InterpretationBodyBlock(blocks.StreamBlock):
    """Everything an interpretation can contain beyond its six structured elements."""

    text = blocks.RichTextBlock(
        label="文字", icon="pilcrow", features=["h3", "h4", "bold", "italic", "link", "ol", "ul"],
        template="cms/blocks/paragraph.html",
    )
    graphic = GraphicBlock()
    video = VideoBlock()
    qa = QuestionAnswerListBlock()
    case = CaseBlock()
    expert_quote = ExpertQuoteBlock()
