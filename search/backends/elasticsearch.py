"""The Elasticsearch backend: the same documents and the same analysed query as the embedded one.

Design (docs/search-elasticsearch.md has the long version):

* **Same analysis.** Every analysed field exists twice. ``<field>_tokens`` receives the string
  search.analysis.Analyzer.index_string builds for the embedded backend (rjieba tokens joined by
  spaces) and is analysed only by ``whitespace`` + ``lowercase``; the query is made of ``term``
  queries on those tokens, built from the very AnalyzedQuery the embedded backend gets (concepts,
  alternatives, required/optional, minimum_match, 文号), with the same FIELD_BOOSTS and dis_max
  shape. So both backends match the same answers for the same words, and synonyms, stop words and
  专业词 are applied once, in Python.
* **The raw text** (question, alt_questions, short_answer, answer, meta) is indexed as well, for
  highlighting and for two *score-only* clauses: with the IK plugin (``ik_max_word`` at index time,
  ``ik_smart`` + the updateable synonyms filter at search time) an IK ``multi_match``, and always a
  ``cjk_bigram`` sub-field (``<field>.bigram``: standard tokenizer, cjk_width, lowercase,
  cjk_bigram — no plugin needed) queried as a sloppy phrase. They are ``should`` clauses beside a
  ``must`` core, so they reorder answers (an answer saying the caller's words in order ranks
  higher) but never widen or narrow the set the token core matched: the conformance suite holds
  for both backends. Whether the cluster has IK is decided once per index version
  (``_nodes/plugins``: every node must list ``analysis-ik``; settings SEARCH_ELASTICSEARCH_IK
  = "auto" | True | False overrides) and written into the mapping's ``_meta``; queries follow the
  live index's ``_meta``, not the cluster, so installing the plugin changes nothing until a rebuild.
* **Synonyms** live in a synonyms set (``PUT _synonyms/<prefix>-qa``, one rule per SynonymGroup)
  used by the IK search analyzer through ``synonym_graph`` with ``synonyms_set`` and
  ``updateable: true``: editing a group calls ``synonyms_changed()`` (search/signals.py), which
  pushes the set after commit, and Elasticsearch reloads the search analyzers without reindexing.
* **Versions behind an alias.** Indexes are ``<prefix>-qa-<YYYYmmddHHMMSS>``, searched and written
  through the alias ``<prefix>-qa``. A rebuild fills a new index (refresh off, streaming bulk),
  refreshes it, swaps the alias in one ``_aliases`` call and deletes older versions, keeping the
  previous one.
* **Validity ranking**: ``function_score`` with ``field_value_factor`` on ``rank_weight``,
  ``ln2p`` and ``boost_mode: multiply`` — ln(2 + w), the curve of tantivy's log2(2 + w) scaled
  by ln 2, so current answers outrank amended ones and both outrank repealed or expired ones that
  say the same thing, in the same order as the embedded backend.
* **Failures**: connection errors, timeouts, 429 and 5xx (and any other refusal, logged as a bug)
  become SearchUnavailable, so the outbox keeps its rows and retries with backoff.
"""
import datetime
import logging
import re
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError, TransportError, dsl, helpers

from search.analysis import doc_number_tokens, normalize
from search.documents import RANK_WEIGHTS

from .base import SearchBackend, SearchHit, SearchHits, SearchUnavailable
from .embedded import DOC_NUMBER_BOOST, FACET_FIELDS, FIELD_BOOSTS

logger = logging.getLogger(__name__)

KEYWORD_FIELDS = ("key", "source", "kind", "department_code", "validity", "topics", "hash")
TOKEN_FIELDS = (*FIELD_BOOSTS, "docno")          # <name>_tokens
RAW_FIELDS = ("question", "alt_questions", "short_answer", "answer", "meta")
HIGHLIGHT_FIELDS = ("question", "short_answer", "answer")
IK_BOOST = 0.3        # score-only refinements beside the token core (see the module docstring)
BIGRAM_BOOST = 0.2
BIGRAM_SLOP = 2
TIE_FIELDS = 0.3      # dis_max tie breakers, as in the embedded backend
TIE_ALTERNATIVES = 0.1
BULK_CHUNK = 500
DELETE_CHUNK = 200    # sources per delete_by_query (bool clause limits)
META_TTL = 60.0       # seconds before re-reading the live index's _meta (another process may rebuild)
BULK_TIMEOUT = 120.0
IK_PLUGIN = "analysis-ik"
MAPPING_VERSION = 1
ANALYSIS_IK, ANALYSIS_BIGRAM = "ik", "bigram"

