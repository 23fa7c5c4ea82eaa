"""`manage.py import_qa FILE`: load the hotline's Q&A base (一号答) from another knowledge base.

    manage.py import_qa qa.jsonl
    manage.py import_qa qa.xlsx --dry-run
    manage.py import_qa export.csv --format csv --unpublish-missing

One Q&A entry per row (JSONL line, CSV record, or row of the first XLSX sheet); the formats and
rules are in docs/qa-import.md. In short:

* Entries are matched by ``external_id``: a new one is created and published, a changed one gets a
  new revision which is published (``save_revision().publish()``, so the index outbox hears of it), an
  unchanged one is left alone. An entry someone took offline stays offline: a change is saved as a draft.
* ``department`` is a code, full name or short name; a missing department (given by a Chinese name) is
  created with placeholder contact details marked 待补充.
* ``policy`` is found by 文号, then by the slug this command gives the policies it creates, then by
  title; a missing one is created live in the department's folder (no interpretation needed: 由知识库导入).
* Every row is its own transaction. A bad row is reported with its line number and the reason, in
  Chinese, and the import goes on; the command ends with 新增 N，更新 N，未变 N，出错 N.
* Exit status: 0 when every row was imported, 1 when some rows failed (the good rows are stored), 2
  when the file cannot be read at all (unknown format, missing columns, not a spreadsheet).
* Progress goes to stderr every 1,000 rows (no extra dependency); the report goes to stdout.
"""
import csv
import datetime
import hashlib
import html
import io
import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import bleach
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.rich_text import RichText

from cms.doc_numbers import normalize_doc_number, validate_doc_number
from cms.models import Department, DepartmentPolicyIndexPage, PolicyDocumentPage, Validity
from search.models import QAEntry

FORMATS = ("jsonl", "csv", "xlsx")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}
REQUIRED_COLUMNS = ("external_id", "question", "answer", "department")
POLICY_KEYS = ("external_id", "title", "doc_number", "status", "issued")
KNOWN_COLUMNS = {*REQUIRED_COLUMNS, "topics", "short_answer", "alt_questions", "policy",
                 *(f"policy_{key}" for key in POLICY_KEYS)}

PROGRESS_EVERY = 1000
MIN_ANSWER_CHARS = 10
SHORT_ANSWER_MAX = 300       # QAEntry.short_answer (max_length is not enforced by the database)
SHORT_ANSWER_DERIVED = 120   # a derived 答复口径: the first sentence, cut here
ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "b", "em", "a"}
BLOCK_NAMES = {"p", "ul", "ol", "li"}
INLINE_NAMES = {"strong", "b", "em", "a"}  # br is void
TAG_TOKEN = re.compile(r"(<[^<>]*>)")
TAG_NAME = re.compile(r"<(/?)([a-zA-Z0-9]+)")
EMPTY_LINK = re.compile(r"<a>(.*?)</a>", re.DOTALL)
LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
LIST_SEPARATORS = re.compile(r"[;；\n]")
SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]|[^\n]+")

STATUSES = {
    "现行有效": Validity.CURRENT, "有效": Validity.CURRENT, "current": Validity.CURRENT,
    "已修改": Validity.AMENDED, "amended": Validity.AMENDED,
    "已废止": Validity.REPEALED, "废止": Validity.REPEALED, "repealed": Validity.REPEALED,
    "已失效": Validity.EXPIRED, "失效": Validity.EXPIRED, "expired": Validity.EXPIRED,
}
REPEAL_BASIS = "导入：已废止"
NO_INTERPRETATION_REASON = "由知识库导入"
IMPORTED_SUMMARY = "由 12345 热线知识库导入，内容摘要待补充。"
IMPORTED_BODY = "<p>本文件由 12345 热线知识库导入，正文待补充。</p>"
AMENDED_NOTE = "原知识库标注为“已修改”：本站的“已修改”由修改它的文件的立改废关系产生，请补充修改文件。"
EXPIRED_NOTE = "原知识库标注为“已失效”：失效日期为导入时填写的占位日期，请核实。"
# Department contact fields must pass validation; 12345 is the hotline every caller already has.
PLACEHOLDER_PHONE = "12345"
PLACEHOLDER_TEXT = "待补充"
PLACEHOLDER_ADDRESS = "待补充（由问答导入自动创建的部门）"

