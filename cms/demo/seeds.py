"""Turn the five seed documents (real 政务公开 texts) into PolicyDocumentPage body StreamField data.

The seeds are plain text as published, each with its own quirks:

* 000, 002 and 003 have one paragraph per line; 003 uses half-width punctuation (, : ( ) );
* 004 was extracted from a PDF: every printed line is a line, with blank lines between them, page
  breaks marked by a leading space, and spaces around numbers ("2020 年", "19 号");
* 001 is a web page with the statistical tables of the annual report flattened to one cell per line.

``parse_seed(key)`` returns raw StreamField data (a list of {"type", "value", "id"} dicts) using the
blocks of cms/blocks.py: ``section`` for chapter headings (一、…), ``clause`` for numbered items
(``21．…`` → number "21") and ``paragraph`` for everything else. Block ids are derived from the
seed and the position, so every load produces the same ids (and the same #anchors).
"""
import os
import re
import unicodedata
import uuid
from pathlib import Path

from django.utils.html import escape

DEMO_DIR = Path(__file__).resolve().parent
# Where the seed texts are looked for: $DEMO_SEEDS_DIR, else the copies shipped in cms/demo/seeds/.
SEED_DIRS = [
    os.environ.get("DEMO_SEEDS_DIR", ""),
    str(DEMO_DIR / "seeds"),
]
SEED_KEYS = ["000", "001", "002", "003", "004"]

_ID_NAMESPACE = uuid.UUID("6f1c1c2e-8d0a-4a59-9a57-2a1b0f5d9c01")

_SECTION = re.compile(r"^[一二三四五六七八九十]+、")
_SUBSECTION = re.compile(r"^（[一二三四五六七八九十]+）")
_CLAUSE = re.compile(r"^(\d{1,3})[．.](?=\S)")
_DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
_NUMBER_CELL = re.compile(r"^[+\-]?\d[\d.,]*$")
_TABLE_CAPTION = re.compile(r"^第二十条第（[一二三四五六七八九十]+）项$")
_NON_ASCII = r"[^\x00-\x7f]"
_SENTENCE_END = ("。", "；", "！", "？")
EMPTY_CELL = object()


class SeedNotFound(FileNotFoundError):
    pass


def seeds_dir():
    for candidate in SEED_DIRS:
        if candidate and any(Path(candidate).glob("000_*.txt")):
            return Path(candidate)
    raise SeedNotFound(
        "找不到种子文件（000_*.txt 等）。请把五个种子文本放到 cms/demo/seeds/，"
        "或用环境变量 DEMO_SEEDS_DIR 指定所在目录。已查找：" + "、".join(d for d in SEED_DIRS if d)
    )


def read_seed(key):
    matches = sorted(seeds_dir().glob(f"{key}_*.txt"))
    if not matches:
        raise SeedNotFound(f"找不到种子文件 {key}_*.txt（目录 {seeds_dir()}）")
    return matches[0].read_text(encoding="utf-8")


# --- text clean-up -------------------------------------------------------------------------------

_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）"}


def normalize(text):
    """Clean one paragraph: no artefacts, no spaces inside Chinese text, full-width punctuation."""
    text = text.replace("[bookmark: _GoBack]", "")
    text = text.replace("\u3000", " ").strip()
    # Spaces next to Chinese characters are typesetting, not content ("2020 年" → "2020年").
    text = re.sub(rf"\s+(?={_NON_ASCII})|(?<={_NON_ASCII})\s+", "", text)
    # Half-width punctuation touching Chinese text becomes full-width (003 and 001 use , : ( ) ;).
    text = re.sub(rf"[,:;()](?={_NON_ASCII})|(?<={_NON_ASCII})[,:;()]",
                  lambda m: _HALF_TO_FULL[m.group(0)], text)
    text = re.sub(r"（([一二三四五六七八九十]+)\)", r"（\1）", text)
    # 004's PDF extraction turned the brackets of 乡（镇） into angle brackets.
    text = text.replace("<镇>", "（镇）")
    return text


def display_width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def starts_block(text):
    return bool(_SECTION.match(text) or _SUBSECTION.match(text) or _CLAUSE.match(text))


def paragraphs_one_per_line(raw):
    return [normalize(line) for line in raw.splitlines() if normalize(line)]


def paragraphs_wrapped(raw, full_width=48):
    """Re-join a PDF extraction: a printed line at (nearly) full width continues on the next line,
    unless the next line starts a new heading or numbered item."""
    paragraphs, previous = [], None
    for line in raw.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        cleaned = normalize(stripped)
        if previous is not None and display_width(previous) >= full_width and not starts_block(cleaned):
            paragraphs[-1] = normalize(paragraphs[-1] + stripped)
        else:
            paragraphs.append(cleaned)
        previous = stripped
    return paragraphs