# --- analysis --------------------------------------------------------------------------------------
TOKENS_ANALYZER = dsl.analyzer("hotline_tokens", tokenizer="whitespace", filter=["lowercase"])
BIGRAM_ANALYZER = dsl.analyzer("hotline_bigram", tokenizer="standard", filter=["cjk_width", "lowercase", "cjk_bigram"])
IK_INDEX_ANALYZER = dsl.analyzer("hotline_ik_index", tokenizer="ik_max_word", filter=["lowercase"])


def synonyms_set_id(prefix):
    return f"{prefix}-qa"


def ik_search_analyzer(prefix):
    synonyms = dsl.token_filter("hotline_synonyms", type="synonym_graph", synonyms_set=synonyms_set_id(prefix),
                                updateable=True, lenient=True)
    return dsl.analyzer("hotline_ik_search", tokenizer="ik_smart", filter=["lowercase", synonyms])


def document_class(prefix, ik):
    """The dsl Document of one index version: with IK for the raw text, or with the bigram sub-field only."""
    attrs = {name: dsl.Keyword() for name in KEYWORD_FIELDS}
    attrs["topics"] = dsl.Keyword(multi=True)
    attrs["date"] = dsl.Date(format="yyyy-MM-dd")
    attrs["rank_weight"] = dsl.Float()
    attrs["payload"] = dsl.Object(enabled=False)  # returned as is, never indexed
    for name in TOKEN_FIELDS:
        attrs[f"{name}_tokens"] = dsl.Text(analyzer=TOKENS_ANALYZER, index_options="freqs")
    for name in RAW_FIELDS:
        bigram = {"bigram": dsl.Text(analyzer=BIGRAM_ANALYZER)}
        if ik:
            attrs[name] = dsl.Text(analyzer=IK_INDEX_ANALYZER, search_analyzer=ik_search_analyzer(prefix), fields=bigram)
        else:
            attrs[name] = dsl.Text(analyzer="standard", fields=bigram)
    attrs["Meta"] = type("Meta", (), {
        "dynamic": dsl.MetaField("strict"),
        "source": dsl.MetaField(excludes=["*_tokens"]),  # derivable, never returned: keep _source small
        "meta": dsl.MetaField({"analysis": ANALYSIS_IK if ik else ANALYSIS_BIGRAM, "version": MAPPING_VERSION}),
    })
    return type("HotlineDocument", (dsl.Document,), attrs)


def index_body(prefix, ik, refresh_interval=None):
    """Settings and mappings of a new index version (the body of ``PUT <prefix>-qa-<timestamp>``)."""
    index = dsl.Index(f"{prefix}-qa")
    settings_ = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    if refresh_interval is not None:
        settings_["refresh_interval"] = refresh_interval
    index.settings(**settings_)
    index.document(document_class(prefix, ik))
    return index.to_dict()


def synonym_rules():
    """One Solr-format rule per 同义词 group, normalised as search.analysis does."""
    from search.models import SynonymGroup

    rules = []
    for pk, terms in SynonymGroup.objects.order_by("pk").values_list("pk", "terms"):
        group = list(dict.fromkeys(t for t in (normalize(t) for t in SynonymGroup.split(terms))
                                   if t and "=>" not in t))
        if len(group) >= 2:
            rules.append({"id": f"group-{pk}", "synonyms": ", ".join(group)})
    return rules


# --- documents ---------------------------------------------------------------------------------------
def document_source(doc, analyzer):
    """The ``_source`` of one SearchDocument: filters, payload, raw text and the shared tokens."""
    texts = doc.index_texts()
    payload = doc.payload()
    payload["hash"] = doc.content_hash()
    source = {
        "key": doc.key, "source": doc.source, "kind": doc.kind,
        "department_code": doc.department_code or None, "validity": doc.validity or None,
        "topics": list(doc.topics), "hash": payload["hash"], "date": doc.date or None,
        "rank_weight": float(doc.rank_weight), "payload": payload,
    }
    for name in RAW_FIELDS:
        source[name] = texts[name]
    for name in FIELD_BOOSTS:
        source[f"{name}_tokens"] = analyzer.index_string(texts[name])
    docno = " ".join(doc_number_tokens(doc.doc_number) or ()) if doc.doc_number else ""
    if docno:  # answers citing a 文号 are found by it too (below the policy itself), as in the embedded index
        source["meta_tokens"] = f"{source['meta_tokens']} {docno}"
        if doc.kind == "policy":
            source["docno_tokens"] = docno
    return {k: v for k, v in source.items() if v is not None}


