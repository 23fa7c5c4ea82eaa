"""Fixtures for the hotline search: a fresh embedded index per test and a small Q&A base."""
import datetime

import pytest

from cms.factories import PolicyDocumentPageFactory
from search.backends import get_backend
from search.factories import QAEntryFactory, SynonymGroupFactory
from search.outbox import process_outbox


def publish(obj, user=None):
    """Publish through Wagtail's revisions, as the admin does (fires the published signals)."""
    if obj.pk is None:
        obj.save()
    obj.save_revision(user=user).publish(user=user)
    obj.refresh_from_db()
    return obj


def live_policy(folder, **kwargs):
    policy = PolicyDocumentPageFactory(parent=folder, must_interpret=False, no_interpretation_reason="测试用文件",
                                       **kwargs)
    return publish(policy)


def sync_index():
    """Apply the outbox now (the worker would do it after commit)."""
    return process_outbox()


@pytest.fixture
def qa_base(departments, site_tree, search_backend):
    """Entries of two departments, one resting on a current and one on a repealed policy."""
    rsj, ybj = departments["rsj"], departments["ybj"]
    SynonymGroupFactory(terms="社保,社会保险")
    SynonymGroupFactory(terms="医保,基本医疗保险,医疗保险")
    SynonymGroupFactory(terms="孩子上学,义务教育入学")
    current = live_policy(rsj.policy_index, title="乌鲁木齐市灵活就业人员参加社会保险办法", doc_number="乌政办〔2021〕83号",
                          publish_date=datetime.date(2021, 6, 1))
    old = live_policy(rsj.policy_index, title="乌鲁木齐市灵活就业人员参保暂行办法", doc_number="乌政办〔2015〕12号",
                      written_date=datetime.date(2015, 1, 5), publish_date=datetime.date(2015, 1, 10),
                      repeal_basis="乌政办〔2021〕83号")
    entries = {
        "flexible": publish(QAEntryFactory.build(
            department=rsj, policy=current, live=False, question="灵活就业人员怎么缴纳社会保险？",
            alt_questions="打零工的怎么交社保\n个体户能自己交养老保险吗",
            short_answer="可以以个人身份参加企业职工基本养老保险，在网上经办大厅或社保经办窗口办理参保登记后按月缴费。")),
        "flexible_old": publish(QAEntryFactory.build(
            department=rsj, policy=old, live=False, question="灵活就业人员怎么缴纳社会保险？",
            short_answer="按旧办法到户籍所在地社保所办理，每年一次性缴纳。")),
        "medical": publish(QAEntryFactory.build(
            department=ybj, live=False, question="异地就医怎么备案？",
            alt_questions="去外地看病医保能报销吗",
            short_answer="通过国家医保服务平台或窗口办理异地就医备案后，在备案地定点医院看病可以直接结算基本医疗保险费用。",
            answer="<p>长期异地居住和临时外出就医人员均可备案。</p>")),
        "school": publish(QAEntryFactory.build(
            department=rsj, live=False, question="随迁子女义务教育入学需要哪些材料？",
            short_answer="需要居住证、户口簿和监护人的就业或社保缴纳证明，向居住地所在区教育局提出申请。",
            answer="<p>义务教育入学按学区划片。</p>")),
    }
    sync_index()
    return {"current": current, "old": old, "entries": entries, "backend": get_backend()}


@pytest.fixture
def search_backend():
    """The embedded backend (test_conformance.py overrides this to run on every backend)."""
    return get_backend()
