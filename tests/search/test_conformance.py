"""Behaviour every hotline search backend must show, run against each one.

Always against the embedded backend; against Elasticsearch too when ELASTICSEARCH_URL points to a
cluster (docs/search-elasticsearch.md). Same data, same queries, same expectations.
"""
import datetime
import os

import pytest
from wagtail.rich_text import RichText

from cms.factories import PolicyDocumentPageFactory
from interpretations.factories import InterpretationPageFactory
from search.backends.base import SearchFilters
from search.factories import QAEntryFactory
from search.service import hotline_search
from tests.search.conftest import publish, sync_index

BACKENDS = [
    pytest.param("search.backends.embedded.EmbeddedBackend", id="embedded"),
    pytest.param("search.backends.elasticsearch.ElasticsearchBackend", id="elasticsearch",
                 marks=[pytest.mark.elasticsearch,
                        pytest.mark.skipif(not os.environ.get("ELASTICSEARCH_URL"),
                                           reason="ELASTICSEARCH_URL 未设置：本机无法安装 Elasticsearch，"
                                                  "在有集群的环境中设置该变量即可运行")]),
]


@pytest.fixture(params=BACKENDS)
def search_backend(request, settings):
    from search.backends import get_backend, reset_backend

    settings.SEARCH_BACKEND = request.param
    if "elasticsearch" in request.param:
        settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
        settings.SEARCH_INDEX_PREFIX = "zcjd-conformance"
    reset_backend()
    backend = get_backend()
    backend.clear()
    yield backend
    backend.clear()
    reset_backend()


def questions(response):
    return [r["question"] for r in response.results]


def keys(response):
    return [r["key"] for r in response.results]


def test_colloquial_words_find_the_current_answer_first(qa_base):
    response = hotline_search("打零工的社保怎么交")
    assert response.results[0]["key"] == f"qa:{qa_base['entries']['flexible'].pk}"
    assert response.results[0]["validity"] == "current"
    assert response.results[0]["department"]["phone"] == "0991-1234567"


def test_repealed_answers_are_hidden_unless_asked_for(qa_base):
    old_key = f"qa:{qa_base['entries']['flexible_old'].pk}"
    assert old_key not in keys(hotline_search("灵活就业人员怎么缴纳社会保险"))
    with_old = hotline_search("灵活就业人员怎么缴纳社会保险", filters=SearchFilters(include_repealed=True))
    assert old_key in keys(with_old)
    # Both say the same thing; the current one ranks first and the old one is clearly marked.
    current_key = f"qa:{qa_base['entries']['flexible'].pk}"
    assert keys(with_old).index(current_key) < keys(with_old).index(old_key)
    old = next(r for r in with_old.results if r["key"] == old_key)
    assert old["validity"] == "repealed" and old["validity_label"] == "已废止"


@pytest.mark.parametrize(("query", "entry"), [
    ("医保去外地看病", "medical"),        # 医保 → 基本医疗保险; an 扩展问
    ("孩子上学要带什么", "school"),       # 孩子上学 → 义务教育入学
    ("社保", "flexible"),                 # 社保 → 社会保险
])
def test_synonyms_bridge_callers_words_and_documents_words(qa_base, query, entry):
    assert hotline_search(query).results[0]["key"] == f"qa:{qa_base['entries'][entry].pk}"


def test_nothing_relevant_returns_nothing(qa_base):
    assert hotline_search("火星旅游签证怎么办").total == 0
    assert hotline_search("的了吗呢").total == 0


def test_department_filter(qa_base):
    response = hotline_search("怎么办理", filters=SearchFilters(departments=("ybj",)))
    assert {r["department"]["code"] for r in response.results} <= {"ybj"}
    assert hotline_search("异地就医备案", filters=SearchFilters(departments=("rsj",))).total == 0


def test_topic_validity_and_date_filters(qa_base, departments):
    publish(QAEntryFactory.build(department=departments["rsj"], live=False, question="失业保险金怎么申领？",
                                 short_answer="失业后六十日内到社保经办机构申领失业保险金。"))
    entry = publish(QAEntryFactory.build(department=departments["rsj"], live=False, question="失业补助金怎么申领？",
                                         short_answer="领取失业保险金期满仍未就业的，可申领失业补助金。"))
    entry.topics.add("就业")
    publish(entry)
    sync_index()
    assert questions(hotline_search("申领", filters=SearchFilters(topic="就业"))) == ["失业补助金怎么申领？"]
    flexible = hotline_search("灵活就业人员社会保险", filters=SearchFilters(validity=("repealed",)))
    assert {r["validity"] for r in flexible.results} == {"repealed"}
    since_2020 = hotline_search("灵活就业人员社会保险", filters=SearchFilters(
        include_repealed=True, date_from=datetime.date(2020, 1, 1), kinds=("policy",)))
    assert questions(since_2020) == ["乌鲁木齐市灵活就业人员参加社会保险办法"]


@pytest.mark.parametrize("typed", ["乌政办〔2021〕83号", "乌政办[2021]83号", "2021 83号", "２０２１年83号",
                                   "市政府办2021年83号文"])