def index_action(index, doc, analyzer):
    return {"_op_type": "index", "_index": index, "_id": doc.key, "_source": document_source(doc, analyzer)}


def stale_query(changes):
    """Documents of these sources that the new lists no longer contain."""
    clauses = []
    for source, docs in changes:
        clause = {"filter": [{"term": {"source": source}}]}
        if docs:
            clause["must_not"] = [{"ids": {"values": [d.key for d in docs]}}]
        clauses.append({"bool": clause})
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


# --- queries -----------------------------------------------------------------------------------------
def alternative_query(tokens):
    """All tokens of one alternative in one field, the best field counting (with a little of the rest)."""
    per_field = []
    for field, boost in FIELD_BOOSTS.items():
        name = f"{field}_tokens"
        if len(tokens) == 1:
            per_field.append({"term": {name: {"value": tokens[0], "boost": boost}}})
        else:
            per_field.append({"bool": {"must": [{"term": {name: t}} for t in tokens], "boost": boost}})
    return {"dis_max": {"queries": per_field, "tie_breaker": TIE_FIELDS}}


def concept_query(concept):
    alternatives = [alternative_query(alt) for alt in concept.alternatives]
    if len(alternatives) == 1:
        return alternatives[0]
    return {"dis_max": {"queries": alternatives, "tie_breaker": TIE_ALTERNATIVES}}


def refinement_queries(analyzed, ik):
    """Score-only clauses on the raw text: IK words (with synonyms) and the caller's words in order (bigrams)."""
    words = " ".join(c.label for c in analyzed.concepts)
    if not words:
        return []
    raw_fields = {name: FIELD_BOOSTS[name] for name in RAW_FIELDS}
    clauses = []
    if ik:
        clauses.append({"multi_match": {"query": words, "type": "best_fields", "tie_breaker": TIE_FIELDS,
                                        "fields": [f"{n}^{b}" for n, b in raw_fields.items()], "boost": IK_BOOST}})
    clauses.append({"multi_match": {"query": words, "type": "phrase", "slop": BIGRAM_SLOP,
                                    "fields": [f"{n}.bigram^{b}" for n, b in raw_fields.items()],
                                    "boost": BIGRAM_BOOST}})
    return clauses


def text_query(analyzed, ik):
    required = [concept_query(c) for c in analyzed.required]
    optional = [concept_query(c) for c in analyzed.optional]
    if required:
        core = {"bool": {"should": required, "minimum_should_match": analyzed.minimum_match}}
    elif optional:  # only single characters: any of them
        core = {"bool": {"should": optional}}
        optional = []
    else:
        return None
    extra = optional + refinement_queries(analyzed, ik)
    return {"bool": {"must": [core], "should": extra}} if extra else core


def doc_number_query(tokens):
    """Year and number must match; the issuing body's prefix only ranks (as in the embedded backend)."""
    prefix, required = tokens[:-2], tokens[-2:]

    def clause(field, **extra):
        body = {"must": [{"term": {field: t}} for t in required], **extra}
        if prefix:
            body["should"] = [{"term": {field: t}} for t in prefix]
        return {"bool": body}

    return {"bool": {"should": [clause("docno_tokens", boost=DOC_NUMBER_BOOST), clause("meta_tokens")]}}


def filter_clauses(filters):
    clauses = []
    if filters.departments:
        clauses.append({"terms": {"department_code": list(filters.departments)}})
    if filters.topic:
        clauses.append({"term": {"topics": filters.topic}})
    if filters.validity:
        clauses.append({"terms": {"validity": list(filters.validity)}})
    if filters.kinds:
        clauses.append({"terms": {"kind": list(filters.kinds)}})
    if filters.date_from or filters.date_to:
        bounds = {}
        if filters.date_from:
            bounds["gte"] = filters.date_from.isoformat()
        if filters.date_to:
            bounds["lte"] = filters.date_to.isoformat()
        clauses.append({"range": {"date": bounds}})
    return clauses


