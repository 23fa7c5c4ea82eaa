"""Exporting opinions (CSV and XLSX): streamed, filtered like the list, without hidden or spam opinions
unless asked for, and with personal data only for those allowed to see it (C6)."""
import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import PageLogEntry

from cms.factories import UserFactory
from cms.roles import REVIEWERS_GROUP
from consultations.models import Decision, ModerationStatus
from tests.consultations.test_opinion_admin import CAMPAIGN, PHONE_TEXT, make_many, make_opinion
from tests.helpers import refused

HEADERS = ["回执编号", "提交时间", "类别", "条款", "意见内容", "审核状态", "处理结果", "答复", "答复时间", "承办人", "重复组规模"]


def export_url(consultation):
    return reverse("consultations_admin:export", args=[consultation.pk])


def read_csv(response):
    assert isinstance(response, StreamingHttpResponse) and response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def read_xlsx(response):
    assert isinstance(response, FileResponse) and response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def personal_reviewers(users):
    group = Group.objects.get(name=REVIEWERS_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="consultations", codename="view_personal_data"))
    return users


@pytest.fixture
def opinions(consultation, users):
    return {
        "phone": make_opinion(consultation, text=PHONE_TEXT, name="王小明", phone="13912345678",
                              email="wang@example.org", clause_number="2", moderation_status=ModerationStatus.APPROVED,
                              decision=Decision.ADOPTED, reply="已采纳。", decided_at=timezone.now(),
                              handler=users["rsj_editor"]),
        "campaign": [make_opinion(consultation, text=CAMPAIGN, category="社会保障") for _ in range(3)],
        "hidden": make_opinion(consultation, text="与本条例无关，反映小区停车难的问题。", moderation_status=ModerationStatus.HIDDEN),
        "spam": make_opinion(consultation, text="广告广告广告，低价代办各类证件。", moderation_status=ModerationStatus.SPAM),
    }


def test_csv_streams_the_visible_opinions_with_public_text(client, consultation, users, opinions):
    client.force_login(users["rsj_editor"])
    rows = read_csv(client.get(export_url(consultation), {"format": "csv"}))
    assert rows[0] == HEADERS
    by_receipt = {row[0]: row for row in rows[1:]}
    phone, campaign = opinions["phone"], opinions["campaign"]
    assert set(by_receipt) == {phone.receipt_number, *[o.receipt_number for o in campaign]}
    row = by_receipt[phone.receipt_number]
    assert row[2:8] == ["养老服务", "第2条", phone.public_text, "公开", "采纳", "已采纳。"]
    assert "13800138000" not in row[4] and "[电话已隐藏]" in row[4]
    assert row[9] == "测试用户" and row[10] == "1" and row[1].count(":") == 2 and row[8]
    assert [by_receipt[o.receipt_number][10] for o in campaign] == ["3", "3", "3"]
    assert by_receipt[campaign[0].receipt_number][5:7] == ["待审核", "未答复"]
    body = "".join(",".join(r) for r in rows)
    for secret in ["王小明", "13912345678", "wang@example.org"]:
        assert secret not in body


def test_hidden_and_spam_only_when_asked_for(client, consultation, users, opinions):
    client.force_login(users["rsj_editor"])
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "include_hidden": "1"}))
    receipts = {row[0] for row in rows[1:]}
    assert opinions["hidden"].receipt_number in receipts and opinions["spam"].receipt_number in receipts
    statuses = {row[5] for row in rows[1:]}
    assert {"不公开", "垃圾信息"} <= statuses
    # Filtering the list on a hidden state is asking for those opinions.
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "status": "spam"}))
    assert [row[0] for row in rows[1:]] == [opinions["spam"].receipt_number]


def test_personal_data_only_for_users_allowed_to_see_it(client, consultation, personal_reviewers, opinions):
    client.force_login(personal_reviewers["rsj_editor"])  # handler without view_personal_data
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "personal": "1"}))
    assert rows[0] == HEADERS
    assert "13800138000" not in str(rows) and "王小明" not in str(rows)
    client.force_login(personal_reviewers["reviewer"])
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "personal": "1"}))
    assert rows[0] == HEADERS + ["姓名", "电话", "邮箱"]
    row = next(r for r in rows if r[0] == opinions["phone"].receipt_number)
    assert row[4] == PHONE_TEXT and row[-3:] == ["王小明", "13912345678", "wang@example.org"]
    # Without personal=1 even a privileged user gets the masked export.
    rows = read_csv(client.get(export_url(consultation), {"format": "csv"}))
    assert rows[0] == HEADERS and "13800138000" not in str(rows)


