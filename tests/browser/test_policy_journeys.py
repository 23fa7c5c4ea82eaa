"""End-to-end journeys in real Chromium: Wagtail's own editor, the review workflow, the public site.

What the Django test client cannot show: that the StreamField and Draftail editors, the action
menu and the workflow buttons work in a browser for a department editor and a reviewer, and that
the public pages hold up on a phone.
"""
import re
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, orm

pytestmark = pytest.mark.browser

WORKFLOW_SUBMIT = "提交给政策与解读发布审核"  # Wagtail's "Submit to %(workflow_name)s" in zh-Hans
PERMISSION_DENIED = "对不起， 你没有权限访问。"  # Wagtail's "Sorry, you do not have permission to access this area."
POLICY_TITLE = "关于做好高校毕业生就业工作的通知"
INTERPRETATION_TITLE = "一图读懂高校毕业生就业补贴"
EDIT_URL = re.compile(r"/admin/pages/(\d+)/edit/$")


# --- admin helpers ------------------------------------------------------------------------------
def login(page, base, username):
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/admin/")


def logout(page):
    """Through the sidebar's account menu, as a person would."""
    page.locator(".sidebar-footer__account").click()
    page.get_by_role("button", name="注销").click()
    page.wait_for_url(re.compile(r"/admin/login/"))


def wait_for_path(page, path):
    """Wagtail slugs may be Chinese: the browser shows them percent-encoded, Page.url does not."""
    page.wait_for_url(lambda url: unquote(urlsplit(url).path) == unquote(path))


def type_rich_text(page, input_selector, text):
    """Type into the Draftail editor that belongs to a rich-text field's hidden input."""
    editor = page.locator(f"{input_selector} ~ .Draftail-Editor__wrapper .public-DraftEditor-content")
    editor.click()
    page.keyboard.insert_text(text)
    expect(page.locator(input_selector)).to_have_value(re.compile(re.escape(text[:8])))


def settle_autosave(page):
    """Stop Wagtail 8's autosave and wait until no autosave request is scheduled or in flight.

    Autosave cannot be waited for directly, because it may never happen. The form's ``w-unsaved``
    controller takes its reference snapshot of the form 2 s after the page loads, and it
    triggers ``w-autosave`` only for changes made after that snapshot. A form that Playwright
    fills within those 2 s has no "changes", so no autosave ever comes and the create view keeps
    its /add/ URL. Autosave can also fail (a validation error pauses it), and then it leaves the
    form on /add/ too. Clicking 保存草稿 while an autosave of the create form is still in flight
    would create the page twice: the click posts the create form again, and that fails on the
    slug.

    So this sets the autosave controller's ``active`` value to false. After that, a pending change
    notification can no longer start a save. Then it waits until the indicator leaves 「保存中」.
    The indicator is ``saving`` from the ``w-autosave:save`` event until that save's success
    (after the form action and URL have moved to the edit view) or error. The form action then
    names the right view: the create view if no autosave created the page, or the edit view if one
    did. Either way 保存草稿 saves the page exactly once.
    """
    form = page.locator("form[data-edit-form][data-controller~='w-autosave']")
    if not form.count():
        return  # autosave is off (WAGTAIL_AUTOSAVE_INTERVAL = 0)
    form.evaluate("form => form.setAttribute('data-w-autosave-active-value', 'false')")
    expect(page.locator("#w-autosave-indicator")).not_to_have_attribute("data-w-autosave-state-value", "saving")


def save_draft(page, title):
    """Click 保存草稿 and wait for the edit view's success message; returns the page id."""
    settle_autosave(page)
    with page.expect_navigation():
        page.locator("footer").get_by_role("button", name="保存草稿").click()
    expect(page.locator(".messages li.success")).to_contain_text(title)
    expect(page).to_have_url(EDIT_URL)
    return int(EDIT_URL.search(page.url).group(1))


def open_action_menu(page):
    page.locator("footer").get_by_role("button", name="更多动作").click()


def submit_for_review(page, title):
    """From the page's edit view: 提交给政策与解读发布审核 in the action menu."""
    open_action_menu(page)
    with page.expect_navigation():
        page.get_by_role("button", name=WORKFLOW_SUBMIT).click()
    expect(page.locator(".messages li.success")).to_contain_text(title)