def build_query(request, ik):
    """The ``query`` of a search, or None when nothing in the request can match."""
    analyzed = request.query
    text = text_query(analyzed, ik)
    if analyzed.doc_number:
        number = doc_number_query(analyzed.doc_number)
        scoring = number if text is None else {"bool": {"should": [number, text]}}
    elif text is not None:
        scoring = text
    else:
        return None
    clauses = {}
    filters = filter_clauses(request.filters)
    if filters:
        clauses["filter"] = filters
    excluded = request.filters.validity_excluded()
    if excluded:
        clauses["must_not"] = [{"terms": {"validity": list(excluded)}}]
    query = {"bool": {"must": [scoring], **clauses}} if clauses else scoring
    return {"function_score": {
        "query": query,
        "functions": [{"field_value_factor": {"field": "rank_weight", "modifier": "ln2p",
                                                 "missing": RANK_WEIGHTS["current"]}}],
        "boost_mode": "multiply",
    }}


def highlight_body(analyzed, ik):
    """<mark> around the query's words in the raw fields; ``encoder: html`` escapes the text first."""
    terms = sorted(analyzed.highlight_terms())
    if not terms:
        return None
    words = " ".join(terms)
    fields = {}
    for name in HIGHLIGHT_FIELDS:
        target = name if ik else f"{name}.bigram"
        fields[target] = {"highlight_query": {"match": {target: {"query": words}}}}
    return {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html", "number_of_fragments": 0,
            "fields": fields}


def search_body(request, ik):
    query = build_query(request, ik)
    if query is None:
        return None
    body = {"query": query, "from": request.offset, "size": request.limit, "track_total_hits": True,
            "_source": ["payload"], "sort": [{"_score": "desc"}, {"key": "asc"}]}
    highlight = highlight_body(request.query, ik)
    if highlight:
        body["highlight"] = highlight
    if request.facets:
        body["aggs"] = {name: {"terms": {"field": field, "size": 50}} for name, field in FACET_FIELDS.items()}
    return body


def parse_hits(response, facets):
    total = response["hits"]["total"]["value"]
    hits = []
    for hit in response["hits"]["hits"]:
        marked = {name.removesuffix(".bigram"): "".join(parts) for name, parts in hit.get("highlight", {}).items()}
        hits.append(SearchHit(payload=hit["_source"]["payload"], score=float(hit.get("_score") or 0.0),
                              highlight=marked))
    found = {}
    if facets and total:
        aggs = response.get("aggregations", {})
        found = {name: {b["key"]: b["doc_count"] for b in aggs.get(name, {}).get("buckets", [])}
                 for name in FACET_FIELDS}
    return SearchHits(total=total, hits=hits, facets=found)


# --- the backend ------------------------------------------------------------------------------------
def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _setting_ik():
    value = getattr(settings, "SEARCH_ELASTICSEARCH_IK", "auto")
    if isinstance(value, str):
        value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value.lower())
    return value  # None: detect


