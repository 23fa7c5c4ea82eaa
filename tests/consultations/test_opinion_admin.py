"""意见处理 in the admin: lists with filters, search and grouping, decisions and bulk actions with an
audit trail, permissions and personal-data masking, results publishing and overdue feedback."""
import datetime
import itertools
import json
import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from cms.factories import UserFactory
from cms.roles import REVIEWERS_GROUP
from consultations.admin_forms import user_label
from consultations.factories import ConsultationPageFactory
from consultations.models import (
    Decision,
    ModerationStatus,
    Opinion,
    OpinionAttachment,
    ReplyTemplate,
    SensitiveWord,
)
from consultations.privacy import mask_personal_data
from consultations.submission import SENSITIVE_CACHE_KEY, fingerprint, sensitive_words
from tests.helpers import refused

_sequence = itertools.count(1)
CAMPAIGN = "强烈建议将七十五岁以上独居老人纳入居家养老服务补贴范围，并简化申请材料！"
PHONE_TEXT = "社区养老食堂价格偏高，请核实，我的电话 13800138000，欢迎联系。"


def make_opinion(consultation, text="建议在每个社区设立老年助餐点，方便行动不便的老人就近用餐。", **fields):
    number = next(_sequence)
    values = {
        "consultation": consultation, "idempotency_key": uuid.uuid4().hex, "client_hash": "c" * 32,
        "category": "养老服务", "clause_number": "", "text": text, "public_text": mask_personal_data(text),
        "fingerprint": fingerprint(text), "name": "张三丰", "phone": "13912345678", "email": f"p{number}@example.org",
    }
    values.update(fields)
    opinion = Opinion.objects.create(**values)
    opinion.receipt_number = f"YJ-20260101-{opinion.pk:06d}"
    opinion.save(update_fields=["receipt_number"])
    return opinion


def make_many(consultation, count, text=None, **fields):
    """Many opinions in one INSERT (distinct texts unless one is given)."""
    opinions = []
    for _ in range(count):
        number = next(_sequence)
        body = text or f"关于第{number}号意见：建议增加养老服务设施的数量并提高服务质量{'甲乙丙丁戊己庚辛壬癸'[number % 10]}{number}。"
        if text is None:
            body = body + "子丑寅卯辰巳午未申酉"[number % 10] * (number % 7 + 1) + f"{uuid.uuid4().hex[:6]}字"
        opinions.append(Opinion(
            consultation=consultation, idempotency_key=uuid.uuid4().hex, client_hash="c" * 32, category="养老服务",
            text=body, public_text=body, fingerprint=fingerprint(body), name="李四",
            receipt_number=f"YJ-20260102-{number:06d}", **fields))
    return Opinion.objects.bulk_create(opinions)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def opinions_url(consultation, **params):
    return reverse("consultations_admin:opinions", args=[consultation.pk])


def bulk_url(consultation):
    return reverse("consultations_admin:bulk", args=[consultation.pk])


def detail_url(opinion):
    return reverse("consultations_admin:opinion", args=[opinion.pk])


def logs(opinion, action=None):
    entries = ModelLogEntry.objects.for_instance(opinion)
    return entries.filter(action=action) if action else entries


@pytest.fixture
def personal_reviewers(users):
    """政务公开办 may see personal data (cms.roles will grant this; here via Permission objects)."""
    group = Group.objects.get(name=REVIEWERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="consultations", codename="view_personal_data"))
    return users


def closed_consultation(departments, slug, ended_days_ago, **fields):
    now = timezone.now()
    page = ConsultationPageFactory(parent=departments["rsj"].policy_index, slug=slug,
                                   start_at=now - datetime.timedelta(days=ended_days_ago + 14),
                                   end_at=now - datetime.timedelta(days=ended_days_ago), **fields)
    page.save_revision().publish()
    return page.__class__.objects.get(pk=page.pk)


# --- permissions --------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["rsj_editor", "reviewer", "admin"])
def test_handlers_may_open_every_view(client, consultation, users, username):
    opinion = make_opinion(consultation)
    client.force_login(users[username])
    assert client.get("/admin/consultations/").status_code == 200
    html = client.get(f"/admin/consultations/{consultation.pk}/opinions/").content.decode()
    assert opinion.receipt_number in html
    assert client.get(f"/admin/consultations/{consultation.pk}/opinions/results/").status_code == 200
    assert client.get(f"/admin/consultations/opinions/{opinion.pk}/").status_code == 200
    response = client.post(f"/admin/consultations/{consultation.pk}/opinions/bulk/",
                           {"action": "approve", "ids": [opinion.pk]})
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.moderation_status == ModerationStatus.APPROVED
    assert client.get(f"/admin/consultations/{consultation.pk}/opinions/export/?format=csv").status_code == 200


