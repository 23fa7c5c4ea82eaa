"""意见采纳情况说明 (C3, C6): statistics from the data, the public results page with its charts and
replies, privacy of everything shown, pagination, query counts, and the receipt lookup afterwards."""
import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.log_actions import LogFormatter, registry

from consultations.models import ConsultationPage, Decision, ModerationStatus, Opinion, QuestionAnswer
from consultations.privacy import mask_personal_data
from consultations.results import ResultsNotReady, consultation_statistics, publish_results
from tests.consultations.conftest import opinion_data

PUBLISH_ACTION = "consultations.publish_results"
LOOKUP_URL = "/zhengqiu/chaxun/"


@pytest.fixture(autouse=True)
def publish_log_action(monkeypatch):
    """publish_results logs PUBLISH_ACTION; until a consultations wagtail_hooks registers it, register it here."""
    registry.scan_for_actions()
    if not registry.action_exists(PUBLISH_ACTION):
        monkeypatch.setitem(registry.formatters, PUBLISH_ACTION, type("F", (LogFormatter,), {"label": "发布征集结果"})())


def make_opinion(consultation, *, status=ModerationStatus.APPROVED, decision="", reply="", client_hash=None, **fields):
    text = fields.pop("text", "建议把居家养老服务补贴的发放对象扩大到七十五岁以上独居老人。")
    opinion = Opinion.objects.create(
        consultation=consultation, idempotency_key=uuid.uuid4().hex, client_hash=client_hash or uuid.uuid4().hex,
        category=fields.pop("category", "养老服务"), text=text, public_text=mask_personal_data(text),
        moderation_status=status, decision=decision, reply=reply,
        decided_at=timezone.now() if decision else None, **fields)
    opinion.receipt_number = f"YJ-20260101-{opinion.pk:06d}"
    opinion.save(update_fields=["receipt_number"])
    return opinion


def bulk_opinions(consultation, count, start=0, **fields):
    defaults = {"category": "养老服务", "text": "统一意见文本。", "public_text": "统一意见文本。",
                "moderation_status": ModerationStatus.APPROVED, "decision": Decision.ADOPTED, "reply": "已采纳。"}
    defaults.update(fields)
    Opinion.objects.bulk_create(
        Opinion(consultation=consultation, idempotency_key=f"bulk-{i}", receipt_number=f"YJ-20260102-{i:06d}",
                client_hash=f"client-{i}", name=f"李{i}", **defaults)
        for i in range(start, start + count))


def close(consultation, summary="<p>本次共收到意见若干条，经研究，主要意见已采纳。</p>"):
    page = ConsultationPage.objects.get(pk=consultation.pk)
    page.results_summary = summary
    page.save_revision().publish()
    now = timezone.now()
    ConsultationPage.objects.filter(pk=page.pk).update(start_at=now - datetime.timedelta(days=15),
                                                       end_at=now - datetime.timedelta(hours=1))
    return ConsultationPage.objects.get(pk=page.pk)


@pytest.fixture
def published(consultation, users, django_capture_on_commit_callbacks):
    def publish():
        with django_capture_on_commit_callbacks(execute=True):
            return publish_results(close(consultation), users["admin"])
    return publish


def replies_on(html):
    return re.findall(r'<li class="reply">', html)


# --- statistics ----------------------------------------------------------------------------------
@pytest.fixture
def questionnaire(consultation):
    page = ConsultationPage.objects.get(pk=consultation.pk)
    page.questionnaire = [
        ("choice", {"question": "您最关心哪些养老服务？", "required": False, "options": "助餐\n助浴\n上门医疗", "multiple": True}),
        ("rating", {"question": "您对草案总体是否满意？", "required": False, "low_label": "很不满意",
                    "high_label": "非常满意"}),
        ("text", {"question": "还有什么建议？", "required": False}),
    ]
    page.save_revision().publish()
    page = ConsultationPage.objects.get(pk=consultation.pk)
    return page, {kind: block_id for block_id, kind, _ in page.questions()}


def answer(opinion, question_id, **value):
    return QuestionAnswer.objects.create(opinion=opinion, consultation=opinion.consultation, question_id=question_id,
                                         **value)