def test_a_doc_number_finds_its_policy_first(qa_base, typed):
    response = hotline_search(typed)
    assert response.results[0]["key"] == f"policy:{qa_base['current'].pk}"
    # The answers that rest on it follow.
    assert f"qa:{qa_base['entries']['flexible'].pk}" in keys(response)


def test_paging_is_done_by_the_engine(qa_base, departments):
    for n in range(12):
        QAEntryFactory(department=departments["ybj"], question=f"门诊慢特病待遇怎么申请（第{n}种）？",
                       short_answer="向参保地医保经办机构提交诊断证明，经认定后享受门诊慢特病待遇。", live=False)
    from search.models import QAEntry

    for entry in QAEntry.objects.filter(question__startswith="门诊慢特病"):
        publish(entry)
    sync_index()
    first = hotline_search("门诊慢特病", limit=5)
    second = hotline_search("门诊慢特病", limit=5, offset=5)
    third = hotline_search("门诊慢特病", limit=5, offset=10)
    assert first.total == second.total == third.total == 12
    assert len(first.results) == 5 and len(second.results) == 5 and len(third.results) == 2
    assert not set(keys(first)) & set(keys(second))


def test_highlight_marks_the_words_and_escapes_the_rest(qa_base, departments):
    publish(QAEntryFactory.build(department=departments["ybj"], live=False,
                                 question="<script>alert(1)</script>医保卡丢了怎么补办？",
                                 short_answer="携带身份证到医保经办窗口补办，也可在线上申请邮寄。"))
    sync_index()
    result = hotline_search("医保卡补办").results[0]
    assert "<script>" not in result["highlight"]["question"]
    assert "&lt;script&gt;" in result["highlight"]["question"]
    assert "<mark>补办</mark>" in result["highlight"]["question"]


def test_only_published_entries_are_found(qa_base, departments):
    draft = QAEntryFactory(department=departments["ybj"], live=False, question="生育津贴怎么领取？",
                           short_answer="职工生育后由用人单位向医保经办机构申领生育津贴。")
    draft.save_revision()
    sync_index()
    assert hotline_search("生育津贴").total == 0
    publish(draft)
    sync_index()
    assert hotline_search("生育津贴").total == 1
    draft.unpublish()
    sync_index()
    assert hotline_search("生育津贴").total == 0
    publish(draft)
    sync_index()
    draft.delete()
    sync_index()
    assert hotline_search("生育津贴").total == 0


def test_repealing_a_policy_takes_its_answers_out_of_the_current_results(qa_base, departments, users):
    """立改废 changes validity without anyone touching the Q&A entry; the index follows."""
    entry_key = f"qa:{qa_base['entries']['flexible'].pk}"
    assert entry_key in keys(hotline_search("打零工社保"))
    repeal = PolicyDocumentPageFactory(parent=departments["rsj"].policy_index, title="关于废止灵活就业参保办法的决定",
                                       must_interpret=False, no_interpretation_reason="废止决定无需解读")
    repeal.repeals.set([qa_base["current"]])
    repeal.save()
    publish(repeal, users["admin"])
    sync_index()
    assert entry_key not in keys(hotline_search("打零工社保"))
    marked = hotline_search("打零工社保", filters=SearchFilters(include_repealed=True))
    assert next(r for r in marked.results if r["key"] == entry_key)["validity"] == "repealed"


def test_interpretation_qa_pairs_are_searchable_with_their_policy(departments, users, site_tree):
    policy = PolicyDocumentPageFactory(parent=departments["ybj"].policy_index, title="乌鲁木齐市长期护理保险试点办法",
                                       doc_number="乌政办〔2022〕7号")
    interpretation = InterpretationPageFactory(parent=policy, title="长期护理保险试点政策问答", body=[
        ("qa", {"title": "简明问答", "items": [
            {"question": "失能老人能享受什么护理待遇？", "answer": RichText("<p>经评估为重度失能的参保人员，可享受居家或机构护理服务费用报销。</p>")},
            {"question": "长期护理保险费怎么缴？", "answer": RichText("<p>随基本医疗保险费一并缴纳，个人不另行缴费。</p>")},
        ]}),
    ])
    publish(interpretation, users["admin"])
    sync_index()
    assert hotline_search("失能老人护理").total == 0  # the policy is not live yet: nothing shows before it (同步解读)
    publish(policy, users["admin"])
    sync_index()
    top = hotline_search("失能老人护理待遇").results[0]
    assert top["kind"] == "interpretation_qa"
    assert top["policy"]["doc_number"] == "乌政办〔2022〕7号"
    assert top["interpretation"]["title"] == "长期护理保险试点政策问答"
    assert top["url"].startswith(interpretation.get_url()) and "#qa-" in top["url"]
    # Editing the interpretation to drop a pair drops its document.
    interpretation.refresh_from_db()
    interpretation.body = [("qa", {"title": "简明问答", "items": [interpretation.body[0].value["items"][0]]})]
    publish(interpretation, users["admin"])
    sync_index()
    assert "长期护理保险费怎么缴？" not in questions(hotline_search("长期护理保险费怎么缴"))
    assert "失能老人能享受什么护理待遇？" in questions(hotline_search("失能老人护理待遇"))
