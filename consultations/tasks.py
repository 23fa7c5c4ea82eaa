"""Background tasks: telling participants that the results are out (C3).

``publish_results`` calls :func:`enqueue_result_notifications` after its transaction commits. That
creates one ``ResultNotification`` per opinion with an e-mail address and queues a single dispatcher
task; the dispatcher queues one small send task per notification, in chunks. Each send task is
retried with exponential backoff (1, 2, 4, 8 minutes …) up to ``NOTIFICATION_MAX_ATTEMPTS``.

Task arguments are ids only, so the task queue (``django_tasks_db``'s table, its admin, the
worker's logs) never holds an e-mail address or a name. Logs name the opinion id and receipt only.
"""
import datetime
import logging
import re
from urllib.parse import urljoin

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from .models import ModerationStatus, Opinion, ResultNotification
from .privacy import mask_personal_data

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 5
# Rows created per INSERT and send tasks queued per dispatcher query: bounded memory at 75k opinions.
CREATE_BATCH = 1000
DISPATCH_CHUNK = 500
# A send in progress holds this lock so that two copies of one task never both send.
SEND_LOCK_SECONDS = 300
LAST_ERROR_MAX = ResultNotification._meta.get_field("last_error").max_length
Status = ResultNotification.Status


def max_attempts():
    return getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)


def retry_delay(attempts):
    """Backoff after the ``attempts``-th failure: 1, 2, 4, 8 … minutes."""
    return datetime.timedelta(minutes=2 ** max(attempts - 1, 0))


# --- queueing ------------------------------------------------------------------------------------
def enqueue_result_notifications(consultation_id, *, resume=False):
    """Create the missing notifications of a consultation and queue their sending.

    Idempotent: an opinion that already has a notification gets no second one, and only the
    notifications created by this call are dispatched, so running it again sends nothing twice.
    ``resume=True`` also re-dispatches every notification still queued (recovery after a worker
    was killed mid-dispatch); a notification already sent is never sent again.

    Called from ``transaction.on_commit`` in the publishing request: it never raises, so a broken
    queue cannot turn a successful publication into an error page. Returns the number created.
    """
    try:
        last_existing = ResultNotification.objects.aggregate(n=Max("pk"))["n"] or 0
        created = _create_notifications(consultation_id)
        if created or resume:
            dispatch_result_notifications.enqueue(consultation_id, 0 if resume else last_existing)
        logger.info("result notifications consultation=%s created=%s resume=%s", consultation_id, created, resume)
        return created
    except Exception:
        logger.exception("queueing result notifications failed consultation=%s", consultation_id)
        return 0


def _create_notifications(consultation_id):
    opinion_ids = (Opinion.objects.filter(consultation_id=consultation_id, notification__isnull=True)
                   .exclude(email="").exclude(moderation_status=ModerationStatus.SPAM)
                   .order_by("pk").values_list("pk", flat=True))
    created, batch = 0, []
    for opinion_id in opinion_ids.iterator(chunk_size=CREATE_BATCH):
        batch.append(ResultNotification(opinion_id=opinion_id))
        if len(batch) == CREATE_BATCH:
            created += _insert(batch)
            batch = []
    return created + (_insert(batch) if batch else 0)


def _insert(batch):
    # ignore_conflicts: a concurrent call that created the same rows is not an error (OneToOne).
    ResultNotification.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


@task()
def dispatch_result_notifications(consultation_id, after_id=0):
    """Queue one send task per queued notification of the consultation with pk > ``after_id``.

    A fan-out in chunks rather than one task that sends 75k e-mails: every e-mail is retried on
    its own, several ``db_worker`` processes can send in parallel, and a crash loses one message.
    """
    queued = (ResultNotification.objects.filter(opinion__consultation_id=consultation_id, status=Status.QUEUED)
              .order_by("pk").values_list("pk", flat=True))
    dispatched, cursor = 0, after_id
    while True:
        chunk = list(queued.filter(pk__gt=cursor)[:DISPATCH_CHUNK])
        for notification_id in chunk:
            send_result_notification.enqueue(notification_id)
        dispatched += len(chunk)
        if len(chunk) < DISPATCH_CHUNK:
            break
        cursor = chunk[-1]
    logger.info("result notifications dispatched consultation=%s count=%s", consultation_id, dispatched)
    return dispatched