def test_other_departments_editor_is_refused(client, consultation, users):
    opinion = make_opinion(consultation)
    client.force_login(users["ybj_editor"])
    listing = client.get("/admin/consultations/")
    assert listing.status_code == 200 and consultation.title not in listing.content.decode()
    for url in [opinions_url(consultation), detail_url(opinion),
                reverse("consultations_admin:opinions_results", args=[consultation.pk]),
                reverse("consultations_admin:export", args=[consultation.pk])]:
        assert refused(client.get(url)), url
    assert refused(client.post(bulk_url(consultation), {"action": "spam", "ids": [opinion.pk]}))
    assert refused(client.post(detail_url(opinion), {"decision": "adopted", "reply": "采纳。"}))
    assert refused(client.post(reverse("consultations_admin:publish_results", args=[consultation.pk])))
    opinion.refresh_from_db()
    assert opinion.moderation_status == ModerationStatus.PENDING and opinion.decision == ""
    assert not ModelLogEntry.objects.filter(action__startswith="consultations.").exists()


def test_menu_item_only_for_those_who_handle_opinions(client, consultation, users):
    client.force_login(users["rsj_editor"])
    assert "/admin/consultations/" in client.get("/admin/").content.decode()
    outsider = UserFactory(username="outsider")
    outsider.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                         codename="access_admin"))
    client.force_login(outsider)
    assert "/admin/consultations/" not in client.get("/admin/").content.decode()
    assert refused(client.get("/admin/consultations/"))
    assert refused(client.get(opinions_url(consultation)))


def test_consultation_list_shows_counts_state_and_due_date(client, consultation, users):
    make_opinion(consultation)
    make_opinion(consultation, moderation_status=ModerationStatus.APPROVED, decision=Decision.ADOPTED, reply="采纳。")
    client.force_login(users["rsj_editor"])
    html = client.get("/admin/consultations/").content.decode()
    assert consultation.title in html and "征集中" in html and "只看逾期" in html
    assert timezone.localtime(consultation.feedback_due).strftime("%Y-%m-%d") in html
    assert opinions_url(consultation) in html
    row = client.get("/admin/consultations/").context["object_list"][0]
    assert (row.opinion_count, row.pending_count, row.undecided_count) == (2, 1, 1)


# --- list, filters, search, pagination ------------------------------------------------------------------
@pytest.fixture
def varied(consultation, users):
    rsj_editor = users["rsj_editor"]
    return {
        "pending": make_opinion(consultation, text="建议提高高龄津贴标准，八十岁以上老人每月增加一百元。", clause_number="2"),
        "held": make_opinion(consultation, text="这家养老院管理混乱，应当严肃查处相关责任人。", category="公共安全",
                             moderation_status=ModerationStatus.HELD, handler=rsj_editor),
        "approved": make_opinion(consultation, text="建议鼓励社会力量举办普惠型养老机构，给予运营补贴。", clause_number="3",
                                 moderation_status=ModerationStatus.APPROVED, decision=Decision.ADOPTED,
                                 reply="已采纳，将在第三条中增加相关规定。"),
        "hidden": make_opinion(consultation, text="与本条例无关的内容，主要反映小区停车难的问题。", category="城市交通",
                               moderation_status=ModerationStatus.HIDDEN, decision=Decision.OUT_OF_SCOPE,
                               reply="不属于本次征集范围，已转交相关部门。"),
        "spam": make_opinion(consultation, text="广告广告广告，低价代办各类证件，联系微信。",
                             moderation_status=ModerationStatus.SPAM),
    }


def listed(client, consultation, **params):
    response = client.get(opinions_url(consultation), params)
    assert response.status_code == 200
    return {opinion.pk for opinion in response.context["object_list"]}


