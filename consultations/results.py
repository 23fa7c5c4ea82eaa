"""意见采纳情况说明: statistics computed from the data, with server-rendered charts (C3)."""
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce, NullIf

from cms.charts import bar_chart_svg

from .models import Decision, ModerationStatus, Opinion, QuestionAnswer


def _count_rows(pairs, total, labels=None):
    rows = []
    for key, count in pairs:
        label = (labels or {}).get(key, key) or "未分类"
        rows.append({"label": label, "count": count, "percent": round(100 * count / total) if total else 0})
    return rows


def _chart(rows, title, prefix):
    return bar_chart_svg(
        rows, title=title, id_prefix=prefix, max_value=max([r["count"] for r in rows] + [1]), value_key="count",
        value_text=lambda r: f"{r['count']} 条（{r['percent']}%）",
        row_desc=lambda r: f"{r['label']} {r['count']} 条，占 {r['percent']}%")


def _ranked(counts):
    """(key, count) pairs, largest first; ties in key order so the page is the same on every database."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def consultation_statistics(consultation):
    """Every figure of the results page from a few passes over the opinions (fast at 75k rows).

    One grouped query gives the counts by category, clause, decision and moderation status at once
    (a few hundred groups, tallied here) instead of one scan of the table per figure; it reads only
    the covering index (consultation, category, clause_number, decision, moderation_status) where
    the database can. Opinions not adopted without a reason, the participants (COUNT DISTINCT) and
    the questionnaire (below) are separate queries.
    """
    opinions = Opinion.objects.filter(consultation=consultation).exclude(moderation_status=ModerationStatus.SPAM)
    groups = (opinions.order_by().values_list("category", "clause_number", "decision", "moderation_status")
              .annotate(n=Count("pk")))
    total = public_count = 0
    categories, clauses, decision_counts = {}, {}, {}
    for category, clause_number, decision, status, n in groups:
        total += n
        categories[category] = categories.get(category, 0) + n
        clauses[clause_number] = clauses.get(clause_number, 0) + n
        if decision:
            decision_counts[decision] = decision_counts.get(decision, 0) + n
            if status == ModerationStatus.APPROVED:
                public_count += n
    # A participant is one e-mail, else one phone, else one client (anonymous submissions).
    participants = opinions.aggregate(n=Count(Coalesce(NullIf("email", Value("")), NullIf("phone", Value("")), "client_hash"),
                                                distinct=True))["n"]
    by_category = _count_rows(_ranked(categories), total)
    clause_labels = dict(consultation.clause_choices())
    clause_labels[""] = "总体意见"
    by_clause = _count_rows(_ranked(clauses)[:20], total, clause_labels)
    by_decision = [{"label": label, "count": decision_counts.get(value, 0),
                    "percent": round(100 * decision_counts.get(value, 0) / total) if total else 0}
                   for value, label in Decision.choices]
    adopted = decision_counts.get(Decision.ADOPTED, 0) + decision_counts.get(Decision.PARTLY, 0)
    return {
        "total": total,
        "participants": participants,
        "adopted": adopted,
        "adopted_percent": round(100 * adopted / total) if total else 0,
        "by_category": by_category,
        "by_clause": by_clause,
        "by_decision": by_decision,
        "category_chart": _chart(by_category, "各类别意见数量", "chart-category"),
        "clause_chart": _chart(by_clause, "各条款意见数量（前 20 条）", "chart-clause"),
        "decision_chart": _chart(by_decision, "意见处理结果", "chart-decision"),
        "questions": questionnaire_statistics(consultation),
        "public_count": public_count,
        "not_adopted_without_reason": opinions.filter(decision=Decision.NOT_ADOPTED).filter(
            Q(reply="") | Q(reply__isnull=True)).count(),
    }


def questionnaire_statistics(consultation):
    """Per question: counts per option or score, respondents; choice and rating questions of the whole
    questionnaire from two grouped queries, text questions with a count and ten samples each."""
    # Spam is excluded by the (few) spam opinions' ids rather than by joining every answer to its opinion.
    spam = Opinion.objects.filter(consultation=consultation, moderation_status=ModerationStatus.SPAM).values("pk")
    answers = QuestionAnswer.objects.filter(consultation=consultation).exclude(opinion_id__in=spam)
    questions = consultation.questions()
    counted = [block_id for block_id, kind, _ in questions if kind in ("choice", "rating")]
    choice_ids = [block_id for block_id, kind, _ in questions if kind == "choice"]
    tallies = {}  # question id → {choice or rating: count}
    if counted:
        for question_id, choice, rating, n in (answers.filter(question_id__in=counted).order_by()
                                               .values_list("question_id", "choice", "rating").annotate(n=Count("pk"))):
            tally = tallies.setdefault(question_id, {"choice": {}, "rating": {}})
            tally["choice"][choice] = tally["choice"].get(choice, 0) + n
            if rating is not None:
                tally["rating"][rating] = tally["rating"].get(rating, 0) + n
    choice_respondents = dict(
        answers.filter(question_id__in=choice_ids).order_by().values_list("question_id")
        .annotate(n=Count("opinion_id", distinct=True))) if choice_ids else {}
    results = []
    for block_id, kind, value in questions:
        item = {"id": block_id, "question": value["question"], "kind": kind}
        if kind == "choice":
            counts = tallies.get(block_id, {}).get("choice", {})
            respondents = choice_respondents.get(block_id, 0)
            options = [o.strip() for o in value["options"].splitlines() if o.strip()]
            item["rows"] = [{"label": o, "count": counts.get(o, 0),
                             "percent": round(100 * counts.get(o, 0) / respondents) if respondents else 0}
                            for o in options]
            item["respondents"] = respondents
            item["chart"] = _chart(item["rows"], value["question"], f"chart-q-{block_id[:8]}")
        elif kind == "rating":
            counts = tallies.get(block_id, {}).get("rating", {})
            respondents = sum(counts.values())
            item["rows"] = [{"label": f"{i} 分", "count": counts.get(i, 0),
                             "percent": round(100 * counts.get(i, 0) / respondents) if respondents else 0}
                            for i in range(1, 6)]
            item["respondents"] = respondents
            item["average"] = round(sum(i * c for i, c in counts.items()) / respondents, 2) if respondents else None
            item["chart"] = _chart(item["rows"], value["question"], f"chart-q-{block_id[:8]}")
        else:
            rows = answers.filter(question_id=block_id)
            item["respondents"] = rows.count()
            item["samples"] = list(rows.exclude(text="").values_list("text", flat=True)[:10])
        results.append(item)
    return results


class ResultsNotReady(Exception):
    pass


def publish_results(consultation, user):
    """Staff action 发布征集结果: the page shows the statistics and replies; e-mails go out in the
    background (a failing mail server never blocks publishing)."""
    from django.db import transaction
    from django.utils import timezone
    from wagtail.log_actions import log

    from cms import routing

    if consultation.results_published_at:
        raise ResultsNotReady("征集结果已经发布。")
    if timezone.now() < consultation.end_at:
        raise ResultsNotReady("征集尚未截止，截止后才能发布结果。")
    if not (consultation.results_summary or "").strip():
        raise ResultsNotReady("请先在页面“采纳情况”标签中填写意见采纳情况说明并发布页面。")
    with transaction.atomic():
        type(consultation).objects.filter(pk=consultation.pk).update(results_published_at=timezone.now())
        consultation.refresh_from_db(fields=["results_published_at"])
        routing.tree_changed()  # the page shows the results now: no cached copy of it may survive
        log(instance=consultation, action="consultations.publish_results", user=user,
            data={"opinions": Opinion.objects.filter(consultation=consultation).count()})
        transaction.on_commit(lambda: _enqueue_notifications(consultation.pk))
    return consultation


def _enqueue_notifications(consultation_id):
    from .tasks import enqueue_result_notifications

    enqueue_result_notifications(consultation_id)
