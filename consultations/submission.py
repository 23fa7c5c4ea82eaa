"""Storing one opinion: all or nothing, exactly once per form token, never after the deadline."""
import hashlib
import logging
from contextlib import nullcontext

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from interpretations.quality import comparable

from .models import ModerationStatus, Opinion, OpinionAttachment, QuestionAnswer, SensitiveWord
from .privacy import mask_personal_data

logger = logging.getLogger(__name__)
SENSITIVE_CACHE_KEY = "consultations:sensitive-words"


class ConsultationClosed(Exception):
    pass


def sensitive_words():
    words = cache.get(SENSITIVE_CACHE_KEY)
    if words is None:
        words = list(SensitiveWord.objects.values_list("word", "action"))
        cache.set(SENSITIVE_CACHE_KEY, words, 300)
    return words


def apply_sensitive_words(text):
    """Returns (public text, hits, hold). MASK words are starred; HOLD words send it to a person."""
    hits, hold = [], False
    for word, action in sensitive_words():
        if word and word in text:
            hits.append(word)
            if action == SensitiveWord.Action.MASK:
                text = text.replace(word, "＊" * len(word))
            else:
                hold = True
    return text, hits, hold


def fingerprint(text):
    """Same fingerprint for form letters that differ only in punctuation, spacing or numbers."""
    core = "".join(ch for ch in comparable(text) if not ch.isdigit()).lower()
    return hashlib.sha1(core.encode()).hexdigest()


def receipt_number(opinion):
    local = timezone.localtime(opinion.submitted_at)
    return f"YJ-{local:%Y%m%d}-{opinion.pk:06d}"


def _insert(consultation, print_, fields):
    """The opinion's row, with its receipt number and its duplicate group's leader.

    On PostgreSQL one round trip before the INSERT asks for both the new id (the sequence) and the
    leader, so the receipt number (which contains the id) goes into the INSERT itself; elsewhere the
    id is known after the INSERT, and an UPDATE adds the receipt number.

    The leader is the lowest id among the group's opinions without a group (one, or two after two
    first letters raced), read from the partial index opinion_duplicate_leader_idx. No ORDER BY … LIMIT
    1 in SQL: for a letter-writing campaign the planner then prefers the primary key, in id order,
    and walks every opinion submitted before the campaign began (docs/architecture.md).
    """
    if connection.vendor == "postgresql":
        table, pk_column = Opinion._meta.db_table, Opinion._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence(%s, %s)), ARRAY(SELECT {pk_column} FROM {table} "  # noqa: S608 (names from the model)
                "WHERE consultation_id = %s AND fingerprint = %s AND duplicate_group_id IS NULL)",
                [table, pk_column, consultation.pk, print_])
            new_id, leaders = cursor.fetchone()
        opinion = Opinion(pk=new_id, duplicate_group_id=min(leaders, default=None), **fields)
        opinion.receipt_number = receipt_number(opinion)
        opinion.save(force_insert=True)
        return opinion
    leader = min(Opinion.objects.filter(consultation=consultation, fingerprint=print_, duplicate_group=None)
                 .values_list("pk", flat=True), default=None)
    opinion = Opinion.objects.create(duplicate_group_id=leader, **fields)
    opinion.receipt_number = receipt_number(opinion)
    opinion.save(update_fields=["receipt_number"])
    return opinion


def _stored(consultation, token):
    return Opinion.objects.filter(consultation=consultation, idempotency_key=token).first()


def submit_opinion(consultation, form, client_hash, now=None):
    """Store the opinion from a valid form. Returns (opinion, created)."""
    data = form.cleaned_data
    token = data["token"][:64]
    now = now or timezone.now()
    if not consultation.accepts_opinions_at(now):
        existing = _stored(consultation, token)  # sent again after the deadline: the original receipt
        if existing:
            return existing, False
        raise ConsultationClosed
    public_text, hits, hold = apply_sensitive_words(mask_personal_data(data["text"]))
    status = ModerationStatus.HELD if hold else ModerationStatus.PENDING
    print_ = fingerprint(data["text"])
    answers = list(form.answers())
    attachments = data.get("attachments") or []
    fields = dict(consultation=consultation, idempotency_key=token, submitted_at=now,
                  name=data.get("name", ""), phone=data.get("phone", ""), email=data.get("email", ""),
                  client_hash=client_hash, category=data["category"], clause_number=data.get("clause") or "",
                  text=data["text"], public_text=public_text, sensitive_words=hits, fingerprint=print_,
                  moderation_status=status)
    # On PostgreSQL a lone opinion is one INSERT, which needs no transaction of its own (two round
    # trips fewer). Answers and attachments go with it or not at all; elsewhere the receipt's UPDATE
    # goes with the INSERT; inside a caller's transaction a savepoint keeps a repeat's
    # IntegrityError from ending it.
    one_statement = (connection.vendor == "postgresql" and not answers and not attachments
                     and not connection.in_atomic_block)
    together = nullcontext() if one_statement else transaction.atomic()
    try:
        with together:
            opinion = _insert(consultation, print_, fields)
            if answers:  # bulk_create of nothing would still send an empty BEGIN … COMMIT
                QuestionAnswer.objects.bulk_create(
                    QuestionAnswer(opinion=opinion, consultation=consultation, **answer) for answer in answers)
            for upload in attachments:
                OpinionAttachment.objects.create(opinion=opinion, file=upload, original_name=upload.name[:200],
                                                 size=upload.size)
    except IntegrityError:
        # The form token is stored already (sent twice, or twice at once): the unique constraint
        # decides, so the common case, a first submission, needs no lookup before the INSERT.
        existing = _stored(consultation, token)
        if existing is None:
            raise
        return existing, False
    logger.info("opinion stored consultation=%s opinion=%s status=%s", consultation.pk, opinion.pk, status)
    return opinion, True