def test_filters_on_status_category_clause_decision_and_handler(client, consultation, users, varied):
    client.force_login(users["rsj_editor"])
    v = {key: opinion.pk for key, opinion in varied.items()}
    assert listed(client, consultation) == set(v.values())
    assert listed(client, consultation, status="held") == {v["held"]}
    assert listed(client, consultation, status="spam") == {v["spam"]}
    assert listed(client, consultation, category="城市交通") == {v["hidden"]}
    assert listed(client, consultation, clause="2") == {v["pending"]}
    assert listed(client, consultation, clause="none") == {v["held"], v["hidden"], v["spam"]}
    assert listed(client, consultation, decision="adopted") == {v["approved"]}
    assert listed(client, consultation, decision="none") == {v["pending"], v["held"], v["spam"]}
    assert listed(client, consultation, handler=str(users["rsj_editor"].pk)) == {v["held"]}
    assert listed(client, consultation, handler="none") == set(v.values()) - {v["held"]}
    assert listed(client, consultation, status="approved", category="养老服务", clause="3") == {v["approved"]}
    html = client.get(opinions_url(consultation), {"status": "held"}).content.decode()
    assert "审核状态" in html and "敏感待审" in html


def test_search_is_on_the_text(client, consultation, users, varied):
    client.force_login(users["rsj_editor"])
    assert listed(client, consultation, q="高龄津贴") == {varied["pending"].pk}
    assert listed(client, consultation, q="高龄津贴", status="approved") == set()
    assert listed(client, consultation, q=varied["spam"].receipt_number) == {varied["spam"].pk}


def test_search_cannot_probe_personal_data_without_permission(client, consultation, personal_reviewers):
    opinion = make_opinion(consultation, text=PHONE_TEXT)
    client.force_login(personal_reviewers["rsj_editor"])
    assert listed(client, consultation, q="13800138000") == set()
    assert listed(client, consultation, q="养老食堂") == {opinion.pk}
    client.force_login(personal_reviewers["reviewer"])
    assert listed(client, consultation, q="13800138000") == {opinion.pk}


def test_paginated_in_the_database_fifty_per_page(client, consultation, users):
    created = make_many(consultation, 120)
    client.force_login(users["rsj_editor"])
    first = client.get(opinions_url(consultation))
    assert len(first.context["object_list"]) == 50 and first.context["paginator"].count == 120
    third = client.get(opinions_url(consultation), {"page": 3})
    assert len(third.context["object_list"]) == 20
    seen = set()
    for page in (1, 2, 3):
        seen |= {o.pk for o in client.get(opinions_url(consultation), {"page": page}).context["object_list"]}
    assert seen == {o.pk for o in created}
    html = first.content.decode()
    assert "page=2" in html and "共 120 条意见" in html


def test_listing_costs_the_same_number_of_queries_for_small_and_large_pages(client, consultation, users):
    make_many(consultation, 5)
    client.force_login(users["reviewer"])
    client.get(opinions_url(consultation))  # warm caches (content types, site)
    with CaptureQueriesContext(connection) as small:
        client.get(opinions_url(consultation))
    make_many(consultation, 80)
    make_many(consultation, 30, text=CAMPAIGN, handler=users["rsj_editor"])
    with CaptureQueriesContext(connection) as large:
        client.get(opinions_url(consultation))
    assert len(large) == len(small)
    with CaptureQueriesContext(connection) as grouped:
        client.get(opinions_url(consultation), {"group": "1"})
    assert len(grouped) <= len(small) + 2


# --- grouping ------------------------------------------------------------------------------------------
def test_grouped_view_counts_identical_and_near_identical_opinions(client, consultation, users):
    variants = [CAMPAIGN, CAMPAIGN.replace("！", "。"), CAMPAIGN.replace("七十五", "七十五 "), CAMPAIGN + " 2026"]
    campaign = [make_opinion(consultation, text=text) for text in variants * 3]  # 12 form letters
    campaign[0].category = "社会保障"
    campaign[0].save(update_fields=["category"])
    pair = [make_opinion(consultation, text="请增加社区日间照料中心。") for _ in range(2)]
    single = make_opinion(consultation, text="建议对养老护理员给予岗位补贴，稳定护理队伍。")
    client.force_login(users["rsj_editor"])
    response = client.get(opinions_url(consultation), {"group": "1"})
    groups = response.context["object_list"]
    assert [(g.fingerprint, g.count) for g in groups] == [
        (campaign[0].fingerprint, 12), (pair[0].fingerprint, 2), (single.fingerprint, 1)]
    assert len({o.fingerprint for o in campaign}) == 1
    biggest = groups[0]
    assert biggest.sample == campaign[0].public_text and biggest.total == 12
    assert biggest.categories == [("养老服务", 11), ("社会保障", 1)]
    assert biggest.decisions == [("未答复", 12)]
    html = response.content.decode()
    assert f'name="groups" value="{campaign[0].fingerprint}"' in html
    assert "按相同意见分组" in html and "未答复 12" in html
    # The list view shows the group size and links to the group.
    flat = client.get(opinions_url(consultation), {"fingerprint": campaign[0].fingerprint})
    assert {o.pk for o in flat.context["object_list"]} == {o.pk for o in campaign}
    assert all(o.group_size == 12 for o in flat.context["object_list"])


