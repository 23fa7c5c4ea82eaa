"""Issue #4 in real Chromium: a 12345 operator answers a caller from the Q&A base, and a resident asks on a phone.

What the Django test client cannot show: that the search box has the focus when the page opens,
that results arrive while the operator is still typing (hotline.js swaps in the partial and
rewrites the URL with history.replaceState, without a navigation), that 复制 really puts the
答复口径 on the clipboard, and that the page still works with JavaScript off and on a phone.

The data goes in as in production: factories, then Wagtail revisions published (the published
signals fill the index outbox), then the outbox is applied. The live server runs in a thread of
this process, so it searches the same per-test embedded index (tests/conftest.py).
"""
import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, orm

pytestmark = pytest.mark.browser

QUESTION = "灵活就业人员怎么缴纳社会保险？"
CURRENT_SHORT = "可以以个人身份参加企业职工基本养老保险，在网上经办大厅或社保经办窗口办理参保登记后按月缴费。"
REPEALED_SHORT = "按旧办法到户籍所在地社保所办理，每年一次性缴纳。"
REPEALED_WARNING = "此答复不再适用，请勿作为现行政策答复来电人"
COLLOQUIAL = "打零工的社保咋交"
UNANSWERABLE = "退役军人优待证怎么办"


@pytest.fixture(autouse=True)
def clear_rate_limits():
    """Feedback is rate-limited per client in the (process-wide) cache; start each test clean."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def hotline_base(browser_site):
    """An operator and a small Q&A base: a current and a repealed answer to the same question."""
    from django.contrib.auth.models import Group

    from cms.factories import UserFactory
    from cms.roles import HOTLINE_GROUP
    from search.factories import QAEntryFactory, SynonymGroupFactory
    from search.outbox import process_outbox
    from tests.search.conftest import live_policy, publish

    with orm():
        rsj, ybj = browser_site["departments"]["rsj"], browser_site["departments"]["ybj"]
        operator = UserFactory(username="hotline", groups=[Group.objects.get(name=HOTLINE_GROUP)])
        assert operator.has_perm("search.use_hotline") and not operator.has_perm("wagtailadmin.access_admin")
        SynonymGroupFactory(terms="社保,社会保险")
        SynonymGroupFactory(terms="打零工,灵活就业")
        SynonymGroupFactory(terms="医保,基本医疗保险,医疗保险")
        SynonymGroupFactory(terms="看病,就医")
        SynonymGroupFactory(terms="外地,异地")
        current = live_policy(rsj.policy_index, title="乌鲁木齐市灵活就业人员参加社会保险办法",
                              doc_number="乌政办〔2021〕83号", publish_date=datetime.date(2021, 6, 1))
        old = live_policy(rsj.policy_index, title="乌鲁木齐市灵活就业人员参保暂行办法", doc_number="乌政办〔2015〕12号",
                          written_date=datetime.date(2015, 1, 5), publish_date=datetime.date(2015, 1, 10),
                          repeal_basis="乌政办〔2021〕83号")
        entries = {
            "current": publish(QAEntryFactory.build(
                department=rsj, policy=current, live=False, question=QUESTION,
                alt_questions="打零工的怎么交社保\n个体户能自己交养老保险吗", short_answer=CURRENT_SHORT)),
            "repealed": publish(QAEntryFactory.build(
                department=rsj, policy=old, live=False, question=QUESTION, short_answer=REPEALED_SHORT)),
            "medical": publish(QAEntryFactory.build(
                department=ybj, live=False, question="异地就医怎么备案？", alt_questions="去外地看病医保能报销吗",
                short_answer="通过国家医保服务平台或窗口办理异地就医备案后，在备案地定点医院看病可以直接结算基本医疗保险费用。",
                answer="<p>长期异地居住和临时外出就医人员均可备案。</p>")),
        }
        process_outbox()
    return {**browser_site, "operator": operator, "entries": entries}


def login_to_hotline(page, base):
    """Open /hotline/, get sent to Wagtail's login page, and come back to /hotline/.

    The operator has no Wagtail admin access (only search.use_hotline): the login view must still
    honour ?next=/hotline/ instead of sending them to the admin dashboard.
    """
    page.goto(f"{base}/hotline/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/hotline/$"))
    page.fill("#id_username", "hotline")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/hotline/")
    expect(page.locator("h1")).to_have_text("12345 热线政策问答（一号答）")


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def q_is(text):
    """URL predicate: the page's ?q= is exactly ``text``."""
    return lambda url: query_of(url).get("q") == text


