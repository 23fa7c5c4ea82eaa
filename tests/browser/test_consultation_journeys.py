"""意见征集 journeys in real Chromium: a resident on a phone, and the staff who answer.

(a) A resident finds an open consultation on a phone, comments on one clause through its own
「对此条提意见」 action, corrects a rejected submission, keeps the receipt number and the private
查询码, and later reads the department's reply on the lookup page. The resident's browser has
JavaScript switched off: the public pages and the form must work without it.

(b) A department editor handles the opinions in the Wagtail admin: filters the list, groups a
form-letter campaign, makes the campaign public and answers it with a reply template in two bulk
actions, and publishes the results; the public page then shows the summary, the replies and the
server-rendered SVG charts.

Staff steps of (a), and the opinions of (b), go through the project's own functions
(``submit_opinion``, ``bulk_moderate``, ``decide_opinion``, ``publish_results``), not raw rows.
"""
import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, orm

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
RECEIPT = re.compile(r"^YJ-(\d{8})-(\d{6})$")
LOOKUP_CODE = re.compile(r"^\d{8}$")
TITLE = "《乌鲁木齐市养老服务条例（草案）》公开征求意见"
CLOSED_TITLE = "《乌鲁木齐市物业管理条例（草案）》公开征求意见"
OPINION = "建议把第二条的补贴对象扩大到七十五周岁以上的独居老人，并允许子女在网上代为申请，减少老人跑腿。"
REPLY = "感谢您的建议。第二条已增加“七十五周岁以上独居老人”，网上代办将在配套实施细则中明确。"
SUMMARY = "本次征集共收到意见 7 条，主要集中在居家养老服务补贴的范围和申请方式。"
CAMPAIGN = [  # one form letter, sent with different punctuation, spacing and numbers
    "强烈建议将75岁以上独居老人纳入居家养老服务补贴范围，并简化申请材料！",
    "强烈建议将 75 岁以上独居老人纳入居家养老服务补贴范围，并简化申请材料。",
    "强烈建议将80岁以上独居老人纳入居家养老服务补贴范围并简化申请材料!!",
    "强烈建议将75岁以上独居老人纳入居家养老服务补贴范围 ， 并简化申请材料 ！",
    "强烈建议：将75岁以上独居老人纳入居家养老服务补贴范围，并简化申请材料。",
]
TEMPLATE_REPLY = "感谢您的建议。草案第二条已将补贴范围扩大到七十五周岁以上独居老人，申请材料将精简为身份证和户口簿。"


@pytest.fixture(autouse=True)
def fresh_cache(empty_cache):
    """Rate-limit counters and the sensitive-word list live in the (in-process) cache."""


# --- helpers ----------------------------------------------------------------------------------
def assert_fits_phone(page):
    """Nothing wider than the phone: no sideways scrolling."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 1, f"{page.url} 在手机上出现横向滚动（scrollWidth={scroll_width}）"


def field(page, label):
    """The form field whose <label> starts with ``label`` (labels of required fields end in （必填）)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}"))


def field_box(scope, label):
    """The box around a form field: its label, the input, the help text and the error under it."""
    return scope.locator(".field", has=scope.page.get_by_label(re.compile(rf"^{re.escape(label)}")))