def test_grouped_view_respects_filters_and_shows_the_whole_group_size(client, consultation, users):
    for status in [ModerationStatus.APPROVED] * 3 + [ModerationStatus.SPAM] * 2:
        make_opinion(consultation, text=CAMPAIGN, moderation_status=status)
    client.force_login(users["rsj_editor"])
    group = client.get(opinions_url(consultation), {"group": "1", "status": "approved"}).context["object_list"][0]
    assert (group.count, group.total, group.count_display) == (3, 5, "3 / 整组 5")


# --- bulk moderation and assignment ----------------------------------------------------------------------
@pytest.mark.parametrize("action,status", [("approve", "approved"), ("hide", "hidden"), ("spam", "spam")])
def test_bulk_moderation_logs_one_entry_per_changed_opinion(client, consultation, users, action, status):
    chosen = make_many(consultation, 3)
    already = make_opinion(consultation, moderation_status=status)
    other = make_opinion(consultation)
    client.force_login(users["rsj_editor"])
    response = client.post(bulk_url(consultation), {"action": action, "ids": [o.pk for o in chosen] + [already.pk],
                                                    "next": opinions_url(consultation) + "?status=pending"})
    assert response.status_code == 302 and response.url == opinions_url(consultation) + "?status=pending"
    assert Opinion.objects.filter(pk__in=[o.pk for o in chosen], moderation_status=status).count() == 3
    other.refresh_from_db()
    assert other.moderation_status == ModerationStatus.PENDING
    entries = ModelLogEntry.objects.filter(action="consultations.moderate")
    assert sorted(int(e.object_id) for e in entries) == sorted(o.pk for o in chosen)
    entry = entries.first()
    assert entry.data["old"] == "pending" and entry.data["new"] == status and entry.user_id == users["rsj_editor"].pk
    assert len({e.uuid for e in entries}) == 1 and entry.label.startswith("YJ-")
    assert "审核状态：待审核 →" in entry.message
    assert any("已将 3 条意见设为" in m and "另有 1 条" in m for m in messages_of(response))


def test_bulk_actions_apply_to_whole_groups(client, consultation, users):
    campaign = [make_opinion(consultation, text=CAMPAIGN) for _ in range(4)]
    other = make_opinion(consultation)
    client.force_login(users["reviewer"])
    client.post(bulk_url(consultation), {"action": "spam", "groups": [campaign[0].fingerprint]})
    assert set(Opinion.objects.filter(moderation_status="spam").values_list("pk", flat=True)) == {o.pk for o in campaign}
    other.refresh_from_db()
    assert other.moderation_status == ModerationStatus.PENDING


def test_bulk_assign_to_a_handler_of_the_consultation(client, consultation, users):
    opinions = make_many(consultation, 3)
    client.force_login(users["reviewer"])
    response = client.post(bulk_url(consultation), {"action": "assign", "ids": [o.pk for o in opinions],
                                                    "handler": users["rsj_editor"].pk})
    name = user_label(users["rsj_editor"])
    assert f"已将 3 条意见分配给 {name}。" in messages_of(response)
    assert Opinion.objects.filter(handler=users["rsj_editor"]).count() == 3
    entry = ModelLogEntry.objects.filter(action="consultations.assign").first()
    assert entry.data["new"] == users["rsj_editor"].pk and entry.message == f"承办人：未分配 → {name}"
    # Re-assigning records who had it before.
    client.post(bulk_url(consultation), {"action": "assign", "ids": [opinions[0].pk], "handler": users["reviewer"].pk})
    entry = ModelLogEntry.objects.filter(action="consultations.assign").first()
    assert entry.data["old"] == users["rsj_editor"].pk and entry.data["old_name"] == name
    # Someone from another department cannot be made the handler.
    response = client.post(bulk_url(consultation), {"action": "assign", "ids": [opinions[0].pk],
                                                    "handler": users["ybj_editor"].pk})
    assert any("所选承办人不能处理本征集的意见" in m for m in messages_of(response))
    assert Opinion.objects.filter(handler=users["ybj_editor"]).count() == 0
    response = client.post(bulk_url(consultation), {"action": "assign", "ids": [opinions[0].pk]})
    assert any("请选择承办人" in m for m in messages_of(response))


