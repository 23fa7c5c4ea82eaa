"""解读清单 (interpretation ledger) report: statuses, dates, scoping, exports, chart, query counts."""
import csv
import datetime
import io
import itertools

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from cms.charts import bar_chart_svg
from cms.models import Department, HomePage, PolicyDocumentPage, PolicyIndexPage
from cms.models.gate import ReviewTask
from cms.roles import REVIEWERS_GROUP, ensure_reviewers_group, ensure_workflow
from interpretations.ledger import (
    InterpretationStatus,
    PolicyStatus,
    attach_findings,
    coverage_by_department,
    decorate_row,
    ledger_queryset,
)
from interpretations.models import InterpretationPage, InterpretationStage
from interpretations.quality import ELEMENTS

URL = "/admin/reports/interpretation-ledger/"

# Six elements of a real interpretation, written in plain language and different from the policy text.
ELEMENT_TEXT = {
    "background": "近年来我市高校毕业生人数逐年增加，部分青年在求职初期缺少工作经验，企业也反映招用新人的成本偏高，因此出台这项政策。",
    "objectives": "政策希望在三年内帮助更多青年找到第一份稳定的工作，同时减轻中小企业招用新人的负担，让岗位和人才更快匹配起来。",
    "main_content": "简单来说，企业每新招用一名符合条件的青年并依法缴纳社会保险，就可以按月领取一笔补贴，补贴期限最长可以达到一年。",
    "standards": "申请时企业需要在网上提交劳动合同和社保缴费记录，人社部门在二十个工作日内完成审核，审核通过后补贴直接打到企业账户。",
    "benefits": "对求职的青年来说，这意味着更多企业愿意提供见习和正式岗位；对企业来说，用工成本明显下降，招人的积极性也会提高。",
    "changes": "和以前的做法相比，这次取消了纸质材料的要求，把补贴期限从半年延长到一年，并且把个体工商户也纳入了可以申请的范围。",
}

_counter = itertools.count(1)


def rich(text):
    return f"<p>{text}</p>"


# --- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def ledger_site(db):
    root = Page.get_first_root_node()
    home = root.add_child(instance=HomePage(title="首页", slug="ledger-home"))
    home.add_child(instance=PolicyIndexPage(title="政策文件库", slug="zhengce"))
    ensure_reviewers_group()
    return home


def make_department(code, short_name):
    return Department.objects.create(
        name=f"乌鲁木齐市{short_name}", short_name=short_name, code=code, phone="0991-1234567",
        address="乌鲁木齐市新华北路1号", responsible_person="张三", liaison_name="李四", liaison_phone="0991-7654321",
    )


@pytest.fixture
def ledger_departments(ledger_site):
    return make_department("rsj", "市人社局"), make_department("jyj", "市教育局")


@pytest.fixture
def ledger_admin(db):
    return get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")


@pytest.fixture
def ledger_reviewer(ledger_site):
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("ledger_reviewer", "r@example.com", "pw")
    user.groups.add(Group.objects.get(name=REVIEWERS_GROUP))
    return user


@pytest.fixture
def ledger_editor(ledger_departments):
    department = Department.objects.get(pk=ledger_departments[0].pk)
    user = get_user_model().objects.create_user("ledger_editor", "e@example.com", "pw")
    user.groups.add(department.editors_group)
    return user


def make_policy(department, title=None, publish_date=datetime.date(2024, 3, 1), must_interpret=True):
    n = next(_counter)
    folder = Department.objects.get(pk=department.pk).policy_index
    policy = PolicyDocumentPage(
        title=title or f"关于促进高校毕业生就业的若干措施（第{n}号）", slug=f"policy-{n}",
        issuing_authority="乌鲁木齐市人民政府办公厅", doc_number=f"乌政办〔2024〕{n}号",
        written_date=publish_date - datetime.timedelta(days=5), publish_date=publish_date,
        summary="为稳定和扩大就业，制定本措施。",
        body=[("paragraph", rich("第一条 对招用毕业年度高校毕业生的用人单位，按规定给予一次性吸纳就业补贴。"))],
        must_interpret=must_interpret, no_interpretation_reason="" if must_interpret else "内部工作安排，不面向公众",
        live=False,  # a draft, as the admin creates it; add_child would otherwise make it live
    )
    folder.add_child(instance=policy)
    return policy