SAFE_HREF = re.compile(r"^\s*(https?://|mailto:|tel:|/(?!/)|#)", re.IGNORECASE)
# Block elements other than p and lists (div, headings, table rows …) become paragraphs, cells get a space.
PARAGRAPH_LIKE = re.compile(r"<(/?)(?:div|h[1-6]|tr|table|blockquote|section|article|header|footer|pre|dt|dd)\b[^<>]*>",
                            re.IGNORECASE)
CELL_END = re.compile(r"</t[dh]\s*>", re.IGNORECASE)
EMPTY_PARAGRAPH = re.compile(r"<p>(\s|<br>)*</p>")
SPACE_BEFORE_END = re.compile(r"\s+</(p|li)>")


def _allowed_attribute(tag, name, value):
    # bleach lets "javascript:1" through as a host:port; only plain web, mail and phone links are kept.
    return tag == "a" and name == "href" and bool(SAFE_HREF.match(value))


_cleaner = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=_allowed_attribute,
                          protocols={"http", "https", "mailto", "tel"}, strip=True, strip_comments=True)


class RowError(Exception):
    """A row that cannot be imported; the message is the reason shown to the user (Chinese)."""


class FileError(CommandError):
    def __init__(self, message):
        super().__init__(message, returncode=2)


class _Rollback(Exception):
    pass


# --- reading the three formats -------------------------------------------------------------------
# Each reader yields (line number, mapping of lower-case column name → raw value) or (line, RowError).

def decode(data):
    """UTF-8 (with or without BOM); spreadsheets saved by Chinese Excel as CSV are often GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise FileError("无法识别文件编码：请保存为 UTF-8 编码的 CSV。") from exc


def read_jsonl(path, warn):
    reported = set()
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
            except UnicodeDecodeError:
                yield number, RowError("本行不是 UTF-8 编码")
                continue
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, RowError(f"JSON 格式错误（第 {exc.colno} 个字符附近：{exc.msg}）")
                continue
            if not isinstance(data, dict):
                yield number, RowError("每行应是一个 JSON 对象：{\"external_id\": …, \"question\": …}")
                continue
            data = {str(k).strip().lower(): v for k, v in data.items()}
            unknown = set(data) - KNOWN_COLUMNS - reported
            if unknown:
                reported |= unknown
                warn(f"第 {number} 行：提示：忽略未知的字段：{'、'.join(sorted(unknown))}")
            yield number, data


def _check_header(header, warn):
    header = [str(h or "").strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise FileError(f"表头缺少必需的列：{'、'.join(missing)}（第一行应为列名，见 docs/qa-import.md）")
    unknown = [h for h in header if h and h not in KNOWN_COLUMNS]
    if unknown:
        warn(f"提示：忽略未知的列：{'、'.join(unknown)}")
    return header


def _mapping(header, values, number):
    values = list(values)
    extra = [v for v in values[len(header):] if v not in (None, "")]
    if extra:
        return RowError(f"本行的列数（{len(values)}）多于表头（{len(header)}），可能有未加引号的逗号")
    return {name: value for name, value in zip(header, values, strict=False) if name}


def read_csv(path, warn):
    reader = csv.reader(io.StringIO(decode(Path(path).read_bytes()), newline=""))
    try:
        header = _check_header(next(reader), warn)
    except StopIteration:
        raise FileError("文件是空的。") from None
    except csv.Error as exc:
        raise FileError(f"CSV 表头无法读取：{exc}") from exc
    last = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield last + 1, RowError(f"CSV 格式错误：{exc}")
            return  # the reader cannot resynchronise after a broken quote
        start, last = last + 1, reader.line_num  # a record may span lines (quoted line breaks)
        if not any(str(v).strip() for v in values):
            continue
        yield start, _mapping(header, values, start)


def read_xlsx(path, warn):
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException …
        raise FileError(f"无法打开 Excel 文件（只支持 .xlsx）：{exc}") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        try:
            header = _check_header(next(rows), warn)
        except StopIteration:
            raise FileError("工作表是空的。") from None
        for number, values in enumerate(rows, start=2):
            if not any(v not in (None, "") and str(v).strip() for v in values):
                continue
            yield number, _mapping(header, values, number)
    finally:
        workbook.close()


READERS = {"jsonl": read_jsonl, "csv": read_csv, "xlsx": read_xlsx}


# --- one row: parsed and validated before anything is written ------------------------------------
@dataclass
class PolicyRef:
    external_id: str = ""
    title: str = ""
    doc_number: str = ""
    status: str = ""       # a Validity value, "" when not given
    issued: datetime.date | None = None

    @property
    def key(self):
        return (self.external_id, self.doc_number, self.title)

    @property
    def slug(self):
        """The slug of a policy this command creates: the same policy gets the same slug on every run."""
        basis = self.external_id or self.doc_number or self.title
        return "import-" + hashlib.sha1(basis.encode()).hexdigest()[:10]


@dataclass
class QARow:
    external_id: str
    question: str
    answer: str
    department: str
    short_answer: str
    alt_questions: list = field(default_factory=list)
    topics: list = field(default_factory=list)
    policy: PolicyRef | None = None


def text_value(value):
    """A cell or JSON value as stripped text (Excel gives 1001.0 for the number 1001)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def list_value(value):
    """A JSON list, or text separated by ; or ； (or line breaks); duplicates and blanks dropped."""
    items = value if isinstance(value, list | tuple) else LIST_SEPARATORS.split(text_value(value))
    return list(dict.fromkeys(text_value(item) for item in items if text_value(item)))


