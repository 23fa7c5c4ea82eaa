"""Contract tests of the Elasticsearch backend without a server: the exact requests it sends.

A fake node (elastic_transport's node interface, plugged in with ``node_class=``) records every
request the real client builds — method, path, query string, JSON or NDJSON body — and answers from
a script. So these tests pin the wire format; the behaviour against a live cluster is covered by the
conformance suite (``ELASTICSEARCH_URL=… pytest tests/search -m elasticsearch``).
"""
import datetime
import json
import urllib.parse
from dataclasses import dataclass

import pytest
from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

from search.analysis import AnalyzedQuery, Analyzer, Concept, Vocabulary
from search.backends import elasticsearch as es
from search.backends import get_backend
from search.backends.base import SearchFilters, SearchRequest, SearchUnavailable
from search.backends.elasticsearch import ElasticsearchBackend
from search.documents import SearchDocument

PREFIX = "zcjd-test"
ALIAS = "zcjd-test-qa"
NOW = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
NEW_INDEX = "zcjd-test-qa-20240102030405"


# --- the fake cluster --------------------------------------------------------------------------------
@dataclass
class Recorded:
    method: str
    path: str
    params: dict
    body: object


class FakeCluster:
    """Answers scripted responses per (method, path) in order and records what the client sent."""

    def __init__(self):
        self.requests = []
        self.script = {}

    def on(self, method, path, body=None, status=200, error=None):
        """Queue one answer; ``body`` may be a function of the Recorded request."""
        self.script.setdefault((method, path), []).append((status, body, error))
        return self

    def handle(self, method, target, body):
        path, _, query = target.partition("?")
        path = urllib.parse.unquote(path)
        params = dict(urllib.parse.parse_qsl(query))
        parsed = None
        if body:
            text = body.decode()
            parsed = ([json.loads(line) for line in text.splitlines() if line] if path.endswith("/_bulk")
                      else json.loads(text))
        request = Recorded(method, path, params, parsed)
        self.requests.append(request)
        queue = self.script.get((method, path))
        if not queue:
            raise AssertionError(f"unexpected request {method} {target}")
        status, answer, error = queue.pop(0) if len(queue) > 1 else queue[0]
        if error is not None:
            raise error
        return status, (answer(request) if callable(answer) else answer)

    def node_class(self):
        cluster = self

        class Node(BaseNode):
            _CLIENT_META_HTTP_CLIENT = ("fake", "1.0")

            def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
                status, answer = cluster.handle(method, target, body)
                data = b"" if method == "HEAD" or answer is None else json.dumps(answer).encode()
                headers = HttpHeaders({"x-elastic-product": "Elasticsearch", "content-type": "application/json"})
                meta = ApiResponseMeta(node=self.config, duration=0.0, http_version="1.1", status=status,
                                       headers=headers)
                return NodeApiResponse(meta, data)

        return Node

    def client(self):
        return Elasticsearch("http://es.test:9200", node_class=self.node_class(), max_retries=0)

    def sent(self):
        return [(r.method, r.path) for r in self.requests]


@pytest.fixture
def cluster():
    return FakeCluster()


@pytest.fixture
def backend(cluster):
    backend = ElasticsearchBackend(prefix=PREFIX, client=cluster.client(), ik=False)
    backend._timestamp = lambda: NOW
    return backend


class StubAnalyzer:
    """Makes the token strings visible: the backend must index exactly what index_string returns."""

    def index_string(self, *texts):
        return " ".join(f"[{t}]" for t in texts if t)


def bulk_ok(request):
    items = [{"index": {"_id": line["index"]["_id"], "status": 201, "result": "created"}}
             for line in request.body if "index" in line]
    return {"took": 1, "errors": False, "items": items}


def qa_doc(**kwargs):
    fields = {"key": "qa:1", "source": "qa:1", "kind": "qa", "question": "灵活就业人员怎么缴纳社会保险？",
              "short_answer": "可以参加企业职工基本养老保险。", "answer": "到社保经办窗口办理。", "url": "/wenda/1/",
              "alt_questions": ["打零工的怎么交社保"], "department_code": "rsj", "department_name": "市人社局",
              "department_phone": "0991-1234567", "topics": ["社会保险"], "date": "2021-06-01",
              "validity": "current", "policy_id": 7, "policy_title": "灵活就业人员参加社会保险办法",
              "doc_number": "乌政办〔2021〕83号", "policy_url": "/zc/7/"}
    fields.update(kwargs)
    return SearchDocument(**fields)


def policy_doc():
    return SearchDocument(key="policy:7", source="policy:7", kind="policy", question="灵活就业人员参加社会保险办法",
                          short_answer="摘要", answer="摘要", url="/zc/7/", doc_number="乌政办〔2021〕83号",
                          validity="repealed", policy_id=7, policy_title="灵活就业人员参加社会保险办法",
                          date="2021-06-01", body="第一条 正文")


# --- index settings and mappings ---------------------------------------------------------------------
TOKENS = {"analyzer": "hotline_tokens", "index_options": "freqs", "type": "text"}
BIGRAM = {"bigram": {"analyzer": "hotline_bigram", "type": "text"}}
KEYWORD = {"type": "keyword"}
COMMON_ANALYSIS = {
    "hotline_tokens": {"type": "custom", "tokenizer": "whitespace", "filter": ["lowercase"]},
    "hotline_bigram": {"type": "custom", "tokenizer": "standard", "filter": ["cjk_width", "lowercase", "cjk_bigram"]},
}


