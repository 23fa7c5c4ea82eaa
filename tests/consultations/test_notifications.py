"""Result notifications (C3): one e-mail per opinion with an address, sent by a background task,
retried with backoff, never sent twice, never blocking publication — and the real db_worker path."""
import datetime
import smtplib
import uuid
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks import task_backends
from wagtail.log_actions import LogFormatter, registry

from consultations import tasks
from consultations.models import ConsultationPage, Decision, ModerationStatus, Opinion, ResultNotification
from consultations.privacy import mask_personal_data
from consultations.results import publish_results

PUBLISH_ACTION = "consultations.publish_results"
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
Status = ResultNotification.Status


@pytest.fixture(autouse=True)
def publish_log_action(monkeypatch):
    """publish_results logs PUBLISH_ACTION; until a consultations wagtail_hooks registers it, register it here."""
    registry.scan_for_actions()
    if not registry.action_exists(PUBLISH_ACTION):
        monkeypatch.setitem(registry.formatters, PUBLISH_ACTION, type("F", (LogFormatter,), {"label": "发布征集结果"})())


def make_opinion(consultation, *, email="", status=ModerationStatus.APPROVED, decision="", reply="", **fields):
    text = fields.pop("text", "建议把居家养老服务补贴的发放对象扩大到七十五岁以上独居老人。")
    opinion = Opinion.objects.create(
        consultation=consultation, idempotency_key=uuid.uuid4().hex, email=email, client_hash=uuid.uuid4().hex,
        category=fields.pop("category", "养老服务"), text=text, public_text=mask_personal_data(text),
        moderation_status=status, decision=decision, reply=reply,
        decided_at=timezone.now() if decision else None, **fields)
    opinion.receipt_number = f"YJ-20260101-{opinion.pk:06d}"
    opinion.save(update_fields=["receipt_number"])
    return opinion


def close(consultation, summary="<p>共收到意见若干条，主要意见已采纳。</p>"):
    """Results can only be published after the deadline and with a published summary."""
    page = ConsultationPage.objects.get(pk=consultation.pk)
    page.results_summary = summary
    page.save_revision().publish()
    now = timezone.now()
    ConsultationPage.objects.filter(pk=page.pk).update(start_at=now - datetime.timedelta(days=15),
                                                       end_at=now - datetime.timedelta(hours=1))
    return ConsultationPage.objects.get(pk=page.pk)


def publish(consultation, user, capture):
    with capture(execute=True):
        return publish_results(close(consultation), user)


def failing_send(exc):
    def send(*args, **kwargs):
        raise exc
    return send


def ours(results):
    return [r for r in results if r.task.module_path.startswith("consultations.")]


def run_ready(backend):
    """Execute what a worker would pick up now from a DummyBackend: tasks without a future run_after."""
    ran = []
    while True:
        ready = [r for r in ours(backend.results) if r.task.run_after is None or r.task.run_after <= timezone.now()]
        if not ready:
            return ran
        for result in ready:
            backend.results.remove(result)
            ran.append(result.task.call(*result.args, **result.kwargs))


@pytest.fixture
def sample(consultation):
    return {
        "adopted": make_opinion(consultation, email="zhang.sanfeng@example.org", name="张三丰", phone="13912345678",
                                decision=Decision.ADOPTED, reply="已采纳，第二条增加七十五岁以上独居老人。"),
        "hidden": make_opinion(consultation, email="li.si@example.org", status=ModerationStatus.HIDDEN,
                               decision=Decision.NOT_ADOPTED, reply="补贴对象由上位法规定，暂不调整。"),
        "pending": make_opinion(consultation, email="wang.wu@example.org", status=ModerationStatus.PENDING),
        "no_email": make_opinion(consultation, phone="13800138000", decision=Decision.ADOPTED, reply="已采纳。"),
        "spam": make_opinion(consultation, email="spam@example.org", status=ModerationStatus.SPAM),
    }


def test_publishing_sends_one_email_per_opinion_with_an_address(consultation, sample, users,
                                                                 django_capture_on_commit_callbacks, settings):
    page = publish(consultation, users["admin"], django_capture_on_commit_callbacks)
    assert page.results_published_at is not None
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_recipient) == ["li.si@example.org", "wang.wu@example.org", "zhang.sanfeng@example.org"]
    assert ResultNotification.objects.count() == 3
    assert set(ResultNotification.objects.values_list("status", "attempts")) == {(Status.SENT, 0)}
    assert not ResultNotification.objects.filter(sent_at=None).exists()
    assert not ResultNotification.objects.filter(opinion__in=[sample["no_email"], sample["spam"]]).exists()

    adopted = by_recipient["zhang.sanfeng@example.org"]
    assert adopted.subject == "《乌鲁木齐市养老服务条例（草案）》意见征集结果已公布"
    body = adopted.body
    page_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/zhengce/rsj/yanglao/"
    assert sample["adopted"].receipt_number in body and "处理结果：采纳" in body
    assert "第二条增加七十五岁以上独居老人" in body
    assert page_url in body and settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/zhengqiu/chaxun/" in body
    assert "张三丰" not in body and "13912345678" not in body  # nothing personal beyond the address itself

    # A hidden opinion is not public, but its author still gets the reply.
    hidden = by_recipient["li.si@example.org"].body
    assert "处理结果：未采纳" in hidden and "补贴对象由上位法规定" in hidden and "未在网站公开展示" in hidden
    # Undecided (still pending moderation): told where to read the results, no decision invented.
    pending = by_recipient["wang.wu@example.org"].body
    assert "处理结果" not in pending and sample["pending"].receipt_number in pending and page_url in pending


