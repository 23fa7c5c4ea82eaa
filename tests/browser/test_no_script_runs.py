"""Issue #5 in real Chromium: hostile text typed by residents and operators never runs as script.

Script payloads go in through the real forms (the opinion form, the hotline and 政策问答 search
boxes, the knowledge-gap form) and through staff text (a reply, a Q&A entry). Then every page
that shows that text is loaded with JavaScript on: the opinion form shown again with errors,
the receipt, the consultation's public results with its replies and questionnaire samples, the
receipt lookup, the hotline (live results swapped in by hotline.js, highlighting, the gap
message), /wenda/, and the admin opinion list (plain, grouped, searched) and detail pages.

On each page: ``window.__pwned`` is undefined, no dialog opened (``page.on("dialog")``), no
element carries an event handler, ``<script>`` or ``javascript:`` URL made of the payload, and
Chromium reported no CSP violation for a script. The public pages send ``script-src 'self'``, so
an injection there would be blocked anyway: the DOM and CSP checks see it even then. The admin
allows inline script (Wagtail needs it): there, escaping is all that stands in the way.
"""
import datetime
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, orm

pytestmark = pytest.mark.browser

MARKER = "__pwned"
IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
SVG = '"><svg onload=window.__pwned=1>'
NESTED = "<<script>script>window.__pwned=1<</script>/script>"  # stored as <script>…</script> (KNOWN BUG 2)
ENCODED = "&lt;img src=x onerror=alert(1)&gt;"                   # stored as <img …> (KNOWN BUG 2)
LINK = '<a href="javascript:window.__pwned=1">点此查看</a>javascript:window.__pwned=1'
TEXTAREA = "</textarea><script>window.__pwned=1</script><textarea>"
DIALOG = "<svg/onload=alert(document.domain)><img src=x onerror=confirm(1)>"
ATTACHMENT_NAME = "<img src=x onerror=window.__pwned=1>.pdf"

OPINIONS = [  # (text, name, short answer)
    (f"建议扩大补贴范围，简化申请材料。{IMG}{NESTED}", SVG, ENCODED),
    (f"第二条认定标准不清楚，建议写明收入线。{SVG}{ENCODED}{LINK}", "张三丰", SCRIPT),
    (f"建议在社区设置助餐点，方便老人就餐。{TEXTAREA}{DIALOG}", "<b onmouseover=window.__pwned=1>李</b>", DIALOG),
]
REPLY = f"感谢您的建议，已采纳。{IMG}{SCRIPT}"
QUERIES = [f"社保卡{IMG}", SVG, SCRIPT, f"{ENCODED}社保", f"{NESTED}异地就医", DIALOG, "社保卡挂失"]

