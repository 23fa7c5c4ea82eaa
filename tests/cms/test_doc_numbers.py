"""文号 are normalised to the official form and rejected with a clear message when malformed."""
import pytest
from django.core.exceptions import ValidationError

from cms.doc_numbers import normalize_doc_number, validate_doc_number


@pytest.mark.parametrize("raw, expected", [
    ("乌政办〔2020〕83号", "乌政办〔2020〕83号"),
    ("高区政办发〔2020〕19 号", "高区政办发〔2020〕19号"),
    ("乌政办[2020]83号", "乌政办〔2020〕83号"),
    ("乌政办（2020）83号", "乌政办〔2020〕83号"),
    (" 示政办规 〔2023〕 5号 ", "示政办规〔2023〕5号"),
    ("", ""),
])
def test_normalises_brackets_and_spaces(raw, expected):
    assert normalize_doc_number(raw) == expected
    validate_doc_number(raw)


@pytest.mark.parametrize("bad", ["乌政办2020年83号", "〔2020〕83号", "乌政办〔20〕83号", "乌政办〔2020〕第83", "<script>〔2020〕1号"])
def test_rejects_malformed_numbers_in_chinese(bad):
    with pytest.raises(ValidationError) as exc:
        validate_doc_number(bad)
    assert "文号格式不正确" in str(exc.value)
