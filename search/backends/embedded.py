"""The embedded backend: a tantivy index on local disk, fed with our own Chinese analysis.

Why tantivy: measured against SQLite FTS5 at 100k and 1M entries (docs/search-engine-choice.md),
its latency stays in single milliseconds where FTS5 grows with the corpus; it needs no server and
works whatever the main database is. Text arrives segmented by search.analysis (tokens joined by
spaces) and is split again on whitespace here, so tantivy never guesses at Chinese words.

Layout under ``SEARCH_EMBEDDED_DIR``: one folder per index version and a ``CURRENT`` file naming the
live one. A rebuild writes a new folder and replaces ``CURRENT`` atomically (the embedded
equivalent of Elasticsearch's alias swap), so searches never see a half-built index. One writer at a
time: tantivy's own lock file refuses a second one, which surfaces as SearchUnavailable and is
retried by the outbox.
"""
import json
import os
import secrets
import shutil
import threading
import time
from pathlib import Path

import tantivy
from django.conf import settings
from django.utils import timezone

from search.analysis import doc_number_tokens

from .base import SearchBackend, SearchHit, SearchHits, SearchUnavailable

TOKENIZER = "zh_ws"
# Relative weight of each analysed field; the same numbers are used by the Elasticsearch backend.
FIELD_BOOSTS = {"question": 3.0, "alt_questions": 2.5, "short_answer": 1.5, "answer": 1.0, "meta": 1.5,
                "body": 0.4}
DOC_NUMBER_BOOST = 20.0
FACET_FIELDS = {"department": "department_code", "validity": "validity", "topic": "topics", "kind": "kind"}
CURRENT_FILE = "CURRENT"


def _schema():
    builder = tantivy.SchemaBuilder()
    for name in ("key", "source", "kind", "department_code", "validity", "topics", "hash"):
        builder.add_text_field(name, stored=name in {"key", "hash"}, fast=True, tokenizer_name="raw")
    builder.add_integer_field("date", indexed=True, fast=True)
    builder.add_float_field("rank_weight", fast=True)
    builder.add_text_field("payload", stored=True, tokenizer_name="raw", index_option="basic")
    for name in (*FIELD_BOOSTS, "docno"):
        builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="freq")
    return builder.build()


def _analyzer():
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.lowercase()).build()


