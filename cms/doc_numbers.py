"""文号 (document numbers): normalisation and validation, e.g. 乌政办〔2020〕83号."""
import re

from django.core.exceptions import ValidationError

# Brackets people type instead of the official 〔〕 around the year.
_YEAR_BRACKETS = re.compile(r"[\[［(（【〔]\s*((?:19|20)\d{2})\s*[\]］)）】〕]")
DOC_NUMBER_RE = re.compile(r"^(?P<prefix>[\u4e00-\u9fffA-Za-z]{1,20})〔(?P<year>(?:19|20)\d{2})〕(?P<seq>\d{1,5})号$")


def normalize_doc_number(raw):
    """Return the canonical form: no spaces, 〔〕 around the year. Empty stays empty."""
    if not raw:
        return ""
    text = re.sub(r"\s+", "", str(raw))
    text = _YEAR_BRACKETS.sub(r"〔\1〕", text)
    return text


def validate_doc_number(value):
    if value and not DOC_NUMBER_RE.match(normalize_doc_number(value)):
        raise ValidationError(
            "文号格式不正确：应为“发文机关代字〔年份〕序号号”，例如 乌政办〔2020〕83号 或 高区政办发〔2020〕19号。",
            code="invalid_doc_number",
        )
