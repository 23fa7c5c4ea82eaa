"""The operator's page, the public 政策问答 page, knowledge gaps, feedback and the gap reports."""
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from cms.factories import UserFactory
from cms.roles import HOTLINE_GROUP
from search.models import AnswerFeedback, KnowledgeGap, SearchQueryLog


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()


@pytest.fixture
def operator(db, site_tree):
    return UserFactory(username="hotline", groups=[Group.objects.get(name=HOTLINE_GROUP)])


def test_hotline_needs_login(client, qa_base):
    response = client.get("/hotline/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/?next=/hotline/")


def test_hotline_refuses_users_outside_the_hotline_group(client, qa_base, users):
    client.force_login(users["ybj_editor"])
    assert client.get("/hotline/").status_code == 403


def test_operator_sees_the_current_answer_with_phone_and_provenance(client, qa_base, operator):
    client.force_login(operator)
    page = client.get("/hotline/", {"q": "打零工的社保怎么交"}).content.decode()
    assert 'autofocus' in page
    first = page.index("灵活就业人员怎么缴纳")
    assert "咨询电话" in page[first:] and "0991-1234567" in page[first:]
    assert "现行有效" in page[first:] and "乌政办〔2021〕83号" in page[first:]
    assert "<mark>社保</mark>" in page or "<mark>社会保险</mark>" in page
    assert "按旧办法" not in page  # the repealed answer is not shown by default
    assert SearchQueryLog.objects.filter(channel="hotline").count() == 1


def test_repealed_answers_shown_on_request_are_marked(client, qa_base, operator):
    client.force_login(operator)
    page = client.get("/hotline/", {"q": "灵活就业人员怎么缴纳社会保险", "include_repealed": "on"}).content.decode()
    assert "按旧办法" in page
    assert "此答复不再适用，请勿作为现行政策答复来电人" in page


def test_partial_results_for_search_as_you_type(client, qa_base, operator):
    client.force_login(operator)
    fragment = client.get("/hotline/", {"q": "异地就医", "partial": "1"}).content.decode()
    assert fragment.lstrip().startswith('<div id="qa-results"')
    assert "<html" not in fragment and "异地就医" in fragment


def test_bad_filters_are_explained_on_the_page(client, qa_base, operator):
    client.force_login(operator)
    page = client.get("/hotline/", {"q": "社保", "date_from": "2021-02-30"}).content.decode()
    assert "日期格式应为 2021-06-01" in page


def test_recording_a_knowledge_gap_masks_personal_data(client, qa_base, operator, departments):
    client.force_login(operator)
    response = client.post("/hotline/gap/", {"query": "退役军人优待证怎么办", "department": "rsj",
                                             "note": "来电人电话13912345678，想知道在哪办", "next": "/hotline/?q=x"})
    assert response.status_code == 302 and response.url == "/hotline/?q=x"
    gap = KnowledgeGap.objects.get()
    assert gap.reported_by == operator and gap.department == departments["rsj"]
    assert "13912345678" not in gap.note and "[电话已隐藏]" in gap.note


def test_gap_form_errors_keep_nothing_half_stored(client, qa_base, operator):
    client.force_login(operator)
    response = client.post("/hotline/gap/", {"query": "", "next": "/hotline/"}, follow=True)
    assert "请先输入检索词再登记" in response.content.decode()
    assert not KnowledgeGap.objects.exists()


