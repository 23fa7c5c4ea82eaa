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


def test_a_form_letter_finds_its_group_leader_without_reading_the_group(client, consultation):
    """A campaign of identical letters is common in a hot consultation (seed 001). Each new letter
    looks its group's leader up: from the partial index of leaders that reads one entry, not every
    earlier letter of the group, nor (ORDER BY id LIMIT 1 on the primary key) every opinion sent
    before the campaign began. Measured on the load test's database: 6.8 ms for a group of 1,387
    letters before, 0.08 ms after."""
    from consultations.submission import fingerprint

    url = f"/zhengqiu/tijiao/{consultation.pk}/"
    letter = opinion_data(client, consultation)
    common = dict(consultation=consultation, client_hash="0" * 32, category="养老服务", text=letter["text"],
                  public_text=letter["text"])
    # Opinions before the campaign, then the campaign: 6 % of the consultation, as one large group.
    Opinion.objects.bulk_create(Opinion(idempotency_key=f"other-{n}", fingerprint=f"{n:040x}", **common)
                                for n in range(3000))
    leader = Opinion.objects.create(idempotency_key="leader", fingerprint=fingerprint(letter["text"]), **common)
    Opinion.objects.bulk_create(Opinion(idempotency_key=f"copy-{n}", fingerprint=leader.fingerprint,
                                        duplicate_group=leader, **common) for n in range(200))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consultations_opinion")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, letter)
    assert response.status_code == 200 and "意见已提交" in response.content.decode()
    assert Opinion.objects.get(idempotency_key=letter["token"]).duplicate_group_id == leader.pk

    (lookup,) = [q["sql"] for q in captured.captured_queries if "nextval" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + lookup)
        plan = cursor.fetchone()[0][0]["Plan"]
    (lookup_plan,) = plan["Plans"]  # the leaders' subquery, under the sequence's Result

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    indexes = {node["Index Name"] for node in nodes(lookup_plan) if "Index Name" in node}
    removed = sum(node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
                  for node in nodes(lookup_plan))
    pages = lookup_plan["Shared Hit Blocks"] + lookup_plan["Shared Read Blocks"]
    assert indexes == {"opinion_duplicate_leader_idx"} and removed == 0 and pages < 10, lookup_plan