# Collected in every document before its own scripts run: CSP violations, and whether a payload ran.
INIT_SCRIPT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.effectiveDirective + " " + (e.blockedURI || "") + " " + (e.sample || ""));
});
"""
FIND_INJECTED = """marker => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const value = attr.value || "";
      if (attr.name.startsWith("on") && /__pwned|alert|confirm/.test(value)) found.push(`<${el.localName} ${attr.name}="${value}">`);
      if (/^(href|src|action|formaction|xlink:href)$/.test(attr.name) && /^\\s*javascript:/i.test(value)) found.push(`<${el.localName} ${attr.name}="${value}">`);
      if (attr.name === "srcdoc") found.push(`<${el.localName} srcdoc>`);
    }
    if (el.localName === "script" && el.textContent.includes(marker)) found.push(`<script>${el.textContent.slice(0, 60)}`);
  }
  return found;
}"""


@pytest.fixture(autouse=True)
def fresh_cache(empty_cache):
    """Rate-limit counters and the sensitive-word list live in the (in-process) cache."""


@pytest.fixture
def hostile_base(browser_site):
    """An open consultation with a short-answer question, a Q&A base with markup in a staff-written
    entry, a hotline operator and a superuser (who sees names, attachments and the raw text)."""
    from django.contrib.auth.models import Group

    from cms.factories import UserFactory
    from cms.roles import HOTLINE_GROUP
    from consultations.factories import ConsultationPageFactory
    from search.factories import QAEntryFactory, SynonymGroupFactory
    from search.outbox import process_outbox
    from tests.search.conftest import live_policy, publish

    with orm():
        rsj, ybj = browser_site["departments"]["rsj"], browser_site["departments"]["ybj"]
        page = ConsultationPageFactory(parent=rsj.policy_index, slug="yanglao", questionnaire=[
            ("text", {"question": "还有什么建议？", "required": False})])
        page.save_revision().publish()
        SynonymGroupFactory(terms="社保,社会保险")
        policy = live_policy(rsj.policy_index, title="乌鲁木齐市社会保障卡管理办法", doc_number="乌政办〔2021〕83号")
        publish(QAEntryFactory.build(
            department=ybj, policy=policy, live=False, question=f"社保卡丢了怎么办？{SCRIPT}",
            alt_questions=f"社保卡挂失{IMG}", short_answer=f'社保卡挂失后可补办 {IMG} & "当天" 可取',
            answer=f"<p>&lt;svg onload=window.__pwned=1&gt; 社保卡补办 {quote(SCRIPT)}</p>"))
        publish(QAEntryFactory.build(department=ybj, live=False, question="异地就医怎么备案？",
                                     short_answer="通过国家医保服务平台办理异地就医备案。"))
        process_outbox()
        UserFactory(username="hotline", groups=[Group.objects.get(name=HOTLINE_GROUP)])
        UserFactory(username="admin", is_superuser=True, is_staff=True)
        page = page.__class__.objects.get(pk=page.pk)
    return {**browser_site, "consultation": page}


class Watch:
    """Every dialog a page opens (dismissed at once), for the checks below."""

    def __init__(self, context):
        self.dialogs = []
        context.add_init_script(INIT_SCRIPT)
        context.on("page", self._watch)
        for page in context.pages:
            self._watch(page)

    def _watch(self, page):
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def check(self, page, where, screenshot=None):
        page.wait_for_load_state("load")
        page.wait_for_load_state("networkidle")  # let img onerror fire: src=x is fetched, 404s, then errors
        if screenshot:
            screenshot(page, f"xss_{where}")
        assert page.evaluate("typeof window.__pwned") == "undefined", f"{where}: a payload ran (window.__pwned)"
        assert self.dialogs == [], f"{where}: a payload opened a dialog: {self.dialogs}"
        injected = page.evaluate(FIND_INJECTED, MARKER)
        assert injected == [], f"{where}: payload markup is live in the DOM: {injected}"
        violations = [v for v in page.evaluate("window.__csp || []") if v.startswith("script-src")]
        assert violations == [], f"{where}: CSP blocked a script (markup got into the page): {violations}"


def watched_page(new_context, **kwargs):
    context = new_context(viewport={"width": 1280, "height": 900}, **kwargs)
    return context.new_page(), Watch(context)


def field(page, label):
    return page.get_by_label(re.compile(rf"^{re.escape(label)}"))


def login(page, base, username, next_path="/admin/"):
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}{next_path}")


def query_of(url):
    from urllib.parse import parse_qs, urlsplit

    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# --- 1. residents' opinions, from the form to the public results, the lookup and the admin -----------
def test_opinion_payloads_never_run_on_any_page_that_shows_them(hostile_base, new_context, screenshot):
    from django.utils import timezone

    from consultations.admin_views import bulk_moderate, decide_opinion
    from consultations.models import Decision, ModerationStatus, Opinion
    from consultations.results import publish_results

    base = hostile_base["url"]
    consultation = hostile_base["consultation"]
    page, watch = watched_page(new_context)

    receipts = []
    for i, (text, name, short_answer) in enumerate(OPINIONS):
        page.goto(base + consultation.url)
        watch.check(page, f"form_{i}")
        form = page.locator("#opinion-form")
        field(form, "意见类别").select_option("养老服务")
        field(form, "意见内容").fill(text)
        field(form, "还有什么建议？").fill(short_answer)
        field(form, "姓名").fill(name)
        if i == 0:
            field(form, "附件（可选）").set_input_files(
                {"name": ATTACHMENT_NAME, "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%hostile\n"})
        if i == 2:  # first without consent: the form comes back with the payload inside its textarea
            with page.expect_navigation():
                form.get_by_role("button", name="提交意见").click()
            expect(page.locator("#opinion-form").get_by_role("alert")).to_contain_text("提交未成功")
            expect(field(page.locator("#opinion-form"), "意见内容")).to_have_value(text)
            watch.check(page, "form_errors", screenshot)
            form = page.locator("#opinion-form")
        form.get_by_label("我已阅读并同意个人信息保护说明").check()
        with page.expect_navigation():
            form.get_by_role("button", name="提交意见").click()
        receipt_box = page.locator(".receipt")
        expect(receipt_box.get_by_role("heading", level=1)).to_have_text("意见已提交，感谢参与")
        watch.check(page, f"receipt_{i}", screenshot if i == 0 else None)
        receipt = receipt_box.locator("div", has=page.locator("dt", has_text="回执编号")).locator("dd").inner_text().strip()
        code = receipt_box.locator("div", has=page.locator("dt", has_text="查询码")).locator("dd strong").inner_text().strip()
        receipts.append((receipt, code))

    # Staff make them public, answer them (the reply has markup too), and publish the results.
    with orm():
        opinions = Opinion.objects.filter(consultation=consultation).order_by("pk")
        assert opinions.count() == len(OPINIONS)
        assert opinions[0].attachments.get().original_name == ATTACHMENT_NAME
        reviewer = hostile_base["users"]["reviewer"]
        bulk_moderate(opinions, reviewer, ModerationStatus.APPROVED)
        for opinion in Opinion.objects.filter(consultation=consultation):
            decide_opinion(opinion, reviewer, Decision.ADOPTED, REPLY)
        consultation.end_at = timezone.now() - datetime.timedelta(seconds=1)
        consultation.results_summary = "<p>共收到意见 3 条。</p>"
        consultation.save_revision().publish()
        publish_results(consultation.__class__.objects.get(pk=consultation.pk), reviewer)
        opinion_ids = list(opinions.values_list("pk", flat=True))
        stored_short_answers = [a.text for o in opinions for a in o.answers.all()]

    # The public results: replies with their public text, masked names, questionnaire samples.
    page.goto(base + consultation.url)
    replies = page.locator(".replies .reply")
    expect(replies).to_have_count(len(OPINIONS))
    expect(replies.first).to_contain_text("window.__pwned=1")  # shown as text …
    expect(replies.first).to_contain_text(REPLY)
    page.locator("section.results summary", has_text="问卷：还有什么建议？").click()
    for sample in stored_short_answers:
        expect(page.locator("section.results")).to_contain_text(sample)
    watch.check(page, "results", screenshot)  # … and never run

    # The receipt lookup, with the decision and the reply.
    for i, (receipt, code) in enumerate(receipts):
        page.goto(f"{base}/zhengqiu/chaxun/")
        field(page, "回执编号").fill(receipt)
        field(page, "查询码").fill(code)
        with page.expect_navigation():
            page.get_by_role("button", name="查询").click()
        result = page.locator(".lookup-result")
        expect(result.locator("blockquote")).to_contain_text(OPINIONS[i][0][:10])
        expect(result).to_contain_text(REPLY)
        watch.check(page, f"lookup_{i}", screenshot if i == 0 else None)
    # A wrong code: the typed receipt is shown again in the form.
    page.goto(f"{base}/zhengqiu/chaxun/")
    field(page, "回执编号").fill(SVG[:30])
    field(page, "查询码").fill("00000000")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    watch.check(page, "lookup_wrong")

    # The admin (inline script allowed there): the list, grouped, searched, and each opinion.
    staff, staff_watch = watched_page(new_context)
    login(staff, base, "admin")
    listing_url = f"{base}/admin/consultations/{consultation.pk}/opinions/"
    for suffix, where in (("", "admin_list"), ("?group=1", "admin_grouped"), (f"?q={quote(SVG)}", "admin_search"),
                          (f"?q={quote(SCRIPT)}", "admin_search_script")):
        staff.goto(listing_url + suffix)
        expect(staff.locator("main")).to_be_visible()
        staff_watch.check(staff, where, screenshot if not suffix else None)
    staff.goto(listing_url)
    expect(staff.locator("#listing-results tbody tr")).to_have_count(len(OPINIONS))
    for i, pk in enumerate(opinion_ids):
        staff.goto(f"{base}/admin/consultations/opinions/{pk}/")
        expect(staff.locator(".opinion-text")).to_contain_text(OPINIONS[i][0][:10])
        if i == 0:
            expect(staff.locator("main")).to_contain_text(ATTACHMENT_NAME)
        staff_watch.check(staff, f"admin_detail_{i}", screenshot if i == 0 else None)
    # The department's editor sees the masked name and the public text only.
    editor, editor_watch = watched_page(new_context)
    login(editor, base, "rsj_editor")
    for i, pk in enumerate(opinion_ids):
        editor.goto(f"{base}/admin/consultations/opinions/{pk}/")
        editor_watch.check(editor, f"editor_detail_{i}")


# --- 2. the hotline and 政策问答: live results, highlighting, the gap message ------------------------
def test_search_payloads_never_run_on_the_hotline_or_wenda(hostile_base, new_context, screenshot):
    base = hostile_base["url"]
    page, watch = watched_page(new_context)
    login(page, base, "hotline", next_path="/hotline/")
    search_box = page.locator("#id_q")
    partials = []
    page.on("response", lambda r: partials.append(r.url) if "partial=1" in r.url else None)

    for i, query in enumerate(QUERIES):
        count = len(partials)
        search_box.fill("")
        search_box.focus()
        page.keyboard.insert_text(query)  # an input event: hotline.js fetches ?partial=1 and swaps it in
        page.wait_for_url(lambda url, q=query: query_of(url).get("q") == q)
        page.wait_for_function("n => window.performance.getEntriesByType('resource')"
                               ".filter(e => e.name.includes('partial=1')).length > n", arg=count)
        expect(page.locator("#qa-results")).to_be_attached()  # empty when cleaning leaves no words (SVG)
        watch.check(page, f"hotline_live_{i}", screenshot if i == 0 else None)
    # The highlighted answer whose staff text holds markup: shown as text.
    search_box.fill("社保卡挂失")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    first = page.locator(".qa-result").first
    expect(first.locator(".qa-question mark").first).to_be_visible()
    expect(first.locator(".qa-question")).to_contain_text(SCRIPT)
    expect(first.locator(".qa-short")).to_contain_text(IMG)
    watch.check(page, "hotline_highlight", screenshot)
    # Each query as a plain GET (no JavaScript swap), then recorded as a knowledge gap.
    for i, query in enumerate(QUERIES):
        page.goto(f"{base}/hotline/?q={quote(query)}&include_repealed=on")
        watch.check(page, f"hotline_get_{i}")
    page.goto(f"{base}/hotline/?q={quote(QUERIES[1])}")
    page.fill("#id_gap_query", NESTED)
    page.fill("#id_gap_note", f"{TEXTAREA}{ENCODED}")
    with page.expect_navigation():
        page.get_by_role("button", name="登记没有找到答案").click()
    expect(page.locator(".messages")).to_contain_text("已登记知识缺口")
    watch.check(page, "hotline_gap_message", screenshot)

    # The public 政策问答 page, and an answer marked 有用 from a result found with a payload query.
    public, public_watch = watched_page(new_context)
    for i, query in enumerate(QUERIES):
        public.goto(f"{base}/wenda/?q={quote(query)}")
        public_watch.check(public, f"wenda_{i}", screenshot if i == 0 else None)
    public.goto(f"{base}/wenda/?q={quote(QUERIES[0])}")
    result = public.locator(".qa-result").first
    expect(result).to_be_visible()
    with public.expect_navigation():
        result.get_by_role("button", name="有用").click()
    expect(public.locator("body")).to_contain_text("谢谢，评价已记录。")
    public_watch.check(public, "wenda_feedback")


# --- 3. the checks themselves see a payload that runs, opens a dialog, or is blocked by CSP ------------
@pytest.mark.parametrize(("body", "csp", "message"), [
    (IMG, "", "a payload ran"),
    ("<img src=x onerror=alert(1)>", "", "opened a dialog"),
    (IMG, "script-src 'self'", "live in the DOM"),                        # blocked, but injected
    ('<a href="javascript:window.__pwned=1">x</a>', "script-src 'self'", "live in the DOM"),
    ("<script>window.__pwned=1</script>", "script-src 'self'", "live in the DOM"),
    ("<script>window.__ok=1</script>", "script-src 'self'", "CSP blocked a script"),  # no marker: CSP sees it
], ids=["runs", "dialog", "blocked-handler", "blocked-javascript-url", "blocked-script", "csp-violation"])
def test_the_checks_see_a_payload_that_runs(new_context, body, csp, message):
    page, watch = watched_page(new_context)

    def serve(route):
        if route.request.url.endswith("/x"):
            route.fulfill(status=404, body="")
        else:
            headers = {"Content-Security-Policy": csp} if csp else {}
            route.fulfill(status=200, content_type="text/html; charset=utf-8", headers=headers,
                          body=f"<!doctype html><title>t</title><p>{body}</p>")

    page.route("http://detector.test/**", serve)
    page.goto("http://detector.test/page")
    with pytest.raises(AssertionError, match=message):
        watch.check(page, "detector")