def make_interpretation(policy, stage=InterpretationStage.FIRST, title=None):
    n = next(_counter)
    interpretation = InterpretationPage(
        title=title or f"图解：就业补贴怎么申请（{n}）", slug=f"interp-{n}", stage=stage,
        summary="招用青年的企业可以领取补贴，本文说明谁能申请、怎么申请。",
        **{name: rich(ELEMENT_TEXT[name]) for name, _ in ELEMENTS}, live=False,
    )
    policy.add_child(instance=interpretation)
    return interpretation


def publish(page, user):
    page = page.specific_class.objects.get(pk=page.pk)
    page.save_revision(user=user).publish(user=user)
    return page.specific_class.objects.get(pk=page.pk)


def start_moderation(page, user):
    """Save a revision and submit it to the review workflow (as the department editor would)."""
    page = page.specific_class.objects.get(pk=page.pk)
    page.save_revision(user=user)
    ensure_workflow().start(page, user)


def rows_by_pk(user=None):
    return {p.pk: decorate_row(p) for p in ledger_queryset(user)}


# --- statuses, dates, follow-ups ----------------------------------------------------------------
@pytest.mark.django_db
def test_interpretation_and_policy_statuses(ledger_departments, ledger_admin, ledger_editor):
    rsj = ledger_departments[0]
    none = make_policy(rsj)
    draft = make_policy(rsj)
    make_interpretation(draft)
    moderated = make_policy(rsj)
    start_moderation(make_interpretation(moderated), ledger_editor)
    published = make_policy(rsj)
    interp = make_interpretation(published)
    assert interp.gate_findings() == []
    publish(interp, ledger_admin)
    publish(published, ledger_admin)
    # A draft interpretation next to a live one does not lower the best status.
    make_interpretation(published)
    policy_in_moderation = make_policy(rsj)
    make_interpretation(policy_in_moderation)
    start_moderation(policy_in_moderation, ledger_editor)
    not_required = make_policy(rsj, must_interpret=False)

    rows = rows_by_pk()
    assert not_required.pk not in rows
    assert rows[none.pk].interpretation_status == InterpretationStatus.NONE
    assert rows[none.pk].interpretation_status_label == "无解读"
    assert rows[draft.pk].interpretation_status == InterpretationStatus.DRAFT
    assert rows[moderated.pk].interpretation_status == InterpretationStatus.MODERATION
    assert rows[moderated.pk].interpretation_status_label == "审核中"
    assert rows[published.pk].interpretation_status == InterpretationStatus.PUBLISHED
    assert rows[published.pk].interpretation_status_label == "已发布"

    assert rows[none.pk].policy_status == PolicyStatus.DRAFT
    assert rows[published.pk].policy_status == PolicyStatus.PUBLISHED
    assert rows[policy_in_moderation.pk].policy_status == PolicyStatus.MODERATION
    assert rows[policy_in_moderation.pk].policy_status_label == "审核中"
    assert rows[policy_in_moderation.pk].interpretation_status == InterpretationStatus.DRAFT