def test_bulk_needs_a_selection_and_ignores_other_consultations(client, consultation, departments, users):
    client.force_login(users["rsj_editor"])
    response = client.post(bulk_url(consultation), {"action": "approve"})
    assert any("请至少选择一条意见或一组相同意见" in m for m in messages_of(response))
    other = closed_consultation(departments, "qita", 1)
    foreign = make_opinion(other)
    client.post(bulk_url(consultation), {"action": "approve", "ids": [foreign.pk]})
    foreign.refresh_from_db()
    assert foreign.moderation_status == ModerationStatus.PENDING
    response = client.post(bulk_url(consultation), {"action": "approve", "ids": ["abc"]})
    assert any("所选意见无效" in m for m in messages_of(response))
    assert client.get(bulk_url(consultation)).status_code == 405


@pytest.mark.parametrize("action", ["approve", "assign", "decide"])
def test_bulk_action_query_count_does_not_grow_with_the_selection(client, consultation, users, action):
    template = ReplyTemplate.objects.create(title="已有规定", decision=Decision.EXISTING, text="现行规定已有相关内容。")
    opinions = make_many(consultation, 115)
    client.force_login(users["reviewer"])
    data = {"action": action, "handler": users["rsj_editor"].pk, "template": template.pk}
    client.post(bulk_url(consultation), {**data, "ids": [opinions[0].pk]})  # warm caches

    def run(selection):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(bulk_url(consultation), {**data, "ids": [o.pk for o in selection]})
        assert response.status_code == 302
        return len(queries)

    assert run(opinions[1:11]) == run(opinions[11:111])
    assert ModelLogEntry.objects.filter(action__startswith="consultations.").count() == 111


def test_bulk_decide_over_groups_costs_the_same_queries_for_small_and_large_campaigns(client, consultation, users):
    small = make_many(consultation, 10, text=CAMPAIGN)
    large = make_many(consultation, 100, text="请增加社区日间照料中心，方便白天无人照顾的老人。")
    warm = make_opinion(consultation, text="建议增设老年人助浴服务。")
    client.force_login(users["rsj_editor"])
    data = {"action": "decide", "decision": "existing", "reply": "现行《老年人权益保障法》已有相关规定。"}
    client.post(bulk_url(consultation), {**data, "groups": [warm.fingerprint]})  # warm caches
    counts = []
    for campaign in (small, large):
        with CaptureQueriesContext(connection) as queries:
            client.post(bulk_url(consultation), {**data, "groups": [campaign[0].fingerprint]})
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Opinion.objects.filter(decision=Decision.EXISTING).count() == 111
    assert ModelLogEntry.objects.filter(action="consultations.decide").count() == 111


# --- deciding one opinion -----------------------------------------------------------------------------------
def test_decide_sets_decided_at_and_is_logged(client, consultation, users):
    opinion = make_opinion(consultation)
    client.force_login(users["rsj_editor"])
    html = client.get(detail_url(opinion)).content.decode()
    for label in ["采纳", "部分采纳", "未采纳", "已有相关规定", "不属于征集范围", "保存处理结果"]:
        assert label in html
    response = client.post(detail_url(opinion), {"decision": "partly", "reply": "部分采纳，补贴范围将扩大到八十岁以上。"})
    assert response.status_code == 302 and response.url == detail_url(opinion)
    opinion.refresh_from_db()
    assert opinion.decision == Decision.PARTLY and opinion.decided_at is not None
    assert opinion.reply == "部分采纳，补贴范围将扩大到八十岁以上。"
    entry = logs(opinion, "consultations.decide").get()
    assert entry.data["old"] == "" and entry.data["new"] == "partly" and entry.user_id == users["rsj_editor"].pk
    client.post(detail_url(opinion), {"decision": "adopted", "reply": "经研究，予以采纳。"})
    latest = logs(opinion, "consultations.decide").first()
    assert latest.data["old"] == "partly" and latest.data["new"] == "adopted"
    assert latest.message == "答复：处理结果 部分采纳 → 采纳"
    html = client.get(detail_url(opinion)).content.decode()
    assert "操作记录" in html and "部分采纳 → 采纳" in html