def between(paragraphs, start=None, stop=None, drop=()):
    """The paragraphs from the first matching ``start`` up to (not including) ``stop``, minus ``drop``."""
    out, started = [], start is None
    for text in paragraphs:
        if not started:
            started = bool(re.search(start, text))
            if not started:
                continue
        if stop and re.search(stop, text):
            break
        if any(re.search(pattern, text) for pattern in drop):
            continue
        out.append(text)
    return out


# --- blocks ---------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, key):
        self.key = key
        self.blocks = []
        self.sections = 0

    def _add(self, block_type, value):
        block_id = str(uuid.uuid5(_ID_NAMESPACE, f"{self.key}-{len(self.blocks)}"))
        self.blocks.append({"type": block_type, "value": value, "id": block_id})

    def section(self, text):
        self.sections += 1
        self._add("section", {"heading": text, "anchor": f"part-{self.sections}"})

    def clause(self, number, text):
        self._add("clause", {"number": number, "heading": "", "text": f"<p>{escape(text)}</p>"})

    def paragraph(self, html):
        self._add("paragraph", html)

    def text(self, text):
        """Classify one paragraph of running text."""
        clause = _CLAUSE.match(text)
        if _SECTION.match(text) and len(text) <= 60 and not text.endswith("。"):
            self.section(text)
        elif clause:
            self.clause(clause.group(1), text[clause.end():].strip())
        elif _SUBSECTION.match(text) and "。" not in text.rstrip("。") and len(text) <= 50:
            # A standalone sub-heading such as （一）抓好各类规划主动公开.
            self.paragraph(f"<h3>{escape(text)}</h3>")
        elif _SUBSECTION.match(text) and "。" in text:
            # An item that opens with its own heading sentence: （一）加强重要政策措施解读。围绕……
            lead, rest = text.split("。", 1)
            self.paragraph(f"<p><strong>{escape(lead)}。</strong>{escape(rest)}</p>")
        else:
            self.paragraph(f"<p>{escape(text)}</p>")

    def signature(self, organisation, date):
        self.paragraph(f"<p>{escape(organisation)}<br/>{escape(date)}</p>")


def _build(key, paragraphs):
    builder = _Builder(key)
    i = 0
    while i < len(paragraphs):
        text = paragraphs[i]
        following = paragraphs[i + 1] if i + 1 < len(paragraphs) else ""
        if _DATE_LINE.match(following) and len(text) <= 20 and not text.endswith(_SENTENCE_END):
            builder.signature(text, following)  # 发文机关 + 日期 under the covering notice
            i += 2
            continue
        builder.text(text)
        i += 1
    return builder.blocks


def _report_tokens(raw):
    """001: text lines, with whitespace-only lines kept as possible empty table cells."""
    tokens = []
    for line in raw.splitlines():
        if line.strip():
            tokens.append(normalize(line))
        elif line:
            tokens.append(EMPTY_CELL)
    return tokens


def _is_number(token):
    return token is not EMPTY_CELL and bool(_NUMBER_CELL.match(token))


def _is_cell_like(token):
    return (len(token) <= 24 and not token.endswith(_SENTENCE_END) and not _SECTION.match(token)
            and not _SUBSECTION.match(token) and not _TABLE_CAPTION.match(token))