@pytest.mark.django_db
def test_days_between_policy_and_first_live_interpretation(ledger_departments, ledger_admin):
    rsj = ledger_departments[0]
    late = make_policy(rsj, publish_date=datetime.date(2024, 3, 1))
    late_interp = publish(make_interpretation(late), ledger_admin)
    publish(late, ledger_admin)
    early = make_policy(rsj, publish_date=datetime.date(2024, 3, 1))
    early_interp = publish(make_interpretation(early), ledger_admin)
    publish(early, ledger_admin)
    pending = make_policy(rsj)
    make_interpretation(pending)
    tz = timezone.get_current_timezone()
    InterpretationPage.objects.filter(pk=late_interp.pk).update(
        first_published_at=datetime.datetime(2024, 3, 11, 9, 0, tzinfo=tz))
    InterpretationPage.objects.filter(pk=early_interp.pk).update(
        first_published_at=datetime.datetime(2024, 2, 28, 23, 30, tzinfo=tz))

    rows = rows_by_pk()
    assert rows[late.pk].first_interpretation_date == datetime.date(2024, 3, 11)
    assert rows[late.pk].days_to_interpretation == 10
    assert rows[late.pk].sync_label == "滞后 10 天"
    assert rows[early.pk].days_to_interpretation == -2
    assert rows[early.pk].sync_label == "同步"
    assert rows[pending.pk].days_to_interpretation is None
    assert rows[pending.pk].first_interpretation_date is None


@pytest.mark.django_db
def test_follow_up_count_counts_live_follow_ups_only(ledger_departments, ledger_admin):
    rsj = ledger_departments[0]
    policy = make_policy(rsj)
    publish(make_interpretation(policy), ledger_admin)
    publish(policy, ledger_admin)
    publish(make_interpretation(policy, stage=InterpretationStage.FOLLOW_UP), ledger_admin)
    publish(make_interpretation(policy, stage=InterpretationStage.FOLLOW_UP), ledger_admin)
    make_interpretation(policy, stage=InterpretationStage.FOLLOW_UP)  # draft: not counted
    other = make_policy(rsj)

    rows = rows_by_pk()
    assert rows[policy.pk].follow_up_count == 2
    assert rows[policy.pk].interpretation_count == 4
    assert rows[other.pk].follow_up_count == 0
    # A follow-up alone is not a first interpretation.
    only_follow_up = make_policy(rsj)
    make_interpretation(only_follow_up, stage=InterpretationStage.FOLLOW_UP)
    assert rows_by_pk()[only_follow_up.pk].interpretation_status == InterpretationStatus.NONE


@pytest.mark.django_db
def test_findings_match_the_review_task_and_are_attached_per_page(ledger_departments, ledger_admin):
    rsj = ledger_departments[0]
    good = make_policy(rsj)
    make_interpretation(good)
    bad = make_policy(rsj)
    poor = make_interpretation(bad)
    # Findings come from the latest revision, not the saved page: an element and a body that
    # copies the policy, both only in the revision.
    poor.background = rich("背景")
    poor.body = [("text", rich("对招用毕业年度高校毕业生的用人单位，按规定给予一次性吸纳就业补贴。" * 12))]
    poor.save_revision(user=ledger_admin)
    assert InterpretationPage.objects.get(pk=poor.pk).gate_findings() == []
    bare = make_policy(rsj)

    rows = attach_findings(ledger_queryset())
    by_pk = {r.pk: r for r in rows}
    assert by_pk[good.pk].findings_count == 0
    assert by_pk[bare.pk].findings_count is None
    expected = ReviewTask.findings_for(InterpretationPage.objects.get(pk=poor.pk))
    assert {f["code"] for f in expected} >= {"element_missing", "copied"}
    assert by_pk[bad.pk].findings_count == len(expected)
    assert by_pk[bad.pk].findings == [(poor.title, [f["message"] for f in expected])]