def common_properties():
    return {
        "key": KEYWORD, "source": KEYWORD, "kind": KEYWORD, "department_code": KEYWORD, "validity": KEYWORD,
        "topics": KEYWORD, "hash": KEYWORD,
        "date": {"type": "date", "format": "yyyy-MM-dd"},
        "rank_weight": {"type": "float"},
        "payload": {"type": "object", "enabled": False},
        "question_tokens": TOKENS, "alt_questions_tokens": TOKENS, "short_answer_tokens": TOKENS,
        "answer_tokens": TOKENS, "meta_tokens": TOKENS, "body_tokens": TOKENS, "docno_tokens": TOKENS,
    }


def test_index_body_without_ik_works_on_a_cluster_without_plugins():
    raw = {"type": "text", "analyzer": "standard", "fields": BIGRAM}
    assert es.index_body(PREFIX, ik=False) == {
        "settings": {
            "number_of_shards": 1, "auto_expand_replicas": "0-1",
            "analysis": {"analyzer": COMMON_ANALYSIS},
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"analysis": "bigram", "version": 1},
            "_source": {"excludes": ["*_tokens"]},
            "properties": {**common_properties(), "question": raw, "alt_questions": raw, "short_answer": raw,
                           "answer": raw, "meta": raw},
        },
    }


def test_index_body_with_ik_uses_ik_and_the_updateable_synonyms_set():
    raw = {"type": "text", "analyzer": "hotline_ik_index", "search_analyzer": "hotline_ik_search", "fields": BIGRAM}
    assert es.index_body(PREFIX, ik=True, refresh_interval="-1") == {
        "settings": {
            "number_of_shards": 1, "auto_expand_replicas": "0-1", "refresh_interval": "-1",
            "analysis": {
                "analyzer": {
                    **COMMON_ANALYSIS,
                    "hotline_ik_index": {"type": "custom", "tokenizer": "ik_max_word", "filter": ["lowercase"]},
                    "hotline_ik_search": {"type": "custom", "tokenizer": "ik_smart",
                                          "filter": ["lowercase", "hotline_synonyms"]},
                },
                "filter": {"hotline_synonyms": {"type": "synonym_graph", "synonyms_set": "zcjd-test-qa",
                                                "updateable": True, "lenient": True}},
            },
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"analysis": "ik", "version": 1},
            "_source": {"excludes": ["*_tokens"]},
            "properties": {**common_properties(), "question": raw, "alt_questions": raw, "short_answer": raw,
                           "answer": raw, "meta": raw},
        },
    }


def test_every_source_field_is_mapped():
    """The mapping is strict: a field the documents carry but the mapping lacks would refuse every write."""
    mapped = set(es.index_body(PREFIX, ik=True)["mappings"]["properties"])
    source = es.document_source(policy_doc(), StubAnalyzer())
    assert set(source) <= mapped
    assert set(es.document_source(qa_doc(), StubAnalyzer())) <= mapped


# --- IK detection --------------------------------------------------------------------------------------
PLUGINS_PATH = "/_nodes/plugins"


def test_ik_is_used_only_when_every_node_has_the_plugin(cluster):
    cluster.on("GET", PLUGINS_PATH, {"nodes": {
        "a": {"name": "es-1", "plugins": [{"name": "analysis-ik"}, {"name": "repository-s3"}]},
        "b": {"name": "es-2", "plugins": [{"name": "analysis-ik"}]},
    }})
    backend = ElasticsearchBackend(prefix=PREFIX, client=cluster.client(), ik=None)
    assert backend.cluster_has_ik() is True
    assert backend.cluster_has_ik() is True  # asked once per process
    assert cluster.requests == [Recorded("GET", PLUGINS_PATH, {"filter_path": "nodes.*.name,nodes.*.plugins.name"},
                                         None)]

    other = FakeCluster().on("GET", PLUGINS_PATH, {"nodes": {
        "a": {"name": "es-1", "plugins": [{"name": "analysis-ik"}]}, "b": {"name": "es-2"}}})
    assert ElasticsearchBackend(prefix=PREFIX, client=other.client(), ik=None).cluster_has_ik() is False


def test_ik_detection_without_monitor_privilege_goes_without_it(cluster):
    cluster.on("GET", PLUGINS_PATH, {"error": {"type": "security_exception"}}, status=403)
    assert ElasticsearchBackend(prefix=PREFIX, client=cluster.client(), ik=None).cluster_has_ik() is False


def test_ik_choice_can_be_forced_by_setting(cluster, settings):
    settings.SEARCH_ELASTICSEARCH_IK = "false"
    assert ElasticsearchBackend(prefix=PREFIX, client=cluster.client()).cluster_has_ik() is False
    settings.SEARCH_ELASTICSEARCH_IK = True
    assert ElasticsearchBackend(prefix=PREFIX, client=cluster.client()).cluster_has_ik() is True
    assert cluster.requests == []


