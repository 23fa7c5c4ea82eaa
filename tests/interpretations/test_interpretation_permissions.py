"""谁起草、谁解读: a department's editors create and edit only their own policies and interpretations.

Driven through Wagtail's own admin views, so the tree permissions are what is tested.
"""
import pytest
from django.urls import reverse
from wagtail.test.utils import WagtailPageTestCase

from cms.factories import PolicyDocumentPageFactory
from cms.models import DepartmentPolicyIndexPage, HomePage, PolicyDocumentPage, PolicyIndexPage
from interpretations.factories import InterpretationPageFactory
from interpretations.models import InterpretationPage
from tests.helpers import interpretation_form_data, policy_form_data, refused


def add_url(model, parent):
    return reverse("wagtailadmin_pages:add", args=(model._meta.app_label, model._meta.model_name, parent.pk))


@pytest.fixture
def policies(departments):
    rsj_policy = PolicyDocumentPageFactory(parent=departments["rsj"].policy_index, slug="rsj-policy")
    ybj_policy = PolicyDocumentPageFactory(parent=departments["ybj"].policy_index, slug="ybj-policy",
                                           title="关于做好医保门诊共济保障工作的通知")
    return {"rsj": rsj_policy, "ybj": ybj_policy}


def test_editor_creates_policy_in_own_department(client, users, departments):
    client.force_login(users["rsj_editor"])
    folder = departments["rsj"].policy_index
    assert client.get(add_url(PolicyDocumentPage, folder)).status_code == 200
    response = client.post(add_url(PolicyDocumentPage, folder), policy_form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    page = PolicyDocumentPage.objects.get(slug="gxbys-jiuye")
    assert page.drafting_department == departments["rsj"]
    assert not page.live  # editors cannot publish; only the review workflow can


def test_editor_refused_in_other_department(client, users, departments):
    client.force_login(users["rsj_editor"])
    folder = departments["ybj"].policy_index
    assert refused(client.get(add_url(PolicyDocumentPage, folder)))
    assert refused(client.post(add_url(PolicyDocumentPage, folder), policy_form_data(slug="sneaky")))
    assert not PolicyDocumentPage.objects.filter(slug="sneaky").exists()


def test_editor_writes_interpretation_for_own_policy(client, users, policies, departments):
    client.force_login(users["rsj_editor"])
    response = client.post(add_url(InterpretationPage, policies["rsj"]), interpretation_form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    interp = InterpretationPage.objects.get(slug="yitu")
    assert interp.department == departments["rsj"]
    assert interp.policy_document.pk == policies["rsj"].pk


def test_editor_refused_interpretation_of_other_departments_policy(client, users, policies):
    client.force_login(users["rsj_editor"])
    assert refused(client.get(add_url(InterpretationPage, policies["ybj"])))
    assert refused(client.post(add_url(InterpretationPage, policies["ybj"]), interpretation_form_data(slug="x")))
    assert not InterpretationPage.objects.filter(slug="x").exists()


def test_editor_cannot_edit_other_departments_interpretation(client, users, policies):
    theirs = InterpretationPageFactory(parent=policies["ybj"], slug="ybj-interp")
    client.force_login(users["rsj_editor"])
    edit_url = reverse("wagtailadmin_pages:edit", args=(theirs.pk,))
    assert refused(client.get(edit_url))
    assert refused(client.post(edit_url, interpretation_form_data(title="篡改", slug="ybj-interp")))
    theirs.refresh_from_db()
    assert theirs.title != "篡改"
    # ...while the owning department's editor can.
    client.force_login(users["ybj_editor"])
    assert client.get(edit_url).status_code == 200


def test_editor_cannot_publish_directly(client, users, departments):
    client.force_login(users["rsj_editor"])
    folder = departments["rsj"].policy_index
    response = client.get(add_url(PolicyDocumentPage, folder))
    assert b'name="action-publish"' not in response.content
    client.post(add_url(PolicyDocumentPage, folder), policy_form_data(**{"action-publish": "1"}))
    page = PolicyDocumentPage.objects.filter(slug="gxbys-jiuye").first()
    assert page is None or not page.live


def test_reviewer_has_no_direct_publish_button_either(client, users, policies):
    client.force_login(users["reviewer"])
    response = client.get(reverse("wagtailadmin_pages:edit", args=(policies["rsj"].pk,)))
    assert response.status_code == 200
    assert b'name="action-publish"' not in response.content
    assert b'name="action-submit"' in response.content


class PageTreeRulesTest(WagtailPageTestCase):
    """Interpretations live under their policy and nowhere else."""

    def test_interpretation_only_under_policy(self):
        self.assertAllowedParentPageTypes(InterpretationPage, {PolicyDocumentPage})
        self.assertCanNotCreateAt(HomePage, InterpretationPage)
        self.assertCanNotCreateAt(DepartmentPolicyIndexPage, InterpretationPage)

    def test_policy_only_in_department_folder(self):
        self.assertAllowedParentPageTypes(PolicyDocumentPage, {DepartmentPolicyIndexPage})
        self.assertCanNotCreateAt(PolicyIndexPage, PolicyDocumentPage)
        self.assertAllowedSubpageTypes(PolicyDocumentPage, {InterpretationPage})
