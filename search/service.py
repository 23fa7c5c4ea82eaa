"""The one place that builds hotline searches: analyse, ask the backend, mark up, log.

Views and the API only validate input and render what ``hotline_search`` returns; every backend
gets the same analysed query (search.analysis), so they match the same answers.
"""
import html
import logging
import re
import time
from dataclasses import dataclass, field
from functools import partial

from cms.after_response import defer
from consultations.privacy import mask_personal_data

from .analysis import get_analyzer
from .backends import SearchUnavailable, get_backend
from .backends.base import SearchFilters, SearchRequest
from .documents import KINDS

logger = logging.getLogger(__name__)

MAX_LIMIT = 50
MAX_OFFSET = 1000
VALIDITY_LABELS = {"current": "现行有效", "amended": "已修改", "repealed": "已废止", "expired": "已失效", "": "未关联文件"}


@dataclass
class SearchResponse:
    query: str
    total: int
    took_ms: float
    results: list = field(default_factory=list)
    facets: dict = field(default_factory=dict)
    error: str = ""


def highlight(text, terms):
    """Escape ``text`` and wrap each occurrence of the query's words in <mark> (longest first)."""
    escaped = html.escape(text or "")
    if not terms:
        return escaped
    pattern = re.compile("|".join(re.escape(html.escape(t)) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    return pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)


def _result(hit, terms):
    p = hit.payload
    marked = hit.highlight or {}
    return {
        "key": p["key"], "kind": p["kind"], "kind_label": KINDS.get(p["kind"], ""), "external_id": p.get("external_id", ""),
        "question": p["question"], "short_answer": p["short_answer"], "answer": p["answer"],
        "alt_questions": p.get("alt_questions", []),
        "highlight": {
            "question": marked.get("question") or highlight(p["question"], terms),
            "short_answer": marked.get("short_answer") or highlight(p["short_answer"], terms),
            "answer": marked.get("answer") or highlight(p["answer"], terms),
        },
        "department": {"code": p["department_code"], "name": p["department_name"], "phone": p["department_phone"]},
        "topics": p.get("topics", []),
        "policy": ({"id": p["policy_id"], "title": p["policy_title"], "doc_number": p["doc_number"],
                    "status": p["validity"], "status_label": VALIDITY_LABELS.get(p["validity"], ""),
                    "issuing_authority": p.get("issuing_authority", ""), "url": p["policy_url"],
                    "date": p.get("date", "")}
                   if p.get("policy_id") else None),
        "interpretation": ({"title": p["interpretation_title"], "url": p["interpretation_url"]}
                           if p.get("interpretation_url") else None),
        "validity": p["validity"], "validity_label": VALIDITY_LABELS.get(p["validity"], ""),
        "url": p["url"], "score": round(hit.score, 4),
    }


def hotline_search(query, *, filters=None, limit=10, offset=0, facets=False, channel=None, log=True):
    """Search the Q&A base. Never raises for a backend outage: the response carries ``error`` instead."""
    started = time.perf_counter()
    filters = filters or SearchFilters()
    analyzed = get_analyzer().analyze_query(query or "")
    response = SearchResponse(query=analyzed.text, total=0, took_ms=0.0)
    if not analyzed.is_empty:
        request = SearchRequest(query=analyzed, filters=filters, limit=min(limit, MAX_LIMIT),
                                offset=min(offset, MAX_OFFSET), facets=facets)
        try:
            backend = get_backend()
            found = backend.search(request)
            if not found.total and index_lost(backend):
                raise SearchUnavailable("the search index is empty while the database has content: "
                                        "run rebuild_search_index (docs/faults.md)")
        except SearchUnavailable as exc:
            logger.error("hotline search unavailable: %s", exc)
            response.error = "检索服务暂时不可用，请稍后再试；紧急情况请查阅部门咨询电话。"
        else:
            terms = analyzed.highlight_terms()
            response.total = found.total
            response.results = [_result(hit, terms) for hit in found.hits]
            response.facets = found.facets
    response.took_ms = round((time.perf_counter() - started) * 1000, 2)
    if log and channel and response.query and not response.error:
        # After the response is sent: the operator does not wait for the log's INSERT (cms/after_response.py).
        defer(partial(_log, response, channel, filters))
    return response


def index_lost(backend):
    """An empty index while the database has content: the index was lost (its disk emptied, a new
    volume mounted) and recreated empty. Saying "no answer" then would tell the caller there is no
    policy; it is an outage. The search asks only when nothing was found; /readyz asks every time."""
    from .documents import anything_to_index

    return backend.document_count() == 0 and anything_to_index()


def _log(response, channel, filters):
    from cms.models import Department

    from .models import SearchQueryLog

    try:
        department = None
        if len(filters.departments) == 1:
            department = Department.objects.filter(code=filters.departments[0]).first()
        SearchQueryLog.objects.create(query=mask_personal_data(response.query)[:200], channel=channel,
                                      department=department, total=response.total, took_ms=response.took_ms)
    except Exception:  # a full disk or a locked database must not break the search itself
        logger.exception("could not log a hotline search")
    if response.total == 0:
        logger.info("hotline search without answer: channel=%s chars=%d", channel, len(response.query))