def test_queries_follow_the_live_index_mapping_not_the_cluster(cluster):
    cluster.on("GET", f"/{ALIAS}/_mapping", {NEW_INDEX: {"mappings": {"_meta": {"analysis": "ik", "version": 1}}}})
    backend = ElasticsearchBackend(prefix=PREFIX, client=cluster.client(), ik=False)
    assert backend.index_has_ik() is True
    assert cluster.requests[0].params == {"filter_path": "*.mappings._meta"}


# --- synonyms --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_synonyms_set_body(cluster, backend):
    from search.models import SynonymGroup

    a = SynonymGroup.objects.create(terms="社保,社会保险")
    b = SynonymGroup.objects.create(terms="医保，基本医疗保险、ＥＴＣ")
    SynonymGroup.objects.create(terms="孤词")  # one word is no rule
    cluster.on("PUT", f"/_synonyms/{ALIAS}", {"result": "updated", "reload_analyzers_details": {}})
    assert backend.sync_synonyms() == 2
    assert cluster.requests == [Recorded("PUT", "/_synonyms/zcjd-test-qa", {}, {"synonyms_set": [
        {"id": f"group-{a.pk}", "synonyms": "社保, 社会保险"},
        {"id": f"group-{b.pk}", "synonyms": "医保, 基本医疗保险, etc"},
    ]})]


@pytest.mark.django_db
def test_synonyms_reload_search_analyzers_when_the_cluster_did_not(cluster, backend):
    cluster.on("PUT", f"/_synonyms/{ALIAS}", {"result": "created"})
    cluster.on("HEAD", f"/_alias/{ALIAS}", None)
    cluster.on("POST", f"/{ALIAS}/_reload_search_analyzers", {"reload_details": []})
    backend.sync_synonyms()
    assert cluster.sent() == [("PUT", "/_synonyms/zcjd-test-qa"), ("HEAD", "/_alias/zcjd-test-qa"),
                              ("POST", "/zcjd-test-qa/_reload_search_analyzers")]


@pytest.mark.django_db
def test_saving_a_synonym_group_pushes_the_set_after_commit(settings, monkeypatch, django_capture_on_commit_callbacks):
    from search.factories import SynonymGroupFactory

    pushed = []
    monkeypatch.setattr(ElasticsearchBackend, "sync_synonyms", lambda self: pushed.append(self) or 1)
    settings.SEARCH_BACKEND = "search.backends.elasticsearch.ElasticsearchBackend"
    settings.ELASTICSEARCH_URL = "http://es.test:9200"
    with django_capture_on_commit_callbacks(execute=True):
        group = SynonymGroupFactory(terms="公积金,住房公积金")
    with django_capture_on_commit_callbacks(execute=True):
        group.delete()
    assert len(pushed) == 2

    settings.SEARCH_BACKEND = "search.backends.embedded.EmbeddedBackend"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        SynonymGroupFactory(terms="低保,最低生活保障")
    assert len(pushed) == 2
    assert not [c for c in callbacks if c.__qualname__.startswith("synonyms_changed")]


@pytest.mark.django_db
def test_a_failed_synonyms_push_does_not_break_the_save(settings, monkeypatch, django_capture_on_commit_callbacks):
    from search.factories import SynonymGroupFactory

    def down(self):
        raise SearchUnavailable("无法连接")

    monkeypatch.setattr(ElasticsearchBackend, "sync_synonyms", down)
    settings.SEARCH_BACKEND = "search.backends.elasticsearch.ElasticsearchBackend"
    with django_capture_on_commit_callbacks(execute=True):
        SynonymGroupFactory(terms="公积金,住房公积金")


# --- queries ---------------------------------------------------------------------------------------------
def term(field, value, boost):
    return {"term": {f"{field}_tokens": {"value": value, "boost": boost}}}


def one_token(value):
    """One alternative of one token in every field, as the embedded backend builds it."""
    return {"dis_max": {"tie_breaker": 0.3, "queries": [
        term("question", value, 3.0), term("alt_questions", value, 2.5), term("short_answer", value, 1.5),
        term("answer", value, 1.0), term("meta", value, 1.5), term("body", value, 0.4)]}}


def all_tokens(*values):
    def field(name, boost):
        return {"bool": {"must": [{"term": {f"{name}_tokens": v}} for v in values], "boost": boost}}

    return {"dis_max": {"tie_breaker": 0.3, "queries": [
        field("question", 3.0), field("alt_questions", 2.5), field("short_answer", 1.5), field("answer", 1.0),
        field("meta", 1.5), field("body", 0.4)]}}


def bigram_phrase(words):
    return {"multi_match": {"query": words, "type": "phrase", "slop": 2, "boost": 0.2, "fields": [
        "question.bigram^3.0", "alt_questions.bigram^2.5", "short_answer.bigram^1.5", "answer.bigram^1.0",
        "meta.bigram^1.5"]}}


def ik_words(words):
    return {"multi_match": {"query": words, "type": "best_fields", "tie_breaker": 0.3, "boost": 0.3, "fields": [
        "question^3.0", "alt_questions^2.5", "short_answer^1.5", "answer^1.0", "meta^1.5"]}}


HIDDEN = {"terms": {"validity": ["repealed", "expired"]}}


def ranked(query):
    return {"function_score": {
        "query": query,
        "functions": [{"field_value_factor": {"field": "rank_weight", "modifier": "ln2p", "missing": 2.0}}],
        "boost_mode": "multiply",
    }}