def test_not_adopted_needs_a_reason_and_nothing_changes(client, consultation, users):
    opinion = make_opinion(consultation)
    client.force_login(users["rsj_editor"])
    response = client.post(detail_url(opinion), {"decision": "not_adopted", "reply": "不行"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "“未采纳”必须说明理由（至少 5 个字）。" in html and "尚未答复" in html
    opinion.refresh_from_db()
    assert opinion.decision == "" and opinion.decided_at is None
    assert not logs(opinion).exists()
    assert "请选择处理结果" in client.post(detail_url(opinion), {"reply": "这是一条答复"}).content.decode()
    ok = client.post(detail_url(opinion), {"decision": "not_adopted", "reply": "上位法已作统一规定，不宜另行规定。"})
    assert ok.status_code == 302


def test_reply_template_prefills_and_fills_an_empty_reply(client, consultation, users):
    template = ReplyTemplate.objects.create(title="超出范围", decision=Decision.OUT_OF_SCOPE,
                                            text="您的意见不属于本次征集范围，已转交相关部门研究。")
    opinion = make_opinion(consultation)
    client.force_login(users["rsj_editor"])
    form = client.get(detail_url(opinion), {"template": template.pk}).context["form"]
    assert form["decision"].value() == "out_of_scope" and form["reply"].value() == template.text
    client.post(detail_url(opinion), {"decision": "out_of_scope", "reply": "", "template": template.pk})
    opinion.refresh_from_db()
    assert opinion.reply == template.text and opinion.decision == Decision.OUT_OF_SCOPE
    assert logs(opinion, "consultations.decide").get().data["template"] == template.pk


def test_deciding_one_opinion_can_answer_its_whole_group(client, consultation, users):
    campaign = [make_opinion(consultation, text=CAMPAIGN) for _ in range(3)]
    client.force_login(users["rsj_editor"])
    assert "同时答复全部 3 条相同意见" in client.get(detail_url(campaign[0])).content.decode()
    client.post(detail_url(campaign[0]), {"decision": "adopted", "reply": "予以采纳。", "apply_to_group": "on"})
    assert Opinion.objects.filter(decision=Decision.ADOPTED).count() == 3
    assert ModelLogEntry.objects.filter(action="consultations.decide").count() == 3


# --- bulk decisions ---------------------------------------------------------------------------------------
def test_bulk_decide_over_groups_with_a_template(client, consultation, users):
    template = ReplyTemplate.objects.create(title="纳入补贴", decision=Decision.ADOPTED,
                                            text="感谢您的意见。条例草案第二条已将七十五岁以上独居老人纳入补贴范围。")
    campaign = [make_opinion(consultation, text=text) for text in [CAMPAIGN, CAMPAIGN + "。", CAMPAIGN + " 123"]]
    campaign.append(make_opinion(consultation, text=CAMPAIGN, moderation_status=ModerationStatus.SPAM))
    second = [make_opinion(consultation, text="请增加社区日间照料中心。") for _ in range(2)]
    bystander = make_opinion(consultation)
    client.force_login(users["rsj_editor"])
    response = client.post(bulk_url(consultation), {
        "action": "decide", "template": template.pk, "groups": [campaign[0].fingerprint, second[0].fingerprint],
        "next": opinions_url(consultation) + "?group=1"})
    assert response.url == opinions_url(consultation) + "?group=1"
    assert "已对 6 条意见作出“采纳”的答复。" in messages_of(response)
    answered = Opinion.objects.filter(decision=Decision.ADOPTED, reply=template.text, decided_at__isnull=False)
    assert set(answered.values_list("pk", flat=True)) == {o.pk for o in campaign + second}
    bystander.refresh_from_db()
    assert bystander.decision == "" and bystander.reply == ""
    entries = ModelLogEntry.objects.filter(action="consultations.decide")
    assert entries.count() == 6 and len({e.uuid for e in entries}) == 1
    assert all(e.data["template"] == template.pk and e.data["bulk"] for e in entries)
    # Grouped view now shows the decision summary.
    html = client.get(opinions_url(consultation), {"group": "1"}).content.decode()
    assert "采纳 4" in html


def test_bulk_decide_with_own_text_overrides_template_and_decision(client, consultation, users):
    template = ReplyTemplate.objects.create(title="采纳", decision=Decision.ADOPTED, text="予以采纳。")
    opinions = make_many(consultation, 3)
    client.force_login(users["rsj_editor"])
    client.post(bulk_url(consultation), {"action": "decide", "template": template.pk, "decision": "partly",
                                         "reply": "部分采纳：补贴标准将另行规定。", "ids": [o.pk for o in opinions]})
    assert Opinion.objects.filter(decision=Decision.PARTLY, reply="部分采纳：补贴标准将另行规定。").count() == 3


@pytest.mark.parametrize("data,message", [
    ({"decision": "not_adopted", "reply": "不行"}, "“未采纳”必须说明理由（至少 5 个字）。"),
    ({"decision": "adopted", "reply": ""}, "批量答复必须填写答复内容或选择答复模板。"),
    ({"reply": "好的意见，谢谢"}, "请选择处理结果或答复模板。"),
])
def test_bulk_decide_refuses_incomplete_answers(client, consultation, users, data, message):
    campaign = [make_opinion(consultation, text=CAMPAIGN) for _ in range(3)]
    client.force_login(users["rsj_editor"])
    response = client.post(bulk_url(consultation), {"action": "decide", "groups": [campaign[0].fingerprint], **data})
    assert response.status_code == 302
    assert any(message in m for m in messages_of(response))
    assert not Opinion.objects.exclude(decision="").exists()
    assert not ModelLogEntry.objects.filter(action="consultations.decide").exists()


def test_not_adopted_template_without_reason_is_refused(client, consultation, users):
    template = ReplyTemplate.objects.create(title="不采纳", decision=Decision.NOT_ADOPTED, text="不采纳")
    campaign = [make_opinion(consultation, text=CAMPAIGN) for _ in range(2)]
    client.force_login(users["rsj_editor"])
    response = client.post(bulk_url(consultation), {"action": "decide", "template": template.pk,
                                                    "groups": [campaign[0].fingerprint]})
    assert any("必须说明理由" in m for m in messages_of(response))
    assert not Opinion.objects.exclude(decision="").exists()


# --- personal data ------------------------------------------------------------------------------------------
def test_personal_data_is_masked_for_users_without_the_permission(client, consultation, personal_reviewers):
    opinion = make_opinion(consultation, text=PHONE_TEXT, name="王小明", phone="13912345678", email="wang@example.org")
    OpinionAttachment.objects.create(opinion=opinion, file=ContentFile(b"%PDF-1.4", name="cailiao.pdf"),
                                     original_name="证明材料.pdf", size=8)
    client.force_login(personal_reviewers["rsj_editor"])
    for html in [client.get(opinions_url(consultation)).content.decode(),
                 client.get(detail_url(opinion)).content.decode()]:
        assert "王**" in html
        for secret in ["王小明", "13912345678", "wang@example.org", "13800138000", "证明材料.pdf"]:
            assert secret not in html
        assert "[电话已隐藏]" in html
    client.force_login(personal_reviewers["reviewer"])
    html = client.get(detail_url(opinion)).content.decode()
    for shown in ["王小明", "13912345678", "wang@example.org", "13800138000", "证明材料.pdf", "公开文本"]:
        assert shown in html
    assert "王小明" in client.get(opinions_url(consultation)).content.decode()


def test_attachments_are_served_only_to_privileged_handlers(client, consultation, personal_reviewers, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    opinion = make_opinion(consultation)
    attachment = OpinionAttachment.objects.create(opinion=opinion, file=ContentFile(b"%PDF-1.4 test", name="a.pdf"),
                                                  original_name="证明材料.pdf", size=13)
    url = reverse("consultations_admin:attachment", args=[attachment.pk])
    assert url == f"/admin/consultations/attachments/{attachment.pk}/"
    client.force_login(personal_reviewers["rsj_editor"])  # handler without the permission
    assert refused(client.get(url))
    client.force_login(personal_reviewers["ybj_editor"])
    assert refused(client.get(url))
    client.force_login(personal_reviewers["admin"])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in response["Content-Disposition"]
    assert logs(opinion, "consultations.download_attachment").exists()
    client.logout()
    assert client.get(url).status_code == 302  # to the admin login


def test_user_text_is_escaped(client, consultation, users):
    text = '<script>alert("x")</script><img src=x onerror=alert(1)> 建议增加养老床位。'
    opinion = make_opinion(consultation, text=text, name="<b>赵</b>")
    client.force_login(users["admin"])
    for html in [client.get(opinions_url(consultation)).content.decode(),
                 client.get(opinions_url(consultation), {"group": "1"}).content.decode(),
                 client.get(detail_url(opinion)).content.decode()]:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


# --- results and overdue feedback --------------------------------------------------------------------------
def test_publish_results_refused_before_the_deadline(client, consultation, users):
    client.force_login(users["rsj_editor"])
    response = client.post(reverse("consultations_admin:publish_results", args=[consultation.pk]))
    assert response.status_code == 302 and response.url == opinions_url(consultation)
    assert "征集尚未截止，截止后才能发布结果。" in messages_of(response)
    consultation.refresh_from_db()
    assert consultation.results_published_at is None
    assert "发布征集结果" in client.get(opinions_url(consultation)).content.decode()


def test_publish_results_after_the_deadline(client, departments, users):
    closed = closed_consultation(departments, "yijing", 3, results_summary="<p>共收到意见 2 条，采纳 1 条。</p>")
    make_opinion(closed, decision=Decision.ADOPTED, reply="采纳。")
    client.force_login(users["rsj_editor"])
    response = client.post(reverse("consultations_admin:publish_results", args=[closed.pk]))
    assert any("征集结果已发布" in m for m in messages_of(response))
    closed.refresh_from_db()
    assert closed.results_published_at is not None
    entry = PageLogEntry.objects.get(page=closed, action="consultations.publish_results")
    assert entry.message == "发布征集结果（共 1 条意见）"
    again = client.post(reverse("consultations_admin:publish_results", args=[closed.pk]))
    assert "征集结果已经发布。" in messages_of(again)
    assert client.get(reverse("consultations_admin:publish_results", args=[closed.pk])).status_code == 405


def test_publish_results_without_summary_explains_what_to_do(client, departments, users):
    closed = closed_consultation(departments, "wushuoming", 3, results_summary="")
    client.force_login(users["reviewer"])
    response = client.post(reverse("consultations_admin:publish_results", args=[closed.pk]))
    assert any("请先在页面“采纳情况”标签中填写意见采纳情况说明" in m for m in messages_of(response))


def test_overdue_consultations_are_marked_and_filtered(client, consultation, departments, users, settings):
    settings.CONSULTATION_FEEDBACK_DAYS = 30
    overdue = closed_consultation(departments, "yuqi", 40)
    recent = closed_consultation(departments, "gangjiezhi", 5)
    answered = closed_consultation(departments, "yifankui", 50)
    type(answered).objects.filter(pk=answered.pk).update(results_published_at=timezone.now())
    client.force_login(users["rsj_editor"])
    response = client.get("/admin/consultations/")
    rows = {c.pk: c for c in response.context["object_list"]}
    assert rows[overdue.pk].overdue and rows[overdue.pk].overdue_days == 10
    assert not rows[recent.pk].overdue and not rows[answered.pk].overdue and not rows[consultation.pk].overdue
    assert "逾期" in response.content.decode()
    only = client.get("/admin/consultations/", {"overdue": "1"})
    assert [c.pk for c in only.context["object_list"]] == [overdue.pk]
    settings.CONSULTATION_FEEDBACK_DAYS = 3
    only = client.get("/admin/consultations/", {"overdue": "1"})
    assert {c.pk for c in only.context["object_list"]} == {overdue.pk, recent.pk}
    assert "逾期" in client.get(opinions_url(overdue)).content.decode()


def test_dashboard_lists_overdue_consultations_of_the_users_departments(client, departments, users):
    overdue = closed_consultation(departments, "yuqi", 45)
    client.force_login(users["rsj_editor"])
    html = client.get("/admin/").content.decode()
    assert "意见反馈逾期" in html and overdue.title in html and opinions_url(overdue) in html
    client.force_login(users["reviewer"])
    assert overdue.title in client.get("/admin/").content.decode()
    client.force_login(users["ybj_editor"])
    assert "意见反馈逾期" not in client.get("/admin/").content.decode()


# --- settings snippets and the audit-log labels ---------------------------------------------------------------
def test_sensitive_words_and_reply_templates_are_snippets_and_clear_the_cache(client, users):
    client.force_login(users["admin"])
    html = client.get("/admin/").content.decode()
    assert json.dumps("意见征集设置")[1:-1] in html or "意见征集设置" in html
    assert "/admin/snippets/consultations/sensitiveword/" in html
    assert client.get(reverse("wagtailsnippets_consultations_replytemplate:list")).status_code == 200
    assert sensitive_words() == []
    assert cache.get(SENSITIVE_CACHE_KEY) == []
    response = client.post(reverse("wagtailsnippets_consultations_sensitiveword:add"),
                           {"word": "骗子", "action": "mask"})
    assert response.status_code == 302
    assert cache.get(SENSITIVE_CACHE_KEY) is None
    assert sensitive_words() == [("骗子", "mask")]
    word = SensitiveWord.objects.get()
    client.post(reverse("wagtailsnippets_consultations_sensitiveword:delete", args=[word.pk]))
    assert not SensitiveWord.objects.exists() and cache.get(SENSITIVE_CACHE_KEY) is None
    assert sensitive_words() == []
