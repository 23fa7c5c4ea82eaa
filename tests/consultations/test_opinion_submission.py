"""Sending an opinion: validation in Chinese, sanitisation, privacy, sensitive words, abuse
controls, idempotency and the exact deadline — nothing half-stored."""
import datetime
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from consultations.models import ModerationStatus, Opinion, QuestionAnswer, SensitiveWord
from tests.consultations.conftest import opinion_data


def post(client, consultation, data, **kwargs):
    return client.post(consultation.url, data, **kwargs)


def test_page_shows_state_count_and_a_comment_action_per_clause(client, consultation):
    html = client.get(consultation.url).content.decode()
    assert "征集中" in html and "已收到意见 <strong>0</strong> 条" in html
    assert html.count("对此条提意见") == 3
    prefilled = client.get(consultation.url, {"clause": "2"}).content.decode()
    assert '<option value="2" selected>' in prefilled


def test_valid_opinion_gets_a_receipt_and_lookup_code(client, consultation):
    response = post(client, consultation, opinion_data(client, consultation))
    assert response.status_code == 200
    opinion = Opinion.objects.get()
    html = response.content.decode()
    local = timezone.localtime(opinion.submitted_at)
    assert opinion.receipt_number == f"YJ-{local:%Y%m%d}-{opinion.pk:06d}"
    assert opinion.receipt_number in html and opinion.lookup_code in html
    assert opinion.moderation_status == ModerationStatus.PENDING and opinion.clause_number == "2"
    lookup = client.post("/zhengqiu/chaxun/", {"receipt": opinion.receipt_number, "code": opinion.lookup_code})
    assert lookup.status_code == 200 and "办理中" in lookup.content.decode()
    wrong = client.post("/zhengqiu/chaxun/", {"receipt": opinion.receipt_number, "code": "00000000"})
    assert wrong.status_code == 404 and "不正确" in wrong.content.decode()


def test_bad_input_is_explained_and_nothing_is_stored(client, consultation):
    data = opinion_data(client, consultation, category="", text="太短", email="not-an-email", consent="")
    response = post(client, consultation, data)
    html = response.content.decode()
    assert response.status_code == 400
    for message in ["请选择意见类别。", "意见内容至少 10 个字", "请填写有效的电子邮箱", "请阅读并勾选同意个人信息保护说明"]:
        assert message in html
    assert "太短" in html  # what was typed is kept
    assert not Opinion.objects.exists()


def test_html_is_stripped_and_output_escaped(client, consultation):
    text = "<script>alert('x')</script><b>建议</b>增加社区食堂的数量，并对高龄老人给予就餐补贴。"
    post(client, consultation, opinion_data(client, consultation, text=text))
    opinion = Opinion.objects.get()
    assert "<script>" not in opinion.text and "<b>" not in opinion.text
    assert opinion.text.startswith("alert('x')建议增加")


def test_personal_data_in_text_is_masked_for_the_public(client, consultation):
    text = "我是独居老人，身份证 650102195001011234，电话 13800138000，邮箱 a@b.cn，希望能上门服务。"
    post(client, consultation, opinion_data(client, consultation, text=text))
    opinion = Opinion.objects.get()
    assert "650102195001011234" in opinion.text  # staff still see what was written
    assert "650102195001011234" not in opinion.public_text and "13800138000" not in opinion.public_text
    assert "[身份证号已隐藏]" in opinion.public_text and "[电话已隐藏]" in opinion.public_text
    assert opinion.masked_name == "张**"


def test_sensitive_words_hold_or_mask_never_drop(client, consultation):
    SensitiveWord.objects.create(word="骗子", action=SensitiveWord.Action.MASK)
    SensitiveWord.objects.create(word="炸掉", action=SensitiveWord.Action.HOLD)
    post(client, consultation, opinion_data(client, consultation, text="有些养老机构是骗子，收费不透明，应当严查。"))
    masked = Opinion.objects.get()
    assert masked.public_text.count("＊") == 2 and masked.moderation_status == ModerationStatus.PENDING
    assert "骗子" in masked.text
    post(client, consultation, opinion_data(client, consultation, text="再不整改就把那个违规养老院炸掉算了，太气人。"))
    held = Opinion.objects.latest("pk")
    assert held.moderation_status == ModerationStatus.HELD and held.sensitive_words == ["炸掉"]


def test_double_submit_stores_one_opinion_with_the_same_receipt(client, consultation):
    data = opinion_data(client, consultation)
    first = post(client, consultation, data).content.decode()
    second = post(client, consultation, data).content.decode()
    opinion = Opinion.objects.get()
    assert opinion.receipt_number in first and opinion.receipt_number in second
    assert opinion.lookup_code in second and "已提交过" in second


def test_honeypot_refuses_bots(client, consultation):
    response = post(client, consultation, opinion_data(client, consultation, website="http://spam.example"))
    assert response.status_code == 400 and "请勿填写此项" in response.content.decode()
    assert not Opinion.objects.exists()


def test_rate_limit_answers_with_a_clear_message(client, consultation):
    for _ in range(5):
        assert post(client, consultation, opinion_data(client, consultation)).status_code == 200
    response = post(client, consultation, opinion_data(client, consultation))
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert Opinion.objects.count() == 5


def test_deadline_boundary_is_exact(client, consultation):
    end = consultation.end_at
    assert consultation.accepts_opinions_at(end - datetime.timedelta(microseconds=1))
    assert not consultation.accepts_opinions_at(end)
    assert consultation.accepts_opinions_at(consultation.start_at)
    assert not consultation.accepts_opinions_at(consultation.start_at - datetime.timedelta(microseconds=1))
    data = opinion_data(client, consultation)
    type(consultation).objects.filter(pk=consultation.pk).update(end_at=timezone.now())
    response = post(client, consultation, data)
    assert response.status_code == 403 and "已于" in response.content.decode() and "截止" in response.content.decode()
    assert not Opinion.objects.exists()