# --- journeys -----------------------------------------------------------------------------------
def test_editor_creates_policy_and_interpretation_reviewer_publishes(browser_site, new_context, screenshot):
    from cms.models import PolicyDocumentPage
    from interpretations.factories import GOOD_ELEMENTS
    from interpretations.models import InterpretationPage
    from interpretations.quality import ELEMENTS

    base = browser_site["url"]
    folder = browser_site["departments"]["rsj"].policy_index
    page = new_context().new_page()

    # 1. The 市人社局 editor drafts a policy in the department's folder.
    login(page, base, "rsj_editor")
    page.goto(f"{base}/admin/pages/add/cms/policydocumentpage/{folder.pk}/")
    page.fill("#id_title", POLICY_TITLE)
    page.fill("#id_issuing_authority", "乌鲁木齐市人民政府办公厅")
    page.fill("#id_written_date", "2026-03-01")
    page.keyboard.press("Escape")
    page.fill("#id_publish_date", "2026-03-05")
    page.keyboard.press("Escape")
    page.fill("#id_summary", "支持中小微企业吸纳高校毕业生就业。")
    page.locator(".c-sf-add-button").first.click()
    page.get_by_role("option", name="条款").click()
    page.fill("#body-0-value-number", "1")
    type_rich_text(page, "#body-0-value-text", "对吸纳高校毕业生的企业给予一次性补贴。")
    screenshot(page, "a1_policy_form")
    policy_id = save_draft(page, POLICY_TITLE)

    # 2. ...and an interpretation under it: basic information, then the six elements.
    page.goto(f"{base}/admin/pages/add/interpretations/interpretationpage/{policy_id}/")
    page.fill("#id_title", INTERPRETATION_TITLE)
    page.select_option("#id_kind", "graphic")
    page.fill("#id_interpreter", "市人社局就业促进处")
    page.fill("#id_summary", "招用毕业生的企业可以领补贴。")
    page.get_by_role("tab", name="六要素").click()
    for name, _label in ELEMENTS:
        text = GOOD_ELEMENTS[name].removeprefix("<p>").removesuffix("</p>")
        type_rich_text(page, f"#id_{name}", text)
    screenshot(page, "a2_interpretation_elements")
    interpretation_id = save_draft(page, INTERPRETATION_TITLE)
    expect(page.locator("[data-quality-findings]")).to_contain_text("质量检查通过")

    # 3. Both go to 政务公开办 for review. The editor has no publish button, only the workflow.
    expect(page.locator("button[name='action-publish']")).to_have_count(0)
    submit_for_review(page, INTERPRETATION_TITLE)
    page.goto(f"{base}/admin/pages/{policy_id}/edit/")
    expect(page.locator("button[name='action-publish']")).to_have_count(0)
    submit_for_review(page, POLICY_TITLE)
    screenshot(page, "a3_submitted")
    logout(page)

    # 4. The reviewer finds both on the dashboard (等待你的审查). The interpretation is approved
    #    from there; the policy from its edit view's action menu (批准 和发布), which the gate
    #    only allows now that its interpretation is live.
    login(page, base, "reviewer")
    awaiting = page.locator("table.listing--dashboard")
    expect(awaiting).to_contain_text(POLICY_TITLE)
    expect(awaiting).to_contain_text(INTERPRETATION_TITLE)
    screenshot(page, "a4_reviewer_dashboard")
    row = awaiting.locator("tr", has_text=INTERPRETATION_TITLE)
    row.get_by_role("button", name="动作").click()
    with page.expect_navigation():
        row.get_by_role("button", name="批准", exact=True).click()
    # Back on the dashboard (Wagtail shows no message for this): only the policy still waits.
    expect(awaiting.locator("tr", has_text=INTERPRETATION_TITLE)).to_have_count(0)
    expect(awaiting).to_contain_text(POLICY_TITLE)

    page.goto(f"{base}/admin/pages/{policy_id}/edit/")
    open_action_menu(page)
    with page.expect_navigation():
        page.locator("footer").get_by_role("button", name=re.compile(r"^批准\s*和发布$")).click()
    expect(page.locator(".messages li.success")).to_contain_text(POLICY_TITLE)
    screenshot(page, "a5_approved")
    page.close()

    with orm():
        policy = PolicyDocumentPage.objects.get(pk=policy_id)
        interpretation = InterpretationPage.objects.get(pk=interpretation_id)
        assert policy.live and interpretation.live
        assert policy.drafting_department.code == "rsj" and interpretation.department.code == "rsj"
        policy_url, interpretation_url = policy.url, interpretation.url

    # 5. The public sees the policy, its validity and the interpretation, linked both ways.
    public = new_context().new_page()
    public.goto(f"{base}{policy_url}")
    expect(public.locator("h1")).to_have_text(POLICY_TITLE)
    expect(public.locator(".doc-meta .badge-current")).to_have_text("现行有效")
    box = public.locator(".interpretations-box")
    link = box.get_by_role("link", name=INTERPRETATION_TITLE)
    expect(link).to_be_visible()
    screenshot(public, "a6_public_policy")
    link.click()
    wait_for_path(public, interpretation_url)
    expect(public.locator("h1")).to_have_text(INTERPRETATION_TITLE)
    source = public.locator(".source")
    expect(source).to_contain_text("政策原文")
    screenshot(public, "a7_public_interpretation")
    source.get_by_role("link", name=f"《{POLICY_TITLE}》").click()
    wait_for_path(public, policy_url)
    expect(public.locator("h1")).to_have_text(POLICY_TITLE)


