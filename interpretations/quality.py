"""The anti-formalism quality check for interpretations (P4: 杜绝简单摘抄文字、罗列文件小标题).

Three checks, thresholds in settings (QUALITY_*), rationale in docs/quality-gate.md:
1. each of the six elements has substance, or is marked 不适用 with a reason;
2. the interpretation is not a copy of the policy: the share of its characters covered by
   character n-grams that also occur in the policy stays below QUALITY_MAX_COPIED_SHARE;
3. it is not a list of headings: short unpunctuated or numbered lines are not the majority.
"""
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings

ELEMENTS = [
    ("background", "政策背景依据"),
    ("objectives", "目标任务"),
    ("main_content", "主要内容"),
    ("standards", "执行标准"),
    ("benefits", "惠民利民举措"),
    ("changes", "新旧政策差异"),
]

# Characters compared by the copy check: CJK ideographs, letters and digits. Punctuation and
# spaces are ignored so that a paste with half-width commas or extra spaces is still a paste.
_COMPARABLE = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_HEADING_NUMBERING = re.compile(
    r"^(第[一二三四五六七八九十百]+[章节条部分]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)]|\d{1,3}[、.．])"
)
_SENTENCE_END = tuple("。！？；：…!?;:")

_BLOCK_TAGS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "div", "br", "tr", "dt", "dd"}


class _BlockTextParser(HTMLParser):
    """Splits rich text into its block-level units (paragraphs, list items, headings)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.units, self._current = [], []

    def _flush(self):
        text = "".join(self._current).strip()
        if text:
            self.units.append(text)
        self._current = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        self._current.append(data)

    def close(self):
        super().close()
        self._flush()


def text_units(html_or_text):
    """Block-level text units of rich text; plain text is split on line breaks."""
    if not html_or_text:
        return []
    source = str(html_or_text)
    if "<" not in source:
        return [line.strip() for line in source.splitlines() if line.strip()]
    parser = _BlockTextParser()
    parser.feed(source)
    parser.close()
    return parser.units


def comparable(text):
    return "".join(_COMPARABLE.findall(text or ""))


def substance_length(html_or_text):
    return len(comparable(" ".join(text_units(html_or_text))))


@dataclass
class CopyReport:
    share: float
    passages: list


def copied_passages(text, policy_text, n=None, limit=5):
    """Share of ``text`` found verbatim (as n-grams) in ``policy_text``, and the longest copied runs."""
    n = n or settings.QUALITY_NGRAM_SIZE
    positions = [m.start() for m in _COMPARABLE.finditer(text or "")]
    norm = "".join(text[i] for i in positions)
    policy = comparable(policy_text)
    if len(norm) < n or len(policy) < n:
        return CopyReport(0.0, [])
    grams = {policy[k:k + n] for k in range(len(policy) - n + 1)}
    covered = bytearray(len(norm))
    runs, start, prev = [], None, None  # runs of consecutive matching n-gram starts = verbatim excerpts
    for k in range(len(norm) - n + 1):
        if norm[k:k + n] in grams:
            covered[k:k + n] = b"\x01" * n
            if start is None or prev != k - 1:
                if start is not None:
                    runs.append((start, prev + n))
                start = k
            prev = k
    if start is not None:
        runs.append((start, prev + n))
    runs.sort(key=lambda r: r[1] - r[0], reverse=True)
    passages = [text[positions[a]:positions[b - 1] + 1] for a, b in runs[:limit]]
    return CopyReport(sum(covered) / len(norm), passages)


def is_heading_like(unit):
    unit = unit.strip()
    if _HEADING_NUMBERING.match(unit) and len(unit) <= 40:
        return True
    return len(unit) <= 30 and not unit.endswith(_SENTENCE_END)


def heading_share(units):
    if not units:
        return 0.0
    return sum(1 for u in units if is_heading_like(u)) / len(units)


def finding(code, message, passages=None):
    return {"code": code, "message": message, "passages": passages or []}


def check_interpretation(interpretation, policy_text):
    """Run the three checks; returns a list of findings (empty when the interpretation passes)."""
    findings = []
    min_chars = settings.QUALITY_MIN_ELEMENT_CHARS
    min_reason = settings.QUALITY_MIN_NA_REASON_CHARS
    all_units = []
    for field, label in ELEMENTS:
        value = getattr(interpretation, field) or ""
        reason = (getattr(interpretation, f"{field}_na_reason") or "").strip()
        units = text_units(value)
        all_units.extend(units)
        if reason and not units:
            if len(reason) < min_reason:
                findings.append(finding(
                    "element_reason", f"“{label}”标注了不适用，但理由过短（至少 {min_reason} 个字）。"))
            continue
        if substance_length(value) < min_chars:
            findings.append(finding(
                "element_missing",
                f"“{label}”缺少实质内容（至少 {min_chars} 字），或勾选不适用并说明理由。",
            ))
        elif units and heading_share(units) > settings.QUALITY_MAX_HEADING_SHARE and len(units) >= 2:
            findings.append(finding("element_headings", f"“{label}”只罗列了标题，没有展开说明。", units[:3]))

    all_units.extend(interpretation.body_text_units())
    full_text = "\n".join(all_units)

    if len(all_units) >= 3 and heading_share(all_units) > settings.QUALITY_MAX_HEADING_SHARE:
        examples = [u for u in all_units if is_heading_like(u)][:5]
        findings.append(finding(
            "heading_list",
            f"解读以罗列小标题为主（{heading_share(all_units):.0%} 的段落是标题），请说明背景、措施和影响。",
            examples,
        ))

    report = copied_passages(full_text, policy_text)
    if report.share >= settings.QUALITY_MAX_COPIED_SHARE:
        findings.append(finding(
            "copied",
            f"解读中 {report.share:.0%} 的文字与政策原文逐字相同（上限 {settings.QUALITY_MAX_COPIED_SHARE:.0%}），"
            "请用通俗语言说明，而不是摘抄原文。",
            report.passages,
        ))
    return findings