# --- access and scoping -----------------------------------------------------------------------
@pytest.mark.django_db
def test_editor_sees_only_own_department_reviewer_sees_all(client, ledger_departments, ledger_reviewer, ledger_editor):
    rsj, jyj = ledger_departments
    own = make_policy(rsj, title="人社局的政策文件")
    other = make_policy(jyj, title="教育局的政策文件")

    client.force_login(ledger_editor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert own.title in html and other.title not in html
    assert "市教育局" not in html  # neither in the rows, the filter choices nor the chart
    assert set(ledger_queryset(ledger_editor).values_list("pk", flat=True)) == {own.pk}
    # Asking for another department's rows yields nothing (the choice is not offered).
    response = client.get(URL, {"department": jyj.pk})
    assert other.title not in response.content.decode()

    client.force_login(ledger_reviewer)
    html = client.get(URL).content.decode()
    assert own.title in html and other.title in html
    html = client.get(URL, {"department": jyj.pk}).content.decode()
    assert other.title in html and own.title not in html


@pytest.mark.django_db
def test_other_admin_users_are_refused(client, ledger_departments):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="其他后台用户")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = get_user_model().objects.create_user("other", "o@example.com", "pw")
    user.groups.add(group)
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)
    assert reverse("interpretation_ledger") == URL


@pytest.mark.django_db
def test_menu_item_and_filters(client, ledger_departments, ledger_admin):
    rsj, jyj = ledger_departments
    old = make_policy(rsj, title="二〇二二年的政策", publish_date=datetime.date(2022, 6, 1))
    new = make_policy(jyj, title="二〇二四年的政策", publish_date=datetime.date(2024, 6, 1))
    publish(make_interpretation(new), ledger_admin)

    client.force_login(ledger_admin)
    html = client.get("/admin/").content.decode()
    assert "interpretation-ledger" in html  # the sidebar's menu data
    html = client.get(URL, {"year": "2022"}).content.decode()
    assert old.title in html and new.title not in html
    html = client.get(URL, {"status": "published"}).content.decode()
    assert new.title in html and old.title not in html
    html = client.get(URL, {"status": "none"}).content.decode()
    assert old.title in html and new.title not in html
    results = client.get(reverse("interpretation_ledger_results"), {"status": "none"})
    assert results.status_code == 200 and old.title in results.content.decode()