def parse_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = text_value(value)
    match = (re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text)
             or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
    if not match:
        raise ValueError(text)
    return datetime.date(*(int(part) for part in match.groups()))


def sanitize_answer(raw):
    """Rich text for QAEntry.answer: plain text becomes one <p> per line; HTML is cleaned by bleach."""
    text = text_value(raw).replace("\r\n", "\n").replace("\r", "\n")
    if not LOOKS_LIKE_HTML.search(text):
        return "".join(f"<p>{html.escape(line.strip(), quote=False)}</p>" for line in text.split("\n") if line.strip())
    text = CELL_END.sub(" ", PARAGRAPH_LIKE.sub(r"<\1p>", SCRIPT_OR_STYLE.sub("", text)))
    cleaned = EMPTY_LINK.sub(r"\1", _cleaner.clean(text))  # links whose href was unsafe keep their text only
    return EMPTY_PARAGRAPH.sub("", SPACE_BEFORE_END.sub(r"</\1>", wrap_loose_text(cleaned)))


def wrap_loose_text(cleaned):
    """Text and inline tags outside any paragraph or list (e.g. what was left of a table) go into <p>.

    bleach's output is well-formed and has only ALLOWED_TAGS, so a flat scan with depth counters is enough.
    """
    out, loose, depth, inline = [], [], 0, 0

    def flush():
        text = "".join(loose).strip()
        if strip_tags(text).strip():
            out.append(f"<p>{text}</p>")
        loose.clear()

    for token in TAG_TOKEN.split(cleaned):
        match = TAG_NAME.match(token)
        name, closing = (match.group(2).lower(), match.group(1) == "/") if match else (None, False)
        if depth > 0:
            out.append(token)
            if name in BLOCK_NAMES:
                depth += -1 if closing else 1
        elif name in BLOCK_NAMES and inline == 0:
            if not closing:  # a stray closing tag cannot occur in bleach's output; dropped if it did
                flush()
                out.append(token)
                depth = 1
        elif name != "p":  # a paragraph inside <strong> or <a> at the top level loses its tags
            loose.append(token)
            if name in INLINE_NAMES:
                inline += -1 if closing else 1
    flush()
    return "".join(out)


def answer_text(rich):
    """The plain text of a sanitised answer, one line per paragraph or list item."""
    text = html.unescape(strip_tags(re.sub(r"(?i)<br\s*/?>|</(p|li)>", "\n", rich)))
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def plain_text(raw):
    """答复口径 is read aloud on the phone: no markup at all."""
    return " ".join(html.unescape(strip_tags(text_value(raw))).split())


