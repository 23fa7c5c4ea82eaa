"""What a submission derives from the page tree is computed once per process and generation.

The form's clause and question choices, the consultation page's URL and the receipt-lookup URL
are kept in the process (cms.routing.per_generation) while the tree's generation stands, so an
opinion's POST reads neither the StreamFields nor the shared cache for them. Any page published,
moved or renamed starts a new generation: the next submission sees the change at once.
"""
from django.urls import reverse

from cms import routing
from consultations.factories import draft_clauses
from consultations.models import ConsultationIndexPage, ConsultationPage, Opinion
from tests.consultations.conftest import opinion_data


def submit(client, consultation, **overrides):
    return client.post(reverse("consultation_submit", args=[consultation.pk]),
                       opinion_data(client, consultation, **overrides))


def live(consultation):
    return routing.live_page(ConsultationPage.objects.select_related("drafting_department"), consultation.pk)


def test_per_generation_keeps_a_value_until_the_generation_changes():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert routing.per_generation("g1", ("test", "value"), compute) == 1
    assert routing.per_generation("g1", ("test", "value"), compute) == 1
    assert routing.per_generation("g2", ("test", "value"), compute) == 2
    # Without a generation (no shared cache, or a page not from live_page) nothing is kept.
    assert routing.per_generation(None, ("test", "value"), compute) == 3
    assert routing.per_generation(None, ("test", "value"), compute) == 4


def test_form_choices_are_read_once_per_generation(consultation):
    first, second = live(consultation), live(consultation)
    assert routing.generation_of(first) == routing.generation_of(second)
    assert first.clause_choices() is second.clause_choices()  # the same list: not read again
    assert first.questions() is second.questions()
    # A page that did not come through live_page (a preview, the admin) reads its own fields.
    fresh = ConsultationPage.objects.get(pk=consultation.pk)
    assert fresh.clause_choices() == first.clause_choices() and fresh.clause_choices() is not first.clause_choices()


def test_a_clause_published_later_is_accepted_at_once_and_a_removed_one_refused(client, consultation):
    assert submit(client, consultation, clause="2").status_code == 200
    assert submit(client, consultation, clause="4").status_code == 400  # no clause 4 yet
    page = ConsultationPage.objects.get(pk=consultation.pk)
    page.draft = draft_clauses("第一条内容", "第二条内容", "第三条内容", "新增的第四条内容")
    page.save_revision().publish()
    accepted = submit(client, consultation, clause="4")
    assert accepted.status_code == 200 and "意见已提交" in accepted.content.decode()
    page.draft = draft_clauses("只剩一条")
    page.save_revision().publish()
    refused = submit(client, consultation, clause="2")
    assert refused.status_code == 400 and "请从列表中选择条款" in refused.content.decode()
    assert sorted(Opinion.objects.values_list("clause_number", flat=True)) == ["2", "4"]


def test_the_receipt_links_follow_a_renamed_page_at_once(client, consultation):
    html = submit(client, consultation).content.decode()
    assert f'href="{consultation.url}"' in html and 'href="/zhengqiu/chaxun/"' in html
    index = ConsultationIndexPage.objects.get()
    index.slug = "yijian"
    index.save_revision().publish()
    moved = ConsultationPage.objects.get(pk=consultation.pk)
    moved.slug = "yanglao-tiaoli"
    moved.save_revision().publish()
    moved.refresh_from_db()
    assert moved.url == "/zhengce/rsj/yanglao-tiaoli/"
    html = submit(client, moved).content.decode()
    assert "意见已提交" in html
    assert f'href="{moved.url}"' in html and 'href="/yijian/chaxun/"' in html
    assert f'href="{consultation.url}"' not in html
