"""Identical and near-identical opinions (form-letter campaigns, 相同意见).

Opinions that differ only in punctuation, spacing or numbers share a ``fingerprint``
(``consultations.submission.fingerprint``). A group is therefore ``GROUP BY fingerprint``,
which the ``(consultation, fingerprint)`` index answers without touching the table rows.

The grouped admin listing costs a fixed number of queries whatever the size of the
consultation: one ``COUNT`` of the groups for the paginator, one ``GROUP BY`` for the page of
groups (both from the index alone when no other filter applies), and then two queries for the
groups on that page only (sample texts; categories, decision counts and latest submission of
each whole group).
"""
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min

from .models import Decision, Opinion

DECISION_LABELS = dict(Decision.choices)


def group_queryset(opinions):
    """One row per fingerprint of the given (filtered) opinions, the largest groups first."""
    return (opinions.order_by().values("fingerprint")
            .annotate(count=Count("pk"), first_id=Min("pk"))
            .order_by("-count", "first_id"))


def group_sizes(consultation, fingerprints=None):
    """{fingerprint: size} for the groups of two or more opinions (a missing key means 1).

    With ``fingerprints`` it is restricted to those groups (one page of the listing); without,
    it covers the consultation (used by the export), but only groups that really have
    duplicates are returned, so the dict stays small next to the table.
    """
    queryset = Opinion.objects.filter(consultation=consultation)
    if fingerprints is not None:
        queryset = queryset.filter(fingerprint__in=set(fingerprints))
    return dict(queryset.order_by().values_list("fingerprint").annotate(n=Count("pk")).filter(n__gt=1))


@dataclass
class OpinionGroup:
    fingerprint: str
    count: int  # opinions of the group matching the current filters
    first_id: int
    last_submitted_at: object = None
    total: int = 0  # the whole group in the consultation
    sample: str = ""
    sample_receipt: str = ""
    categories: list = field(default_factory=list)  # [(category, count)]
    decisions: list = field(default_factory=list)  # [(label, count)], 未答复 first
    undecided: int = 0

    @property
    def pk(self):
        return self.fingerprint

    @property
    def category_summary(self):
        return "、".join(f"{name}（{n}）" if len(self.categories) > 1 else name for name, n in self.categories)

    @property
    def decision_summary(self):
        return "；".join(f"{label} {n}" for label, n in self.decisions)

    @property
    def count_display(self):
        return f"{self.count}" if self.count == self.total else f"{self.count} / 整组 {self.total}"


def decorate_groups(consultation, rows):
    """Turn a page of ``group_queryset`` rows into ``OpinionGroup`` objects (two more queries)."""
    groups = [OpinionGroup(fingerprint=row["fingerprint"], count=row["count"], first_id=row["first_id"])
              for row in rows]
    if not groups:
        return groups
    by_print = {group.fingerprint: group for group in groups}
    samples = dict((pk, (text, receipt)) for pk, text, receipt in Opinion.objects.filter(
        pk__in=[group.first_id for group in groups]).values_list("pk", "public_text", "receipt_number"))
    counts = (Opinion.objects.filter(consultation=consultation, fingerprint__in=list(by_print))
              .order_by().values_list("fingerprint", "category", "decision")
              .annotate(n=Count("pk"), last=Max("submitted_at")))
    categories, decisions = {}, {}
    for fingerprint, category, decision, n, last in counts:
        group = by_print[fingerprint]
        if last and (group.last_submitted_at is None or last > group.last_submitted_at):
            group.last_submitted_at = last
        categories.setdefault(fingerprint, {}).setdefault(category, 0)
        categories[fingerprint][category] += n
        decisions.setdefault(fingerprint, {}).setdefault(decision, 0)
        decisions[fingerprint][decision] += n
    for group in groups:
        group.sample, group.sample_receipt = samples.get(group.first_id, ("", ""))
        group.sample_receipt = group.sample_receipt or f"意见 {group.first_id}"
        group.categories = sorted(categories.get(group.fingerprint, {}).items(), key=lambda item: (-item[1], item[0]))
        by_decision = decisions.get(group.fingerprint, {})
        group.total = sum(by_decision.values())
        group.undecided = by_decision.get("", 0)
        group.decisions = ([("未答复", group.undecided)] if group.undecided else []) + [
            (label, by_decision[value]) for value, label in Decision.choices if by_decision.get(value)]
    return groups
