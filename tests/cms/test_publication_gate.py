"""The publication gate: 同步解读 for policies, the quality check for interpretations, and the
reviewer's override with a reason recorded in Wagtail's audit log."""
import pytest
from django.urls import reverse
from wagtail.models import PageLogEntry

from cms.factories import PolicyDocumentPageFactory
from cms.models import PolicyDocumentPage, PublicationOverride
from cms.models.gate import OVERRIDE_LOG_ACTION, PublicationBlocked
from cms.roles import ensure_workflow
from interpretations.factories import InterpretationPageFactory
from tests.helpers import refused

POLICY_TEXT = "对吸纳高校毕业生就业并缴纳社会保险费的中小微企业，按规定给予一次性吸纳就业补贴。"


@pytest.fixture
def policy(departments):
    return PolicyDocumentPageFactory(parent=departments["rsj"].policy_index, slug="jiuye")


def submit(page, user):
    page.save_revision(user=user)
    return ensure_workflow().start(page, user)


def workflow_action(client, page, action, xhr=False, **data):
    task_state = page.current_workflow_state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(page.pk, action, task_state.pk))
    headers = {"x-requested-with": "XMLHttpRequest"} if xhr else {}
    return client.post(url, data, headers=headers)


def test_policy_cannot_go_live_without_an_interpretation(policy, users):
    with pytest.raises(PublicationBlocked) as exc:
        policy.save_revision(user=users["admin"]).publish(user=users["admin"])
    assert "同步发布" in str(exc.value)
    policy.refresh_from_db()
    assert not policy.live


def test_policy_marked_not_needing_interpretation_publishes(policy, users):
    policy.must_interpret = False
    policy.no_interpretation_reason = "内部工作制度，不面向公众"
    policy.save_revision(user=users["admin"]).publish(user=users["admin"])
    policy.refresh_from_db()
    assert policy.live


def test_interpretation_then_policy_go_live_together(client, policy, users):
    interp = InterpretationPageFactory(parent=policy, slug="jiedu")
    interp.save_revision(user=users["admin"]).publish(user=users["admin"])
    # Live but invisible until its policy is live (同步解读).
    assert client.get(interp.url).status_code == 404
    policy.save_revision(user=users["admin"]).publish(user=users["admin"])
    assert client.get(PolicyDocumentPage.objects.get(pk=policy.pk).url).status_code == 200
    response = client.get(interp.url)
    assert response.status_code == 200
    assert "政策原文" in response.content.decode()


def test_reviewer_approves_a_clean_interpretation(client, policy, users):
    interp = InterpretationPageFactory(parent=policy, slug="jiedu")
    submit(interp, users["rsj_editor"])
    client.force_login(users["reviewer"])
    response = workflow_action(client, interp, "approve")
    assert response.status_code in (200, 302)
    interp.refresh_from_db()
    assert interp.live


def test_copied_interpretation_cannot_be_approved_only_overridden(client, policy, users):
    copy = f"<p>{POLICY_TEXT}</p>"
    interp = InterpretationPageFactory(parent=policy, slug="chaoxie", background=copy, objectives=copy,
                                       main_content=copy, standards=copy, benefits=copy, changes=copy)
    assert {f["code"] for f in interp.gate_findings()} >= {"copied"}
    with pytest.raises(PublicationBlocked):
        interp.save_revision(user=users["admin"]).publish(user=users["admin"])

    submit(interp, users["rsj_editor"])
    task = interp.current_workflow_task
    assert [a[0] for a in task.get_actions(interp, users["reviewer"])] == ["reject", "override"]
    assert task.get_actions(interp, users["rsj_editor"]) == []

    client.force_login(users["reviewer"])
    assert refused(workflow_action(client, interp, "approve"))
    short = workflow_action(client, interp, "override", xhr=True, comment="同意")
    assert short.status_code == 200 and "放行理由至少 10 个字" in short.json()["html"]
    interp.refresh_from_db()
    assert not interp.live

    reason = "发布会实录需要完整引用原文条款，经分管领导同意发布"
    workflow_action(client, interp, "override", comment=reason)
    interp.refresh_from_db()
    assert interp.live
    override = PublicationOverride.objects.get(page=interp)
    assert override.reason == reason and override.user == users["reviewer"]
    entry = PageLogEntry.objects.get(page=interp, action=OVERRIDE_LOG_ACTION)
    assert entry.data["reason"] == reason
    assert entry.formatter.label == "人工放行" and reason in entry.message


def test_editor_cannot_override(client, policy, users):
    copy = f"<p>{POLICY_TEXT}</p>"
    interp = InterpretationPageFactory(parent=policy, slug="chaoxie", background=copy, objectives=copy,
                                       main_content=copy, standards=copy, benefits=copy, changes=copy)
    submit(interp, users["rsj_editor"])
    client.force_login(users["rsj_editor"])
    assert refused(workflow_action(client, interp, "override", comment="我自己放行我自己的稿子吧十个字"))
    interp.refresh_from_db()
    assert not interp.live and not PublicationOverride.objects.exists()


def test_policy_review_lists_pending_interpretation(client, policy, users):
    InterpretationPageFactory(parent=policy, slug="jiedu", title="一图读懂就业补贴")
    submit(policy, users["rsj_editor"])
    findings = policy.current_workflow_task.findings_for(policy)
    assert findings[0]["code"] == "no_interpretation"
    assert "《一图读懂就业补贴》" in findings[0]["message"]


def test_findings_panel_shows_in_editor(client, policy, users):
    copy = f"<p>{POLICY_TEXT}</p>"
    interp = InterpretationPageFactory(parent=policy, slug="chaoxie", background=copy, objectives=copy,
                                       main_content=copy, standards=copy, benefits=copy, changes="")
    client.force_login(users["rsj_editor"])
    html = client.get(reverse("wagtailadmin_pages:edit", args=(interp.pk,))).content.decode()
    assert "质量检查未通过" in html
    assert "逐字相同" in html and "“新旧政策差异”缺少实质内容" in html
    good = InterpretationPageFactory(parent=policy, slug="good")
    assert "质量检查通过" in client.get(reverse("wagtailadmin_pages:edit", args=(good.pk,))).content.decode()


def test_bulk_publish_is_refused(client, policy, users):
    interp = InterpretationPageFactory(parent=policy, slug="jiedu")
    client.force_login(users["admin"])
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    response = client.post(f"{url}?id={interp.pk}&next=/admin/", {"include_descendants": ""}, follow=True)
    interp.refresh_from_db()
    assert not interp.live
    assert "不能批量发布" in response.content.decode()
