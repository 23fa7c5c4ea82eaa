"""One data set for the whole access matrix, built once per module and rolled back at the end.

Building the site tree, two departments, their pages, consultations and a Q&A base takes a few
seconds; the matrix has over 700 cells, so the data is created once inside an outer
transaction (like Django's ``setUpTestData``) and every cell runs in its own savepoint (the ``db``
fixture), which is rolled back after the request. Nothing a cell changes is seen by the next one.
"""
import datetime
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from cms.factories import DepartmentFactory, PolicyDocumentPageFactory, UserFactory
from cms.roles import HOTLINE_GROUP, REVIEWERS_GROUP, ensure_all_roles
from consultations.factories import ConsultationPageFactory
from consultations.models import Decision, ModerationStatus, Opinion, OpinionAttachment
from consultations.privacy import mask_personal_data
from consultations.submission import fingerprint
from interpretations.factories import InterpretationPageFactory
from interpretations.models import InterpretationPage
from search.factories import QAEntryFactory, SynonymGroupFactory
from search.models import AnswerFeedback, SearchQueryLog, VocabularyTerm
from tests.conftest import build_site_tree

# What an opinion's author typed: the raw text, the name and the contact details are personal data (C6).
PII = {"name": "王小明", "phone": "13912345678", "email": "wang.xiaoming@example.org",
       "text_phone": "13800138000", "attachment": "证明材料.pdf"}
OPINION_TEXT = f"社区养老食堂价格偏高，请核实，我的电话 {PII['text_phone']}，欢迎联系。"
RESULT_PII = {"name": "李明华", "phone": "13712345678", "email": "li.minghua@example.org", "text_phone": "13600136000"}
RESULT_TEXT = f"建议增加社区助餐点，有问题请打我电话 {RESULT_PII['text_phone']} 联系。"

TITLES = {
    "rsj_policy": "市人社局稳就业补贴若干措施（矩阵）",
    "rsj_interp": "一图读懂市人社局稳就业补贴（矩阵）",
    "rsj_draft": "市人社局高校毕业生见习草稿（矩阵）",
    "rsj_review": "市人社局技能提升补贴待审稿（矩阵）",
    "ybj_policy": "市医保局门诊共济保障实施办法（矩阵）",
    "ybj_interp": "一图读懂市医保局门诊共济（矩阵）",
    "ybj_draft": "市医保局长期护理保险草稿（矩阵）",
    "consultation": "《乌鲁木齐市养老服务条例（草案）》征求意见（矩阵）",
    "rsj_qa": "灵活就业人员怎么缴纳社会保险（矩阵人社）",
    "ybj_qa": "异地就医怎么备案（矩阵医保）",
    "rsj_qa_draft": "失业保险金怎么申领（矩阵人社草稿）",
    "rsj_unanswered": "人社矩阵未答检索词",
    "ybj_unanswered": "医保矩阵未答检索词",
    "rsj_feedback": "人社矩阵差评问题",
    "ybj_feedback": "医保矩阵差评问题",
}

DRAFT_SHORT_ANSWER = "矩阵草稿答复口径：尚未审定，请勿对外答复。"

ROLES = ["anonymous", "resident", "rsj_editor", "ybj_editor", "reviewer", "hotline", "admin"]


def _publish(obj):
    obj.save_revision().publish()
    obj.refresh_from_db()
    return obj


def _policy(folder, key, live=True, interpretation=None):
    """A policy; with an interpretation it must be interpreted (so it is in the 解读清单) and both go live."""
    if interpretation is None:
        fields = {"must_interpret": False, "no_interpretation_reason": "矩阵测试用文件"}
    else:
        fields = {"must_interpret": True}
    page = PolicyDocumentPageFactory(parent=folder, slug=key.replace("_", "-"), title=TITLES[key], **fields)
    page.save_revision()
    if interpretation is not None:
        _publish(InterpretationPageFactory(parent=page, slug=interpretation.replace("_", "-"),
                                           title=TITLES[interpretation]))
    if live:
        _publish(page)
    return page.__class__.objects.get(pk=page.pk)


def _opinion(consultation, text, pii, **fields):
    opinion = Opinion.objects.create(
        consultation=consultation, idempotency_key=uuid.uuid4().hex, client_hash="c" * 32, category="养老服务",
        text=text, public_text=mask_personal_data(text), fingerprint=fingerprint(text), name=pii["name"],
        phone=pii["phone"], email=pii["email"], **fields)
    opinion.receipt_number = f"YJ-20260101-{opinion.pk:06d}"
    opinion.save(update_fields=["receipt_number"])
    return opinion


def _consultation(folder, slug, *, closed=False, **fields):
    now = timezone.now()
    if closed:
        fields.update(start_at=now - datetime.timedelta(days=20), end_at=now - datetime.timedelta(days=3))
    page = ConsultationPageFactory(parent=folder, slug=slug, **fields)
    _publish(page)
    return page.__class__.objects.get(pk=page.pk)


def _qa(department, key, policy=None, live=True, author=None):
    entry = QAEntryFactory.build(department=department, question=TITLES[key], policy=policy, live=False)
    entry.save()
    revision = entry.save_revision()
    if live:
        revision.publish()
    else:  # a second draft revision, so that comparing revisions shows the unpublished wording
        entry.short_answer = DRAFT_SHORT_ANSWER
        entry.save()
        entry.save_revision(user=author, log_action=True)  # “已编辑” in the audit log (站点历史)
    entry.refresh_from_db()
    return entry