def test_statistics_on_a_hand_built_set(consultation):
    same_person = {"email": "zhang@example.org"}
    make_opinion(consultation, category="养老服务", clause_number="1", decision=Decision.ADOPTED, reply="采纳。",
                 phone="13900000001", **same_person)
    make_opinion(consultation, category="养老服务", clause_number="1", decision=Decision.PARTLY, reply="部分采纳。",
                 **same_person)
    make_opinion(consultation, category="社会保障", clause_number="2", phone="13900000002",
                 status=ModerationStatus.HIDDEN, decision=Decision.NOT_ADOPTED, reply="")
    make_opinion(consultation, category="养老服务", client_hash="anon-1", status=ModerationStatus.PENDING)
    make_opinion(consultation, category="教育", client_hash="anon-1", status=ModerationStatus.HELD)
    make_opinion(consultation, category="教育", client_hash="anon-2", clause_number="2", decision=Decision.EXISTING,
                 reply="已有相关规定。")
    for _ in range(3):  # spam counts nowhere
        make_opinion(consultation, category="体育", email="bot@example.org", status=ModerationStatus.SPAM,
                     decision=Decision.ADOPTED, reply="x")

    stats = consultation_statistics(consultation)
    assert stats["total"] == 6
    # zhang@ (2 opinions, one also with a phone) + the phone-only person + anon-1 (2) + anon-2.
    assert stats["participants"] == 4
    assert {r["label"]: (r["count"], r["percent"]) for r in stats["by_category"]} == {
        "养老服务": (3, 50), "社会保障": (1, 17), "教育": (2, 33)}
    assert stats["by_category"][0]["label"] == "养老服务"  # largest first
    assert {r["label"]: r["count"] for r in stats["by_clause"]} == {"第1条": 2, "第2条": 2, "总体意见": 2}
    assert [(r["label"], r["count"]) for r in stats["by_decision"]] == [
        ("采纳", 1), ("部分采纳", 1), ("未采纳", 1), ("已有相关规定", 1), ("不属于征集范围", 0)]
    assert (stats["adopted"], stats["adopted_percent"]) == (2, 33)
    assert stats["public_count"] == 3  # approved and decided; the hidden one is counted but not shown
    assert stats["not_adopted_without_reason"] == 1
    for key in ("category_chart", "clause_chart", "decision_chart"):
        assert 'role="img"' in stats[key] and "<title" in stats[key]
    assert "养老服务 3 条，占 50%" in stats["category_chart"]


def test_empty_consultation_has_zeroes_not_errors(consultation):
    stats = consultation_statistics(consultation)
    assert (stats["total"], stats["participants"], stats["adopted_percent"]) == (0, 0, 0)
    assert stats["by_category"] == [] and "暂无数据" in stats["category_chart"]


def test_questionnaire_aggregation(consultation, questionnaire):
    page, ids = questionnaire
    first, second, third = (make_opinion(page) for _ in range(3))
    answer(first, ids["choice"], choice="助餐")
    answer(first, ids["choice"], choice="上门医疗")  # multiple choice: one respondent, two choices
    answer(second, ids["choice"], choice="助餐")
    for opinion, rating in ((first, 5), (second, 4), (third, 2)):
        answer(opinion, ids["rating"], rating=rating)
    answer(first, ids["text"], text="希望增加社区食堂")

    choice, rating, text = consultation_statistics(page)["questions"]
    assert (choice["kind"], choice["respondents"]) == ("choice", 2)
    assert [(r["label"], r["count"], r["percent"]) for r in choice["rows"]] == [
        ("助餐", 2, 100), ("助浴", 0, 0), ("上门医疗", 1, 50)]
    assert 'role="img"' in choice["chart"]
    assert rating["respondents"] == 3 and rating["average"] == 3.67
    assert [r["count"] for r in rating["rows"]] == [0, 1, 0, 1, 1]
    assert text["respondents"] == 1 and text["samples"] == ["希望增加社区食堂"]


def test_short_answers_are_masked_before_they_reach_the_statistics(client, consultation, questionnaire):
    page, ids = questionnaire
    data = opinion_data(client, page, **{f"q_{ids['text']}": "身份证650102198803154417，有事请打13912345678，"
                                                             "或发邮件到 lao.wang@example.org 。"})
    assert client.post(page.url, data).status_code == 200
    (sample,) = consultation_statistics(page)["questions"][2]["samples"]
    assert sample == "身份证[身份证号已隐藏]，有事请打[电话已隐藏]，或发邮件到 [邮箱已隐藏] 。"


def test_masking_an_address_keeps_the_chinese_around_it():
    assert mask_personal_data("请联系我zhang@example.org谢谢") == "请联系我[邮箱已隐藏]谢谢"


def test_questionnaire_excludes_spam(consultation, questionnaire):
    page, ids = questionnaire
    answer(make_opinion(page), ids["rating"], rating=5)
    spam = make_opinion(page, status=ModerationStatus.SPAM)
    answer(spam, ids["rating"], rating=1)
    answer(spam, ids["text"], text="加微信领补贴")
    _, rating, text = consultation_statistics(page)["questions"]
    assert rating["respondents"] == 1 and rating["average"] == 5
    assert text["samples"] == []


