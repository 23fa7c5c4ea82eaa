"""Access matrix (issue #5): who may see and change what, asserted route by route, role by role.

Each row of ``ROUTES`` is one capability: a method, a URL, optionally a POST body, the strings whose
presence means "it was shown" (``shows``) and a check of whether the change was made (``changed``).
Each role's expected outcome is one of the constants below; every (route, role) pair is its own
test, e.g. ``test_access[opinion-detail-personal-data/rsj_editor]``.

Outcomes:

* ``OK``: the page answers (2xx, or a redirect after a successful POST). When the route names
  strings to look for, all of them are in the response; when it names a change, the change was made.
* ``LOGIN``: a redirect to the login page (anonymous users; Wagtail does the same for logged-in
  users without ``wagtailadmin.access_admin``, with “You do not have permission to access the admin”).
* ``FORBIDDEN``: 403, Wagtail's redirect to the dashboard with “Sorry, you do not have permission”,
  or the request is answered but the change is not made (a publish button pressed without the
  right saves a draft only).
* ``HIDDEN``: 404, a GET redirected elsewhere (Wagtail's explorer sends an editor to their own
  folder), or the page answers without any of the strings (another department's rows, or personal
  data shown masked). ``requires`` names strings every answering page must contain, so that
  "absent" cannot come from the wrong page.

The data (``tests/security/conftest.py``) is built once for the module inside an outer transaction;
each cell runs in its own savepoint and is rolled back, so a cell that deletes or publishes
something does not affect the next one.

A cell where the product does not do what it should is marked ``xfail(strict=True)`` with the
reason, so the suite stays green while the bug is open and turns red (XPASS) once it is fixed.
``docs/access-control.md`` shows the same table; ``test_docs_match_the_matrix`` keeps them in step
(``REGENERATE`` below says how to print it).
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from http.cookies import SimpleCookie

import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import rich_text

from consultations.models import ConsultationPage, Decision, ModerationStatus, Opinion
from search.models import AnswerFeedback, KnowledgeGap, QAEntry, SynonymGroup
from tests.helpers import policy_form_data
from tests.security.conftest import DRAFT_SHORT_ANSWER, PII, RESULT_PII, ROLES, TITLES

OK = "ok"
LOGIN = "login"
FORBIDDEN = "forbidden"
HIDDEN = "hidden"

ROLE_LABELS = {"anonymous": "匿名", "resident": "居民（已登录，无组）", "rsj_editor": "市人社局编辑",
               "ybj_editor": "市医保局编辑", "reviewer": "政务公开办审核", "hotline": "12345热线座席",
               "admin": "超级用户"}


@dataclasses.dataclass(frozen=True)
class Route:
    name: str
    capability: str  # what the docs table calls the row
    method: str
    url: Callable[[dict], str]
    expect: dict[str, str]
    payload: Callable[[dict, object], dict] | None = None
    shows: Callable[[dict], tuple[str, ...]] | None = None
    changed: Callable[[dict], bool] | None = None
    requires: Callable[[dict], tuple[str, ...]] | None = None  # in every page that answers (proves it is the page)
    bugs: dict[str, str] = dataclasses.field(default_factory=dict)  # role → reason (xfail, strict)


def everyone(outcome=OK):
    return dict.fromkeys(ROLES, outcome)


def staff(**outcomes):
    """An admin route: only superusers unless told otherwise; people without admin access go to login."""
    expected = {"anonymous": LOGIN, "resident": LOGIN, "hotline": LOGIN, "rsj_editor": FORBIDDEN,
                "ybj_editor": FORBIDDEN, "reviewer": FORBIDDEN, "admin": OK}
    expected.update(outcomes)
    return expected


# Who handles what (the table rows below are built from these).
ALL_STAFF = {"rsj_editor": OK, "ybj_editor": OK, "reviewer": OK}
RSJ_AND_REVIEWERS = {"rsj_editor": OK, "reviewer": OK}  # 谁起草、谁负责 + 政务公开办
YBJ_AND_REVIEWERS = {"ybj_editor": OK, "reviewer": OK}
RSJ_ROWS_ONLY = {"rsj_editor": OK, "ybj_editor": HIDDEN, "reviewer": OK}
YBJ_ROWS_ONLY = {"rsj_editor": HIDDEN, "ybj_editor": OK, "reviewer": OK}
PERSONAL_DATA = {"rsj_editor": HIDDEN, "reviewer": OK}  # consultations.view_personal_data
HOTLINE_USERS = {"anonymous": LOGIN, "resident": FORBIDDEN, "rsj_editor": FORBIDDEN, "ybj_editor": FORBIDDEN,
                 "reviewer": OK, "hotline": OK, "admin": OK}  # search.use_hotline


# --- helpers for URLs, bodies and changes ---------------------------------------------------------------
def public_url(key):
    return lambda d: d["pages"][key].get_url()


def admin_page_url(name, key):
    return lambda d: reverse(f"wagtailadmin_pages:{name}", args=[d["pages"][key].pk])


def add_url(model, parent_key):
    return lambda d: reverse("wagtailadmin_pages:add", args=[*model.split("."), d["pages"][parent_key].pk])


def snippet(model, view, key=None):
    namespace = f"wagtailsnippets_{model.replace('.', '_')}"

    def url(d):
        if key is None:
            return reverse(f"{namespace}:{view}")
        return reverse(f"{namespace}:{view}", args=[key(d).pk])
    return url


def qa(key):
    return lambda d: d["qa"][key]


def opinions_url(d):
    return reverse("consultations_admin:opinions", args=[d["consultation"].pk])


def export_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return lambda d: reverse("consultations_admin:export", args=[d["consultation"].pk]) + f"?{query}"


def is_live(key):
    return lambda d: Page.objects.get(pk=d["pages"][key].pk).live


def latest_title(key, title):
    return lambda d: Page.objects.get(pk=d["pages"][key].pk).get_latest_revision().content["title"] == title


def in_moderation(key):
    return lambda d: Page.objects.get(pk=d["pages"][key].pk).workflow_in_progress


def policy_edit(key, slug, **extra):
    """The edit form of a policy that needs no interpretation (so the publication gate lets it through)."""
    def body(d, client):
        fields = {"title": TITLES[key], "must_interpret": "", "no_interpretation_reason": "矩阵测试用文件", **extra}
        return policy_form_data(slug=slug, **fields)
    return body


def qa_body(key, question):
    def body(d, client):
        entry = d["qa"][key]
        return {"department": entry.department_id, "question": question, "alt_questions": "",
                "short_answer": entry.short_answer, "answer": rich_text("矩阵测试改写的完整答复。"), "topics": "",
                "policy": "", "interpretation": "", "external_id": ""}
    return body


def qa_draft_question(key, question):
    def changed(d):
        entry = QAEntry.objects.filter(pk=d["qa"][key].pk).first()
        return entry is not None and entry.latest_revision.content.get("question") == question
    return changed


def opinion_form(d, client):
    """A complete opinion with the form token the page handed out (as a browser would send it)."""
    html = client.get(d["consultation"].get_url()).content.decode()
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    return {"category": "养老服务", "clause": "2", "text": "建议把居家养老服务补贴扩大到七十五岁以上独居老人，矩阵测试。",
            "name": "", "phone": "", "email": "", "consent": "on", "token": token, "website": ""}


def opinion_of(consultation_key, **fields):
    return lambda d: Opinion.objects.filter(consultation=d[consultation_key], **fields).exists()


EDITED = "矩阵测试改过的标题"

# --- access bugs found by the matrix: none open. A new one goes in a route's ``bugs`` (role → reason),
# which marks its cell xfail(strict=True) until it is fixed (docs/access-control.md, "Access bugs found").
NEW_QUESTION = "矩阵测试改写的问题"

# --- the matrix ---------------------------------------------------------------------------------------
ROUTES = [
    # Public site and APIs: everyone reads; the public never sees drafts or personal data.
    Route("home", "首页", "GET", lambda d: "/", everyone()),
    Route("policy-list", "政策文件列表 /zhengce/", "GET", public_url("policy_index"), everyone(),
          shows=lambda d: (TITLES["rsj_policy"], TITLES["ybj_policy"])),
    Route("policy-detail", "政策文件详情", "GET", public_url("rsj_policy"), everyone(),
          shows=lambda d: (TITLES["rsj_policy"],)),
    Route("interpretation", "政策解读详情", "GET", public_url("rsj_interp"), everyone(),
          shows=lambda d: (TITLES["rsj_interp"],)),
    Route("policy-draft-public", "未发布的政策（公开网址）", "GET", public_url("rsj_draft"), everyone(HIDDEN)),
    Route("consultation", "意见征集页面", "GET", lambda d: d["consultation"].get_url(), everyone(),
          shows=lambda d: (TITLES["consultation"],)),
    Route("opinion-post", "提交意见 (POST)", "POST", lambda d: d["consultation"].get_url(), everyone(),
          payload=opinion_form, changed=opinion_of("consultation", text__contains="矩阵测试")),
    Route("receipt-lookup", "回执查询页 /zhengqiu/chaxun/", "GET", lambda d: "/zhengqiu/chaxun/", everyone()),
    Route("receipt-lookup-code", "回执查询（回执号 + 查询码）", "POST", lambda d: "/zhengqiu/chaxun/", everyone(),
          payload=lambda d, c: {"receipt": d["opinion"].receipt_number, "code": d["opinion"].lookup_code},
          shows=lambda d: (d["opinion"].receipt_number,)),
    Route("receipt-lookup-wrong-code", "回执查询（错误查询码）", "POST", lambda d: "/zhengqiu/chaxun/",
          everyone(HIDDEN), payload=lambda d, c: {"receipt": d["opinion"].receipt_number, "code": "00000000"},
          shows=lambda d: (d["opinion"].receipt_number,)),
    Route("results-page-personal-data", "征集结果页上的个人信息", "GET", lambda d: d["answered"].get_url(),
          everyone(HIDDEN), shows=lambda d: tuple(RESULT_PII.values()),
          requires=lambda d: (d["answered_opinion"].receipt_number, "已采纳，将增设助餐点。", "[电话已隐藏]")),
    Route("wenda", "政策问答 /wenda/", "GET", lambda d: "/wenda/?q=灵活就业", everyone(),
          shows=lambda d: (TITLES["rsj_qa"],)),
    Route("wenda-detail", "问答详情 /wenda/<id>/", "GET", lambda d: f"/wenda/{d['qa']['rsj'].pk}/", everyone(),
          shows=lambda d: (TITLES["rsj_qa"],)),
    Route("wenda-draft", "未发布的问答 /wenda/<id>/", "GET", lambda d: f"/wenda/{d['qa']['rsj_draft'].pk}/",
          everyone(HIDDEN)),
    Route("wenda-feedback", "有用/没用 (POST)", "POST", lambda d: "/wenda/feedback/", everyone(),
          payload=lambda d, c: {"key": f"qa:{d['qa']['rsj'].pk}", "helpful": "1", "question": "矩阵反馈"},
          changed=lambda d: AnswerFeedback.objects.filter(question="矩阵反馈").exists()),
    Route("api-search", "GET /api/qa/search", "GET", lambda d: "/api/qa/search?q=灵活就业", everyone(),
          shows=lambda d: (TITLES["rsj_qa"],)),
    Route("api-openapi", "GET /api/qa/openapi.json", "GET", lambda d: "/api/qa/openapi.json", everyone()),
    Route("ik-dictionary", "GET /api/search/ik-dictionary.txt", "GET", lambda d: "/api/search/ik-dictionary.txt",
          everyone(), shows=lambda d: ("灵活就业人员",)),
    Route("healthz", "/healthz", "GET", lambda d: "/healthz", everyone()),
    Route("readyz", "/readyz", "GET", lambda d: "/readyz", everyone()),

    # The 12345 hotline: search.use_hotline (座席, 政务公开办) and superusers.
    Route("hotline", "座席检索 /hotline/", "GET", lambda d: "/hotline/?q=灵活就业", HOTLINE_USERS,
          shows=lambda d: (TITLES["rsj_qa"],)),
    Route("hotline-partial", "座席检索结果片段 ?partial=1", "GET", lambda d: "/hotline/?q=灵活就业&partial=1",
          HOTLINE_USERS, shows=lambda d: (TITLES["rsj_qa"],)),
    Route("hotline-gap", "登记知识缺口 (POST /hotline/gap/)", "POST", lambda d: "/hotline/gap/", HOTLINE_USERS,
          payload=lambda d, c: {"query": "矩阵缺口"},
          changed=lambda d: KnowledgeGap.objects.filter(query="矩阵缺口").exists()),

    # Wagtail admin: pages. 谁起草、谁解读 by tree permissions; publishing only through the workflow.
    Route("admin-dashboard", "管理后台首页 /admin/", "GET", lambda d: "/admin/", staff(**ALL_STAFF)),
    Route("policy-edit", "编辑本部门政策（人社局的）", "GET", admin_page_url("edit", "rsj_policy"),
          staff(**RSJ_AND_REVIEWERS)),
    Route("policy-save", "保存政策草稿 (POST)", "POST", admin_page_url("edit", "rsj_policy"),
          staff(**RSJ_AND_REVIEWERS), payload=policy_edit("rsj_policy", "rsj-policy", title=EDITED),
          changed=latest_title("rsj_policy", EDITED)),
    Route("policy-add", "在人社局目录下新建政策", "GET", add_url("cms.policydocumentpage", "rsj_folder"),
          staff(**RSJ_AND_REVIEWERS)),
    Route("policy-add-post", "在人社局目录下新建政策 (POST)", "POST", add_url("cms.policydocumentpage", "rsj_folder"),
          staff(**RSJ_AND_REVIEWERS), payload=lambda d, c: policy_form_data(slug="matrix-new"),
          changed=lambda d: Page.objects.filter(slug="matrix-new").exists()),
    Route("interpretation-edit", "编辑人社局的解读", "GET", admin_page_url("edit", "rsj_interp"),
          staff(**RSJ_AND_REVIEWERS)),
    Route("interpretation-add", "为人社局政策新建解读", "GET", add_url("interpretations.interpretationpage",
                                                                     "rsj_policy"), staff(**RSJ_AND_REVIEWERS)),
    Route("other-draft-edit", "编辑医保局的草稿", "GET", admin_page_url("edit", "ybj_draft"),
          staff(**YBJ_AND_REVIEWERS)),
    Route("other-draft-view", "预览医保局的草稿 view_draft", "GET", admin_page_url("view_draft", "ybj_draft"),
          staff(**YBJ_AND_REVIEWERS)),
    Route("other-draft-history", "医保局草稿的历史", "GET", admin_page_url("history", "ybj_draft"),
          staff(**YBJ_AND_REVIEWERS)),
    Route("other-draft-compare", "比较医保局草稿的版本", "GET",
          lambda d: reverse("wagtailadmin_pages:revisions_compare",
                            args=[d["pages"]["ybj_draft"].pk, "earliest", "latest"]), staff(**YBJ_AND_REVIEWERS)),
    Route("other-draft-explorer", "页面浏览器中的医保局草稿", "GET",
          lambda d: reverse("wagtailadmin_explore", args=[d["pages"]["ybj_folder"].pk]),
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    Route("other-draft-search", "后台页面搜索中的医保局草稿", "GET",
          lambda d: reverse("wagtailadmin_pages:search") + "?q=矩阵",
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    Route("other-draft-api", "后台 API 中的医保局草稿", "GET",
          lambda d: f"/admin/api/main/pages/{d['pages']['ybj_draft'].pk}/",
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    Route("other-draft-api-search", "后台 API 搜索结果中的医保局草稿", "GET", lambda d: "/admin/api/main/pages/?search=矩阵",
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    Route("site-history", "站点历史中的医保局草稿", "GET", lambda d: "/admin/reports/site-history/",
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    Route("site-history-qa-draft", "站点历史中的人社局问答草稿", "GET", lambda d: "/admin/reports/site-history/",
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("site-history-qa-results", "站点历史结果片段中的人社局问答草稿", "GET",
          lambda d: "/admin/reports/site-history/results/", staff(**RSJ_ROWS_ONLY),
          shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("site-history-qa-export", "站点历史导出中的人社局问答草稿", "GET",
          lambda d: "/admin/reports/site-history/?export=csv", staff(**RSJ_ROWS_ONLY),
          shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("workflow-report", "审核流程报告中的人社局待审稿", "GET", lambda d: "/admin/reports/workflow/",
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["rsj_review"],)),
    Route("other-draft-page-chooser", "页面选择器中的医保局草稿", "GET",
          lambda d: reverse("wagtailadmin_choose_page_child", args=[d["pages"]["ybj_folder"].pk]),
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    Route("other-draft-page-chooser-search", "页面选择器搜索中的医保局草稿", "GET",
          lambda d: reverse("wagtailadmin_choose_page_search") + "?q=矩阵",
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],),
          requires=lambda d: (TITLES["ybj_policy"],)),
    Route("other-draft-page-chooser-parent", "页面选择器打开医保局草稿本身（按编号）", "GET",
          lambda d: reverse("wagtailadmin_choose_page_child", args=[d["pages"]["ybj_draft"].pk]),
          staff(rsj_editor=HIDDEN, ybj_editor=OK, reviewer=OK), shows=lambda d: (TITLES["ybj_draft"],)),
    # Linking to another department's published policy (rich text links, 相关解读) must keep working.
    Route("other-live-page-chooser", "页面选择器中的医保局已发布政策", "GET",
          lambda d: reverse("wagtailadmin_choose_page_child", args=[d["pages"]["ybj_folder"].pk]),
          staff(**ALL_STAFF), shows=lambda d: (TITLES["ybj_policy"],)),
    Route("other-live-page-chooser-search", "页面选择器搜索中的医保局已发布政策", "GET",
          lambda d: reverse("wagtailadmin_choose_page_search") + "?q=矩阵", staff(**ALL_STAFF),
          shows=lambda d: (TITLES["ybj_policy"],)),
    Route("consultation-edit", "编辑人社局的意见征集页面", "GET", lambda d: reverse("wagtailadmin_pages:edit",
                                                                          args=[d["consultation"].pk]),
          staff(**RSJ_AND_REVIEWERS)),
    Route("publish-direct", "直接发布（action-publish，绕过流程）", "POST", admin_page_url("edit", "rsj_draft"),
          staff(admin=FORBIDDEN), payload=policy_edit("rsj_draft", "rsj-draft", **{"action-publish": "1"}),
          changed=is_live("rsj_draft")),
    Route("publish-on-create", "新建并直接发布（action-publish）", "POST", add_url("cms.policydocumentpage", "rsj_folder"),
          staff(admin=FORBIDDEN), changed=lambda d: Page.objects.filter(slug="matrix-live", live=True).exists(),
          payload=lambda d, c: policy_form_data(slug="matrix-live", must_interpret="", no_interpretation_reason="矩阵测试用文件",
                                                **{"action-publish": "1"})),
    Route("publish-bulk", "批量发布", "POST",
          lambda d: reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
          + f"?id={d['pages']['rsj_draft'].pk}", staff(admin=FORBIDDEN), payload=lambda d, c: {},
          changed=is_live("rsj_draft")),
    Route("workflow-submit", "提交审核（流程）", "POST", admin_page_url("edit", "rsj_draft"),
          staff(**RSJ_AND_REVIEWERS), payload=policy_edit("rsj_draft", "rsj-draft", **{"action-submit": "1"}),
          changed=in_moderation("rsj_draft")),
    Route("workflow-approve", "审核通过并发布（流程任务）", "POST",
          lambda d: reverse("wagtailadmin_pages:workflow_action",
                            args=[d["pages"]["rsj_review"].pk, "approve", d["task_state"].pk]),
          staff(reviewer=OK), payload=lambda d, c: {}, changed=is_live("rsj_review")),
    Route("unpublish", "撤销发布人社局政策", "POST", admin_page_url("unpublish", "rsj_policy"),
          staff(reviewer=OK), payload=lambda d, c: {}, changed=lambda d: not is_live("rsj_policy")(d)),
    # Wagtail's "change" permission includes deleting unpublished pages; live ones need "publish" as well.
    Route("page-delete", "删除人社局的草稿", "POST", admin_page_url("delete", "rsj_draft"), staff(**RSJ_AND_REVIEWERS),
          payload=lambda d, c: {}, changed=lambda d: not Page.objects.filter(pk=d["pages"]["rsj_draft"].pk).exists()),
    Route("page-delete-live", "删除人社局已发布的解读", "POST", admin_page_url("delete", "rsj_interp"), staff(reviewer=OK),
          payload=lambda d, c: {}, changed=lambda d: not Page.objects.filter(pk=d["pages"]["rsj_interp"].pk).exists()),
    Route("page-copy-other", "复制医保局的政策", "GET", admin_page_url("copy", "ybj_policy"),
          staff(**YBJ_AND_REVIEWERS)),

    # 解读清单 (ledger): editors see their department's rows, reviewers every department's.
    Route("ledger-own-rows", "解读清单：人社局的行", "GET", lambda d: reverse("interpretation_ledger"),
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["rsj_policy"],)),
    Route("ledger-other-rows", "解读清单：医保局的行", "GET", lambda d: reverse("interpretation_ledger"),
          staff(**YBJ_ROWS_ONLY), shows=lambda d: (TITLES["ybj_policy"],)),
    Route("ledger-filter-other", "解读清单按医保局筛选（?department=）", "GET",
          lambda d: reverse("interpretation_ledger") + f"?department={d['departments']['ybj'].pk}",
          staff(**YBJ_ROWS_ONLY), shows=lambda d: (TITLES["ybj_policy"],)),
    Route("ledger-export", "解读清单导出（医保局的行）", "GET", lambda d: reverse("interpretation_ledger") + "?export=csv",
          staff(**YBJ_ROWS_ONLY), shows=lambda d: (TITLES["ybj_policy"],)),

    # 意见征集 (opinion admin) of the 人社局 consultation.
    Route("consultation-list", "意见征集列表中的人社局征集", "GET", lambda d: reverse("consultations_admin:consultations"),
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["consultation"],)),
    Route("opinion-list", "意见列表", "GET", opinions_url, staff(**RSJ_AND_REVIEWERS),
          shows=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-list-personal-data", "意见列表中的姓名和原文（电话）", "GET", opinions_url, staff(**PERSONAL_DATA),
          shows=lambda d: (PII["name"], PII["text_phone"]), requires=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-search-personal-data", "按原文中的电话搜索意见", "GET",
          lambda d: opinions_url(d) + f"?q={PII['text_phone']}", staff(**PERSONAL_DATA),
          shows=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-detail", "意见详情", "GET", lambda d: reverse("consultations_admin:opinion", args=[d["opinion"].pk]),
          staff(**RSJ_AND_REVIEWERS), shows=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-detail-personal-data", "意见详情中的姓名、电话、邮箱、附件", "GET",
          lambda d: reverse("consultations_admin:opinion", args=[d["opinion"].pk]), staff(**PERSONAL_DATA),
          shows=lambda d: tuple(PII.values()), requires=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-decide", "答复一条意见 (POST)", "POST",
          lambda d: reverse("consultations_admin:opinion", args=[d["opinion"].pk]), staff(**RSJ_AND_REVIEWERS),
          payload=lambda d, c: {"decision": Decision.ADOPTED, "reply": "矩阵测试：已采纳。"},
          changed=opinion_of("consultation", decision=Decision.ADOPTED)),
    Route("opinion-bulk", "批量操作（设为公开）", "POST", lambda d: reverse("consultations_admin:bulk",
                                                                  args=[d["consultation"].pk]),
          staff(**RSJ_AND_REVIEWERS), payload=lambda d, c: {"action": "approve", "ids": [d["opinion"].pk]},
          changed=opinion_of("consultation", moderation_status=ModerationStatus.APPROVED)),
    Route("opinion-export", "导出意见 CSV", "GET", export_url(format="csv"), staff(**RSJ_AND_REVIEWERS),
          shows=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-export-xlsx", "导出意见 Excel", "GET", export_url(format="xlsx"), staff(**RSJ_AND_REVIEWERS)),
    Route("opinion-export-personal-data", "导出中的姓名、电话、邮箱 (personal=1)", "GET",
          export_url(format="csv", personal="1"), staff(**PERSONAL_DATA),
          shows=lambda d: (PII["name"], PII["phone"], PII["email"], PII["text_phone"]),
          requires=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-export-search-personal-data", "按原文中的电话筛选导出", "GET",
          export_url(format="csv", q=PII["text_phone"]), staff(**PERSONAL_DATA),
          shows=lambda d: (d["opinion"].receipt_number,)),
    Route("opinion-attachment", "下载意见附件", "GET",
          lambda d: reverse("consultations_admin:attachment", args=[d["attachment"].pk]), staff(reviewer=OK)),
    Route("publish-results", "发布征集结果 (POST)", "POST",
          lambda d: reverse("consultations_admin:publish_results", args=[d["closed"].pk]), staff(**RSJ_AND_REVIEWERS),
          payload=lambda d, c: {},
          changed=lambda d: ConsultationPage.objects.get(pk=d["closed"].pk).results_published_at is not None),
    Route("sensitive-words", "敏感词设置", "GET", snippet("consultations.sensitiveword", "list"), staff()),

    # 政策问答库 (Q&A snippets): a department keeps its own entries; 政务公开办 the whole base.
    Route("qa-list-own", "问答列表：人社局的问答", "GET", snippet("search.qaentry", "list"), staff(**RSJ_ROWS_ONLY),
          shows=lambda d: (TITLES["rsj_qa"],)),
    Route("qa-list-other-draft", "问答列表：人社局的问答草稿", "GET", snippet("search.qaentry", "list"),
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("qa-add", "新建问答", "GET", snippet("search.qaentry", "add"), staff(**ALL_STAFF)),
    Route("qa-edit", "编辑人社局的问答", "GET", snippet("search.qaentry", "edit", qa("rsj")), staff(**RSJ_AND_REVIEWERS)),
    Route("qa-edit-post", "保存人社局的问答 (POST)", "POST", snippet("search.qaentry", "edit", qa("rsj")),
          staff(**RSJ_AND_REVIEWERS), payload=qa_body("rsj", NEW_QUESTION),
          changed=qa_draft_question("rsj", NEW_QUESTION)),
    Route("qa-delete", "删除人社局的问答 (POST)", "POST", snippet("search.qaentry", "delete", qa("rsj")),
          staff(reviewer=OK), payload=lambda d, c: {},
          changed=lambda d: not QAEntry.objects.filter(pk=d["qa"]["rsj"].pk).exists()),
    Route("qa-bulk-delete", "批量删除人社局的问答", "POST",
          lambda d: reverse("wagtail_bulk_action", args=["search", "qaentry", "delete"]) + f"?id={d['qa']['rsj'].pk}",
          staff(reviewer=OK), payload=lambda d, c: {},
          changed=lambda d: not QAEntry.objects.filter(pk=d["qa"]["rsj"].pk).exists()),
    Route("qa-unpublish", "撤回人社局的问答 (POST)", "POST", snippet("search.qaentry", "unpublish", qa("rsj")),
          staff(**RSJ_AND_REVIEWERS), payload=lambda d, c: {},
          changed=lambda d: not QAEntry.objects.get(pk=d["qa"]["rsj"].pk).live),
    Route("qa-history", "人社局问答草稿的历史", "GET", snippet("search.qaentry", "history", qa("rsj_draft")),
          staff(**RSJ_AND_REVIEWERS), shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("qa-usage", "人社局问答草稿的引用", "GET", snippet("search.qaentry", "usage", qa("rsj_draft")),
          staff(**RSJ_AND_REVIEWERS), shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("qa-copy", "复制人社局的问答", "GET", snippet("search.qaentry", "copy", qa("rsj")), staff(**RSJ_AND_REVIEWERS)),
    Route("qa-revert", "恢复人社局问答的旧版本", "GET",
          lambda d: reverse("wagtailsnippets_search_qaentry:revisions_revert",
                            args=[d["qa"]["rsj"].pk, d["qa"]["rsj"].latest_revision_id]), staff(**RSJ_AND_REVIEWERS)),
    Route("qa-revert-post", "恢复旧版本并保存 (POST)", "POST",
          lambda d: reverse("wagtailsnippets_search_qaentry:revisions_revert",
                            args=[d["qa"]["rsj"].pk, d["qa"]["rsj"].latest_revision_id]), staff(**RSJ_AND_REVIEWERS),
          payload=qa_body("rsj", NEW_QUESTION), changed=qa_draft_question("rsj", NEW_QUESTION)),
    Route("qa-compare", "比较人社局问答草稿的版本（草稿内容）", "GET",
          lambda d: reverse("wagtailsnippets_search_qaentry:revisions_compare",
                            args=[d["qa"]["rsj_draft"].pk, "earliest", "latest"]), staff(**RSJ_AND_REVIEWERS),
          shows=lambda d: (DRAFT_SHORT_ANSWER,)),
    # Nobody is granted search.lock_qaentry: only superusers lock entries.
    Route("qa-lock", "锁定人社局的问答 (POST)", "POST", snippet("search.qaentry", "lock", qa("rsj")),
          staff(), payload=lambda d, c: {},
          changed=lambda d: QAEntry.objects.get(pk=d["qa"]["rsj"].pk).locked),
    Route("qa-chooser", "问答选择器中的人社局问答草稿", "GET",
          lambda d: reverse("wagtailsnippetchoosers_search_qaentry:choose"), staff(**RSJ_ROWS_ONLY),
          shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("qa-chooser-results", "问答选择器结果片段中的人社局问答草稿", "GET",
          lambda d: reverse("wagtailsnippetchoosers_search_qaentry:choose_results"), staff(**RSJ_ROWS_ONLY),
          shows=lambda d: (TITLES["rsj_qa_draft"],)),
    Route("qa-chooser-chosen", "选中人社局的问答草稿（按编号）", "GET",
          lambda d: reverse("wagtailsnippetchoosers_search_qaentry:chosen", args=[d["qa"]["rsj_draft"].pk]),
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["rsj_qa_draft"],)),
    # Nothing in the product chooses a Q&A entry: the chooser lists what the list view lists.
    Route("qa-chooser-other-live", "问答选择器中的人社局已发布问答", "GET",
          lambda d: reverse("wagtailsnippetchoosers_search_qaentry:choose"), staff(**RSJ_ROWS_ONLY),
          shows=lambda d: (TITLES["rsj_qa"],)),
    Route("synonyms", "同义词列表", "GET", snippet("search.synonymgroup", "list"), staff(reviewer=OK)),
    Route("synonym-edit", "编辑同义词", "GET", snippet("search.synonymgroup", "edit", lambda d: d["synonym"]),
          staff(reviewer=OK)),
    Route("synonym-delete", "删除同义词 (POST)", "POST", snippet("search.synonymgroup", "delete", lambda d: d["synonym"]),
          staff(reviewer=OK), payload=lambda d, c: {},
          changed=lambda d: not SynonymGroup.objects.filter(pk=d["synonym"].pk).exists()),
    Route("terms", "专业词列表", "GET", snippet("search.vocabularyterm", "list"), staff(reviewer=OK)),
    Route("term-edit", "编辑专业词", "GET", snippet("search.vocabularyterm", "edit", lambda d: d["term"]),
          staff(reviewer=OK)),

    # The two gap reports: a department sees what concerns it, 政务公开办 everything.
    Route("report-unanswered-own", "未找到答案的检索：人社局的", "GET", lambda d: "/admin/reports/unanswered-queries/",
          staff(**RSJ_ROWS_ONLY), shows=lambda d: (TITLES["rsj_unanswered"],)),
    Route("report-unanswered-other", "未找到答案的检索：医保局的", "GET", lambda d: "/admin/reports/unanswered-queries/",
          staff(**YBJ_ROWS_ONLY), shows=lambda d: (TITLES["ybj_unanswered"],)),
    Route("report-unanswered-filter-other", "未找到答案的检索按医保局筛选", "GET",
          lambda d: f"/admin/reports/unanswered-queries/?department={d['departments']['ybj'].pk}",
          staff(**YBJ_ROWS_ONLY), shows=lambda d: (TITLES["ybj_unanswered"],)),
    Route("report-unanswered-export", "未找到答案的检索导出（医保局的）", "GET",
          lambda d: "/admin/reports/unanswered-queries/?export=csv", staff(**YBJ_ROWS_ONLY),
          shows=lambda d: (TITLES["ybj_unanswered"],)),
    Route("report-least-useful-other", "评价最差的答复：医保局的", "GET", lambda d: "/admin/reports/least-useful-answers/",
          staff(**YBJ_ROWS_ONLY), shows=lambda d: (TITLES["ybj_feedback"],)),
    Route("report-least-useful-export", "评价最差的答复导出（医保局的）", "GET",
          lambda d: "/admin/reports/least-useful-answers/?export=csv", staff(**YBJ_ROWS_ONLY),
          shows=lambda d: (TITLES["ybj_feedback"],)),

    # Accounts, departments and Django's own admin.
    Route("users", "用户管理", "GET", lambda d: reverse("wagtailusers_users:index"), staff()),
    Route("groups", "用户组管理", "GET", lambda d: reverse("wagtailusers_groups:index"), staff()),
    Route("departments", "部门设置", "GET", snippet("cms.department", "list"), staff()),
    Route("department-edit", "编辑部门", "GET", snippet("cms.department", "edit", lambda d: d["departments"]["rsj"]),
          staff()),
    Route("django-admin", "Django admin /django-admin/（未挂载）", "GET", lambda d: "/django-admin/", everyone(HIDDEN)),
]

ROUTES_BY_NAME = {route.name: route for route in ROUTES}
assert len(ROUTES_BY_NAME) == len(ROUTES), "route names must be unique"
assert all(set(route.expect) == set(ROLES) for route in ROUTES), "every route names every role"


# --- running one cell ------------------------------------------------------------------------------------
def body_text(response):
    if isinstance(response, FileResponse):
        return ""  # binary (XLSX, attachments): only the status counts
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    text = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json") and text:
        text = json.dumps(json.loads(text), ensure_ascii=False)  # Wagtail's choosers escape non-ASCII
    return text


def classify(response, text, route, data):
    """The outcome of one request, in the matrix's words, and a description for failure messages."""
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302, 303) else ""
    detail = f"{status} {location}".strip()
    if location.startswith("/admin/login/"):
        return LOGIN, detail
    if status == 403 or location.rstrip("/") == "/admin":
        return FORBIDDEN, detail
    if status == 404:
        return HIDDEN, detail
    if location and route.method == "GET":
        return HIDDEN, f"{detail}; sent elsewhere"  # e.g. Wagtail's explorer sends editors to their own folder
    if status >= 400:
        return f"HTTP {status}", detail
    if route.requires is not None and text:
        missing = [s for s in route.requires(data) if s not in text]
        if missing:
            return "not the expected page", f"{detail}; missing {missing}"
    if route.shows is not None and text:
        wanted = route.shows(data)
        present = [s for s in wanted if s in text]
        if not present:
            return HIDDEN, f"{detail}; none of {wanted} shown"
        if len(present) < len(wanted):
            return "partly shown", f"{detail}; shown {present} of {wanted}"
    return OK, detail


