"""立、改、废: publishing an amending or repealing document updates the old one's validity,
the old page links to its replacement, and lists show validity clearly."""
import datetime

import pytest

from cms.factories import PolicyDocumentPageFactory
from cms.models import PolicyDocumentPage, Validity
from interpretations.factories import InterpretationPageFactory


def publish_with_interpretation(policy, user):
    interp = InterpretationPageFactory(parent=policy, slug=f"{policy.slug}-jiedu")
    interp.save_revision(user=user).publish(user=user)
    policy.save_revision(user=user).publish(user=user)
    return PolicyDocumentPage.objects.get(pk=policy.pk)


@pytest.fixture
def old_policy(departments, users):
    policy = PolicyDocumentPageFactory(parent=departments["rsj"].policy_index, slug="old",
                                       title="乌鲁木齐市就业补贴管理办法", doc_number="乌政办〔2019〕12号")
    return publish_with_interpretation(policy, users["admin"])


def new_policy(departments, slug, **relations):
    policy = PolicyDocumentPageFactory(parent=departments["rsj"].policy_index, slug=slug,
                                       title=f"关于修改就业补贴管理办法的决定（{slug}）")
    for name, targets in relations.items():
        getattr(policy, name).set(targets)
    policy.save()
    return policy


def test_new_policy_is_current(old_policy):
    assert old_policy.validity == Validity.CURRENT


def test_publishing_an_amendment_marks_the_old_one_amended(old_policy, departments, users, client):
    amendment = new_policy(departments, "amend", amends=[old_policy])
    old_policy.refresh_from_db()
    assert old_policy.validity == Validity.CURRENT  # a draft amendment changes nothing
    amendment = publish_with_interpretation(amendment, users["admin"])
    old_policy.refresh_from_db()
    assert old_policy.validity == Validity.AMENDED
    html = client.get(old_policy.url).content.decode()
    assert "本文件已修改" in html and amendment.url in html


def test_publishing_a_repeal_marks_the_old_one_repealed_and_links_to_it(old_policy, departments, users, client):
    repeal = publish_with_interpretation(new_policy(departments, "repeal", repeals=[old_policy]), users["admin"])
    old_policy.refresh_from_db()
    assert old_policy.validity == Validity.REPEALED
    html = client.get(old_policy.url).content.decode()
    assert "本文件已废止" in html and repeal.url in html and "不再作为办事依据" in html
    # Repeal wins over amendment.
    publish_with_interpretation(new_policy(departments, "amend2", amends=[old_policy]), users["admin"])
    old_policy.refresh_from_db()
    assert old_policy.validity == Validity.REPEALED


def test_unpublishing_the_repeal_restores_validity(old_policy, departments, users):
    repeal = publish_with_interpretation(new_policy(departments, "repeal", repeals=[old_policy]), users["admin"])
    repeal.unpublish(user=users["admin"])
    old_policy.refresh_from_db()
    assert old_policy.validity == Validity.CURRENT


def test_editing_the_old_policy_does_not_revert_its_validity(old_policy, departments, users):
    publish_with_interpretation(new_policy(departments, "repeal", repeals=[old_policy]), users["admin"])
    old = PolicyDocumentPage.objects.get(pk=old_policy.pk)
    old.summary = "更正摘要中的错别字。"
    old.save_revision(user=users["admin"]).publish(user=users["admin"])
    old.refresh_from_db()
    assert old.validity == Validity.REPEALED


def test_expiry_date_and_external_repeal(old_policy):
    old_policy.expiry_date = datetime.date(2020, 12, 31)
    assert old_policy.compute_validity(today=datetime.date(2021, 1, 1)) == Validity.EXPIRED
    assert old_policy.compute_validity(today=datetime.date(2020, 12, 31)) == Validity.CURRENT
    old_policy.repeal_basis = "新政发〔2022〕3号"
    assert old_policy.compute_validity() == Validity.REPEALED


def test_refresh_policy_validity_command_catches_expiry(old_policy):
    from django.core.management import call_command

    PolicyDocumentPage.objects.filter(pk=old_policy.pk).update(expiry_date=datetime.date(2020, 1, 1))
    call_command("refresh_policy_validity", verbosity=0)
    old_policy.refresh_from_db()
    assert old_policy.validity == Validity.EXPIRED


def test_policy_list_shows_validity_and_filters(old_policy, departments, users, client, site_tree):
    publish_with_interpretation(new_policy(departments, "repeal", repeals=[old_policy]), users["admin"])
    index_url = site_tree["policy_index"].url
    html = client.get(index_url).content.decode()
    assert "已废止" in html and "现行有效" in html
    only_current = client.get(index_url, {"validity": "current"}).content.decode()
    assert "乌鲁木齐市就业补贴管理办法" not in only_current
    by_number = client.get(index_url, {"q": "2019〕12"}).content.decode()
    assert "乌鲁木齐市就业补贴管理办法" in by_number and "共 1 件" in by_number
    by_dept = client.get(index_url, {"department": "ybj"}).content.decode()
    assert "共 0 件" in by_dept


def test_filter_urls_are_stable_and_bad_input_is_explained(client, site_tree, departments):
    index_url = site_tree["policy_index"].url
    response = client.get(index_url, {"year": "二〇二一"})
    assert response.status_code == 200
    assert "请输入四位数年份" in response.content.decode()
    assert client.get(index_url, {"page": "999"}).status_code == 404
    assert client.get(index_url, {"page": "abc"}).status_code == 404


def test_chain_shows_on_the_new_policy(old_policy, departments, users, client):
    amendment = publish_with_interpretation(new_policy(departments, "amend", amends=[old_policy]), users["admin"])
    html = client.get(amendment.url).content.decode()
    assert "修改：" in html and old_policy.title in html


def test_renaming_a_department_keeps_its_editors_group(departments, users):
    from cms.models import Department
    from cms.roles import ensure_all_roles

    rsj = departments["rsj"]
    group_id = rsj.editors_group_id
    rsj.short_name = "市人力资源社会保障局"
    rsj.save()
    ensure_all_roles()
    rsj.refresh_from_db()
    assert rsj.editors_group_id == group_id
    assert rsj.editors_group.name == "市人力资源社会保障局编辑"
    assert list(Department.for_user(users["rsj_editor"])) == [rsj]


def test_routing_shortcut_keeps_wagtails_rules(old_policy, departments, users, client):
    interp = old_policy.get_children().first()
    assert client.get(interp.url).status_code == 200
    assert client.get(old_policy.url).status_code == 200
    assert client.get(old_policy.url + "no-such-page/").status_code == 404
    assert client.get("/zhengce/no-such-folder/no-such-page/").status_code == 404
    assert client.get(departments["rsj"].policy_index.url).status_code == 200
    # An interpretation of a policy that is taken offline disappears with it.
    PolicyDocumentPage.objects.get(pk=old_policy.pk).unpublish()
    assert client.get(interp.url).status_code == 404