# --- exports ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_csv_export(client, ledger_departments, ledger_admin):
    rsj = ledger_departments[0]
    policy = make_policy(rsj, title="关于稳就业的通知", publish_date=datetime.date(2024, 3, 1))
    interp = publish(make_interpretation(policy), ledger_admin)
    publish(policy, ledger_admin)
    InterpretationPage.objects.filter(pk=interp.pk).update(
        first_published_at=datetime.datetime(2024, 3, 4, 10, 0, tzinfo=timezone.get_current_timezone()))
    publish(make_interpretation(policy, stage=InterpretationStage.FOLLOW_UP), ledger_admin)
    make_policy(rsj, title="尚未解读的通知", publish_date=datetime.date(2023, 1, 5))

    client.force_login(ledger_admin)
    response = client.get(URL, {"export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == ["政策标题", "文号", "起草部门", "发布日期", "政策状态", "解读状态", "首次解读发布日期",
                             "间隔天数", "是否同步", "跟踪解读数"]
    by_title = {r["政策标题"]: r for r in rows}
    row = by_title["关于稳就业的通知"]
    assert row["起草部门"] == "市人社局"
    assert row["发布日期"] == "2024-03-01"
    assert row["政策状态"] == "已发布"
    assert row["解读状态"] == "已发布"
    assert row["首次解读发布日期"] == "2024-03-04"
    assert row["间隔天数"] == "3"
    assert row["是否同步"] == "滞后 3 天"
    assert row["跟踪解读数"] == "1"
    pending = by_title["尚未解读的通知"]
    assert pending["解读状态"] == "无解读" and pending["间隔天数"] == "" and pending["政策状态"] == "草稿"
    # Exports honour the filters.
    text = b"".join(client.get(URL, {"export": "csv", "year": "2023"}).streaming_content).decode()
    assert "尚未解读的通知" in text and "关于稳就业的通知" not in text


@pytest.mark.django_db
def test_xlsx_export_is_a_valid_workbook(client, ledger_departments, ledger_admin):
    rsj = ledger_departments[0]
    policy = make_policy(rsj, title="关于养老服务的意见", publish_date=datetime.date(2024, 5, 1))
    publish(make_interpretation(policy), ledger_admin)
    publish(policy, ledger_admin)

    client.force_login(ledger_admin)
    response = client.get(URL, {"export": "xlsx"})
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("政策标题", "文号", "起草部门")
    assert values[1][0] == "关于养老服务的意见"
    published = values[1][3]
    assert isinstance(published, datetime.date)  # a real date cell, not text
    assert published.strftime("%Y-%m-%d") == "2024-05-01"
    assert values[1][5] == "已发布"


# --- chart --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_coverage_chart(client, ledger_departments, ledger_admin):
    rsj, jyj = ledger_departments
    for _ in range(3):
        make_policy(rsj)
    covered = make_policy(rsj)
    publish(make_interpretation(covered), ledger_admin)
    make_policy(jyj)

    coverage = coverage_by_department(ledger_queryset())
    assert {(r["label"], r["covered"], r["total"], r["percent"]) for r in coverage} == {
        ("市人社局", 1, 4, 25), ("市教育局", 0, 1, 0)}

    svg = str(bar_chart_svg(coverage, title="各部门解读覆盖率"))
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="各部门解读覆盖率"' in svg
    assert "<title" in svg and "<desc" in svg
    assert "市人社局" in svg and "市教育局" in svg
    assert "25%（1/4）" in svg and "0%（0/1）" in svg

    client.force_login(ledger_admin)
    html = client.get(URL).content.decode()
    assert "各部门解读覆盖率" in html and "<svg" in html and "25%（1/4）" in html
    assert "<script" not in html.split("ledger-coverage-heading")[1].split("</section>")[0]
    # The accessible table repeats the numbers.
    assert '<th scope="row">市人社局</th>' in html


def test_chart_escapes_labels_and_handles_empty_data():
    svg = str(bar_chart_svg([{"label": "<b>&部门", "covered": 2, "total": 3, "percent": 66}], title="t<"))
    assert "<b>" not in svg and "&lt;b&gt;&amp;部门" in svg and "t&lt;" in svg
    assert "暂无数据" in str(bar_chart_svg([], title="空"))


# --- performance ------------------------------------------------------------------------------
def _count_queries(func):
    with CaptureQueriesContext(connection) as ctx:
        func()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(client, ledger_departments, ledger_admin, django_assert_max_num_queries):
    rsj, jyj = ledger_departments
    first = make_policy(rsj)
    publish(make_interpretation(first), ledger_admin)
    make_interpretation(make_policy(jyj))

    def build():
        for row in ledger_queryset():
            decorate_row(row)

    client.force_login(ledger_admin)
    few_builder = _count_queries(build)
    few_export = _count_queries(lambda: b"".join(client.get(URL, {"export": "csv"}).streaming_content))
    few_page = _count_queries(lambda: client.get(URL))

    for n in range(48):
        policy = make_policy(rsj if n % 2 else jyj, publish_date=datetime.date(2020 + n % 5, 1, 1))
        if n % 3 == 0:
            make_interpretation(policy).save_revision(user=ledger_admin)  # findings read the revision
        if n % 4 == 0:
            make_interpretation(policy, stage=InterpretationStage.FOLLOW_UP)
    assert ledger_queryset().count() == 50

    with django_assert_max_num_queries(few_builder):
        build()
    with django_assert_max_num_queries(few_export):
        response = client.get(URL, {"export": "csv"})
        assert len(b"".join(response.streaming_content).decode().splitlines()) == 51
    # The displayed page, quality findings included, loads all its interpretations in one query.
    with django_assert_max_num_queries(few_page):
        response = client.get(URL)
        assert response.status_code == 200 and response.content.decode().count("<tr") > 50
