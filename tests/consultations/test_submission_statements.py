"""What storing an opinion sends to PostgreSQL outside any transaction, as under gunicorn: one
SELECT (the new id and the duplicate group's leader) and one INSERT with the receipt number in it —
no UPDATE, no BEGIN/COMMIT — and a repeat of the same form still gets the original receipt."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Opinion
from consultations.submission import receipt_number
from tests.consultations.conftest import opinion_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL 的写入路径：make test-postgres 运行"),
]


def test_a_lone_opinion_is_one_select_and_one_insert(client, consultation):
    url = f"/zhengqiu/tijiao/{consultation.pk}/"
    first = opinion_data(client, consultation)
    client.post(url, first)  # warms the page and site caches
    data = opinion_data(client, consultation, text=first["text"])  # the same words: a form letter
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data)
    assert response.status_code == 200 and "意见已提交" in response.content.decode()
    # (The tests look the Site up on every request: SITE_CACHE_SECONDS = 0.)
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries if "wagtailcore_site" not in q["sql"]]
    assert statements == ["SELECT", "INSERT"], [q["sql"][:90] for q in captured.captured_queries]
    leader, follower = Opinion.objects.order_by("pk")
    assert follower.receipt_number == receipt_number(follower) and follower.receipt_number in response.content.decode()
    assert follower.duplicate_group_id == leader.pk and leader.duplicate_group_id is None

    again = client.post(url, data)  # the same form sent twice: the unique constraint answers
    assert "该意见已提交过" in again.content.decode() and follower.receipt_number in again.content.decode()
    assert Opinion.objects.count() == 2


def test_an_opinion_with_answers_is_stored_with_them_in_one_transaction(client, consultation):
    """With questionnaire answers the INSERTs go together (BEGIN … COMMIT): all of them or none."""
    from consultations.models import QuestionAnswer

    page = type(consultation).objects.get(pk=consultation.pk)
    page.questionnaire = [("rating", {"question": "您对草案总体满意吗？", "required": True,
                                      "low_label": "很不满意", "high_label": "非常满意"})]
    page.save_revision().publish()
    page = type(consultation).objects.get(pk=consultation.pk)
    ((rating_id, _kind, _value),) = page.questions()
    data = opinion_data(client, page, **{f"q_{rating_id}": "4"})
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/zhengqiu/tijiao/{page.pk}/", data)
    assert response.status_code == 200, response.content.decode()[:300]
    opinion = Opinion.objects.get()
    assert [a.rating for a in QuestionAnswer.objects.filter(opinion=opinion)] == [4]
    assert opinion.receipt_number == receipt_number(opinion)
    # In a transaction: the statement after the last INSERT (the answer's) is the COMMIT. What the
    # receipt page reads afterwards (its links, once per generation) comes after it.
    statements = [q["sql"].split()[0].upper() for q in captured.captured_queries]
    last_insert = max(i for i, statement in enumerate(statements) if statement == "INSERT")
    assert statements.count("INSERT") == 2 and statements[last_insert + 1] == "COMMIT", statements