def bigram_highlight(words):
    return {"pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html", "number_of_fragments": 0,
            "fields": {f"{name}.bigram": {"highlight_query": {"match": {f"{name}.bigram": {"query": words}}}}
                       for name in ("question", "short_answer", "answer")}}


def body(query, highlight=None, offset=0, limit=10, aggs=None):
    result = {"query": query, "from": offset, "size": limit, "track_total_hits": True, "_source": ["payload"],
              "sort": [{"_score": "desc"}, {"key": "asc"}]}
    if highlight:
        result["highlight"] = highlight
    if aggs:
        result["aggs"] = aggs
    return result


def request(concepts=(), doc_number=None, **kwargs):
    return SearchRequest(query=AnalyzedQuery(text="…", concepts=list(concepts), doc_number=doc_number), **kwargs)


def test_query_one_concept():
    req = request([Concept("异地就医", (("异地就医",),))])
    assert es.search_body(req, ik=False) == body(
        ranked({"bool": {
            "must": [{"bool": {"must": [{"bool": {"should": [one_token("异地就医")], "minimum_should_match": 1}}],
                               "should": [bigram_phrase("异地就医")]}}],
            "must_not": [HIDDEN],
        }}),
        highlight=bigram_highlight("异地就医"),
    )


def test_query_synonyms_are_alternatives_of_one_concept_and_words_share_the_floor():
    social = Concept("社保", (("社会保险",), ("社会", "保险"), ("社保",)))
    flexible = Concept("灵活就业", (("灵活就业",),))
    paying = Concept("缴费", (("缴费",),))
    req = request([flexible, social, paying])
    concept = {"dis_max": {"tie_breaker": 0.1, "queries": [one_token("社会保险"), all_tokens("社会", "保险"),
                                                           one_token("社保")]}}
    core = {"bool": {"should": [one_token("灵活就业"), concept, one_token("缴费")], "minimum_should_match": 2}}
    assert es.search_body(req, ik=False)["query"] == ranked({"bool": {
        "must": [{"bool": {"must": [core], "should": [bigram_phrase("灵活就业 社保 缴费")]}}],
        "must_not": [HIDDEN],
    }})


def test_query_with_ik_adds_an_ik_clause_and_highlights_the_ik_fields():
    req = request([Concept("社保", (("社保",), ("社会保险",)))])
    sent = es.search_body(req, ik=True)
    scoring = sent["query"]["function_score"]["query"]["bool"]["must"][0]
    assert scoring["bool"]["should"] == [ik_words("社保"), bigram_phrase("社保")]
    assert sent["highlight"] == {
        "pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html", "number_of_fragments": 0,
        "fields": {name: {"highlight_query": {"match": {name: {"query": "社会保险 社保"}}}}
                   for name in ("question", "short_answer", "answer")},
    }


def test_query_optional_single_character_adds_score_only():
    req = request([Concept("社保", (("社保",),)), Concept("交", (("交",),), required=False)])
    assert es.search_body(req, ik=False)["query"] == ranked({"bool": {
        "must": [{"bool": {
            "must": [{"bool": {"should": [one_token("社保")], "minimum_should_match": 1}}],
            "should": [one_token("交"), bigram_phrase("社保 交")],
        }}],
        "must_not": [HIDDEN],
    }})


def test_query_only_single_characters_needs_any_of_them():
    req = request([Concept("交", (("交",),), required=False), Concept("办", (("办",),), required=False)])
    sent = es.search_body(req, ik=False)
    assert sent["query"] == ranked({"bool": {
        "must": [{"bool": {"must": [{"bool": {"should": [one_token("交"), one_token("办")]}}],
                           "should": [bigram_phrase("交 办")]}}],
        "must_not": [HIDDEN],
    }})
    assert "highlight" not in sent  # single characters are not marked


def test_query_doc_number_only_boosts_the_policy_itself():
    req = request(doc_number=("乌政办", "2021", "83号"))
    assert es.search_body(req, ik=True) == body(ranked({"bool": {
        "must": [{"bool": {"should": [
            {"bool": {"must": [{"term": {"docno_tokens": "2021"}}, {"term": {"docno_tokens": "83号"}}],
                      "boost": 20.0, "should": [{"term": {"docno_tokens": "乌政办"}}]}},
            {"bool": {"must": [{"term": {"meta_tokens": "2021"}}, {"term": {"meta_tokens": "83号"}}],
                      "should": [{"term": {"meta_tokens": "乌政办"}}]}},
        ]}}],
        "must_not": [HIDDEN],
    }}))


def test_query_doc_number_and_words_match_either():
    req = request([Concept("社保", (("社保",),))], doc_number=("2015", "12号"))
    scoring = es.search_body(req, ik=False)["query"]["function_score"]["query"]["bool"]["must"][0]
    assert scoring == {"bool": {"should": [
        {"bool": {"should": [
            {"bool": {"must": [{"term": {"docno_tokens": "2015"}}, {"term": {"docno_tokens": "12号"}}], "boost": 20.0}},
            {"bool": {"must": [{"term": {"meta_tokens": "2015"}}, {"term": {"meta_tokens": "12号"}}]}},
        ]}},
        {"bool": {"must": [{"bool": {"should": [one_token("社保")], "minimum_should_match": 1}}],
                  "should": [bigram_phrase("社保")]}},
    ]}}