def test_running_the_enqueue_again_sends_nothing_twice(consultation, sample, users,
                                                       django_capture_on_commit_callbacks):
    publish(consultation, users["admin"], django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3
    assert tasks.enqueue_result_notifications(consultation.pk) == 0
    assert tasks.enqueue_result_notifications(consultation.pk, resume=True) == 0
    assert len(mail.outbox) == 3 and ResultNotification.objects.count() == 3
    # A sent notification is never re-sent, even if its task runs again.
    notification = ResultNotification.objects.first()
    assert tasks.send_result_notification.call(notification.pk) == "skipped"
    assert len(mail.outbox) == 3


def test_an_opinion_decided_after_publishing_gets_its_own_email_once(consultation, sample, users,
                                                                     django_capture_on_commit_callbacks):
    publish(consultation, users["admin"], django_capture_on_commit_callbacks)
    late = make_opinion(consultation, email="late@example.org", decision=Decision.EXISTING, reply="已有相关规定。")
    assert tasks.enqueue_result_notifications(consultation.pk) == 1
    assert [m.to for m in mail.outbox[3:]] == [["late@example.org"]]
    assert late.notification.status == Status.SENT


def test_a_failing_mail_server_is_retried_with_backoff_and_never_blocks_publishing(
        consultation, sample, users, django_capture_on_commit_callbacks, settings, monkeypatch):
    settings.TASKS = DUMMY_TASKS  # ImmediateBackend cannot defer (run_after); the dummy one records it
    backend = task_backends["default"]
    refused = smtplib.SMTPRecipientsRefused({"zhang.sanfeng@example.org": (550, b"5.1.1 <zhang.sanfeng@example.org> unknown")})
    monkeypatch.setattr(tasks, "send_mail", failing_send(refused))

    page = publish(consultation, users["admin"], django_capture_on_commit_callbacks)
    assert page.results_published_at is not None  # published although nothing could be sent
    assert [r.task.name for r in ours(backend.results)] == ["dispatch_result_notifications"]
    before = timezone.now()
    assert run_ready(backend) == [3, "retry", "retry", "retry"]

    notification = sample["adopted"].notification
    notification.refresh_from_db()
    assert notification.status == Status.QUEUED and notification.attempts == 1 and notification.sent_at is None
    assert notification.last_error.startswith("SMTPRecipientsRefused")
    assert "zhang.sanfeng" not in notification.last_error and "[邮箱已隐藏]" in notification.last_error
    retries = [r for r in ours(backend.results) if list(r.args) == [notification.pk]]
    assert len(retries) == 1 and retries[0].task.name == "send_result_notification"
    delay = retries[0].task.run_after - before
    assert datetime.timedelta(seconds=55) < delay <= datetime.timedelta(minutes=1, seconds=5)
    assert mail.outbox == []


def test_backoff_doubles_and_the_notification_fails_after_the_last_attempt(
        consultation, users, settings, monkeypatch):
    settings.TASKS = DUMMY_TASKS
    assert not hasattr(settings, "NOTIFICATION_MAX_ATTEMPTS")  # the default of 5 applies
    backend = task_backends["default"]
    opinion = make_opinion(consultation, email="zhang.sanfeng@example.org", decision=Decision.ADOPTED, reply="已采纳。")
    notification = ResultNotification.objects.create(opinion=opinion)
    monkeypatch.setattr(tasks, "send_mail", failing_send(smtplib.SMTPServerDisconnected("Connection unexpectedly closed")))

    delays, outcome = [], tasks.send_result_notification.call(notification.pk)
    while outcome == "retry":
        (retry,) = backend.results
        backend.clear()
        delays.append(round((retry.task.run_after - timezone.now()).total_seconds() / 60))
        outcome = retry.task.call(*retry.args)  # the worker runs it once run_after has passed
    assert delays == [1, 2, 4, 8] and outcome == "failed"
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and notification.attempts == 5
    assert notification.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert backend.results == []  # given up: nothing more queued
    assert tasks.send_result_notification.call(notification.pk) == "skipped"


def test_max_attempts_comes_from_settings_and_a_later_success_is_recorded(consultation, settings, monkeypatch):
    settings.TASKS = DUMMY_TASKS
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    opinion = make_opinion(consultation, email="zhang.sanfeng@example.org")
    notification = ResultNotification.objects.create(opinion=opinion)
    real_send = tasks.send_mail
    monkeypatch.setattr(tasks, "send_mail", failing_send(OSError("timed out")))
    assert tasks.send_result_notification.call(notification.pk) == "retry"
    monkeypatch.setattr(tasks, "send_mail", real_send)
    assert tasks.send_result_notification.call(notification.pk) == "sent"
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Status.SENT, 1) and notification.sent_at
    assert len(mail.outbox) == 1

    other = ResultNotification.objects.create(opinion=make_opinion(consultation, email="li.si@example.org"))
    monkeypatch.setattr(tasks, "send_mail", failing_send(OSError("timed out")))
    assert [tasks.send_result_notification.call(other.pk) for _ in range(2)] == ["retry", "failed"]