def build_matrix_data():
    from search.outbox import process_outbox

    home, policy_index = build_site_tree()
    ensure_all_roles()
    rsj = DepartmentFactory(code="rsj", name="乌鲁木齐市人力资源和社会保障局", short_name="市人社局")
    ybj = DepartmentFactory(code="ybj", name="乌鲁木齐市医疗保障局", short_name="市医保局")
    rsj.refresh_from_db()
    ybj.refresh_from_db()

    users = {
        "resident": UserFactory(username="resident"),
        "rsj_editor": UserFactory(username="rsj_editor", groups=[rsj.editors_group]),
        "ybj_editor": UserFactory(username="ybj_editor", groups=[ybj.editors_group]),
        "reviewer": UserFactory(username="reviewer", groups=[Group.objects.get(name=REVIEWERS_GROUP)]),
        "hotline": UserFactory(username="hotline", groups=[Group.objects.get(name=HOTLINE_GROUP)]),
        "admin": UserFactory(username="admin", is_superuser=True, is_staff=True),
    }

    pages = {"home": home, "policy_index": policy_index, "rsj_folder": rsj.policy_index,
             "ybj_folder": ybj.policy_index}
    for code in ("rsj", "ybj"):
        policy = _policy(pages[f"{code}_folder"], f"{code}_policy", interpretation=f"{code}_interp")
        pages[f"{code}_policy"] = policy
        pages[f"{code}_interp"] = InterpretationPage.objects.child_of(policy).get()
    pages["rsj_draft"] = _policy(rsj.policy_index, "rsj_draft", live=False)
    pages["ybj_draft"] = _policy(ybj.policy_index, "ybj_draft", live=False)
    # A draft the rsj editor has sent to 政务公开办审核 (the workflow's one task is in progress).
    review = _policy(rsj.policy_index, "rsj_review", live=False)
    workflow_state = review.get_workflow().start(review, users["rsj_editor"])
    pages["rsj_review"] = review
    task_state = workflow_state.current_task_state

    consultation = _consultation(rsj.policy_index, "yanglao", title=TITLES["consultation"])
    opinion = _opinion(consultation, OPINION_TEXT, PII)
    attachment = OpinionAttachment.objects.create(opinion=opinion, file=ContentFile(b"%PDF-1.4 matrix", name="a.pdf"),
                                                  original_name=PII["attachment"], size=15)
    # Closed, summary written, results not yet published: what 「发布征集结果」 acts on.
    closed = _consultation(rsj.policy_index, "yijing", closed=True,
                           results_summary="<p>共收到意见 1 条，采纳 1 条。</p>")
    _opinion(closed, "建议把老年助餐点设到每个社区。", {"name": "赵六", "phone": "", "email": ""},
             moderation_status=ModerationStatus.APPROVED, decision=Decision.ADOPTED, reply="已采纳。",
             decided_at=timezone.now())
    # Closed with results published: the public page lists the approved, decided opinion.
    answered = _consultation(rsj.policy_index, "yifankui", closed=True,
                             results_summary="<p>共收到意见 1 条，采纳 1 条。</p>")
    answered_opinion = _opinion(answered, RESULT_TEXT, RESULT_PII, moderation_status=ModerationStatus.APPROVED,
                                decision=Decision.ADOPTED, reply="已采纳，将增设助餐点。", decided_at=timezone.now())
    type(answered).objects.filter(pk=answered.pk).update(results_published_at=timezone.now())

    synonym = SynonymGroupFactory(terms="社保,社会保险")
    term = VocabularyTerm.objects.create(word="灵活就业人员")
    qa = {"rsj": _qa(rsj, "rsj_qa", policy=pages["rsj_policy"]), "ybj": _qa(ybj, "ybj_qa"),
          "rsj_draft": _qa(rsj, "rsj_qa_draft", live=False, author=users["rsj_editor"])}
    for department, key in ((rsj, "rsj"), (ybj, "ybj")):
        SearchQueryLog.objects.create(query=TITLES[f"{key}_unanswered"], channel=SearchQueryLog.Channel.HOTLINE,
                                      department=department, total=0, took_ms=1.0)
        AnswerFeedback.objects.create(doc_key=f"qa:{qa[key].pk}", question=TITLES[f"{key}_feedback"],
                                      department=department, helpful=False)
    process_outbox()
    return {
        "users": users, "departments": {"rsj": rsj, "ybj": ybj}, "pages": pages, "task_state": task_state,
        "consultation": consultation, "opinion": opinion, "attachment": attachment, "closed": closed,
        "answered": answered, "answered_opinion": answered_opinion, "qa": qa,
        "synonym": synonym, "term": term,
    }


@pytest.fixture(scope="module")
def matrix_data(django_db_setup, django_db_blocker, tmp_path_factory):
    from search.analysis import reset_analyzer
    from search.backends import reset_backend

    overrides = override_settings(SEARCH_EMBEDDED_DIR=tmp_path_factory.mktemp("matrix-index"),
                                  PRIVATE_MEDIA_ROOT=tmp_path_factory.mktemp("matrix-private"))
    overrides.enable()
    reset_backend()
    reset_analyzer()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_matrix_data()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    overrides.disable()
    reset_backend()
    reset_analyzer()
    cache.clear()


@pytest.fixture
def matrix(matrix_data, db):
    """The shared data, inside this cell's savepoint; rate-limit and login counters start at zero."""
    cache.clear()
    yield matrix_data
    cache.clear()
