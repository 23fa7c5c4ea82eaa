"""Questionnaire blocks (问卷调查, C4): single and multiple choice, rating and short answer."""
from wagtail import blocks


class _QuestionBase(blocks.StructBlock):
    question = blocks.CharBlock(label="题目", max_length=200)
    required = blocks.BooleanBlock(label="必答", required=False, default=False)


class ChoiceQuestionBlock(_QuestionBase):
    """A single- or multiple-choice question; one option per line."""

    options = blocks.TextBlock(label="选项", help_text="每行一个选项")
    multiple = blocks.BooleanBlock(label="可多选", required=False, default=False)

    class Meta:
        icon = "list-ul"
        label = "选择题"
        template = "consultations/blocks/question_summary.html"

    def clean(self, value):
        value = super().clean(value)
        options = [o.strip() for o in value["options"].splitlines() if o.strip()]
        if len(options) < 2:
            raise blocks.StructBlockValidationError(
                block_errors={"options": blocks.BlockValidationError("请至少填写两个选项，每行一个。")})
        return value


class RatingQuestionBlock(_QuestionBase):
    """A 1–5 rating, e.g. how satisfied residents are with a draft provision."""

    low_label = blocks.CharBlock(label="1 分含义", default="很不满意", max_length=20)
    high_label = blocks.CharBlock(label="5 分含义", default="非常满意", max_length=20)

    class Meta:
        icon = "pick"
        label = "评分题"
        template = "consultations/blocks/question_summary.html"


class TextQuestionBlock(_QuestionBase):
    """A short free-text answer (up to 200 characters)."""

    class Meta:
        icon = "edit"
        label = "简答题"
        template = "consultations/blocks/question_summary.html"


class QuestionnaireBlock(blocks.StreamBlock):
    choice = ChoiceQuestionBlock()
    rating = RatingQuestionBlock()
    text = TextQuestionBlock()