def short_answers(page):
    return page.locator(".qa-result .qa-short p").all_inner_texts()


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# --- journeys -----------------------------------------------------------------------------------
def test_operator_finds_the_current_answer_as_they_type_copies_it_and_records_a_gap(
        hotline_base, new_context, screenshot):
    from search.models import KnowledgeGap

    base = hotline_base["url"]
    phone = hotline_base["departments"]["rsj"].phone
    context = new_context(permissions=["clipboard-read", "clipboard-write"], viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # 1. Login through Wagtail's login page lands back on /hotline/, with the search box focused.
    login_to_hotline(page, base)
    search_box = page.locator("#id_q")
    assert page.evaluate("document.activeElement === document.querySelector('#id_q')")
    expect(search_box).to_be_focused()
    screenshot(page, "h1_hotline_login_landed")

    # 2. Typing (no Enter) brings results in place: partial fetches, URL rewritten, no navigation.
    navigations, partials = [], []
    page.on("request", lambda r: navigations.append(r.url)
            if r.is_navigation_request() and r.frame == page.main_frame else None)
    page.on("request", lambda r: partials.append(r.url) if "partial=1" in r.url else None)
    page.evaluate("window.__samePage = true")
    history_length = page.evaluate("history.length")

    results = page.locator(".qa-result")
    page.keyboard.type(COLLOQUIAL[:6], delay=80)  # 打零工的社保: results already, while still typing
    expect(results.first.locator(".qa-question")).to_have_text(QUESTION)
    page.wait_for_url(q_is(COLLOQUIAL[:6]))
    page.keyboard.type(COLLOQUIAL[6:], delay=80)  # …咋交
    page.wait_for_url(q_is(COLLOQUIAL))
    assert len(partials) >= 2 and all(urlsplit(u).path == "/hotline/" for u in partials)
    assert navigations == [], f"typing must not navigate: {navigations}"
    assert page.evaluate("window.__samePage === true"), "the document was replaced"
    assert page.evaluate("history.length") == history_length, "replaceState, not pushState"
    expect(search_box).to_be_focused()
    expect(search_box).to_have_value(COLLOQUIAL)

    # 3. The current answer comes first, with its validity and the department's phone number;
    #    the repealed answer to the same question is not offered.
    first = results.first
    expect(first).to_have_class(re.compile(r"\bqa-current\b"))
    expect(first.locator(".qa-meta .badge")).to_have_text("现行有效")
    expect(first.locator(".qa-phone")).to_have_text(f"咨询电话 {phone}")
    expect(first.locator(".qa-phone a")).to_have_attribute("href", f"tel:{phone}")
    expect(first.locator(".qa-short p")).to_have_text(CURRENT_SHORT)
    expect(page.locator("#qa-results")).not_to_contain_text(REPEALED_SHORT)
    expect(page.locator("#qa-results")).not_to_contain_text("已废止")
    screenshot(page, "h2_hotline_results_as_typed")

    # 4. 含已废止: the repealed answer appears below the current one, marked and with the warning.
    page.get_by_label("含已废止").check()
    page.wait_for_url(lambda url: query_of(url).get("include_repealed") == "on" and q_is(COLLOQUIAL)(url))
    repealed = results.filter(has_text=REPEALED_SHORT)
    expect(repealed).to_have_count(1)
    expect(repealed).to_have_class(re.compile(r"\bqa-repealed\b"))
    expect(repealed.locator(".qa-meta .badge")).to_have_text("已废止")
    expect(repealed.locator(".notice-bad")).to_contain_text(REPEALED_WARNING)
    expect(results.first.locator(".qa-short p")).to_have_text(CURRENT_SHORT)
    answers = short_answers(page)
    assert answers.index(CURRENT_SHORT) < answers.index(REPEALED_SHORT), answers
    expect(results.first.locator(".notice-bad")).to_have_count(0)
    assert navigations == [] and page.evaluate("window.__samePage === true")
    screenshot(page, "h3_hotline_with_repealed")

    # 5. 复制答复口径 puts the answer's text (without the highlighting markup) on the clipboard.
    copy = results.first.get_by_role("button", name="复制答复口径")
    expect(copy).to_be_visible()
    copy.click()
    expect(results.first.locator("button.copy").first).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == CURRENT_SHORT

    # 6. Something the base cannot answer: 没有找到, and the gap form already holds the query.
    search_box.fill("")
    search_box.focus()
    page.keyboard.type(UNANSWERABLE, delay=40)
    page.wait_for_url(q_is(UNANSWERABLE))
    expect(page.locator("#qa-results")).to_contain_text(f"没有找到与“{UNANSWERABLE}”相符的现行答复")
    expect(results).to_have_count(0)
    expect(page.locator("#id_gap_query")).to_have_value(UNANSWERABLE)
    assert navigations == [] and page.evaluate("window.__samePage === true")
    page.fill("#id_gap_note", "来电人问优待证在哪里申领")
    page.select_option("#id_gap_department", label="不确定")
    screenshot(page, "h4_hotline_no_answer")
    with page.expect_navigation():
        page.get_by_role("button", name="登记没有找到答案").click()
    expect(page.locator(".messages")).to_contain_text(f"已登记知识缺口：“{UNANSWERABLE}”")
    with orm():
        gap = KnowledgeGap.objects.get()
        assert (gap.query, gap.note, gap.reported_by, gap.department) == (
            UNANSWERABLE, "来电人问优待证在哪里申领", hotline_base["operator"], None)
    screenshot(page, "h4b_hotline_gap_recorded")

    # The same page on a phone-sized window, for the screenshots.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/hotline/?q={COLLOQUIAL}&include_repealed=on")
    expect(results).to_have_count(4)
    assert no_horizontal_scroll(page)
    screenshot(page, "h5_hotline_phone")


def test_operator_marks_a_live_result_useful_and_stays_on_the_hotline(hotline_base, new_context):
    from search.models import AnswerFeedback

    base = hotline_base["url"]
    page = new_context().new_page()
    login_to_hotline(page, base)
    page.keyboard.type(COLLOQUIAL, delay=40)
    page.wait_for_url(q_is(COLLOQUIAL))
    first = page.locator(".qa-result").first
    expect(first.locator(".qa-question")).to_have_text(QUESTION)
    with page.expect_navigation():
        first.get_by_role("button", name="有用").click()
    with orm():
        assert AnswerFeedback.objects.filter(doc_key=f"qa:{hotline_base['entries']['current'].pk}",
                                             helpful=True).count() == 1
    # Back on the full hotline page, with the search still there and the thank-you message.
    assert "partial" not in query_of(page.url), f"landed on the results fragment: {page.url}"
    assert query_of(page.url).get("q") == COLLOQUIAL
    expect(page.locator(".messages")).to_contain_text("谢谢，评价已记录。")
    expect(page.locator("#id_q")).to_have_value(COLLOQUIAL)


def test_hotline_search_works_without_javascript(hotline_base, new_context, screenshot):
    from search.models import AnswerFeedback

    base = hotline_base["url"]
    page = new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}).new_page()
    login_to_hotline(page, base)
    expect(page.locator("#id_q")).to_be_focused()  # autofocus, no script needed
    page.fill("#id_q", COLLOQUIAL)
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    assert query_of(page.url).get("q") == COLLOQUIAL and "partial" not in query_of(page.url)
    results = page.locator(".qa-result")
    expect(results.first.locator(".qa-question")).to_have_text(QUESTION)
    expect(results.first.locator(".qa-meta .badge")).to_have_text("现行有效")
    expect(results.first.locator(".qa-short p")).to_have_text(CURRENT_SHORT)
    expect(page.locator("#qa-results")).not_to_contain_text(REPEALED_SHORT)
    assert page.locator("button.copy").count() > 0
    expect(page.locator("button.copy:visible")).to_have_count(0)  # nothing to copy with: hidden
    expect(page.locator("#id_gap_query")).to_have_value(COLLOQUIAL)

    page.get_by_label("含已废止").check()
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    expect(results.filter(has_text=REPEALED_SHORT).locator(".notice-bad")).to_contain_text(REPEALED_WARNING)
    screenshot(page, "h6_hotline_no_js")

    # 有用 is a plain form too: back on the same search, with the thank-you message.
    with page.expect_navigation():
        results.first.get_by_role("button", name="有用").click()
    expect(page.locator(".messages")).to_contain_text("谢谢，评价已记录。")
    assert query_of(page.url).get("q") == COLLOQUIAL
    expect(results.first.locator(".qa-question")).to_have_text(QUESTION)
    with orm():
        feedback = AnswerFeedback.objects.get()
        assert feedback.doc_key == f"qa:{hotline_base['entries']['current'].pk}" and feedback.helpful
        assert feedback.question == QUESTION and feedback.department.code == "rsj"
        assert feedback.query == COLLOQUIAL