def test_query_filters_and_include_repealed():
    filters = SearchFilters(departments=("rsj", "ybj"), topic="社会保险", kinds=("qa", "policy"),
                            date_from=datetime.date(2021, 1, 1), date_to=datetime.date(2021, 12, 31),
                            include_repealed=True)
    req = request([Concept("社保", (("社保",),))], filters=filters)
    assert es.search_body(req, ik=False)["query"]["function_score"]["query"]["bool"] == {
        "must": [{"bool": {"must": [{"bool": {"should": [one_token("社保")], "minimum_should_match": 1}}],
                           "should": [bigram_phrase("社保")]}}],
        "filter": [
            {"terms": {"department_code": ["rsj", "ybj"]}},
            {"term": {"topics": "社会保险"}},
            {"terms": {"kind": ["qa", "policy"]}},
            {"range": {"date": {"gte": "2021-01-01", "lte": "2021-12-31"}}},
        ],
    }


def test_query_explicit_validity_replaces_the_default_exclusion():
    req = request([Concept("社保", (("社保",),))], filters=SearchFilters(validity=("repealed",),
                                                                        date_from=datetime.date(2020, 5, 1)))
    assert es.search_body(req, ik=False)["query"]["function_score"]["query"]["bool"]["filter"] == [
        {"terms": {"validity": ["repealed"]}}, {"range": {"date": {"gte": "2020-05-01"}}}]
    assert "must_not" not in es.search_body(req, ik=False)["query"]["function_score"]["query"]["bool"]


def test_query_paging_and_facets():
    req = request([Concept("社保", (("社保",),))], limit=20, offset=40, facets=True)
    sent = es.search_body(req, ik=False)
    assert (sent["from"], sent["size"]) == (40, 20)
    assert sent["aggs"] == {"department": {"terms": {"field": "department_code", "size": 50}},
                            "validity": {"terms": {"field": "validity", "size": 50}},
                            "topic": {"terms": {"field": "topics", "size": 50}},
                            "kind": {"terms": {"field": "kind", "size": 50}}}


def test_nothing_to_match_sends_nothing(cluster, backend):
    assert es.search_body(request(), ik=False) is None
    cluster.on("GET", f"/{ALIAS}/_mapping", {NEW_INDEX: {"mappings": {"_meta": {"analysis": "bigram"}}}})
    found = backend.search(request())
    assert (found.total, found.hits) == (0, [])
    assert [r.path for r in cluster.requests if r.path.endswith("_search")] == []


def test_search_request_and_response(cluster, backend):
    payload = {"key": "qa:1", "question": "异地就医怎么备案？"}
    cluster.on("GET", f"/{ALIAS}/_mapping", {NEW_INDEX: {"mappings": {"_meta": {"analysis": "bigram"}}}})
    cluster.on("POST", f"/{ALIAS}/_search", {
        "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [{
            "_id": "qa:1", "_score": 4.5, "_source": {"payload": payload},
            "highlight": {"question.bigram": ["<mark>异地就医</mark>怎么备案？"]},
        }]},
        "aggregations": {"department": {"buckets": [{"key": "ybj", "doc_count": 1}]},
                         "validity": {"buckets": []}, "topic": {"buckets": []},
                         "kind": {"buckets": [{"key": "qa", "doc_count": 1}]}},
    })
    req = request([Concept("异地就医", (("异地就医",),))], facets=True)
    found = backend.search(req)
    sent = cluster.requests[-1]
    assert (sent.method, sent.path, sent.body) == ("POST", "/zcjd-test-qa/_search", es.search_body(req, ik=False))
    assert found.total == 1
    assert found.hits[0].payload == payload and found.hits[0].score == 4.5
    assert found.hits[0].highlight == {"question": "<mark>异地就医</mark>怎么备案？"}
    assert found.facets == {"department": {"ybj": 1}, "validity": {}, "topic": {}, "kind": {"qa": 1}}


def test_search_before_the_first_index_finds_nothing(cluster, backend):
    missing = {"error": {"type": "index_not_found_exception"}, "status": 404}
    cluster.on("GET", f"/{ALIAS}/_mapping", missing, status=404)
    cluster.on("POST", f"/{ALIAS}/_search", missing, status=404)
    found = backend.search(request([Concept("社保", (("社保",),))]))
    assert (found.total, found.hits) == (0, [])


# --- writing -----------------------------------------------------------------------------------------------
def test_document_source_is_what_the_embedded_backend_indexes():
    """The same analysis feeds both backends: every *_tokens field equals the tantivy document's field."""
    from search.backends.embedded import EmbeddedBackend

    analyzer = Analyzer(Vocabulary(words=("灵活就业人员", "社会保险"), synonym_groups=(("社保", "社会保险"),)))
    embedded = EmbeddedBackend(path="/nonexistent", reload_seconds=0)
    for doc in (qa_doc(), policy_doc()):
        tantivy_doc = embedded._document(doc, analyzer).to_dict()
        source = es.document_source(doc, analyzer)
        for field in (*es.FIELD_BOOSTS, "docno"):
            assert source.get(f"{field}_tokens", "") == " ".join(tantivy_doc.get(field, [])), field
        assert source["payload"] == json.loads(tantivy_doc["payload"][0])