def first_sentence(text, limit=SHORT_ANSWER_DERIVED):
    """The 答复口径 when the file has none: the answer's first sentence (a line counts as one); a lead-in
    such as "办理流程：" takes the next sentence with it."""
    text = re.sub(r"^答\s*[:：]\s*", "", text)
    out = ""
    for match in SENTENCE.finditer(text):
        out += match.group().strip()
        if len(out) >= 6 and not out.endswith(("：", ":")):
            break
    return out if len(out) <= limit else out[:limit].rstrip() + "…"


def parse_policy(data, problems):
    nested = data.get("policy")
    if nested not in (None, "") and not isinstance(nested, dict):
        problems.append("policy 应是一个 JSON 对象：{\"title\": …, \"doc_number\": …}")
        return None
    source = ({str(k).strip().lower(): v for k, v in nested.items()} if isinstance(nested, dict)
              else {key: data.get(f"policy_{key}") for key in POLICY_KEYS})
    values = {key: source.get(key) for key in POLICY_KEYS}
    if not any(text_value(v) for v in values.values()):
        return None
    ref = PolicyRef(external_id=text_value(values["external_id"]), title=text_value(values["title"]))
    doc_number = normalize_doc_number(text_value(values["doc_number"]))
    try:
        validate_doc_number(doc_number)
        ref.doc_number = doc_number
    except ValidationError:
        problems.append(f"政策文号“{doc_number}”格式不正确（应为 乌政办〔2020〕83号 这样的格式）")
    status = text_value(values["status"])
    if status:
        ref.status = STATUSES.get(status.lower(), "")
        if not ref.status:
            problems.append(f"未知的政策效力状态“{status}”（可用：现行有效、已修改、已废止、已失效，"
                            "或 current、amended、repealed、expired）")
    if text_value(values["issued"]):
        try:
            ref.issued = parse_date(values["issued"])
        except ValueError:
            problems.append(f"政策发布日期“{text_value(values['issued'])}”无法识别（请写成 2021-06-01）")
    if len(ref.title) > 255:
        problems.append("政策标题超过 255 个字")
    if not (ref.title or doc_number):
        problems.append("政策文件缺少标题（policy_title）和文号（policy_doc_number），无法确定是哪份文件")
    return ref


def parse_row(data):
    """Validate one row's values; every problem of the row is reported at once."""
    problems = []
    external_id = text_value(data.get("external_id"))
    question = " ".join(text_value(data.get("question")).split())
    department = text_value(data.get("department"))
    if not external_id:
        problems.append("缺少外部编号（external_id）")
    elif len(external_id) > 100:
        problems.append("外部编号超过 100 个字符")
    if not question:
        problems.append("缺少标准问（question）")
    elif len(question) > 300:
        problems.append(f"标准问超过 300 字（现有 {len(question)} 字）")
    answer = sanitize_answer(data.get("answer"))
    text = answer_text(answer)
    if not text:
        problems.append("缺少答复（answer）")
    elif len(text.replace("\n", "")) < MIN_ANSWER_CHARS:
        problems.append(f"答复太短（至少 {MIN_ANSWER_CHARS} 个字）")
    if not department:
        problems.append("缺少答复部门（department）")
    short_answer = plain_text(data.get("short_answer")) or first_sentence(text)
    if len(short_answer) > SHORT_ANSWER_MAX:
        problems.append(f"答复口径超过 {SHORT_ANSWER_MAX} 字（现有 {len(short_answer)} 字）")
    topics = list_value(data.get("topics"))
    if any(len(topic) > 100 for topic in topics):
        problems.append("主题词超过 100 个字")
    policy = parse_policy(data, problems)
    if problems:
        raise RowError("；".join(problems))
    alt_questions = [q for q in (" ".join(q.split()) for q in list_value(data.get("alt_questions"))) if q != question]
    return QARow(external_id=external_id, question=question, answer=answer, department=department,
                 short_answer=short_answer, alt_questions=alt_questions, topics=topics, policy=policy)