class ElasticsearchBackend(SearchBackend):
    name = "elasticsearch"

    def __init__(self, url=None, prefix=None, client=None, ik=None, timeout=None):
        self.url = url if url is not None else getattr(settings, "ELASTICSEARCH_URL", "")
        self.prefix = prefix or settings.SEARCH_INDEX_PREFIX
        self.alias = f"{self.prefix}-qa"
        self.synonyms_id = synonyms_set_id(self.prefix)
        self.timeout = timeout or getattr(settings, "SEARCH_ELASTICSEARCH_TIMEOUT", 5.0)
        self._client = client
        self._ik_override = ik if ik is not None else _setting_ik()
        self._cluster_ik = None
        self._index_ik, self._meta_checked = None, 0.0
        self._alias_ready = False
        self._index_name = re.compile(rf"^{re.escape(self.prefix)}-qa-\d{{14}}$")

    @property
    def client(self):
        if self._client is None:
            if not self.url:
                raise SearchUnavailable("未配置 ELASTICSEARCH_URL，无法连接 Elasticsearch 检索服务")
            hosts = [u.strip() for u in self.url.split(",") if u.strip()]
            self._client = Elasticsearch(hosts, request_timeout=self.timeout, max_retries=1)
        return self._client

    @contextmanager
    def _errors(self, action):
        try:
            yield
        except helpers.BulkIndexError as exc:
            first = exc.errors[0] if exc.errors else {}
            raise SearchUnavailable(f"Elasticsearch 拒绝了 {len(exc.errors)} 条{action}操作：{str(first)[:300]}") from exc
        except ApiError as exc:
            status = exc.meta.status if exc.meta is not None else 0
            if status < 500 and status != 429:  # a refusal, not an outage: our request is wrong
                logger.error("Elasticsearch refused a %s request: %s", action, exc)
            raise SearchUnavailable(f"Elasticsearch {action}失败（{status} {exc.error}）") from exc
        except TransportError as exc:  # ConnectionError, ConnectionTimeout, TLS, serialisation
            raise SearchUnavailable(f"无法连接 Elasticsearch（{action}）：{exc}") from exc

    # --- IK --------------------------------------------------------------------------------------------
    def cluster_has_ik(self):
        """Whether new index versions get IK analysis: the override, else every node has the plugin."""
        if self._ik_override is not None:
            return bool(self._ik_override)
        if self._cluster_ik is None:
            try:
                info = self.client.nodes.info(metric="plugins", filter_path="nodes.*.name,nodes.*.plugins.name")
            except ApiError as exc:  # no monitor privilege: go without the plugin
                logger.warning("cannot list Elasticsearch plugins (%s); indexing without IK", exc)
                self._cluster_ik = False
            else:
                nodes = info.get("nodes", {}).values()
                self._cluster_ik = bool(nodes) and all(
                    any(IK_PLUGIN in p.get("name", "") for p in node.get("plugins", [])) for node in nodes)
        return self._cluster_ik

    def index_has_ik(self):
        """Whether the live index was built with IK (its mapping's _meta), re-read every META_TTL seconds."""
        now = time.monotonic()
        if self._index_ik is None or now - self._meta_checked >= META_TTL:
            try:
                response = self.client.indices.get_mapping(index=self.alias, filter_path="*.mappings._meta")
            except NotFoundError:
                return False
            metas = [v.get("mappings", {}).get("_meta", {}) for v in response.body.values()]
            self._index_ik = any(m.get("analysis") == ANALYSIS_IK for m in metas)
            self._meta_checked = now
        return self._index_ik

    # --- synonyms --------------------------------------------------------------------------------------
    def sync_synonyms(self):
        """Push every 同义词 group to the synonyms set; Elasticsearch reloads the search analyzers using it."""
        rules = synonym_rules()
        with self._errors("同义词同步"):
            response = self.client.synonyms.put_synonym(id=self.synonyms_id, synonyms_set=rules)
            if "reload_analyzers_details" not in response.body and self.client.indices.exists_alias(name=self.alias):
                self.client.indices.reload_search_analyzers(index=self.alias)
        return len(rules)

    # --- index versions --------------------------------------------------------------------------------
    def _timestamp(self):
        return timezone.now()

    def _create_index(self, alias=False, refresh_interval=None):
        """Create a new index version (with IK, pushing the synonyms set first: its search analyzer refers to it)."""
        ik = self.cluster_has_ik()
        if ik:
            self.sync_synonyms()
        body = index_body(self.prefix, ik, refresh_interval=refresh_interval)
        if alias:  # the write index: a second process racing to create a first version is refused
            body["aliases"] = {self.alias: {"is_write_index": True}}
        stamp = self._timestamp()
        for attempt in range(5):
            name = f"{self.prefix}-qa-{stamp + datetime.timedelta(seconds=attempt):%Y%m%d%H%M%S}"
            try:
                self.client.indices.create(index=name, **body)
                return name
            except ApiError as exc:
                if exc.error != "resource_already_exists_exception":
                    raise
        raise SearchUnavailable("无法创建新的检索索引：名称冲突")

    def _alias_indices(self):
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).body)
        except NotFoundError:
            return []

    def _own_indices(self):
        """Every index version of this prefix (never another prefix's: the name must match exactly)."""
        rows = self.client.cat.indices(index=f"{self.prefix}-qa-*", h="index", format="json")
        return sorted(r["index"] for r in rows.body if self._index_name.match(r["index"]))

    def _ensure_alias(self):
        """The first write on an empty cluster creates the first index version with the alias."""
        if self._alias_ready:
            return
        if not self.client.indices.exists_alias(name=self.alias):
            try:
                self._create_index(alias=True)
            except ApiError as exc:  # another process created it meanwhile
                if not self.client.indices.exists_alias(name=self.alias):
                    raise exc
        self._alias_ready = True

    def _forget(self):
        self._alias_ready = False
        self._index_ik, self._meta_checked = None, 0.0

    # --- writing ---------------------------------------------------------------------------------------
    def replace_sources(self, changes):
        from search.analysis import get_analyzer

        if not changes:
            return
        analyzer = get_analyzer()
        try:
            with self._errors("索引"):
                self._ensure_alias()
                actions = [index_action(self.alias, doc, analyzer) for docs in changes.values() for doc in docs]
                if actions:
                    # require_alias: were the alias gone (another process cleared), a write must not
                    # auto-create a concrete index under the alias's name.
                    helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, require_alias=True)
                for chunk in _chunks(list(changes.items()), DELETE_CHUNK):
                    self.client.delete_by_query(index=self.alias, query=stale_query(chunk), conflicts="proceed")
                self.client.indices.refresh(index=self.alias)
        except SearchUnavailable:
            self._alias_ready = False  # check (and create) the alias again on the retry
            raise

    def rebuild(self, documents, progress=None):
        from search.analysis import get_analyzer

        analyzer = get_analyzer()
        with self._errors("重建"):
            new = self._create_index(refresh_interval="-1")
            try:
                count = 0
                actions = (index_action(new, doc, analyzer) for doc in documents)
                client = self.client.options(request_timeout=BULK_TIMEOUT)
                for _ok, _item in helpers.streaming_bulk(client, actions, chunk_size=BULK_CHUNK):
                    count += 1
                    if progress:
                        progress(1)
                self.client.indices.put_settings(index=new, settings={"index": {"refresh_interval": None}})
                self.client.indices.refresh(index=new)
                old = self._alias_indices()
                swap = [{"remove": {"index": name, "alias": self.alias}} for name in old]
                swap.append({"add": {"index": new, "alias": self.alias, "is_write_index": True}})
                self.client.indices.update_aliases(actions=swap)  # atomic: searches see old or new
            except BaseException:
                try:
                    self.client.indices.delete(index=new, ignore_unavailable=True)
                except (ApiError, TransportError):
                    logger.warning("could not delete the unfinished index %s", new)
                raise
            self._forget()
            self._alias_ready = True
            # The previous version stays one rebuild longer: another process may still be reading it.
            keep = {new, *old[-1:]}
            stale = [name for name in self._own_indices() if name not in keep]
            if stale:
                self.client.indices.delete(index=",".join(stale), ignore_unavailable=True)
        return count

    def clear(self):
        with self._errors("清空"):
            names = self._own_indices()
            if names:
                self.client.indices.delete(index=",".join(names), ignore_unavailable=True)
            try:
                self.client.synonyms.delete_synonym(id=self.synonyms_id)
            except (NotFoundError, BadRequestError) as exc:  # never pushed, or still used by an index
                logger.info("search synonyms set %s not deleted: %s", self.synonyms_id, exc.error)
        self._forget()

    # --- reading ---------------------------------------------------------------------------------------
    def ping(self):
        try:
            return bool(self.client.ping())
        except SearchUnavailable:
            return False

    def document_count(self):
        with self._errors("计数"):
            try:
                return int(self.client.count(index=self.alias)["count"])
            except NotFoundError:
                return 0

    def indexed_hashes(self):
        hashes = {}
        with self._errors("读取"):
            try:
                for hit in helpers.scan(self.client, index=self.alias, size=1000,
                                        query={"query": {"match_all": {}}, "_source": ["key", "hash"]}):
                    hashes[hit["_source"]["key"]] = hit["_source"]["hash"]
            except NotFoundError:
                return {}
        return hashes

    def search_body(self, request):
        return search_body(request, self.index_has_ik())

    def search(self, request):
        with self._errors("检索"):
            body = self.search_body(request)
            if body is None:
                return SearchHits(total=0, hits=[])
            try:
                response = self.client.search(index=self.alias, body=body)
            except NotFoundError:  # nothing indexed yet
                return SearchHits(total=0, hits=[])
        return parse_hits(response.body, request.facets)


# --- hooks -------------------------------------------------------------------------------------------
def active_backend():
    """The configured backend when it is this one, else None."""
    from . import get_backend

    backend = get_backend()
    return backend if isinstance(backend, ElasticsearchBackend) else None


def sync_synonyms(backend=None):
    """Push the synonyms set now; returns the number of rules, or None when Elasticsearch is not in use."""
    backend = backend or active_backend()
    return backend.sync_synonyms() if backend is not None else None


def synonyms_changed():
    """Called when a 同义词 group is saved or deleted: push the set once the change is committed."""
    if not settings.SEARCH_BACKEND.endswith(".ElasticsearchBackend"):
        return

    def push():
        try:
            sync_synonyms()
        except SearchUnavailable as exc:  # the next edit or rebuild pushes the whole set again
            logger.warning("could not push the search synonyms set: %s", exc)

    transaction.on_commit(push)