def test_replace_sources_bulk_actions(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    cluster.on("HEAD", f"/_alias/{ALIAS}", None)
    cluster.on("PUT", "/_bulk", bulk_ok)
    cluster.on("POST", f"/{ALIAS}/_delete_by_query", {"deleted": 1})
    cluster.on("POST", f"/{ALIAS}/_refresh", {})
    doc = qa_doc()
    backend.replace_sources({"qa:1": [doc], "qa:2": []})
    assert cluster.sent() == [("HEAD", "/_alias/zcjd-test-qa"), ("PUT", "/_bulk"),
                              ("POST", "/zcjd-test-qa/_delete_by_query"), ("POST", "/zcjd-test-qa/_refresh")]
    assert cluster.requests[1].params == {"require_alias": "true"}
    payload = doc.payload() | {"hash": doc.content_hash()}
    assert cluster.requests[1].body == [
        {"index": {"_index": "zcjd-test-qa", "_id": "qa:1"}},
        {
            "key": "qa:1", "source": "qa:1", "kind": "qa", "department_code": "rsj", "validity": "current",
            "topics": ["社会保险"], "hash": doc.content_hash(), "date": "2021-06-01", "rank_weight": 2.0,
            "payload": payload,
            "question": "灵活就业人员怎么缴纳社会保险？", "alt_questions": "打零工的怎么交社保",
            "short_answer": "可以参加企业职工基本养老保险。", "answer": "到社保经办窗口办理。",
            "meta": "灵活就业人员参加社会保险办法 乌政办〔2021〕83号 市人社局 社会保险 ",
            "question_tokens": "[灵活就业人员怎么缴纳社会保险？]", "alt_questions_tokens": "[打零工的怎么交社保]",
            "short_answer_tokens": "[可以参加企业职工基本养老保险。]", "answer_tokens": "[到社保经办窗口办理。]",
            "meta_tokens": "[灵活就业人员参加社会保险办法 乌政办〔2021〕83号 市人社局 社会保险 ] 乌政办 2021 83号",
            "body_tokens": "",
        },
    ]
    assert cluster.requests[2].params == {"conflicts": "proceed"}
    assert cluster.requests[2].body == {"query": {"bool": {"minimum_should_match": 1, "should": [
        {"bool": {"filter": [{"term": {"source": "qa:1"}}], "must_not": [{"ids": {"values": ["qa:1"]}}]}},
        {"bool": {"filter": [{"term": {"source": "qa:2"}}]}},
    ]}}}


def test_policy_document_carries_its_doc_number_tokens():
    source = es.document_source(policy_doc(), StubAnalyzer())
    assert source["docno_tokens"] == "乌政办 2021 83号"
    assert source["validity"] == "repealed" and source["rank_weight"] == 0.0
    assert "department_code" not in source  # no department: no facet bucket, no filter match


@pytest.mark.django_db
def test_first_write_creates_the_first_index_with_the_alias(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    cluster.on("HEAD", f"/_alias/{ALIAS}", None, status=404)
    cluster.on("PUT", f"/{NEW_INDEX}", {"acknowledged": True})
    cluster.on("POST", f"/{ALIAS}/_delete_by_query", {"deleted": 0})
    cluster.on("POST", f"/{ALIAS}/_refresh", {})
    backend.replace_sources({"qa:9": []})
    # Without IK nothing refers to the synonyms set: the index is created without pushing it.
    assert cluster.sent() == [("HEAD", "/_alias/zcjd-test-qa"), ("PUT", "/zcjd-test-qa-20240102030405"),
                              ("POST", "/zcjd-test-qa/_delete_by_query"), ("POST", "/zcjd-test-qa/_refresh")]
    assert cluster.requests[1].body == {**es.index_body(PREFIX, ik=False),
                                        "aliases": {"zcjd-test-qa": {"is_write_index": True}}}


def test_a_process_losing_the_race_for_the_first_index_uses_the_winners(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    cluster.on("HEAD", f"/_alias/{ALIAS}", None, status=404)
    cluster.on("HEAD", f"/_alias/{ALIAS}", None, status=200)
    cluster.on("PUT", f"/{NEW_INDEX}", {"error": {"type": "illegal_state_exception"}}, status=400)
    cluster.on("POST", f"/{ALIAS}/_delete_by_query", {"deleted": 0})
    cluster.on("POST", f"/{ALIAS}/_refresh", {})
    backend.replace_sources({"qa:9": []})
    assert cluster.sent() == [("HEAD", "/_alias/zcjd-test-qa"), ("PUT", "/zcjd-test-qa-20240102030405"),
                              ("HEAD", "/_alias/zcjd-test-qa"), ("POST", "/zcjd-test-qa/_delete_by_query"),
                              ("POST", "/zcjd-test-qa/_refresh")]


@pytest.mark.django_db
def test_rebuild_fills_a_new_index_and_swaps_the_alias_atomically(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    backend._ik_override = True  # an IK cluster: the synonyms set is pushed before the index refers to it
    cluster.on("PUT", f"/_synonyms/{ALIAS}", {"result": "updated", "reload_analyzers_details": {}})
    cluster.on("PUT", f"/{NEW_INDEX}", {"acknowledged": True})
    cluster.on("PUT", "/_bulk", bulk_ok)
    cluster.on("PUT", f"/{NEW_INDEX}/_settings", {"acknowledged": True})
    cluster.on("POST", f"/{NEW_INDEX}/_refresh", {})
    cluster.on("GET", f"/_alias/{ALIAS}", {"zcjd-test-qa-20231201000000": {"aliases": {ALIAS: {}}}})
    cluster.on("POST", "/_aliases", {"acknowledged": True})
    cluster.on("GET", "/_cat/indices/zcjd-test-qa-*", [
        {"index": "zcjd-test-qa-20231101000000"}, {"index": "zcjd-test-qa-20231201000000"},
        {"index": NEW_INDEX}, {"index": "zcjd-test-qa-20231001000000"},
        {"index": "zcjd-test-qa-other-qa-20230101000000"},  # another prefix's index: never touched
    ])
    cluster.on("DELETE", "/zcjd-test-qa-20231001000000,zcjd-test-qa-20231101000000", {"acknowledged": True})
    progress = []
    assert backend.rebuild([qa_doc(), policy_doc()], progress=progress.append) == 2
    assert progress == [1, 1]
    assert cluster.sent() == [
        ("PUT", "/_synonyms/zcjd-test-qa"), ("PUT", "/zcjd-test-qa-20240102030405"), ("PUT", "/_bulk"),
        ("PUT", "/zcjd-test-qa-20240102030405/_settings"), ("POST", "/zcjd-test-qa-20240102030405/_refresh"),
        ("GET", "/_alias/zcjd-test-qa"), ("POST", "/_aliases"), ("GET", "/_cat/indices/zcjd-test-qa-*"),
        ("DELETE", "/zcjd-test-qa-20231001000000,zcjd-test-qa-20231101000000"),
    ]
    assert cluster.requests[0].body == {"synonyms_set": []}
    assert cluster.requests[1].body == es.index_body(PREFIX, ik=True, refresh_interval="-1")
    assert [line["index"] for line in cluster.requests[2].body if "index" in line] == [
        {"_index": NEW_INDEX, "_id": "qa:1"}, {"_index": NEW_INDEX, "_id": "policy:7"}]
    assert cluster.requests[3].body == {"index": {"refresh_interval": None}}
    assert cluster.requests[6].body == {"actions": [
        {"remove": {"index": "zcjd-test-qa-20231201000000", "alias": "zcjd-test-qa"}},
        {"add": {"index": "zcjd-test-qa-20240102030405", "alias": "zcjd-test-qa", "is_write_index": True}},
    ]}
    assert cluster.requests[7].params == {"h": "index", "format": "json"}
    assert cluster.requests[8].params == {"ignore_unavailable": "true"}


@pytest.mark.django_db
def test_failed_rebuild_drops_its_index_and_keeps_the_alias(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    cluster.on("PUT", f"/{NEW_INDEX}", {"acknowledged": True})
    cluster.on("PUT", "/_bulk", {"error": {"type": "es_rejected_execution_exception"}}, status=503)
    cluster.on("DELETE", f"/{NEW_INDEX}", {"acknowledged": True})
    with pytest.raises(SearchUnavailable):
        backend.rebuild([qa_doc()])
    assert cluster.sent()[-1] == ("DELETE", "/zcjd-test-qa-20240102030405")
    assert ("POST", "/_aliases") not in cluster.sent()


def test_indexed_hashes_scrolls_key_and_hash(cluster, backend):
    shards = {"total": 1, "successful": 1, "skipped": 0, "failed": 0}
    cluster.on("POST", f"/{ALIAS}/_search", {"_scroll_id": "s1", "_shards": shards, "hits": {"hits": [
        {"_id": "qa:1", "_source": {"key": "qa:1", "hash": "aaa"}},
        {"_id": "qa:2", "_source": {"key": "qa:2", "hash": "bbb"}}]}})
    cluster.on("POST", "/_search/scroll", {"_scroll_id": "s1", "_shards": shards, "hits": {"hits": []}})
    cluster.on("DELETE", "/_search/scroll", {"succeeded": True})
    assert backend.indexed_hashes() == {"qa:1": "aaa", "qa:2": "bbb"}
    first = cluster.requests[0]
    assert first.body == {"query": {"match_all": {}}, "_source": ["key", "hash"], "sort": "_doc", "size": 1000}
    assert first.params == {"scroll": "5m"}


def test_clear_deletes_only_this_prefix(cluster, backend):
    cluster.on("GET", "/_cat/indices/zcjd-test-qa-*", [
        {"index": "zcjd-test-qa-20231201000000"}, {"index": "zcjd-test-qa-other-qa-20230101000000"},
        {"index": "zcjd-test-qa-20240102030405"}, {"index": "zcjd-test-qa-backup"}])
    cluster.on("DELETE", "/zcjd-test-qa-20231201000000,zcjd-test-qa-20240102030405", {"acknowledged": True})
    cluster.on("DELETE", f"/_synonyms/{ALIAS}", {"error": {"type": "resource_not_found_exception"}}, status=404)
    backend.clear()
    assert cluster.sent()[1] == ("DELETE", "/zcjd-test-qa-20231201000000,zcjd-test-qa-20240102030405")


# --- errors ----------------------------------------------------------------------------------------------
def test_connection_error_becomes_search_unavailable(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    refused = TransportConnectionError("Connection refused")
    for method, path in [("GET", f"/{ALIAS}/_mapping"), ("HEAD", f"/_alias/{ALIAS}"), ("HEAD", "/")]:
        cluster.on(method, path, error=refused)
    with pytest.raises(SearchUnavailable, match="无法连接"):
        backend.search(request([Concept("社保", (("社保",),))]))
    with pytest.raises(SearchUnavailable):
        backend.replace_sources({"qa:1": [qa_doc()]})
    assert backend.ping() is False


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_become_search_unavailable(cluster, backend, status):
    cluster.on("GET", f"/{ALIAS}/_mapping", {NEW_INDEX: {"mappings": {"_meta": {"analysis": "bigram"}}}})
    cluster.on("POST", f"/{ALIAS}/_search", {"error": {"type": "search_phase_execution_exception"}}, status=status)
    with pytest.raises(SearchUnavailable, match=str(status)):
        backend.search(request([Concept("社保", (("社保",),))]))


def test_rejected_bulk_items_become_search_unavailable(cluster, backend, monkeypatch):
    monkeypatch.setattr("search.analysis.get_analyzer", StubAnalyzer)
    cluster.on("HEAD", f"/_alias/{ALIAS}", None)
    cluster.on("PUT", "/_bulk", {"took": 1, "errors": True, "items": [
        {"index": {"_id": "qa:1", "status": 429, "error": {"type": "es_rejected_execution_exception"}}}]})
    with pytest.raises(SearchUnavailable, match="拒绝了 1 条"):
        backend.replace_sources({"qa:1": [qa_doc()]})
    assert backend._alias_ready is False  # the retry checks the alias again


def test_ping(cluster, backend):
    cluster.on("HEAD", "/", None)
    assert backend.ping() is True


# --- configuration -----------------------------------------------------------------------------------------
def test_backend_from_settings(settings):
    settings.SEARCH_BACKEND = "search.backends.elasticsearch.ElasticsearchBackend"
    settings.ELASTICSEARCH_URL = "http://es-1.test:9200, http://es-2.test:9200"
    settings.SEARCH_INDEX_PREFIX = "zcjd-prod"
    backend = get_backend()
    assert isinstance(backend, ElasticsearchBackend)
    assert (backend.alias, backend.synonyms_id) == ("zcjd-prod-qa", "zcjd-prod-qa")
    nodes = sorted(node.base_url for node in backend.client.transport.node_pool.all())
    assert nodes == ["http://es-1.test:9200", "http://es-2.test:9200"]


def test_backend_without_url_is_unavailable_not_broken(settings):
    settings.SEARCH_BACKEND = "search.backends.elasticsearch.ElasticsearchBackend"
    settings.ELASTICSEARCH_URL = ""
    backend = get_backend()
    with pytest.raises(SearchUnavailable, match="ELASTICSEARCH_URL"):
        backend.search(request([Concept("社保", (("社保",),))]))
    assert backend.ping() is False


# --- the IK remote dictionary ---------------------------------------------------------------------------------
@pytest.fixture
def ik_urls(settings):
    settings.ROOT_URLCONF = "search.urls_ik"


@pytest.mark.django_db
def test_ik_dictionary_lists_every_word_with_validators(client, ik_urls):
    from cms.factories import DepartmentFactory
    from search.models import SynonymGroup, VocabularyTerm

    VocabularyTerm.objects.create(word="灵活就业人员")
    VocabularyTerm.objects.create(word="ＥＴＣ办理")
    SynonymGroup.objects.create(terms="社保,社会保险")
    DepartmentFactory(name="乌鲁木齐市医疗保障局", short_name="市医保局")
    response = client.get("/ik-dictionary.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().splitlines() == sorted(
        ["灵活就业人员", "etc办理", "社保", "社会保险", "乌鲁木齐市医疗保障局", "市医保局"])
    etag, modified = response["ETag"], response["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")

    head = client.head("/ik-dictionary.txt")
    assert head.status_code == 200 and head.content == b""
    assert (head["ETag"], head["Last-Modified"]) == (etag, modified)
    assert client.get("/ik-dictionary.txt", HTTP_IF_NONE_MATCH=etag).status_code == 304

    VocabularyTerm.objects.filter(word="灵活就业人员").delete()  # a deletion changes the ETag too
    assert client.head("/ik-dictionary.txt")["ETag"] != etag
    assert client.post("/ik-dictionary.txt").status_code == 405


@pytest.mark.django_db
def test_ik_dictionary_empty_still_has_headers(client, ik_urls):
    response = client.head("/ik-dictionary.txt")
    assert response.status_code == 200
    assert response["Last-Modified"] == "Sat, 01 Jan 2000 00:00:00 GMT"
    assert response["ETag"]


def test_document_count_asks_the_alias_and_a_missing_alias_counts_zero(backend, cluster):
    cluster.on("POST", f"/{ALIAS}/_count", {"count": 3, "_shards": {"total": 1, "successful": 1, "failed": 0}})
    assert backend.document_count() == 3
    assert cluster.sent() == [("POST", f"/{ALIAS}/_count")] and cluster.requests[0].body is None
    missing = FakeCluster().on("POST", f"/{ALIAS}/_count", {"error": {"type": "index_not_found_exception"}},
                               status=404)
    assert ElasticsearchBackend(prefix=PREFIX, client=missing.client(), ik=False).document_count() == 0