def test_resident_asks_from_the_home_page_on_a_phone(hotline_base, new_context, screenshot):
    from search.models import AnswerFeedback

    base = hotline_base["url"]
    question = "去外地看病医保能报销吗"
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                       device_scale_factor=2).new_page()
    page.goto(f"{base}/")
    box = page.locator("#home-q")
    expect(box).to_be_visible()
    box.tap()
    page.keyboard.type(question, delay=20)
    assert no_horizontal_scroll(page)
    screenshot(page, "h7_phone_home")
    with page.expect_navigation():
        page.locator("form.search-box").get_by_role("button", name="搜索").tap()
    expect(page).to_have_url(re.compile(r"/wenda/\?q="))
    assert query_of(page.url).get("q") == question
    expect(page.locator("h1")).to_have_text("政策问答")
    expect(page.locator("#id_q")).to_have_value(question)
    first = page.locator(".qa-result").first
    expect(first.locator(".qa-question")).to_have_text("异地就医怎么备案？")
    expect(first.locator(".qa-phone a")).to_be_visible()
    assert no_horizontal_scroll(page)
    # The answer starts above the fold: the filters must not push it off the first screen.
    expect(first.locator(".qa-question")).to_be_in_viewport()
    screenshot(page, "h8_phone_wenda")

    # 有用 on the public page: back on the same answer, thanked.
    first.locator(".qa-feedback").scroll_into_view_if_needed()
    with page.expect_navigation():
        first.get_by_role("button", name="有用").tap()
    expect(page.locator(".messages")).to_contain_text("谢谢，评价已记录。")
    assert query_of(page.url).get("q") == question
    with orm():
        assert AnswerFeedback.objects.get().doc_key == f"qa:{hotline_base['entries']['medical'].pk}"