def test_the_list_filters_and_search_apply(client, consultation, users, opinions):
    client.force_login(users["rsj_editor"])
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "category": "社会保障"}))
    assert {row[0] for row in rows[1:]} == {o.receipt_number for o in opinions["campaign"]}
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "decision": "adopted"}))
    assert [row[0] for row in rows[1:]] == [opinions["phone"].receipt_number]
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "q": "养老食堂"}))
    assert [row[0] for row in rows[1:]] == [opinions["phone"].receipt_number]
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "clause": "none", "status": "pending"}))
    assert len(rows) == 4
    bad = client.get(export_url(consultation), {"format": "csv", "status": "nonsense"})
    assert bad.status_code == 400 and "筛选条件无效" in bad.content.decode()
    assert client.get(export_url(consultation), {"format": "pdf"}).status_code == 400


def test_xlsx_is_a_valid_workbook_with_the_same_rows(client, consultation, personal_reviewers, opinions):
    client.force_login(personal_reviewers["reviewer"])
    rows = read_xlsx(client.get(export_url(consultation), {"format": "xlsx"}))
    assert rows[0] == HEADERS and len(rows) == 5
    row = next(r for r in rows if r[0] == opinions["phone"].receipt_number)
    assert row[4] == opinions["phone"].public_text and row[6] == "采纳" and row[10] == 1
    rows = read_xlsx(client.get(export_url(consultation), {"format": "xlsx", "personal": "1", "include_hidden": "1"}))
    assert rows[0][-3:] == ["姓名", "电话", "邮箱"] and len(rows) == 7
    row = next(r for r in rows if r[0] == opinions["phone"].receipt_number)
    assert row[4] == PHONE_TEXT and row[-3:] == ["王小明", "13912345678", "wang@example.org"]


def test_spreadsheet_formulas_in_user_text_are_neutralised(client, consultation, users):
    make_opinion(consultation, text='=HYPERLINK("http://evil.example","点我")建议增加养老床位', name="=1+1")
    client.force_login(users["admin"])
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "personal": "1"}))
    assert rows[1][4].startswith("'=HYPERLINK") and rows[1][-3] == "'=1+1"
    rows = read_xlsx(client.get(export_url(consultation), {"format": "xlsx"}))
    assert rows[1][4].startswith("'=HYPERLINK")


def test_export_permissions(client, consultation, users, opinions):
    client.force_login(users["ybj_editor"])
    assert refused(client.get(export_url(consultation), {"format": "csv"}))
    # The export permission alone lets a non-handler export, but never personal data.
    exporter = UserFactory(username="exporter")
    exporter.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="consultations", codename="export_opinions"))
    client.force_login(exporter)
    rows = read_csv(client.get(export_url(consultation), {"format": "csv", "personal": "1"}))
    assert rows[0] == HEADERS and len(rows) == 5
    client.logout()
    assert client.get(export_url(consultation)).status_code == 302


def test_each_export_is_in_the_audit_log(client, consultation, users, opinions):
    client.force_login(users["admin"])
    read_csv(client.get(export_url(consultation), {"format": "csv", "personal": "1", "category": "社会保障"}))
    entry = PageLogEntry.objects.get(page=consultation, action="consultations.export")
    assert entry.user_id == users["admin"].pk
    assert entry.data["personal"] is True and entry.data["filters"] == {"category": "社会保障"}
    assert entry.message == "导出意见（CSV，含个人信息）"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_query_count_does_not_grow_with_the_rows(client, consultation, users, file_format):
    make_many(consultation, 5)
    client.force_login(users["reviewer"])

    def run():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(export_url(consultation), {"format": file_format})
            b"".join(response.streaming_content)
        return len(queries)

    run()  # warm caches
    small = run()
    make_many(consultation, 120)
    make_many(consultation, 30, text=CAMPAIGN)
    assert run() == small
