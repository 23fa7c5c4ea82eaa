"""What the hotline index holds: one flat document per answer, built from the live site only.

Three sources feed it (issue #4): standalone Q&A entries (``qa:<id>``), the Q&A pairs inside live
interpretations (``interp:<page id>``, one document per pair) and live policy documents
(``policy:<id>``). A *source* is the unit of change: the outbox names sources, and applying a
source replaces all of its documents, so a deleted Q&A pair disappears with the edit that removed
it. Drafts never get here: every builder starts from ``live`` objects.
"""
import hashlib
import json
from dataclasses import dataclass, field, fields

from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.rich_text import get_text_for_indexing

# Multipliers applied by the engine to the text score (tantivy: log2(2 + w); Elasticsearch:
# field_value_factor ln2p, the same curve scaled): current answers outrank amended ones, and both
# outrank repealed or expired ones that say the same thing.
RANK_WEIGHTS = {"current": 2.0, "amended": 1.0, "expired": 0.0, "repealed": 0.0}
HIDDEN_BY_DEFAULT = ("repealed", "expired")
KINDS = {"qa": "政策问答", "interpretation_qa": "解读问答", "policy": "政策文件"}
POLICY_BODY_CHARS = 20_000


@dataclass
class SearchDocument:
    key: str
    source: str
    kind: str
    question: str
    short_answer: str
    answer: str
    url: str
    alt_questions: list = field(default_factory=list)
    department_code: str = ""
    department_name: str = ""
    department_phone: str = ""
    topics: list = field(default_factory=list)
    policy_id: int | None = None
    policy_title: str = ""
    doc_number: str = ""
    validity: str = ""           # "" when the answer rests on no policy document
    issuing_authority: str = ""
    policy_url: str = ""
    interpretation_title: str = ""
    interpretation_url: str = ""
    date: str = ""               # ISO date: the policy's 发布日期, else the entry's last update
    external_id: str = ""
    body: str = ""               # indexed, not returned (policy full text)

    @property
    def rank_weight(self):
        return RANK_WEIGHTS.get(self.validity, RANK_WEIGHTS["current"])

    def as_dict(self):
        # Flat fields and lists of strings: a shallow copy is enough (dataclasses.asdict deep-copies,
        # a third of the rebuild time at 100k documents).
        return {name: (list(value) if isinstance(value, list) else value)
                for name, value in ((f, getattr(self, f)) for f in _FIELD_NAMES)}

    def payload_and_hash(self):
        """What a hit returns (everything but the long indexed-only body) and the content hash."""
        data = self.as_dict()
        digest = hashlib.sha1(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
        data.pop("body")
        return data, digest

    def payload(self):
        return self.payload_and_hash()[0]

    def content_hash(self):
        return self.payload_and_hash()[1]

    def index_texts(self):
        """The text of each analysed field, shared by every backend."""
        return {
            "question": self.question,
            "alt_questions": "\n".join(self.alt_questions),
            "short_answer": self.short_answer,
            "answer": self.answer,
            "meta": " ".join([self.policy_title, self.doc_number, self.department_name, *self.topics,
                              self.interpretation_title]),
            "body": self.body,
        }


_FIELD_NAMES = tuple(f.name for f in fields(SearchDocument))


def _department_fields(department):
    if department is None:
        return {}
    return {"department_code": department.code, "department_name": department.short_name or department.name,
            "department_phone": department.phone}


def _policy_fields(policy):
    if policy is None or not policy.live:
        return {}
    return {"policy_id": policy.pk, "policy_title": policy.title, "doc_number": policy.doc_number,
            "validity": policy.validity, "issuing_authority": policy.issuing_authority,
            "policy_url": policy.get_url() or "", "date": policy.publish_date.isoformat()}


def _rich_text(value):
    return " ".join(get_text_for_indexing(str(value or "")).split())


# --- builders, one per kind of source ------------------------------------------------------------
def qa_entry_documents(entry):
    if entry is None or not entry.live:
        return []
    doc = SearchDocument(
        key=f"qa:{entry.pk}", source=f"qa:{entry.pk}", kind="qa", question=entry.question,
        alt_questions=entry.alt_question_list(), short_answer=entry.short_answer.strip(),
        answer=_rich_text(entry.answer), url=f"/wenda/{entry.pk}/", external_id=entry.external_id or "",
        topics=sorted(t.name for t in entry.topics.all()),
        **_department_fields(entry.department), **_policy_fields(entry.policy),
    )
    if not doc.date:  # no policy: the entry's own last publication
        doc.date = timezone.localdate(entry.last_published_at or entry.updated_at or timezone.now()).isoformat()
    if entry.interpretation_id and entry.interpretation.live:
        doc.interpretation_title = entry.interpretation.title
        doc.interpretation_url = entry.interpretation.get_url() or ""
    return [doc]


def interpretation_documents(page):
    """One document per Q&A pair of a live interpretation whose policy is live too (同步解读)."""
    policy = page.policy_document if page is not None else None
    if page is None or not page.live or policy is None or not policy.live:
        return []
    url = page.get_url() or ""
    topics = sorted(t.name for t in policy.topics.all())
    docs = []
    for block in page.body:
        if block.block_type != "qa":
            continue
        anchor = (block.id or "")[:8]
        for n, item in enumerate(block.value["items"], start=1):
            answer = _rich_text(item["answer"].source if hasattr(item["answer"], "source") else item["answer"])
            docs.append(SearchDocument(
                key=f"interp:{page.pk}:{anchor}-{n}", source=f"interp:{page.pk}", kind="interpretation_qa",
                question=item["question"], short_answer=_first_sentence(answer), answer=answer,
                url=f"{url}#qa-{anchor}-{n}", topics=topics, interpretation_title=page.title, interpretation_url=url,
                **_department_fields(page.department), **_policy_fields(policy),
            ))
    return docs


def policy_documents(policy):
    if policy is None or not policy.live:
        return []
    body = " ".join(policy.body.stream_block.get_searchable_content(policy.body))
    doc = SearchDocument(
        key=f"policy:{policy.pk}", source=f"policy:{policy.pk}", kind="policy", question=policy.title,
        short_answer=policy.summary, answer=policy.summary, url=policy.get_url() or "",
        topics=sorted(t.name for t in policy.topics.all()), body=strip_tags(body)[:POLICY_BODY_CHARS],
        **_department_fields(policy.drafting_department), **_policy_fields(policy),
    )
    return [doc]


def _first_sentence(text, limit=120):
    for stop in "。！？；":
        cut = text.find(stop)
        if 0 < cut < limit:
            return text[: cut + 1]
    return text[:limit] + ("…" if len(text) > limit else "")


# --- sources ---------------------------------------------------------------------------------------
def documents_for_source(source):
    """The documents a source should have in the index right now (empty: remove them all)."""
    from cms.models import PolicyDocumentPage
    from interpretations.models import InterpretationPage

    from .models import QAEntry

    kind, _, pk = source.partition(":")
    if kind == "qa":
        entry = (QAEntry.objects.select_related("department", "policy", "interpretation")
                 .prefetch_related("topics").filter(pk=pk).first())
        return qa_entry_documents(entry)
    if kind == "interp":
        page = (InterpretationPage.objects.select_related("department", "policy_document")
                .filter(pk=pk).first())
        return interpretation_documents(page)
    if kind == "policy":
        policy = PolicyDocumentPage.objects.select_related("drafting_department").filter(pk=pk).first()
        return policy_documents(policy)
    if kind == "department":
        return []  # a department has no documents of its own; dependent_sources brings its answers
    raise ValueError(f"unknown search source {source!r}")


def dependent_sources(source):
    """Sources whose documents copy data from this one (a policy's title, validity; a department's phone)."""
    from cms.models import PolicyDocumentPage
    from interpretations.models import InterpretationPage

    from .models import QAEntry

    kind, _, pk = source.partition(":")
    if kind == "policy":
        interps = InterpretationPage.objects.filter(policy_document_id=pk).values_list("pk", flat=True)
        entries = QAEntry.objects.filter(policy_id=pk).values_list("pk", flat=True)
        return [f"interp:{i}" for i in interps] + [f"qa:{i}" for i in entries]
    if kind == "interp":
        return [f"qa:{i}" for i in QAEntry.objects.filter(interpretation_id=pk).values_list("pk", flat=True)]
    if kind == "department":
        policies = PolicyDocumentPage.objects.filter(drafting_department_id=pk).values_list("pk", flat=True)
        interps = InterpretationPage.objects.filter(department_id=pk).values_list("pk", flat=True)
        entries = QAEntry.objects.filter(department_id=pk).values_list("pk", flat=True)
        return [f"policy:{i}" for i in policies] + [f"interp:{i}" for i in interps] + [f"qa:{i}" for i in entries]
    return []


def all_documents(batch_size=500):
    """Every document the index should hold, built in batches (bounded memory at 100k entries)."""
    from cms.models import PolicyDocumentPage
    from interpretations.models import InterpretationPage

    from .models import QAEntry

    entries = (QAEntry.objects.filter(live=True).select_related("department", "policy", "interpretation")
               .prefetch_related("topics").order_by("pk"))
    last = 0
    while True:
        batch = list(entries.filter(pk__gt=last)[:batch_size])
        if not batch:
            break
        for entry in batch:
            yield from qa_entry_documents(entry)
        last = batch[-1].pk
    for page in (InterpretationPage.objects.live().select_related("department", "policy_document")
                 .order_by("pk")):
        yield from interpretation_documents(page)
    for policy in PolicyDocumentPage.objects.live().select_related("drafting_department").order_by("pk"):
        yield from policy_documents(policy)


def anything_to_index():
    """Whether the database holds anything the index should contain (two EXISTS queries)."""
    from cms.models import PolicyDocumentPage

    from .models import QAEntry

    return QAEntry.objects.filter(live=True).exists() or PolicyDocumentPage.objects.live().exists()


def count_documents():
    """The number of documents ``all_documents`` yields, without building them."""
    from cms.models import PolicyDocumentPage
    from interpretations.models import InterpretationPage

    from .models import QAEntry

    pairs = 0
    for page in InterpretationPage.objects.live().filter(policy_document__live=True).only("body"):
        pairs += sum(len(block.value["items"]) for block in page.body if block.block_type == "qa")
    return QAEntry.objects.filter(live=True).count() + pairs + PolicyDocumentPage.objects.live().count()