# The request table of 001 flattens a two-level header; its rows hold these columns, in this order.
_APPLICANT_COLUMNS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
_REVIEW_GROUPS = ["行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）"]
_REVIEW_COLUMNS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def _build_report(key, tokens):
    """001: prose paragraphs as usual; each flattened table row becomes one paragraph that names its
    columns ("规章：本年新制作数量 0，本年新公开数量 0，对外公开总数量 7")."""
    # Group into text items and runs of numbers (an empty cell counts only between numbers).
    items = []
    for token in tokens:
        if _is_number(token) or (token is EMPTY_CELL and items and isinstance(items[-1], list)):
            if items and isinstance(items[-1], list):
                items[-1].append(token)
            elif token is not EMPTY_CELL:
                items.append([token])
        elif token is not EMPTY_CELL:
            items.append(token)

    def values_of(run):
        while run and run[-1] is EMPTY_CELL:
            run = run[:-1]
        return ["—" if c is EMPTY_CELL else c for c in run]

    def named(columns, values):
        if columns and len(columns) == len(values):
            return "，".join(f"{c} {v}" for c, v in zip(columns, values, strict=True)) + "。"
        return " | ".join(values)

    builder = _Builder(key)
    header, columns = [], []

    def flush_header():
        nonlocal columns
        if header and header[0] == "信息内容":
            columns = header[1:]
        elif header and header[0] == "申请人情况":
            columns = list(_APPLICANT_COLUMNS)
            builder.paragraph("<p>申请人分为自然人和法人或其他组织（商业企业、科研机构、社会公益组织、"
                              "法律服务机构、其他）两类，各行依次列出各类申请人的数量和总计。</p>")
        elif header and header[0] == "行政复议":
            columns = ["__review__"]
        elif len(header) == 1:
            builder.text(header[0])
        elif header:
            builder.paragraph(f"<p>{escape(' / '.join(header))}</p>")
        header.clear()

    i = 0
    while i < len(items):
        item = items[i]
        following = items[i + 1] if i + 1 < len(items) else None
        if isinstance(item, list):
            flush_header()
            values = values_of(item)
            if columns == ["__review__"] and len(values) == 15:
                for group, start in zip(_REVIEW_GROUPS, range(0, 15, 5), strict=True):
                    builder.paragraph(f"<p><strong>{escape(group)}</strong>："
                                      f"{escape(named(_REVIEW_COLUMNS, values[start:start + 5]))}</p>")
            else:
                builder.paragraph(f"<p>{escape(' | '.join(values))}</p>")
        elif isinstance(following, list) and not (header and item == "总计"):
            flush_header()
            builder.paragraph(f"<p><strong>{escape(item)}</strong>：{escape(named(columns, values_of(following)))}</p>")
            i += 1
        elif _TABLE_CAPTION.match(item):
            flush_header()
            columns = []
            builder.paragraph(f"<h3>{escape(item)}</h3>")
        elif _is_cell_like(item) or (header and item == "总计"):
            header.append(item)
        else:
            flush_header()
            if _SECTION.match(item):
                columns = []
            builder.text(item)
        i += 1
    flush_header()
    return builder.blocks


# --- the five seeds -------------------------------------------------------------------------------


def parse_seed(key):
    raw = read_seed(key)
    if key == "000":
        # The covering notice (addressees, "已经市人民政府同意") stays; the repeated title goes.
        paragraphs = between(paragraphs_one_per_line(raw), drop=[r"^乌鲁木齐市2021年政务公开工作要点$"])
        return _build(key, paragraphs)
    if key == "001":
        # Skip the web page furniture (发布时间, 浏览次数, the title broken over two lines) and the
        # empty 附件/相关链接 lines at the end; the truncated header cell 本年增/ is 本年增/减.
        raw = raw.replace("本年增/\n", "本年增/减\n")
        tokens = _report_tokens(raw)
        start = next(i for i, t in enumerate(tokens) if t is not EMPTY_CELL and t.startswith("根据《中华人民共和国"))
        stop = next(i for i, t in enumerate(tokens) if t is not EMPTY_CELL and t.startswith("附件下载"))
        return _build_report(key, tokens[start:stop])
    if key == "002":
        paragraphs = between(paragraphs_one_per_line(raw), start=r"^各乡镇人民政府",
                             drop=[r"^利通区2021年政务公开工作要点$"])
        return _build(key, paragraphs)
    if key == "003":
        # Starts after the title and the web time stamp "28.08.2015 13:23".
        paragraphs = between(paragraphs_one_per_line(raw), start=r"^2015年全市政务公开工作")
        return _build(key, paragraphs)
    if key == "004":
        # Starts at the addressees of the covering notice (after the letterhead, 文号 and title);
        # stops before the 版记 (抄送, 印发 date).
        paragraphs = between(paragraphs_wrapped(raw), start=r"^各乡（镇）人民政府", stop=r"^抄送：",
                             drop=[r"^2020年高昌区政务公开工作要点$"])
        return _build(key, paragraphs)
    raise KeyError(key)


def blocks_as_text(blocks):
    """A readable dump of parsed blocks (for checking the parser by eye)."""
    lines = []
    for block in blocks:
        value = block["value"]
        if block["type"] == "section":
            lines.append(f"## {value['heading']}  #{value['anchor']}")
        elif block["type"] == "clause":
            lines.append(f"[{value['number']}] {re.sub('<[^>]+>', '', value['text'])}")
        else:
            lines.append(re.sub("<[^>]+>", "", value.replace("<br/>", " / ")))
    return "\n".join(lines)