def login(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/admin/")


def consultation(parent, **fields):
    from consultations.factories import ConsultationPageFactory

    page = ConsultationPageFactory(parent=parent, **fields)
    page.save_revision().publish()
    return page.__class__.objects.get(pk=page.pk)


def submit(page_obj, text, *, at, client, clause="2", category="养老服务", name="张三丰", **extra):
    """An opinion through the real form and submission code, sent at ``at`` (inside the window)."""
    import uuid

    from consultations.forms import OpinionForm
    from consultations.submission import submit_opinion

    data = {"category": category, "clause": clause, "text": text, "name": name, "consent": "on",
            "token": uuid.uuid4().hex, "website": "", **extra}
    form = OpinionForm(page_obj, data)
    assert form.is_valid(), form.errors
    opinion, created = submit_opinion(page_obj, form, client, now=at)
    assert created
    return opinion


# --- (a) the resident, on a phone -------------------------------------------------------------
def test_resident_comments_on_a_clause_by_phone_and_later_reads_the_reply(browser_site, new_context, screenshot,
                                                                          mailoutbox):
    from django.utils import timezone

    from consultations.admin_views import bulk_moderate, decide_opinion
    from consultations.models import Decision, ModerationStatus, Opinion
    from consultations.results import publish_results

    base = browser_site["url"]
    folder = browser_site["departments"]["rsj"].policy_index
    reviewer = browser_site["users"]["reviewer"]
    now = timezone.now()
    with orm():
        open_page = consultation(folder, slug="yanglao", title=TITLE, topics="养老服务",
                                 start_at=now - datetime.timedelta(days=1), end_at=now + datetime.timedelta(days=13))
        consultation(folder, slug="wuye", title=CLOSED_TITLE, start_at=now - datetime.timedelta(days=40),
                     end_at=now - datetime.timedelta(days=10))

    phone = new_context(java_script_enabled=False, **PHONE).new_page()

    # 1. The home page lists what is open for comment now; the closed draft is not there.
    phone.goto(f"{base}/")
    open_now = phone.locator("section", has=phone.get_by_role("heading", name="正在征集意见"))
    expect(open_now.get_by_role("link", name=TITLE)).to_be_visible()
    expect(open_now).not_to_contain_text(CLOSED_TITLE)
    assert_fits_phone(phone)
    screenshot(phone, "consult_a1_phone_home")
    open_now.get_by_role("link", name=TITLE).tap()
    phone.wait_for_url(re.compile(r"/zhengce/rsj/yanglao/$"))

    # 2. The draft, clause by clause: each clause has its own visible, thumb-sized action.
    expect(phone.locator("h1")).to_have_text(TITLE)
    expect(phone.locator(".badge-state")).to_have_text("征集中")
    actions = phone.get_by_role("link", name=re.compile(r"^对此条提意见\s*（第\d+条）$"))
    expect(actions).to_have_count(3)
    for i in range(3):
        expect(actions.nth(i)).to_be_visible()
        expect(actions.nth(i)).to_contain_text("对此条提意见")
        box = actions.nth(i).bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert_fits_phone(phone)
    screenshot(phone, "consult_a2_phone_draft")
    clause_2 = phone.get_by_role("link", name=re.compile(r"^对此条提意见\s*（第2条）$"))
    clause_2.scroll_into_view_if_needed()
    clause_2.tap()
    phone.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("clause") == ["2"])
    form = phone.locator("#opinion-form")
    expect(form.get_by_role("heading", name="提交意见")).to_be_in_viewport()
    expect(field(form, "针对条款")).to_have_value("2")  # pre-selected by the clause's action

    # 3. A first try with a too-short opinion and a mistyped e-mail address: refused, explained in
    #    Chinese next to each field, and everything typed is still there.
    field(form, "意见类别").select_option("养老服务")
    field(form, "意见内容").fill("补贴太少")
    field(form, "姓名").fill("张三丰")
    field(form, "电话").fill("13912345678")
    field(form, "电子邮箱").fill("zhang@example")
    form.get_by_label("我已阅读并同意个人信息保护说明").check()
    form.get_by_role("button", name="提交意见").tap()
    form = phone.locator("#opinion-form")
    expect(form.get_by_role("alert")).to_contain_text("提交未成功：有 2 处需要修改")
    text = field(form, "意见内容")
    expect(field_box(form, "意见内容").locator(".error")).to_have_text("意见内容至少 10 个字（去除格式后）。")
    expect(text).to_have_accessible_description(re.compile("意见内容至少 10 个字"))
    expect(text).to_have_attribute("aria-invalid", "true")
    email = field(form, "电子邮箱")
    expect(field_box(form, "电子邮箱").locator(".error")).to_have_text("请填写有效的电子邮箱，例如 name@example.com。")
    expect(email).to_have_accessible_description(re.compile("请填写有效的电子邮箱"))
    expect(text).to_have_value("补贴太少")
    expect(email).to_have_value("zhang@example")
    expect(field(form, "姓名")).to_have_value("张三丰")
    expect(field(form, "电话")).to_have_value("13912345678")
    expect(field(form, "意见类别")).to_have_value("养老服务")
    expect(field(form, "针对条款")).to_have_value("2")
    expect(form.get_by_label("我已阅读并同意个人信息保护说明")).to_be_checked()
    assert_fits_phone(phone)
    screenshot(phone, "consult_a3_phone_form_errors")
    with orm():
        assert not Opinion.objects.exists(), "被拒绝的提交不应留下任何数据"

    # 4. Corrected and sent: a receipt number and a private lookup code.
    text.fill(OPINION)
    email.fill("zhang@example.org")
    form.get_by_role("button", name="提交意见").tap()
    receipt_box = phone.locator(".receipt")
    expect(receipt_box.get_by_role("heading", level=1)).to_have_text("意见已提交，感谢参与")
    expect(receipt_box).to_contain_text(f"您在“{TITLE}”中提交的意见已收到")  # the title keeps its own 《》
    receipt = receipt_box.locator("div", has=phone.locator("dt", has_text="回执编号")).locator("dd").inner_text().strip()
    code = receipt_box.locator("div", has=phone.locator("dt", has_text="查询码")).locator("dd strong").inner_text().strip()
    match = RECEIPT.match(receipt)
    assert match, receipt
    assert LOOKUP_CODE.match(code), code
    assert_fits_phone(phone)
    screenshot(phone, "consult_a4_phone_receipt")
    with orm():
        opinion = Opinion.objects.get()
        assert (opinion.receipt_number, opinion.clause_number, opinion.category) == (receipt, "2", "养老服务")
        assert int(match.group(2)) == opinion.pk and opinion.moderation_status == ModerationStatus.PENDING
        assert match.group(1) == timezone.localtime(opinion.submitted_at).strftime("%Y%m%d")  # local date (Asia/Shanghai)

    # 5. Right away, the lookup says the opinion is being handled.
    receipt_box.get_by_role("link", name="查询办理情况").tap()
    phone.wait_for_url(re.compile(r"/zhengqiu/chaxun/$"))
    field(phone, "回执编号").fill(receipt)
    field(phone, "查询码").fill(code)
    phone.get_by_role("button", name="查询").tap()
    result = phone.locator(".lookup-result")
    expect(result.get_by_role("heading", name=f"回执 {receipt}")).to_be_visible()
    expect(result.locator("div", has=phone.locator("dt", has_text="办理状态")).locator("dd")).to_have_text("办理中")
    expect(result).to_contain_text("结果公布后可在此查看答复")
    phone.context.close()

    # 6. Meanwhile, 市人社局 answers: the opinion is made public and adopted, the deadline passes,
    #    the department writes its summary, and the reviewer publishes the results.
    with orm():
        bulk_moderate(Opinion.objects.filter(pk=opinion.pk), reviewer, ModerationStatus.APPROVED)
        decide_opinion(Opinion.objects.get(pk=opinion.pk), reviewer, Decision.ADOPTED, REPLY)
        open_page.end_at = timezone.now() - datetime.timedelta(seconds=1)
        open_page.results_summary = f"<p>{SUMMARY}</p>"
        open_page.save_revision().publish()
        publish_results(open_page.__class__.objects.get(pk=open_page.pk), reviewer)
    assert [m.to for m in mailoutbox] == [["zhang@example.org"]]
    assert receipt in mailoutbox[0].body and REPLY in mailoutbox[0].body

    # 7. Days later, on the phone again (a new session): 意见征集 → lookup with receipt and code.
    later = new_context(java_script_enabled=False, **PHONE).new_page()
    later.goto(f"{base}/")
    later.get_by_role("navigation", name="主导航").get_by_role("link", name="意见征集").tap()
    later.wait_for_url(re.compile(r"/zhengqiu/$"))
    later.get_by_role("link", name="查询已提交意见的办理情况").tap()
    later.wait_for_url(re.compile(r"/zhengqiu/chaxun/$"))
    # A mistyped code reveals nothing.
    field(later, "回执编号").fill(receipt)
    field(later, "查询码").fill("00000000" if code != "00000000" else "11111111")
    later.get_by_role("button", name="查询").tap()
    expect(later.get_by_role("alert")).to_have_text("回执编号或查询码不正确，请核对后重试。")
    expect(later.locator(".lookup-result")).to_have_count(0)
    expect(later.locator("main")).not_to_contain_text(OPINION)
    # The right pair shows the answer.
    field(later, "回执编号").fill(receipt.lower())  # typed in lower case: still found
    field(later, "查询码").fill(code)
    later.get_by_role("button", name="查询").tap()
    result = later.locator(".lookup-result")
    expect(result.locator("div", has=later.locator("dt", has_text="办理状态")).locator("dd")).to_have_text("已答复")
    expect(result.locator("div", has=later.locator("dt", has_text="处理结果")).locator("dd")).to_have_text("采纳")
    expect(result.locator("blockquote")).to_have_text(OPINION)
    expect(result).to_contain_text(REPLY)
    assert_fits_phone(later)
    screenshot(later, "consult_a5_phone_lookup_reply")

    # 8. The consultation page itself now shows the results and the public reply, with the
    #    resident's name masked and the phone number nowhere.
    result.get_by_role("link", name=TITLE).tap()
    later.wait_for_url(re.compile(r"/zhengce/rsj/yanglao/$"))
    expect(later.locator(".badge-state")).to_have_text("已反馈")
    reply = later.locator(".replies .reply", has_text=receipt)
    expect(reply).to_contain_text("张**")
    expect(reply).to_contain_text(REPLY)
    expect(later.locator("body")).not_to_contain_text("张三丰")
    expect(later.locator("body")).not_to_contain_text("13912345678")
    expect(later.get_by_role("link", name=re.compile("对此条提意见"))).to_have_count(0)
    assert_fits_phone(later)
    screenshot(later, "consult_a6_phone_results")