def test_an_opinion_marked_spam_after_publishing_is_not_emailed(consultation):
    opinion = make_opinion(consultation, email="zhang.sanfeng@example.org")
    notification = ResultNotification.objects.create(opinion=opinion)
    Opinion.objects.filter(pk=opinion.pk).update(moderation_status=ModerationStatus.SPAM)
    assert tasks.send_result_notification.call(notification.pk) == "skipped"
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and mail.outbox == []


def test_logs_name_the_opinion_never_the_person(consultation, caplog, monkeypatch, settings):
    settings.TASKS = DUMMY_TASKS
    opinion = make_opinion(consultation, email="zhang.sanfeng@example.org", name="张三丰")
    notification = ResultNotification.objects.create(opinion=opinion)
    monkeypatch.setattr(tasks, "send_mail", failing_send(
        smtplib.SMTPRecipientsRefused({"Zhang.Sanfeng@example.org": (550, b"no such user")})))
    with caplog.at_level("INFO", logger="consultations"):
        tasks.send_result_notification.call(notification.pk)
        monkeypatch.undo()
        tasks.send_result_notification.call(notification.pk)
    logged = caplog.text
    assert opinion.receipt_number in logged and f"opinion={opinion.pk}" in logged
    assert "zhang.sanfeng" not in logged.lower() and "张三丰" not in logged


def test_a_broken_queue_does_not_break_publishing(consultation, sample, users, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise ConnectionError("queue database unreachable")

    monkeypatch.setattr(tasks, "dispatch_result_notifications", SimpleNamespace(enqueue=broken))
    page = publish(consultation, users["admin"], django_capture_on_commit_callbacks)
    assert page.results_published_at is not None
    assert ResultNotification.objects.filter(status=Status.QUEUED).count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_real_database_queue_and_db_worker_deliver(consultation, sample, users, settings, monkeypatch):
    """DatabaseBackend + the db_worker's Worker, as `manage.py db_worker --batch` runs them."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    publish_results(close(consultation), users["admin"])  # real commit → on_commit → rows in the queue
    queue = DBTaskResult.objects.filter(task_path__startswith="consultations.")
    assert list(queue.values_list("task_path", "status")) == [
        ("consultations.tasks.dispatch_result_notifications", "READY")]
    assert mail.outbox == []  # nothing is sent in the publishing request

    # One address fails on the first attempt: its retry waits in the queue with a run_after.
    real_send = tasks.send_mail

    def flaky(subject, body, from_email, recipients, **kwargs):
        if recipients == ["li.si@example.org"]:
            raise smtplib.SMTPDataError(451, b"try again later")
        return real_send(subject, body, from_email, recipients, **kwargs)

    monkeypatch.setattr(tasks, "send_mail", flaky)
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test-worker", excluded_queue_names=[]).run()

    assert sorted(m.to[0] for m in mail.outbox) == ["wang.wu@example.org", "zhang.sanfeng@example.org"]
    assert queue.filter(status="SUCCESSFUL").count() == 4  # dispatcher + three sends
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    (waiting,) = DBTaskResult.objects.filter(status="READY")
    assert waiting.task_path == "consultations.tasks.send_result_notification"
    assert waiting.run_after > timezone.now() + datetime.timedelta(seconds=50)
    assert "li.si" not in str(waiting.args_kwargs)  # the queue holds ids only
    hidden = ResultNotification.objects.get(opinion=sample["hidden"])
    assert (hidden.status, hidden.attempts) == (Status.QUEUED, 1)

    # The mail server recovers; once run_after has passed the worker delivers it.
    monkeypatch.setattr(tasks, "send_mail", real_send)
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test-worker-2", excluded_queue_names=[]).run()
    hidden.refresh_from_db()
    assert hidden.status == Status.SENT and len(mail.outbox) == 3
