"""`manage.py generate_opinions`: exact counts, distinct participants as the statistics count them,
unique receipts, form-letter duplicate groups, consistent fingerprints, idempotency and determinism."""
import datetime
import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from consultations.models import Decision, ModerationStatus, Opinion, QuestionAnswer
from consultations.results import consultation_statistics
from consultations.submission import fingerprint, receipt_number

OPINIONS, PARTICIPANTS = 500, 100


def generate(consultation, *extra, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("generate_opinions", "--consultation", str(consultation.pk), "--opinions", str(OPINIONS),
                 "--participants", str(PARTICIPANTS), "--batch-size", "120", *extra, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def questionnaire_consultation(consultation):
    page = type(consultation).objects.get(pk=consultation.pk)
    page.questionnaire = [
        ("choice", {"question": "您最需要哪类养老服务？", "required": True, "options": "助餐\n助浴\n上门医疗",
                    "multiple": True}),
        ("rating", {"question": "您对草案总体满意吗？", "required": False, "low_label": "很不满意",
                    "high_label": "非常满意"}),
        ("text", {"question": "还有什么建议？", "required": False}),
    ]
    page.save_revision().publish()
    return type(consultation).objects.get(pk=consultation.pk)


@pytest.mark.django_db
def test_small_run_is_complete_and_consistent(questionnaire_consultation):
    page = questionnaire_consultation
    out, err = generate(page)
    opinions = Opinion.objects.filter(consultation=page)
    assert opinions.count() == OPINIONS
    assert "500" in out and "100%" in err  # summary on stdout, progress bar on stderr

    # Participants exactly as consultations.results counts them (e-mail, else phone, else client) —
    # over every opinion and in the published statistics (which leave out spam).
    identity = Coalesce(NullIf("email", Value("")), NullIf("phone", Value("")), "client_hash")
    assert opinions.aggregate(n=Count(identity, distinct=True))["n"] == PARTICIPANTS
    statistics = consultation_statistics(page)
    assert statistics["participants"] == PARTICIPANTS
    assert statistics["total"] == opinions.exclude(moderation_status=ModerationStatus.SPAM).count()

    rows = list(opinions.order_by("pk"))
    receipts = [o.receipt_number for o in rows]
    assert None not in receipts and len(set(receipts)) == OPINIONS
    assert all(o.receipt_number == receipt_number(o) for o in rows)  # YJ-<local date>-<pk:06d>
    assert len({o.idempotency_key for o in rows}) == OPINIONS
    assert [o.submitted_at for o in rows] == sorted(o.submitted_at for o in rows)  # pk order is time order
    assert all(page.start_at <= o.submitted_at < page.end_at for o in rows)

    # Fingerprints as a real submission computes them; each group points at its first opinion.
    assert all(o.fingerprint == fingerprint(o.text) for o in rows)
    first_of = {}
    for o in rows:
        first_of.setdefault(o.fingerprint, o.pk)
        expected = None if first_of[o.fingerprint] == o.pk else first_of[o.fingerprint]
        assert o.duplicate_group_id == expected, o.pk
    group_sizes = Counter(o.duplicate_group_id for o in rows if o.duplicate_group_id)
    assert len(group_sizes) >= 3 and max(group_sizes.values()) >= 5
    in_groups = sum(group_sizes.values()) + len(group_sizes)
    assert 0.10 * OPINIONS <= in_groups <= 0.30 * OPINIONS
    # Form letters come identical and near-identical (other punctuation or numbers, same fingerprint).
    texts_in_group = {}
    for o in rows:
        texts_in_group.setdefault(o.duplicate_group_id or o.pk, set()).add(o.text)
    assert any(len(texts) > 1 for texts in texts_in_group.values())

    # Categories and clauses of this consultation; states and decisions in plausible shares.
    assert {o.category for o in rows} <= set(page.category_list())
    assert len({o.category for o in rows}) >= 8
    assert {o.clause_number for o in rows} <= {"", "1", "2", "3"}
    statuses = Counter(o.moderation_status for o in rows)
    assert statuses[ModerationStatus.APPROVED] + statuses[ModerationStatus.PENDING] > 0.75 * OPINIONS
    assert statuses[ModerationStatus.HIDDEN] and statuses[ModerationStatus.HELD] and statuses[ModerationStatus.SPAM]
    decided = [o for o in rows if o.decision]
    assert 0.45 * OPINIONS < len(decided) < 0.75 * OPINIONS
    assert all(o.reply and o.decided_at for o in decided)
    assert all(len(o.reply.strip()) >= 5 for o in decided if o.decision == Decision.NOT_ADOPTED)
    assert not any(o.decision for o in rows if o.moderation_status == ModerationStatus.SPAM)

    # Contact details: fake but valid-looking, never a real domain.
    emails = [o.email for o in rows if o.email]
    phones = [o.phone for o in rows if o.phone]
    assert emails and phones
    assert all(e.split("@")[1].endswith(("example.org", "example.com")) for e in emails)
    assert all(p.startswith("139") and len(p) == 11 and p.isdigit() for p in phones)
    assert all(len(o.text) >= 10 for o in rows)
    typed = [o for o in rows if "139" in o.text and o.moderation_status != ModerationStatus.SPAM]
    assert all("[电话已隐藏]" in o.public_text for o in typed)

    # Questionnaire: the required question answered on every opinion, the others sometimes.
    choice_id, rating_id, text_id = [q[0] for q in page.questions()]
    answers = QuestionAnswer.objects.filter(consultation=page)
    assert answers.filter(question_id=choice_id).values("opinion").distinct().count() == OPINIONS
    assert 0 < answers.filter(question_id=rating_id).count() < OPINIONS
    assert answers.filter(question_id=text_id).exists()
    assert set(answers.filter(question_id=choice_id).values_list("choice", flat=True)) <= {"助餐", "助浴", "上门医疗"}


@pytest.mark.django_db
def test_refuses_to_add_to_existing_opinions_unless_replace(consultation):
    generate(consultation, "--no-progress")
    before = set(Opinion.objects.values_list("receipt_number", flat=True))
    with pytest.raises(CommandError, match="已有 500 条意见"):
        generate(consultation)
    assert set(Opinion.objects.values_list("receipt_number", flat=True)) == before

    out, err = generate(consultation, "--replace", "--seed", "2", "--no-progress")
    assert "已删除" in err
    assert Opinion.objects.count() == OPINIONS
    assert not before & set(Opinion.objects.values_list("receipt_number", flat=True))


@pytest.mark.django_db
def test_same_seed_same_data(consultation):
    # A closed consultation: its time window no longer moves with the clock.
    start = datetime.datetime(2020, 11, 1, 10, 0, tzinfo=datetime.UTC)
    type(consultation).objects.filter(pk=consultation.pk).update(start_at=start, end_at=start + datetime.timedelta(days=14))

    def snapshot():
        return [(o.text, o.category, o.email, o.phone, o.submitted_at, o.moderation_status, o.decision, o.decided_at)
                for o in Opinion.objects.order_by("pk")]

    generate(consultation, "--seed", "7", "--no-progress")
    first = snapshot()
    generate(consultation, "--seed", "7", "--replace", "--no-progress")
    assert snapshot() == first
    generate(consultation, "--seed", "8", "--replace", "--no-progress")
    assert snapshot() != first


@pytest.mark.django_db
def test_finds_the_consultation_by_slug_and_checks_arguments(consultation):
    call_command("generate_opinions", "--consultation", "yanglao", "--opinions", "20", "--participants", "20",
                 "--no-progress", stdout=io.StringIO(), stderr=io.StringIO())
    assert Opinion.objects.filter(consultation=consultation).count() == 20
    with pytest.raises(CommandError, match="找不到意见征集"):
        call_command("generate_opinions", "--consultation", "no-such-page", stdout=io.StringIO())
    with pytest.raises(CommandError, match="不少于"):
        call_command("generate_opinions", "--consultation", "yanglao", "--opinions", "5", "--participants", "10",
                     "--replace", stdout=io.StringIO())


@pytest.mark.django_db
def test_orm_method_and_receipt_dates_across_a_daylight_saving_change(consultation):
    """Receipt dates are local dates. Batches within one UTC offset take SQLite's printf/strftime path;
    a batch spanning the change (Europe/Berlin, 28 March 2021) takes the ORM expression — both must
    agree with consultations.submission.receipt_number. And --method orm (bulk_create) writes the same."""
    start = datetime.datetime(2021, 3, 21, 12, 0, tzinfo=datetime.UTC)
    type(consultation).objects.filter(pk=consultation.pk).update(start_at=start, end_at=start + datetime.timedelta(days=14))
    with timezone.override("Europe/Berlin"):
        generate(consultation, "--method", "orm", "--no-progress")
        rows = list(Opinion.objects.order_by("pk"))
        assert len(rows) == OPINIONS
        assert all(o.receipt_number == receipt_number(o) for o in rows)
        assert any(timezone.localtime(o.submitted_at).date() != o.submitted_at.astimezone(datetime.UTC).date()
                   for o in rows)  # some local dates differ from the UTC date
        offsets = {timezone.localtime(o.submitted_at).utcoffset() for o in rows}
        assert len(offsets) == 2