def _date_int(iso):
    return int(iso.replace("-", "")) if iso else 0


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, path=None, reload_seconds=None):
        self.root = Path(path or settings.SEARCH_EMBEDDED_DIR)
        self.reload_seconds = (settings.SEARCH_RELOAD_SECONDS if reload_seconds is None else reload_seconds)
        self.schema = _schema()
        self._lock = threading.Lock()
        self._index = None
        self._version = None
        self._checked = 0.0
        self._reloaded = 0.0

    # --- index versions ---------------------------------------------------------------------------
    def _current_version(self):
        try:
            return (self.root / CURRENT_FILE).read_text().strip() or None
        except FileNotFoundError:
            return None

    def _set_current(self, version):
        tmp = self.root / f".{CURRENT_FILE}.{secrets.token_hex(4)}"
        tmp.write_text(version)
        os.replace(tmp, self.root / CURRENT_FILE)  # atomic: readers see the old or the new, never neither

    def _new_version(self):
        version = f"idx-{timezone.now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
        (self.root / version).mkdir(parents=True)
        return version

    def _open(self, version):
        index = tantivy.Index(self.schema, path=str(self.root / version), reuse=True)
        index.register_tokenizer(TOKENIZER, _analyzer())
        return index

    def _get_index(self):
        """The live index, reopened when a rebuild swapped versions, reloaded when another process wrote."""
        now = time.monotonic()
        with self._lock:
            if self._index is None or now - self._checked >= self.reload_seconds:
                self._checked = now
                try:
                    version = self._current_version()
                    if version is None:
                        self.root.mkdir(parents=True, exist_ok=True)
                        version = self._new_version()
                        self._open(version)
                        self._set_current(version)
                    if version != self._version or self._index is None:
                        self._index, self._version = self._open(version), version
                        self._reloaded = now
                    elif now - self._reloaded >= self.reload_seconds:
                        self._index.reload()
                        self._reloaded = now
                except (OSError, ValueError) as exc:
                    raise SearchUnavailable(f"本地检索索引无法打开：{exc}") from exc
            return self._index

    # --- writing ----------------------------------------------------------------------------------
    def _document(self, doc, analyzer):
        texts = doc.index_texts()
        fields = {name: analyzer.index_string(texts[name]) for name in FIELD_BOOSTS}
        docno = " ".join(doc_number_tokens(doc.doc_number) or ()) if doc.doc_number else ""
        if docno:  # answers citing a 文号 are found by it too (below the policy itself)
            fields["meta"] = f"{fields['meta']} {docno}"
        payload, digest = doc.payload_and_hash()
        payload["hash"] = digest
        tdoc = tantivy.Document(
            key=doc.key, source=doc.source, kind=doc.kind, department_code=doc.department_code or "-",
            validity=doc.validity or "none", hash=payload["hash"], date=_date_int(doc.date),
            rank_weight=float(doc.rank_weight), payload=json.dumps(payload, ensure_ascii=False), **fields,
        )
        for topic in doc.topics:
            tdoc.add_text("topics", topic)
        if doc.kind == "policy" and docno:
            tdoc.add_text("docno", docno)
        return tdoc

    def _writer(self, index, heap=50_000_000, threads=1):
        try:
            return index.writer(heap_size=heap, num_threads=threads)
        except ValueError as exc:  # LockBusy: another process is writing
            raise SearchUnavailable(f"本地检索索引正被其他进程写入：{exc}") from exc

    def replace_sources(self, changes):
        from search.analysis import get_analyzer

        if not changes:
            return
        analyzer = get_analyzer()
        index = self._get_index()
        writer = self._writer(index)
        try:
            for source, docs in changes.items():
                writer.delete_documents_by_term("source", source)
                for doc in docs:
                    writer.add_document(self._document(doc, analyzer))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()
        with self._lock:
            index.reload()
            self._reloaded = time.monotonic()

    def rebuild(self, documents, progress=None):
        from search.analysis import get_analyzer

        analyzer = get_analyzer()
        self.root.mkdir(parents=True, exist_ok=True)
        version = self._new_version()
        index = self._open(version)
        # Two indexing threads: tantivy's Rust side runs beside Python's analysis of the next documents.
        writer = self._writer(index, heap=200_000_000, threads=2)
        count = 0
        try:
            for doc in documents:
                writer.add_document(self._document(doc, analyzer))
                count += 1
                if progress:
                    progress(1)
            writer.commit()
        except BaseException:
            writer.rollback()
            shutil.rmtree(self.root / version, ignore_errors=True)
            raise
        finally:
            writer.wait_merging_threads()
        previous = self._current_version()
        self._set_current(version)
        with self._lock:
            self._index, self._version, self._checked = None, None, 0.0
        self._remove_old_versions(keep={version, previous})
        return count

    def _remove_old_versions(self, keep):
        # The previous version stays one rebuild longer: another process may still be reading it.
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("idx-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    def clear(self):
        shutil.rmtree(self.root, ignore_errors=True)
        with self._lock:
            self._index, self._version, self._checked = None, None, 0.0

    # --- reading ----------------------------------------------------------------------------------
    def ping(self):
        try:
            self._get_index().searcher()
            return True
        except SearchUnavailable:
            return False

    def document_count(self):
        return self._get_index().searcher().num_docs

    def indexed_hashes(self):
        searcher = self._get_index().searcher()
        total = searcher.num_docs
        if not total:
            return {}
        hashes = {}
        for _score, address in searcher.search(tantivy.Query.all_query(), limit=total, count=False).hits:
            doc = searcher.doc(address)
            hashes[doc["key"][0]] = doc["hash"][0]
        return hashes

    def search(self, request):
        index = self._get_index()
        searcher = index.searcher()
        query = self._build_query(request)
        if query is None:
            return SearchHits(total=0, hits=[])
        try:
            result = searcher.search(query, limit=request.limit, offset=request.offset, count=True,
                                     weight_by_field="rank_weight")
        except ValueError as exc:
            raise SearchUnavailable(f"检索失败：{exc}") from exc
        hits = [SearchHit(payload=json.loads(searcher.doc(address)["payload"][0]), score=float(score))
                for score, address in result.hits]
        facets = self._facets(searcher, query) if request.facets and result.count else {}
        return SearchHits(total=result.count, hits=hits, facets=facets)

    def _facets(self, searcher, query):
        spec = {name: {"terms": {"field": field, "size": 50}} for name, field in FACET_FIELDS.items()}
        try:
            raw = searcher.aggregate(query, spec)
        except ValueError:
            return {}
        return {name: {b["key"]: b["doc_count"] for b in raw.get(name, {}).get("buckets", [])
                       if b["key"] not in ("-", "none")} for name in FACET_FIELDS}

    # --- query building ---------------------------------------------------------------------------
    def _term(self, field, token):
        return tantivy.Query.term_query(self.schema, field, token)

    def _alternative(self, tokens):
        """All tokens of one alternative in one field, the best field counting (with a little of the rest)."""
        per_field = []
        for field, boost in FIELD_BOOSTS.items():
            if len(tokens) == 1:
                clause = self._term(field, tokens[0])
            else:
                clause = tantivy.Query.boolean_query([(tantivy.Occur.Must, self._term(field, t)) for t in tokens])
            per_field.append(tantivy.Query.boost_query(clause, boost))
        return tantivy.Query.disjunction_max_query(per_field, tie_breaker=0.3)

    def _concept(self, concept):
        alternatives = [self._alternative(alt) for alt in concept.alternatives]
        return alternatives[0] if len(alternatives) == 1 else tantivy.Query.disjunction_max_query(alternatives, 0.1)

    def _text_query(self, analyzed):
        required = [self._concept(c) for c in analyzed.required]
        optional = [self._concept(c) for c in analyzed.optional]
        if required:
            core = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in required],
                                               minimum_number_should_match=analyzed.minimum_match)
        elif optional:
            core = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in optional])
            optional = []
        else:
            return None
        if not optional:
            return core
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, core)] + [(tantivy.Occur.Should, q) for q in optional])

    def _doc_number_query(self, tokens):
        # Year and number must match; the issuing body's prefix (often typed loosely: 医保局 for
        # 乌医保发) only ranks the exact one first.
        prefix, required = tokens[:-2], tokens[-2:]
        exact = tantivy.Query.boolean_query([(tantivy.Occur.Must, self._term("docno", t)) for t in required]
                                            + [(tantivy.Occur.Should, self._term("docno", t)) for t in prefix])
        cited = tantivy.Query.boolean_query([(tantivy.Occur.Must, self._term("meta", t)) for t in required]
                                            + [(tantivy.Occur.Should, self._term("meta", t)) for t in prefix])
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Should, tantivy.Query.boost_query(exact, DOC_NUMBER_BOOST)),
            (tantivy.Occur.Should, cited),
        ])

    def _build_query(self, request):
        analyzed = request.query
        text = self._text_query(analyzed)
        if analyzed.doc_number:
            number = self._doc_number_query(analyzed.doc_number)
            scoring = number if text is None else tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, number), (tantivy.Occur.Should, text)])
        elif text is not None:
            scoring = text
        else:
            return None
        clauses = [(tantivy.Occur.Must, scoring)]
        clauses += [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in self._filters(request.filters)]
        clauses += [(tantivy.Occur.MustNot, self._term("validity", v)) for v in request.filters.validity_excluded()]
        return tantivy.Query.boolean_query(clauses) if len(clauses) > 1 else scoring

    def _filters(self, filters):
        if filters.departments:
            yield tantivy.Query.term_set_query(self.schema, "department_code", list(filters.departments))
        if filters.topic:
            yield self._term("topics", filters.topic)
        if filters.validity:
            yield tantivy.Query.term_set_query(self.schema, "validity", list(filters.validity))
        if filters.kinds:
            yield tantivy.Query.term_set_query(self.schema, "kind", list(filters.kinds))
        if filters.date_from or filters.date_to:
            yield tantivy.Query.range_query(
                self.schema, "date", tantivy.FieldType.Integer,
                lower_bound=int(filters.date_from.strftime("%Y%m%d")) if filters.date_from else None,
                upper_bound=int(filters.date_to.strftime("%Y%m%d")) if filters.date_to else None,
            )
