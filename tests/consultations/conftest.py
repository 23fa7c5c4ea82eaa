import pytest

from consultations.factories import ConsultationPageFactory


@pytest.fixture(autouse=True)
def clear_cache(empty_cache):
    """Every consultation test starts with an empty cache (tests/conftest.py)."""


@pytest.fixture
def consultation(departments):
    page = ConsultationPageFactory(parent=departments["rsj"].policy_index, slug="yanglao")
    page.save_revision().publish()
    return page.__class__.objects.get(pk=page.pk)


def opinion_data(client, consultation, **overrides):
    """A valid POST for the consultation, with the form token the GET handed out."""
    html = client.get(consultation.url).content.decode()
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    data = {"category": "养老服务", "clause": "2", "text": "建议把居家养老服务补贴的发放对象扩大到七十五岁以上独居老人，并简化申请材料。",
            "name": "张三丰", "phone": "13912345678", "email": "zhang@example.org", "consent": "on", "token": token,
            "website": ""}
    data.update(overrides)
    return data