def test_real_name_and_contact_requirements(client, consultation):
    type(consultation).objects.filter(pk=consultation.pk).update(require_real_name=True, contact_requirement="required")
    consultation.refresh_from_db()
    response = post(client, consultation, opinion_data(client, consultation, name="", phone="", email=""))
    html = response.content.decode()
    assert "本次征集要求实名，请填写姓名。" in html and "请填写电话或电子邮箱" in html
    assert not Opinion.objects.exists()


def test_attachments_are_checked_and_kept_private(client, consultation, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("建议.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = post(client, consultation, opinion_data(client, consultation, attachments=[fake]))
    assert response.status_code == 400 and "内容与扩展名不符" in response.content.decode()
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    assert "类型不支持" in post(client, consultation, opinion_data(client, consultation, attachments=[exe])).content.decode()
    pdf = SimpleUploadedFile("建议.pdf", b"%PDF-1.4\n%fake but typed\n", content_type="application/pdf")
    assert post(client, consultation, opinion_data(client, consultation, attachments=[pdf])).status_code == 200
    attachment = Opinion.objects.get().attachments.get()
    assert attachment.original_name == "建议.pdf"
    assert str(tmp_path) in attachment.file.path  # outside MEDIA_ROOT: never served publicly


def test_questionnaire_answers_are_stored_and_required_ones_enforced(client, consultation):
    page = type(consultation).objects.get(pk=consultation.pk)
    page.questionnaire = [
        ("choice", {"question": "您最需要哪类养老服务？", "required": True, "options": "助餐\n助浴\n上门医疗", "multiple": True}),
        ("rating", {"question": "您对草案总体满意吗？", "required": False, "low_label": "很不满意", "high_label": "非常满意"}),
    ]
    page.save_revision().publish()
    page = type(consultation).objects.get(pk=consultation.pk)
    choice_id, rating_id = [q[0] for q in page.questions()]
    response = post(client, page, opinion_data(client, page))
    assert "请回答问卷题目：您最需要哪类养老服务？" in response.content.decode()
    data = opinion_data(client, page, **{f"q_{choice_id}": ["助餐", "上门医疗"], f"q_{rating_id}": "4"})
    assert post(client, page, data).status_code == 200
    answers = QuestionAnswer.objects.filter(opinion=Opinion.objects.get())
    assert sorted(a.choice for a in answers if a.choice) == ["上门医疗", "助餐"]
    assert [a.rating for a in answers if a.rating] == [4]


@pytest.mark.parametrize("field, value", [("category", "不存在的类别"), ("clause", "99")])
def test_choices_outside_the_consultation_are_refused(client, consultation, field, value):
    response = post(client, consultation, opinion_data(client, consultation, **{field: value}))
    assert response.status_code == 400 and "请从列表中选择" in response.content.decode()


def _without_shortcut(shortcut, function, text):
    """``function`` as it was before its pre-check: ``privacy.<shortcut>`` matches every text, so
    the full work (every pattern, or bleach) is always done."""
    from consultations import privacy

    with mock.patch.object(privacy, shortcut, re.compile("")):
        return function(text)


# Fragments shaped like each kind of number (and near misses), glued to noise of digits and separators.
NUMBER_LIKE = st.one_of(
    st.from_regex(r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{3,5}", fullmatch=True),
    st.from_regex(r"0[0-9]{2,3}-?[0-9]{6,8}", fullmatch=True),
    st.from_regex(r"[0-9]{6}(19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx]", fullmatch=True),
    st.from_regex(r"[a-z0-9.]{1,5}[@＠][a-z0-9]{1,5}(\.[a-z]{2,3})?", fullmatch=True),
    st.text(alphabet="0123456789０１２３１３９－-  @＠.Xxab张三电话邮箱", max_size=20),
)


@given(st.lists(NUMBER_LIKE, max_size=5).map("".join))
@hypothesis_settings(max_examples=800, deadline=None)
def test_the_personal_data_pre_check_never_skips_a_number(text):
    """Text the quick pre-check lets through unsearched has nothing any of the four patterns finds."""
    from consultations.privacy import mask_personal_data

    assert mask_personal_data(text) == _without_shortcut("_CANDIDATE", mask_personal_data, text)


@pytest.mark.parametrize("text", ["139 1234 5678", "139-1234-5678", "0991-1234567", "650102195001011234",
                                  "a@b.cn", "１３９１２３４５６７８", "电话13912345678谢谢"])
def test_the_pre_check_lets_every_kind_of_number_through_to_the_patterns(text):
    from consultations.privacy import mask_personal_data

    assert "已隐藏" in mask_personal_data(text)


@given(st.one_of(st.text(max_size=80),
                 st.text(alphabet=st.sampled_from(list("建议补贴申请 \r\n\t\x0b\x0c\x00\x7f\x85\xa0\u3000\ufeff\ufffd"
                                                       "\ufdd0\uffff\U0001fffe\U00020000<>&;#a")), max_size=40)))
@hypothesis_settings(max_examples=1500, deadline=None)
def test_plain_text_skips_bleach_with_the_same_result(text):
    """Text with no markup and no character HTML parsing rewrites is stored exactly as bleach would."""
    from consultations.privacy import clean_text

    assert clean_text(text) == _without_shortcut("_NEEDS_PARSING", clean_text, text)