def cells():
    for route in ROUTES:
        for role in ROLES:
            marks = []
            if role in route.bugs:
                marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {route.bugs[role]}"))
            yield pytest.param(route.name, role, id=f"{route.name}/{role}", marks=marks)


@pytest.fixture(scope="module")
def shared_client():
    """One test client for the module: its handler (and so WhiteNoise, which scans every static file
    when it starts, ~0.1 s) is built once, not once per cell."""
    return Client()


@pytest.fixture
def client(shared_client):
    shared_client.cookies = SimpleCookie()  # each cell starts logged out, with no session
    return shared_client


@pytest.fixture(autouse=True)
def fresh_search_index():
    """Overrides tests/conftest.py: the matrix shares the one index built with its data (``matrix_data``)."""
    yield


@pytest.mark.parametrize(("route_name", "role"), list(cells()))
def test_access(client, matrix, route_name, role):
    route = ROUTES_BY_NAME[route_name]
    if role != "anonymous":
        client.force_login(matrix["users"][role])
    url = route.url(matrix)
    if route.method == "POST":
        body = route.payload(matrix, client) if route.payload else {}
        response = client.post(url, body)
    else:
        response = client.get(url)
    text = body_text(response)
    outcome, detail = classify(response, text, route, matrix)
    if route.changed is not None:
        changed = route.changed(matrix)
        if outcome == OK and not changed:
            outcome, detail = FORBIDDEN, f"{detail}; answered but the change was not made"
        elif outcome != OK and changed:
            outcome, detail = "changed anyway", f"{detail}; refused, yet the change was made"
    expected = route.expect[role]
    assert outcome == expected, f"{route.method} {url} as {role}: expected {expected}, got {outcome} ({detail})"


REGENERATE = ("regenerate the table with: DJANGO_SETTINGS_MODULE=cms.settings.test .venv/bin/python -c "
              "'import django; django.setup(); from tests.security.test_access_matrix import matrix_markdown; "
              "print(matrix_markdown())'")


# --- the docs table --------------------------------------------------------------------------------------
def matrix_markdown():
    """The table in docs/access-control.md: one row per route, one column per role."""
    header = "| capability | method | route | " + " | ".join(ROLE_LABELS[r] for r in ROLES) + " |"
    lines = [header, "|" + "---|" * (3 + len(ROLES))]
    for route in ROUTES:
        cells_ = []
        for role in ROLES:
            cell = route.expect[role]
            if role in route.bugs:
                cell += " ⚠"
            cells_.append(cell)
        lines.append(f"| {route.capability} | {route.method} | `{route.name}` | " + " | ".join(cells_) + " |")
    return "\n".join(lines)


def test_docs_match_the_matrix():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "access-control.md").read_text(encoding="utf-8")
    assert matrix_markdown() in doc, f"docs/access-control.md is out of date; {REGENERATE}"

