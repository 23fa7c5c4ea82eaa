"""Worker stopped: opinions are accepted, result e-mails and index updates wait in the task queue
(django_tasks_db), /readyz shows the lag, and when a worker runs they all complete, exactly once.
"""
import datetime
import time
from urllib.parse import quote

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from consultations.models import ConsultationPage, Opinion, ResultNotification
from search.indexing import check_index
from search.models import IndexOutbox
from search.service import hotline_search
from tests.consultations.conftest import opinion_data
from tests.search.conftest import publish

from .procs import wait_until
from .web import forms

ADDRESSES = ["wang@example.org", "li@example.org", "zhao@example.org"]


@pytest.fixture
def database_queue(settings):
    """The production task backend: tasks wait in the database until a worker runs them."""
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    task_backends._settings = None  # re-read TASKS
    yield
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    task_backends._settings = None


def run_worker():
    """What `manage.py db_worker` does, until the queue is empty (--batch)."""
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)


def ready_tasks():
    """Our tasks waiting to run (Wagtail queues its own reference-index tasks beside them)."""
    from django_tasks_db.models import DBTaskResult

    ours = Q(task_path__startswith="consultations.") | Q(task_path__startswith="search.")
    return sorted(DBTaskResult.objects.ready().filter(ours).values_list("task_path", flat=True))


@pytest.mark.django_db(transaction=True)  # real commits: on_commit queues the tasks, the worker sees them
def test_without_a_worker_mail_and_index_updates_wait_then_complete_once(database_queue, consultation, qa_base,
                                                                         users, client):
    for n, address in enumerate(ADDRESSES):
        resident = Client(REMOTE_ADDR=f"203.0.113.{30 + n}")
        response = resident.post(consultation.url, opinion_data(resident, consultation, email=address,
                                                                text=f"第 {n + 1} 位居民的意见：建议增加社区养老服务站点。"))
        assert response.status_code == 200 and "回执编号" in response.content.decode()
    entry = qa_base["entries"]["medical"]
    entry.short_answer = "异地就医备案可在国家医保服务平台 App 上办理，当天生效。"
    publish(entry)
    ConsultationPage.objects.filter(pk=consultation.pk).update(
        end_at=timezone.now() - datetime.timedelta(minutes=1), results_summary="<p>共收到意见 3 条，已逐条研究。</p>")
    client.force_login(users["admin"])
    response = client.post(f"/admin/consultations/{consultation.pk}/publish-results/")
    assert response.status_code == 302

    # No worker: everything is stored and waits.
    assert Opinion.objects.filter(consultation=consultation).count() == 3
    assert list(ResultNotification.objects.values_list("status", flat=True)) == ["queued"] * 3
    assert mail.outbox == []
    assert IndexOutbox.objects.filter(done_at__isnull=True).count() == 1
    assert ready_tasks() == ["consultations.tasks.dispatch_result_notifications", "search.tasks.process_search_outbox"]
    worker = client.get("/readyz").json()["checks"]["worker"]["detail"]
    assert worker["search_outbox_pending"] == 1 and worker["oldest_task_seconds"] >= 0
    assert "当天生效" not in hotline_search("异地就医备案").results[0]["short_answer"]

    run_worker()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(ADDRESSES)
    assert all("征集" in m.subject for m in mail.outbox)
    assert list(ResultNotification.objects.values_list("status", flat=True)) == ["sent"] * 3
    assert not IndexOutbox.objects.filter(done_at__isnull=True).exists()
    assert hotline_search("异地就医备案").results[0]["short_answer"].endswith("当天生效。")
    assert check_index().clean
    assert ready_tasks() == []

    # A second worker run (a restart, a second machine) sends nothing again.
    run_worker()
    assert len(mail.outbox) == 3


def indexed_answer(stack, question):
    """The short answer the public API returns for the entry with this question."""
    found = stack.browser().get(f"/api/qa/search?q={quote(question)}").json()["results"]
    return next(r["short_answer"] for r in found if r["question"] == question)