# --- sending -------------------------------------------------------------------------------------
@task()
def send_result_notification(notification_id):
    """Send one result e-mail. Returns "sent", "retry", "failed" or "skipped" (stored as the result)."""
    notification = (ResultNotification.objects.select_related("opinion__consultation__drafting_department")
                    .filter(pk=notification_id).first())
    if notification is None or notification.status != Status.QUEUED:
        return "skipped"  # deleted, already sent, or given up: never send twice
    opinion = notification.opinion
    if not opinion.email or opinion.moderation_status == ModerationStatus.SPAM:
        # The address was erased or the opinion marked as spam after publishing.
        ResultNotification.objects.filter(pk=notification_id, status=Status.QUEUED).update(
            status=Status.FAILED, last_error="未发送：意见已无电子邮箱或已标记为垃圾信息。")
        return "skipped"
    lock = f"consultations:notification-sending:{notification_id}"
    if not _acquire(lock):
        return "skipped"  # another copy of this task is sending it right now
    try:
        try:
            subject, body = render_notification(opinion)
            send_mail(subject, body, None, [opinion.email], fail_silently=False)
        except Exception as exc:  # noqa: BLE001 - any failure to send is retried, never raised
            return _failed(notification, opinion, exc)
        ResultNotification.objects.filter(pk=notification_id, status=Status.QUEUED).update(
            status=Status.SENT, sent_at=timezone.now())
        logger.info("result notification sent opinion=%s receipt=%s", opinion.pk, opinion.receipt_number)
        return "sent"
    finally:
        _release(lock)


def _acquire(lock):
    try:
        return cache.add(lock, 1, SEND_LOCK_SECONDS)
    except Exception:  # noqa: BLE001 - a cache outage must not stop mail; the status check still holds
        logger.warning("cache unavailable: sending without the per-notification lock")
        return True


def _release(lock):
    try:
        cache.delete(lock)
    except Exception:  # noqa: BLE001
        pass


def _failed(notification, opinion, exc):
    attempts = notification.attempts + 1
    give_up = attempts >= max_attempts()
    error = describe_error(exc, opinion.email)
    ResultNotification.objects.filter(pk=notification.pk, status=Status.QUEUED).update(
        attempts=F("attempts") + 1, last_error=error, status=Status.FAILED if give_up else Status.QUEUED)
    if give_up:
        logger.error("result notification failed for good opinion=%s receipt=%s attempts=%s error=%s",
                     opinion.pk, opinion.receipt_number, attempts, error)
        return "failed"
    delay = retry_delay(attempts)
    logger.warning("result notification attempt %s failed opinion=%s receipt=%s retry_in=%ss error=%s",
                   attempts, opinion.pk, opinion.receipt_number, int(delay.total_seconds()), error)
    _schedule_retry(notification.pk, opinion, timezone.now() + delay)
    return "retry"


def _schedule_retry(notification_id, opinion, run_after):
    backend = send_result_notification.get_backend()
    if not backend.supports_defer:
        # ImmediateBackend (tests) cannot run a task later; retrying at once would defeat the backoff.
        logger.warning("task backend cannot defer: notification left queued opinion=%s receipt=%s; "
                       "run enqueue_result_notifications(..., resume=True) to retry",
                       opinion.pk, opinion.receipt_number)
        return
    try:
        send_result_notification.using(run_after=run_after).enqueue(notification_id)
    except Exception:
        logger.exception("could not queue the retry opinion=%s receipt=%s", opinion.pk, opinion.receipt_number)


def describe_error(exc, address=""):
    """Exception class and message for ``last_error``: no e-mail address or phone number, truncated."""
    message = " ".join(str(exc).split())
    if address:
        message = re.sub(re.escape(address), "[邮箱已隐藏]", message, flags=re.IGNORECASE)
    text = mask_personal_data(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
    return text[:LAST_ERROR_MAX]


# --- the message ---------------------------------------------------------------------------------
def absolute_url(url):
    """Page URLs are relative on a single-site install: prefix the public base URL."""
    if not url or url.startswith(("http://", "https://")):
        return url or ""
    return urljoin(settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/", url.lstrip("/"))


def short_title(title):
    """《乌鲁木齐市养老服务条例（草案）》公开征求意见 → 乌鲁木齐市养老服务条例（草案）."""
    match = re.search(r"《([^》]+)》", title)
    return (match.group(1) if match else title).strip()


def notification_context(opinion):
    from .views import lookup_url

    consultation = opinion.consultation
    decided = bool(opinion.decision) and opinion.moderation_status in (ModerationStatus.APPROVED,
                                                                      ModerationStatus.HIDDEN)
    department = consultation.drafting_department
    return {
        "title": short_title(consultation.title),
        "department": department.name if department else "起草部门",
        "receipt_number": opinion.receipt_number or f"意见 {opinion.pk}",
        "submitted_at": timezone.localtime(opinion.submitted_at),
        "decided": decided,
        "decision": opinion.get_decision_display() if decided else "",
        "reply": opinion.reply.strip() if decided else "",
        "public": opinion.moderation_status == ModerationStatus.APPROVED,
        "page_url": absolute_url(consultation.get_url()),
        "lookup_url": absolute_url(lookup_url()),
    }


def render_notification(opinion):
    """(subject, body) of the result e-mail; plain text, in Chinese."""
    context = notification_context(opinion)
    subject = render_to_string("consultations/email/result_notification_subject.txt", context)
    subject = " ".join(subject.split())  # one line: a newline in a header is refused
    body = render_to_string("consultations/email/result_notification_body.txt", context)
    body = re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"
    return subject, body