def test_other_department_editor_is_refused(browser_site, new_context, screenshot):
    from cms.factories import PolicyDocumentPageFactory
    from interpretations.factories import InterpretationPageFactory

    base = browser_site["url"]
    folder = browser_site["departments"]["rsj"].policy_index
    with orm():
        policy = PolicyDocumentPageFactory(parent=folder, slug="rsj-policy")
        interpretation = InterpretationPageFactory(parent=policy, slug="rsj-jiedu")

    page = new_context().new_page()
    login(page, base, "ybj_editor")

    for url in (f"/admin/pages/add/cms/policydocumentpage/{folder.pk}/",
                f"/admin/pages/add/interpretations/interpretationpage/{policy.pk}/",
                f"/admin/pages/{interpretation.pk}/edit/"):
        page.goto(base + url)
        expect(page.get_by_text(PERMISSION_DENIED)).to_be_visible()
        assert not re.search(r"/admin/pages/(add/|\d+/edit/)", page.url), page.url
        expect(page.locator("form#page-edit-form")).to_have_count(0)
        expect(page.locator(".public-DraftEditor-content")).to_have_count(0)
    screenshot(page, "b1_refused")

    # The explorer does not even open the rsj folder for them: Wagtail sends them to their own
    # folder (their explorable root), where 添加子页面 is offered for 市医保局 only.
    own = browser_site["departments"]["ybj"].policy_index
    page.goto(f"{base}/admin/pages/{folder.pk}/")
    page.wait_for_url(re.compile(rf"/admin/pages/{own.pk}/$"))
    expect(page.locator("h1")).to_contain_text("市医保局")
    expect(page.get_by_text(policy.title)).to_have_count(0)
    expect(page.locator(f"a[href*='/admin/pages/{folder.pk}/add_subpage/']")).to_have_count(0)
    expect(page.locator(f"a[href*='/admin/pages/{policy.pk}/edit/']")).to_have_count(0)
    expect(page.get_by_role("link", name="添加子页面")).to_have_attribute("href", f"/admin/pages/{own.pk}/add_subpage/")
    screenshot(page, "b2_explorer")


def test_public_pages_on_phone_viewport(browser_site, new_context, screenshot):
    """375×812: no horizontal scrolling, the skip link comes first, every image has alt text."""
    import wagtail_factories
    from wagtail.models import Collection

    from cms.factories import PolicyDocumentPageFactory
    from interpretations.factories import InterpretationPageFactory

    base = browser_site["url"]
    with orm():
        # A 1600 px wide 图解, so that "no horizontal scroll" also covers responsive images.
        image = wagtail_factories.ImageFactory(title="一图读懂", collection=Collection.get_first_root_node(),
                                               file__width=1600, file__height=900)
        policy = PolicyDocumentPageFactory(parent=browser_site["departments"]["rsj"].policy_index, slug="jiuye",
                                           doc_number="乌政办〔2021〕12号", title=POLICY_TITLE)
        graphic = {"image": image, "alt_text": "图解：中小微企业招用高校毕业生并参保，可申请一次性补贴。",
                   "caption": "补贴申领流程", "long_description": ""}
        interpretation = InterpretationPageFactory(parent=policy, slug="jiedu", title=INTERPRETATION_TITLE,
                                                   kind="graphic", body=[("graphic", graphic)])
        interpretation.save_revision().publish()
        policy.save_revision().publish()
        policy.refresh_from_db()
        policy_url, interpretation_url = policy.url, interpretation.url

    page = new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True).new_page()
    for name, url in (("home", "/"), ("policy", policy_url), ("interpretation", interpretation_url)):
        page.goto(base + url)
        expect(page.locator("main")).to_be_visible()
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 375 + 1, f"{url} 在手机上出现横向滚动（scrollWidth={scroll_width}）"
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        assert focused == "跳到正文", f"{url} 第一个可聚焦元素是“{focused}”，不是跳到正文链接"
        missing_alt = page.evaluate(
            "[...document.images].filter(img => !(img.getAttribute('alt') || '').trim()).map(img => img.src)")
        assert missing_alt == [], f"{url} 的图片缺少 alt：{missing_alt}"
        screenshot(page, f"c_phone_{name}")

    # The pages really rendered their content on the phone, not an empty shell.
    expect(page.locator("h1")).to_have_text(INTERPRETATION_TITLE)
    figure = page.locator("figure.graphic img")
    expect(figure).to_have_attribute("alt", graphic["alt_text"])
    assert page.evaluate("document.querySelector('figure.graphic img').getBoundingClientRect().right") <= 375
    page.goto(base + policy_url)
    expect(page.locator("h1")).to_have_text(POLICY_TITLE)
    expect(page.locator(".interpretations-box")).to_contain_text(INTERPRETATION_TITLE)