@pytest.mark.faults
def test_worker_stopped_on_the_running_stack(stack_factory):
    stack = stack_factory(worker=False)
    (consultation_id, consultation_url), = stack.sql(
        "SELECT p.id, p.url_path FROM wagtailcore_page p JOIN consultations_consultationpage c ON c.page_ptr_id = p.id "
        "WHERE p.slug = 'jianxi-butie-zhengqiu'")
    consultation_url = consultation_url.removeprefix("/home")
    tokens = []
    for n, address in enumerate(ADDRESSES):
        resident = stack.browser()
        form = next(f for f in forms(resident.get(consultation_url).text) if "token" in dict(f.fields))
        data = form.data(category=form.options["category"][1], email=address, consent="on", website="",
                         text=f"第 {n + 1} 位居民的意见：建议把见习期限下限改为一个月。")
        response = resident.post(consultation_url, data)
        assert response.status == 200 and "回执编号" in response.text, response.text[:500]
        tokens.append(data["token"])
    # Staff: an answer edited, the consultation closed and its results published (e-mails queued).
    admin = stack.browser()
    admin.login("admin")
    (qa_id, question), = stack.sql("SELECT id, question FROM search_qaentry WHERE live ORDER BY id LIMIT 1")
    page = admin.get(f"/admin/snippets/search/qaentry/edit/{qa_id}/")
    form = next(f for f in forms(page.text) if f.action.endswith(f"/qaentry/edit/{qa_id}/"))
    new_answer = "任务队列演练：本条答复在没有任务进程时修改，任务进程启动后应当可以检索到。"
    assert admin.post(form.action, form.data(short_answer=new_answer, **{"action-publish": "1"})).status == 302
    stack.sql("UPDATE consultations_consultationpage SET end_at = now() - interval '1 minute', "
              "results_summary = '<p>共收到意见若干条，已逐条研究。</p>' WHERE page_ptr_id = %s", [consultation_id])
    response = admin.post(f"/admin/consultations/{consultation_id}/publish-results/", {})
    assert response.status == 302
    expected = {row[0] for row in stack.sql(
        "SELECT email FROM consultations_opinion WHERE consultation_id = %s AND email <> ''", [consultation_id])}
    assert set(ADDRESSES) <= expected

    # Nothing runs: stored, queued, visible as lag on /readyz.
    status, ready = stack.ready()
    worker = ready["checks"]["worker"]["detail"]
    assert status == 200 and worker["search_outbox_pending"] == 1 and worker["oldest_task_seconds"] > 0
    assert stack.sql("SELECT count(*) FROM consultations_resultnotification WHERE status = 'queued'") == [(len(expected),)]
    assert stack.emails() == []
    assert indexed_answer(stack, question) != new_answer

    waited = time.monotonic()
    stack.start_worker()
    wait_until(lambda: stack.sql("SELECT count(*) FROM consultations_resultnotification WHERE status = 'sent'")
               == [(len(expected),)] and not stack.sql("SELECT 1 FROM search_indexoutbox WHERE done_at IS NULL"),
               30, what="the worker to send the e-mails and apply the index change")
    print(f"FAULT-TIMING worker: {len(expected)} e-mails and the index change done "
          f"{time.monotonic() - waited:.1f} s after db_worker was started")
    stack.stop_worker()
    sent = stack.emails()
    assert sorted(m["To"] for m in sent) == sorted(expected)   # each address once
    assert all("征集" in m["Subject"] for m in sent)
    assert sorted(t for (t,) in stack.sql("SELECT idempotency_key FROM consultations_opinion WHERE idempotency_key = ANY(%s)",
                                          [tokens])) == sorted(tokens)
    assert indexed_answer(stack, question) == new_answer
    status, ready = stack.ready()
    assert ready["checks"]["worker"]["detail"] == {"oldest_task_seconds": 0.0, "search_outbox_pending": 0,
                                                   "search_outbox_oldest_seconds": 0.0, "lagging": False}

    # A worker started again (a restart, a second machine) finds nothing to do and sends nothing twice.
    stack.manage("db_worker", "--batch", "--no-startup-delay")
    assert len(stack.emails()) == len(expected)
    check = stack.manage("check_search_index", "--no-progress")
    assert "索引与数据库一致" in check.stdout