def test_gap_recording_needs_csrf(qa_base, operator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    assert client.post("/hotline/gap/", {"query": "x"}).status_code == 403


def test_feedback_is_recorded_and_rate_limited(client, qa_base, settings):
    entry = qa_base["entries"]["medical"]
    data = {"key": f"qa:{entry.pk}", "helpful": "0", "query": "异地就医", "question": entry.question,
            "department": "ybj", "next": "/wenda/?q=异地就医"}
    assert client.post("/wenda/feedback/", data).status_code == 302
    vote = AnswerFeedback.objects.get()
    assert vote.helpful is False and vote.department.code == "ybj"
    assert client.post("/wenda/feedback/", {**data, "key": "drop table"}, follow=True).status_code == 200
    assert AnswerFeedback.objects.count() == 1
    for _ in range(40):
        client.post("/wenda/feedback/", data)
    assert AnswerFeedback.objects.count() == 29  # 30 requests a minute per client, the refused one included


def test_public_page_searches_without_login(client, qa_base):
    page = client.get("/wenda/", {"q": "孩子上学要带什么"}).content.decode()
    assert "随迁子女义务教育入学需要哪些材料" in page
    assert "没有找到答案？" not in page  # the gap form is the operators'


def test_public_page_with_nothing_found_says_so(client, qa_base):
    page = client.get("/wenda/", {"q": "火星旅游签证"}).content.decode()
    assert "没有找到与“火星旅游签证”相符的现行答复" in page


def test_entry_detail_is_public_only_when_live(client, qa_base):
    entry = qa_base["entries"]["medical"]
    page = client.get(f"/wenda/{entry.pk}/")
    assert page.status_code == 200 and "异地就医怎么备案" in page.content.decode()
    entry.unpublish()
    assert client.get(f"/wenda/{entry.pk}/").status_code == 404


def test_reports_list_unanswered_queries_and_least_useful_answers(client, qa_base, operator, users):
    client.force_login(operator)
    for _ in range(3):
        client.get("/hotline/", {"q": "退役军人优待证"})
    client.get("/hotline/", {"q": "公积金贷款"})
    client.post("/hotline/gap/", {"query": "退役军人优待证"})
    entry = qa_base["entries"]["medical"]
    for helpful in ("0", "0", "1"):
        client.post("/wenda/feedback/", {"key": f"qa:{entry.pk}", "helpful": helpful, "question": entry.question,
                                         "department": "ybj"})
    client.force_login(users["reviewer"])
    unanswered = client.get("/admin/reports/unanswered-queries/").content.decode()
    assert "退役军人优待证" in unanswered
    assert unanswered.index("退役军人优待证") < unanswered.index("公积金贷款")
    export = client.get("/admin/reports/unanswered-queries/?export=csv")
    csv = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "退役军人优待证,3,1," in csv
    least = client.get("/admin/reports/least-useful-answers/").content.decode()
    assert "异地就医怎么备案" in least and "67%" in least
    # A department sees only what concerns it.
    client.force_login(users["rsj_editor"])
    assert "异地就医怎么备案" not in client.get("/admin/reports/least-useful-answers/").content.decode()


def test_department_editors_see_only_their_own_entries(client, qa_base, users):
    client.force_login(users["ybj_editor"])
    listing = client.get("/admin/snippets/search/qaentry/").content.decode()
    assert "异地就医怎么备案" in listing and "灵活就业人员怎么缴纳" not in listing
    other = qa_base["entries"]["school"]
    from tests.helpers import refused

    assert refused(client.get(f"/admin/snippets/search/qaentry/edit/{other.pk}/"))
    own = qa_base["entries"]["medical"]
    assert client.get(f"/admin/snippets/search/qaentry/edit/{own.pk}/").status_code == 200


def test_department_editor_adds_and_publishes_an_entry_for_their_own_department_only(client, qa_base, users,
                                                                                    departments):
    from wagtail.test.utils.form_data import rich_text

    from search.models import QAEntry
    from search.outbox import process_outbox
    from search.service import hotline_search

    client.force_login(users["ybj_editor"])
    data = {"department": departments["ybj"].pk, "question": "医保电子凭证怎么激活？",
            "alt_questions": "手机上的医保码怎么开通", "short_answer": "在国家医保服务平台 App 或微信、支付宝中按提示激活医保电子凭证。",
            "answer": rich_text("激活后可在定点医院和药店扫码结算。"), "topics": "医疗保障", "policy": "",
            "interpretation": "", "external_id": "", "action-publish": "publish"}
    other = {**data, "department": departments["rsj"].pk, "question": "替别的部门写的问答"}
    refused = client.post("/admin/snippets/search/qaentry/add/", other)
    assert refused.status_code == 200 and "选择一个有效的选项" in refused.content.decode()
    assert not QAEntry.objects.filter(question="替别的部门写的问答").exists()
    response = client.post("/admin/snippets/search/qaentry/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = QAEntry.objects.get(question="医保电子凭证怎么激活？")
    assert entry.live and entry.department == departments["ybj"]
    process_outbox()
    assert hotline_search("医保码开通").results[0]["question"] == "医保电子凭证怎么激活？"


def test_feedback_and_gap_forms_return_to_the_page_not_the_fragment(client, qa_base, operator):
    client.force_login(operator)
    fragment = client.get("/hotline/", {"q": "异地就医", "partial": "1"}).content.decode()
    assert 'name="next" value="/hotline/?q=%E5%BC%82%E5%9C%B0%E5%B0%B1%E5%8C%BB"' in fragment
    assert "partial" not in fragment.split('name="next"')[1][:80]