# --- publishing ----------------------------------------------------------------------------------
def test_results_cannot_be_published_early_or_without_a_summary(consultation, users):
    with pytest.raises(ResultsNotReady, match="尚未截止"):
        publish_results(consultation, users["admin"])
    ConsultationPage.objects.filter(pk=consultation.pk).update(end_at=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(ResultsNotReady, match="意见采纳情况说明"):
        publish_results(ConsultationPage.objects.get(pk=consultation.pk), users["admin"])
    page = publish_results(close(consultation), users["admin"])
    assert page.state == "answered"
    with pytest.raises(ResultsNotReady, match="已经发布"):
        publish_results(page, users["admin"])


# --- the public page -----------------------------------------------------------------------------
PERSONAL = {"name": "欧阳锦绣", "phone": "13987654321", "email": "ouyang.jinxiu@example.org"}
ID_NUMBER = "650102198803154417"


@pytest.fixture
def mixed(consultation):
    """One opinion of every moderation state, each with a marker phrase and distinctive personal data."""
    def opinion(marker, status, decision=Decision.ADOPTED, **personal):
        text = f"{marker}：身份证{ID_NUMBER}，电话13987654321，邮箱{PERSONAL['email']}，建议增加社区食堂。"
        return make_opinion(consultation, status=status, decision=decision, reply=f"{marker}的答复。",
                            text=text, **(personal or PERSONAL))
    return {
        "shown": opinion("公开已答复甲", ModerationStatus.APPROVED, name="张三丰", phone="13811112222",
                         email="zhang.sanfeng@example.org"),
        "shown_partly": opinion("公开已答复乙", ModerationStatus.APPROVED, Decision.PARTLY),
        "undecided": opinion("公开未答复丙", ModerationStatus.APPROVED, decision=""),
        "hidden": opinion("不公开丁", ModerationStatus.HIDDEN),
        "spam": opinion("垃圾戊", ModerationStatus.SPAM),
        "pending": opinion("待审己", ModerationStatus.PENDING),
        "held": opinion("敏感庚", ModerationStatus.HELD),
    }


def test_results_page_shows_explanation_charts_numbers_and_public_replies_only(client, consultation, mixed,
                                                                                published):
    page = published()
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "意见采纳情况说明" in html and "主要意见已采纳" in html and "已反馈" in html
    assert html.count('role="img"') >= 3
    # Spam is excluded from every figure: 6 opinions from 2 people (by e-mail address).
    assert "<strong>2</strong> 位参与者" in html and "<strong>6</strong> 条意见" in html and "<strong>5</strong> 条采纳或部分采纳" in html
    assert "意见答复（2 条公开）" in html
    assert len(replies_on(html)) == 2
    assert "公开已答复甲" in html and "公开已答复甲的答复。" in html and "公开已答复乙的答复。" in html
    for marker in ("公开未答复丙", "不公开丁", "垃圾戊", "待审己", "敏感庚"):
        assert marker not in html, marker
    assert "张**" in html and "欧***" in html


def test_no_personal_data_of_any_submitter_appears_on_the_results_page(client, consultation, mixed, published):
    page = published()
    html = client.get(page.url).content.decode()
    for value in ["张三丰", "三丰", "13811112222", "zhang.sanfeng@example.org", "zhang.sanfeng",
                  *PERSONAL.values(), "锦绣", ID_NUMBER]:
        assert value not in html, value
    assert "[身份证号已隐藏]" in html and "[电话已隐藏]" in html and "[邮箱已隐藏]" in html


def test_replies_are_paginated_twenty_a_page(client, consultation, published):
    bulk_opinions(consultation, 45)
    bulk_opinions(consultation, 5, start=1000, moderation_status=ModerationStatus.HIDDEN)
    page = published()
    first = client.get(page.url).content.decode()
    assert len(replies_on(first)) == 20 and "第 1 页，共 3 页" in first and "YJ-20260102-000000" in first
    second = client.get(page.url, {"page": 2}).content.decode()
    assert len(replies_on(second)) == 20 and "第 2 页，共 3 页" in second
    assert "YJ-20260102-000020" in second and "YJ-20260102-000019" not in second
    third = client.get(page.url, {"page": 3}).content.decode()
    assert len(replies_on(third)) == 5 and "YJ-20260102-001000" not in third
    for bad in ("4", "0", "abc"):
        assert client.get(page.url, {"page": bad}).status_code == 404, bad


def count_queries(client, url):
    client.get(url)  # warm the site and page caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_number_of_opinions(client, consultation, published,
                                                                django_assert_max_num_queries):
    page = published()
    bulk_opinions(page, 30)
    # ?page=1: rendered every time (the bare URL is served from the anonymous page cache once warm).
    small = count_queries(client, page.url + "?page=1")
    bulk_opinions(page, 270, start=30, category="社会保障", clause_number="2")
    large = count_queries(client, page.url + "?page=1")
    assert 0 < large == small, (small, large)
    with django_assert_max_num_queries(small):
        client.get(page.url, {"page": 15})


# --- the receipt lookup --------------------------------------------------------------------------
def test_lookup_after_results_shows_the_decision_and_reply(client, consultation, mixed, published):
    hidden = mixed["hidden"]
    before = client.post(LOOKUP_URL, {"receipt": hidden.receipt_number, "code": hidden.lookup_code})
    assert "办理中" in before.content.decode() and "不公开丁的答复。" not in before.content.decode()
    published()
    for opinion, decision in ((mixed["shown"], "采纳"), (hidden, "采纳")):
        response = client.post(LOOKUP_URL, {"receipt": opinion.receipt_number.lower(), "code": opinion.lookup_code})
        html = response.content.decode()
        assert response.status_code == 200 and "已答复" in html
        assert f"<dd>{decision}</dd>" in html and f"{opinion.reply}" in html  # hidden: the author still sees it
    wrong = client.post(LOOKUP_URL, {"receipt": hidden.receipt_number, "code": "12345678"})
    assert wrong.status_code == 404 and "不公开丁的答复。" not in wrong.content.decode()