# --- (b) staff: filter, group, bulk-answer, publish; the public sees charts ---------------------------
def test_staff_group_campaign_answer_in_bulk_publish_results_and_charts_show(browser_site, new_context, screenshot):
    from django.utils import timezone

    from consultations.models import Decision, ModerationStatus, Opinion, ReplyTemplate

    base = browser_site["url"]
    folder = browser_site["departments"]["rsj"].policy_index
    now = timezone.now()
    with orm():
        page_obj = consultation(folder, slug="yanglao", title=TITLE, results_summary=f"<p>{SUMMARY}</p>",
                                start_at=now - datetime.timedelta(days=15), end_at=now - datetime.timedelta(hours=2))
        day = page_obj.start_at
        for i, text in enumerate(CAMPAIGN):
            submit(page_obj, text, at=day + datetime.timedelta(hours=i + 1), client=f"campaign-{i}",
                   name=["王建国", "李秀英", "赵志强", "刘芳", "陈明"][i], email=f"jm{i}@example.org")
        other = submit(page_obj, "第二条的“经济困难”认定标准不清楚，建议写明收入线，或者引用民政部门的低收入认定办法。",
                       at=day + datetime.timedelta(days=2), client="other-1", name="孙丽")
        submit(page_obj, "第一条配建标准每百户二十平方米偏低，老城区改造项目也应当补建养老服务设施。",
               at=day + datetime.timedelta(days=3), client="other-2", clause="1", category="城市建设管理", name="周涛")
        template = ReplyTemplate.objects.create(title="补贴范围与申请材料", decision=Decision.PARTLY, text=TEMPLATE_REPLY)
        campaign_receipts = list(Opinion.objects.filter(fingerprint=Opinion.objects.order_by("pk").first().fingerprint)
                                 .values_list("receipt_number", flat=True))
        assert len(campaign_receipts) == len(CAMPAIGN)

    staff = new_context(viewport={"width": 1280, "height": 900}).new_page()

    # 1. The 市人社局 editor (谁起草、谁负责) opens 意见征集 from the admin menu.
    login(staff, base, "rsj_editor")
    staff.get_by_role("navigation", name="主菜单").get_by_role("link", name="意见征集").click()
    staff.wait_for_url(re.compile(r"/admin/consultations/$"))
    row = staff.locator("tbody tr", has_text=TITLE)
    expect(row).to_contain_text("已截止")
    expect(row.locator("td").nth(3)).to_have_text("7")  # 意见数
    row.get_by_role("link", name=TITLE).click()
    staff.wait_for_url(re.compile(rf"/admin/consultations/{page_obj.pk}/opinions/$"))
    overview = staff.get_by_role("region", name="征集概况")
    expect(overview).to_contain_text("共 7 条意见： 待审核 7")
    listing = staff.locator("#listing-results")
    expect(listing.locator("tbody tr")).to_have_count(7)

    # 2. Filter: only the opinions on 第2条 (Wagtail's filter panel updates the list in place).
    staff.get_by_role("button", name="显示过滤器").click()
    staff.get_by_role("button", name="针对条款").click()
    staff.get_by_label("针对条款", exact=True).select_option(label="第2条")
    staff.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("clause") == ["2"])
    expect(listing.locator("tbody tr")).to_have_count(len(CAMPAIGN) + 1)
    expect(listing).not_to_contain_text("老城区改造项目")
    screenshot(staff, "consult_b1_filtered")

    # 3. Group identical opinions: the campaign is one row with its count, the other opinion its own.
    staff.keyboard.press("Escape")
    group_link = staff.get_by_role("link", name="按相同意见分组")
    expect(group_link).to_have_attribute("href", re.compile(r"clause=2"))  # the header follows the filter
    group_link.click()
    staff.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("group") == ["1"])
    groups = listing.locator("tbody tr")
    expect(groups).to_have_count(2)
    campaign_row = groups.nth(0)
    expect(campaign_row).to_contain_text("强烈建议将75岁以上独居老人纳入居家养老服务补贴范围")
    expect(campaign_row.locator("td").nth(2)).to_have_text(str(len(CAMPAIGN)))  # 条数
    expect(campaign_row).to_contain_text(f"未答复 {len(CAMPAIGN)}")
    expect(groups.nth(1).locator("td").nth(2)).to_have_text("1")
    screenshot(staff, "consult_b2_grouped")

    def bulk(action, *, template_title=None):
        """Tick the campaign's group and run one bulk action from the form under the list."""
        listing.get_by_role("checkbox", name=re.compile(rf"^选择 相同意见组（{len(CAMPAIGN)} 条）")).check()
        bulk_form = staff.locator("#opinion-bulk-form")
        bulk_form.get_by_label("批量操作").select_option(label=action)  # Wagtail's label: 批量操作*
        if template_title:
            bulk_form.get_by_label("答复模板").select_option(label=f"{template_title}（部分采纳）")
        with staff.expect_navigation():
            staff.get_by_role("button", name="执行批量操作").click()

    # 4. Make the whole campaign public, then answer it with the reply template (部分采纳).
    bulk("设为公开")
    expect(staff.locator(".messages")).to_contain_text(f"已将 {len(CAMPAIGN)} 条意见设为“公开”。")
    bulk("批量答复", template_title=template.title)
    expect(staff.locator(".messages")).to_contain_text(f"已对 {len(CAMPAIGN)} 条意见作出“部分采纳”的答复。")
    assert parse_qs(urlsplit(staff.url).query).get("group") == ["1"]  # back on the same grouped list
    expect(listing.locator("tbody tr").nth(0)).to_contain_text(f"部分采纳 {len(CAMPAIGN)}")
    expect(listing.locator("tbody tr").nth(1)).to_contain_text("未答复 1")
    screenshot(staff, "consult_b3_answered")
    with orm():
        answered = Opinion.objects.filter(receipt_number__in=campaign_receipts)
        assert set(answered.values_list("decision", "reply", "moderation_status")) == {
            (Decision.PARTLY, TEMPLATE_REPLY, ModerationStatus.APPROVED)}
        assert Opinion.objects.get(pk=other.pk).decision == ""

    # 5. Publish the results.
    staff.get_by_role("button", name="发布征集结果").click()
    expect(staff.locator(".messages")).to_contain_text("征集结果已发布")
    expect(overview).to_contain_text(re.compile(r"结果已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 发布"))
    expect(staff.get_by_role("button", name="发布征集结果")).to_have_count(0)
    screenshot(staff, "consult_b4_published")

    # 6. The public page: the summary, the figures, the charts drawn on the server, the replies.
    with orm():
        page_url = page_obj.__class__.objects.get(pk=page_obj.pk).url
    public = new_context(java_script_enabled=False, **PHONE).new_page()
    public.goto(base + page_url)
    expect(public.locator(".badge-state")).to_have_text("已反馈")
    results = public.locator("section.results")
    expect(results.get_by_role("heading", name="意见采纳情况说明")).to_be_visible()
    expect(results).to_contain_text(SUMMARY)
    expect(results.locator(".stat-cards")).to_contain_text("7 条意见")
    expect(results.locator(".stat-cards")).to_contain_text(f"{len(CAMPAIGN)} 条采纳或部分采纳")
    decision_chart = results.get_by_role("img", name="意见处理结果")
    expect(decision_chart).to_be_visible()
    expect(decision_chart).to_have_accessible_description(re.compile(rf"部分采纳 {len(CAMPAIGN)} 条"))
    expect(decision_chart.locator("rect[fill='#1d4ed8']")).to_have_count(1)  # one bar: only 部分采纳 has opinions
    category_chart = results.get_by_role("img", name="各类别意见数量")
    expect(category_chart).to_be_visible()
    expect(category_chart).to_have_accessible_description(re.compile(r"养老服务 6 条.*城市建设管理 1 条"))
    clause_chart = results.get_by_role("img", name="各条款意见数量（前 20 条）")
    expect(clause_chart).to_be_hidden()  # folded away under 按条款 …
    results.locator("summary", has_text="按条款").tap()
    expect(clause_chart).to_be_visible()  # … and shown with a tap, without JavaScript
    for chart in (decision_chart, category_chart, clause_chart):
        box = chart.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # scaled into the phone's width, not cut off
    # Scaled to a phone, a chart's own labels are small, so each chart has its numbers in a table.
    for table_name, cells in (("意见处理结果", ["部分采纳", "5", "71%"]), ("各类别意见数量", ["养老服务", "6", "86%"]),
                              ("各条款意见数量（前 20 条）", ["第2条", "6", "86%"])):
        table = results.get_by_role("table", name=table_name)
        expect(table).to_be_visible()
        expect(table.locator("tr", has_text=cells[0]).locator("td")).to_have_text(cells)
        assert table.locator("td").first.evaluate("td => parseFloat(getComputedStyle(td).fontSize)") >= 14
    expect(results.get_by_role("heading", name=f"意见答复（{len(CAMPAIGN)} 条公开）")).to_be_visible()
    replies = results.locator(".replies .reply")
    expect(replies).to_have_count(len(CAMPAIGN))
    expect(replies.first).to_contain_text(TEMPLATE_REPLY)
    expect(replies.first.locator(".badge")).to_have_text("部分采纳")
    expect(results).not_to_contain_text("经济困难")  # not public, not answered: not listed
    expect(public.locator("body")).not_to_contain_text("王建国")
    assert_fits_phone(public)
    screenshot(public, "consult_b5_phone_public_results")