def validation_message(exc):
    """A model's ValidationError in one line, with the fields' Chinese names."""
    if not hasattr(exc, "error_dict"):
        return "，".join(exc.messages)
    labels = {f.name: str(f.verbose_name) for model in (QAEntry, PolicyDocumentPage, Department)
              for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
    return "；".join("，".join(messages) if name == "__all__" else f"{labels.get(name, name)}：{'，'.join(messages)}"
                    for name, messages in exc.message_dict.items())


# --- the command ---------------------------------------------------------------------------------
class Command(BaseCommand):
    help = "从其他知识库导入 12345 热线政策问答（JSONL、CSV 或 XLSX），按 external_id 新增或更新，并发布"

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的文件")
        parser.add_argument("--format", choices=FORMATS, help="文件格式；默认按扩展名判断")
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计，不保存任何修改")
        parser.add_argument("--unpublish-missing", action="store_true",
                            help="下线文件中没有的已导入问答（只在没有出错的行时执行；手工新建的问答不受影响）")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise FileError(f"找不到文件：{path}")
        fmt = options["format"] or EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise FileError(f"无法从扩展名“{path.suffix}”判断格式，请用 --format 指定 jsonl、csv 或 xlsx。")
        self.dry_run, self.verbosity = options["dry_run"], options["verbosity"]
        self.counts = dict.fromkeys(["created", "updated", "unchanged", "failed", "departments", "policies",
                                     "unpublished"], 0)
        self.cache = {}           # ("department", value) / ("policy", key) → pk, only for committed rows
        self.seen = {}            # external_id → line number
        self.warned = set()
        if self.dry_run:
            try:
                with transaction.atomic():
                    self.run(READERS[fmt](path, self.stdout.write), options["unpublish_missing"])
                    raise _Rollback
            except _Rollback:
                pass
        else:
            self.run(READERS[fmt](path, self.stdout.write), options["unpublish_missing"])
        self.report()

    def run(self, rows, unpublish_missing):
        processed = 0
        for number, data in rows:
            self.import_one(number, data)
            processed += 1
            if processed % PROGRESS_EVERY == 0:
                c = self.counts
                self.stderr.write(f"已处理 {processed} 行（新增 {c['created']}，更新 {c['updated']}，"
                                  f"未变 {c['unchanged']}，出错 {c['failed']}）")
        if unpublish_missing:
            self.unpublish_missing()

    def fail(self, number, external_id, reason):
        self.counts["failed"] += 1
        label = f"第 {number} 行（{external_id}）" if external_id else f"第 {number} 行"
        self.stdout.write(f"{label}：{reason}")

    def note(self, number, message):
        self.stdout.write(f"第 {number} 行：提示：{message}")

    def import_one(self, number, data):
        external_id = text_value(data.get("external_id")) if isinstance(data, dict) else ""
        try:
            if isinstance(data, RowError):
                raise data
            row = parse_row(data)
            if row.external_id in self.seen:
                raise RowError(f"外部编号与第 {self.seen[row.external_id]} 行重复，本行未导入")
            self.pending_cache, self.pending_counts, self.pending_notes, self.pending_warned = {}, [], [], set()
            with transaction.atomic():
                outcome = self.store(row)
        except RowError as exc:
            self.fail(number, external_id, str(exc))
            return
        except ValidationError as exc:
            self.fail(number, external_id, validation_message(exc))
            return
        except Exception as exc:  # one broken row must not stop the import
            if self.verbosity > 1:
                self.stderr.write(traceback.format_exc())
            self.fail(number, external_id, f"导入失败：{exc or type(exc).__name__}")
            return
        self.seen[row.external_id] = number
        self.cache.update(self.pending_cache)
        self.warned |= self.pending_warned
        for name in [outcome, *self.pending_counts]:
            self.counts[name] += 1
        for message in self.pending_notes:
            self.note(number, message)

    # --- writing one row (inside its transaction) ------------------------------------------------
    def store(self, row):
        department = self.department(row.department)
        policy = self.policy(row.policy, department) if row.policy else None
        values = {"department_id": department.pk, "question": row.question,
                  "alt_questions": "\n".join(row.alt_questions), "short_answer": row.short_answer,
                  "answer": row.answer, "policy_id": policy.pk if policy else None}
        entry = QAEntry.objects.filter(external_id=row.external_id).first()
        if entry is None:
            entry = QAEntry(external_id=row.external_id, live=False, **values)
            entry.topics.set(row.topics)
            entry.save()
            entry.save_revision(log_action=True).publish()
            return "created"
        # An offline entry's latest content is its latest revision; a live one's is the row itself.
        current = entry if entry.live else (entry.get_latest_revision_as_object() if entry.latest_revision_id else entry)
        if self.same(current, values, row.topics):
            if not entry.live:
                self.pending_notes.append("该问答在本站已下线，内容未变，保持下线")
            return "unchanged"
        if entry.has_unpublished_changes and entry.live:
            self.pending_notes.append("该问答在后台有未发布的修改，已被导入的内容取代")
        target = current
        for name, value in values.items():
            setattr(target, name, value)
        if target.interpretation_id and target.interpretation.policy_document_id != target.policy_id:
            target.interpretation = None
            self.pending_notes.append("依据的政策文件变了，原来关联的解读已取消关联")
        target.topics.set(row.topics)
        revision = target.save_revision(log_action=True)
        if entry.live:
            revision.publish()
        else:
            self.pending_notes.append("该问答在本站已下线：新内容已保存为草稿，未重新上线")
        return "updated"

    @staticmethod
    def same(entry, values, topics):
        if any(getattr(entry, name) != value for name, value in values.items()):
            return False
        return sorted(t.name for t in entry.topics.all()) == sorted(topics)

    def department(self, value):
        key = ("department", value)
        if key in self.cache:
            found = Department.objects.filter(pk=self.cache[key]).first()
            if found is not None:
                return found
        found = (Department.objects.filter(code=value.lower()).first()
                 or Department.objects.filter(name=value).first())
        if found is None:
            by_short = list(Department.objects.filter(short_name=value)[:2])
            if len(by_short) > 1:
                raise RowError(f"简称“{value}”对应多个部门，请填写部门代码或全称")
            found = by_short[0] if by_short else None
        if found is None:
            found = self.create_department(value)
        self.pending_cache[key] = found.pk
        return found

    def create_department(self, value):
        if not re.search(r"[\u4e00-\u9fff]", value):
            raise RowError(f"找不到部门代码“{value}”；如需新建部门，请填写部门全称（中文）")
        if len(value) > 100:
            raise RowError("部门名称超过 100 个字")
        code = "dept-" + hashlib.sha1(value.encode()).hexdigest()[:8]
        department = Department(code=code, name=value, short_name=value[:30], phone=PLACEHOLDER_PHONE,
                                address=PLACEHOLDER_ADDRESS, responsible_person=PLACEHOLDER_TEXT,
                                liaison_name=PLACEHOLDER_TEXT, liaison_phone=PLACEHOLDER_PHONE)
        department.full_clean()
        department.save()  # cms.signals: editors group, media collection and policy folder
        self.pending_counts.append("departments")
        self.pending_notes.append(f"新建部门“{value}”（代码 {code}），电话、地址、联络员为占位值（待补充），请到后台补充")
        return department

    def policy(self, ref, department):
        key = ("policy", ref.key)
        found = PolicyDocumentPage.objects.filter(pk=self.cache[key]).first() if key in self.cache else None
        if found is None and ref.doc_number:
            found = PolicyDocumentPage.objects.filter(doc_number=ref.doc_number).order_by("-live", "pk").first()
        if found is None:
            found = PolicyDocumentPage.objects.filter(slug=ref.slug).order_by("-live", "pk").first()
        if found is None and ref.title:
            # The same title under another 文号 is another document (e.g. each year's notice).
            candidates = [p for p in PolicyDocumentPage.objects.filter(title=ref.title).order_by("-live", "pk")
                          if not (ref.doc_number and p.doc_number)]
            if len(candidates) > 1:
                own = [p for p in candidates if p.drafting_department_id == department.pk]
                if len(own) != 1:
                    raise RowError(f"有 {len(candidates)} 份标题为《{ref.title}》的政策文件，请填写文号（policy_doc_number）以便区分")
                candidates = own
            found = candidates[0] if candidates else None
        if found is None:
            found = self.create_policy(ref, department)
        elif ref.status and ref.status != found.validity and found.pk not in self.warned | self.pending_warned:
            self.pending_warned.add(found.pk)
            self.pending_notes.append(
                f"政策《{found.title}》在本站为“{found.get_validity_display()}”，文件中为“{Validity(ref.status).label}”；"
                "效力以本站的立改废记录为准，未修改该文件")
        self.pending_cache[key] = found.pk
        return found

    def create_policy(self, ref, department):
        if not ref.title:
            raise RowError(f"找不到文号为 {ref.doc_number} 的政策文件；如需新建，请填写政策标题（policy_title）")
        if ref.issued is None:
            raise RowError(f"新建政策文件《{ref.title}》需要发布日期（policy_issued）")
        folder = DepartmentPolicyIndexPage.objects.filter(department=department).first()
        if folder is None:
            raise RowError(f"部门“{department}”没有政策栏目（网站还没有政策文件库页面），无法新建政策文件")
        summary, expiry = IMPORTED_SUMMARY, None
        if ref.status == Validity.AMENDED:
            summary += AMENDED_NOTE
            self.pending_notes.append(f"政策《{ref.title}》标注为已修改：已新建为现行有效，并在摘要中注明，请补充修改文件")
        elif ref.status == Validity.EXPIRED:
            expiry = timezone.localdate() - datetime.timedelta(days=1)
            if ref.issued > expiry:
                raise RowError(f"政策《{ref.title}》标注为已失效，但发布日期 {ref.issued} 不早于今天")
            summary += EXPIRED_NOTE
        page = PolicyDocumentPage(
            title=ref.title, slug=ref.slug, doc_number=ref.doc_number, issuing_authority=department.name[:100],
            written_date=ref.issued, publish_date=ref.issued, expiry_date=expiry, summary=summary,
            body=[("paragraph", RichText(IMPORTED_BODY))],
            repeal_basis=REPEAL_BASIS if ref.status == Validity.REPEALED else "",
            must_interpret=False, no_interpretation_reason=NO_INTERPRETATION_REASON,
        )
        folder.add_child(instance=page)  # full_clean: 文号 clash, dates
        page.save_revision(log_action=True).publish()  # the gate passes: no interpretation needed
        page.refresh_from_db()
        self.pending_warned.add(page.pk)  # its status was applied just now
        self.pending_counts.append("policies")
        return page

    # --- after the rows ------------------------------------------------------------------------
    def unpublish_missing(self):
        if self.counts["failed"]:
            self.stdout.write("有出错的行，未执行 --unpublish-missing（避免把出错行对应的问答误下线）。")
            return
        missing = [pk for pk, external_id in (QAEntry.objects.filter(live=True, external_id__isnull=False)
                                              .exclude(external_id="").values_list("pk", "external_id"))
                   if external_id not in self.seen]
        for entry in QAEntry.objects.filter(pk__in=missing).iterator():
            with transaction.atomic():
                entry.unpublish()
            self.counts["unpublished"] += 1
            self.stdout.write(f"已下线（文件中没有）：{entry.external_id} {entry.question}")

    def report(self):
        c = self.counts
        prefix = "试运行（未保存任何修改）：" if self.dry_run else "导入完成："
        self.stdout.write(f"{prefix}新增 {c['created']}，更新 {c['updated']}，未变 {c['unchanged']}，出错 {c['failed']}")
        extra = [f"新建部门 {c['departments']}" if c["departments"] else "",
                 f"新建政策文件 {c['policies']}" if c["policies"] else "",
                 f"下线 {c['unpublished']}" if c["unpublished"] else ""]
        if any(extra):
            self.stdout.write("，".join(e for e in extra if e))
        if c["failed"]:
            raise CommandError(f"有 {c['failed']} 行出错（见上），其余行{'可以导入' if self.dry_run else '已导入'}。",
                               returncode=1)
