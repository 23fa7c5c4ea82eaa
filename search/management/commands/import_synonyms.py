"""`manage.py import_synonyms FILE`: load 同义词 groups for the hotline search from a text file.

    manage.py import_synonyms synonyms.txt
    manage.py import_synonyms synonyms.txt --replace

One group per line, terms separated by ``,``, ``，`` or ``、``; blank lines and everything after ``#``
are ignored. Terms are compared as SynonymGroup stores them (trimmed, lower-case). Groups that share
a term are merged, in the file and with the groups already stored (the stored group with the lowest
id keeps its row and note; the others are deleted). With ``--replace`` the file is the whole
vocabulary: stored groups that no file group touches are deleted, and the ones it touches get
exactly the file's terms. The whole file is one transaction. Bad lines are reported with their line
numbers and skipped; with ``--replace`` a file with any bad line changes nothing. Exit status 1 when
any line was bad (without --replace the good ones are stored), 2 when the file cannot be read.
Details: docs/qa-import.md.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from search.models import SynonymGroup

MAX_TERM_CHARS = 30
MAX_GROUP_CHARS = SynonymGroup._meta.get_field("terms").max_length


class _Rollback(Exception):
    pass


def decode(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError("无法识别文件编码：请保存为 UTF-8 编码的文本文件。", returncode=2)


def parse(text):
    """[(line number, terms)] and [(line number, reason)]."""
    groups, errors = [], []
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        terms = SynonymGroup.split(content)
        too_long = [t for t in terms if len(t) > MAX_TERM_CHARS]
        if len(terms) < 2:
            errors.append((number, "一组同义词至少要有两个词，用逗号分隔，例如：社保,社会保险"))
        elif too_long:
            errors.append((number, f"每个词不超过 {MAX_TERM_CHARS} 个字：{too_long[0]}"))
        else:
            groups.append((number, terms))
    return groups, errors


class Terms:
    """Union-find over terms: groups that share a term end up in one component."""

    def __init__(self):
        self.parent = {}

    def find(self, term):
        self.parent.setdefault(term, term)
        while self.parent[term] != term:
            self.parent[term] = self.parent[self.parent[term]]
            term = self.parent[term]
        return term

    def union(self, terms):
        root = self.find(terms[0])
        for term in terms[1:]:
            other = self.find(term)
            if other != root:
                self.parent[other] = root


class Command(BaseCommand):
    help = "从文本文件导入同义词组（每行一组，用逗号分隔；# 之后为注释），与已有的词组合并"

    def add_arguments(self, parser):
        parser.add_argument("file", help="同义词文件（UTF-8 文本）")
        parser.add_argument("--replace", action="store_true", help="以文件为准：删除文件中没有涉及的已有词组")
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计，不保存任何修改")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}", returncode=2)
        groups, errors = parse(decode(path.read_bytes()))
        self.counts = dict.fromkeys(["created", "updated", "unchanged", "merged", "deleted"], 0)
        replace, dry_run = options["replace"], options["dry_run"]
        try:
            with transaction.atomic():
                if not (replace and errors):
                    errors += self.apply(groups, replace)
                if dry_run or (replace and errors):
                    raise _Rollback
        except _Rollback:
            pass
        for number, reason in sorted(errors):
            self.stdout.write(f"第 {number} 行：{reason}")
        if errors and replace:
            self.counts = dict.fromkeys(self.counts, 0)
            self.stdout.write("有出错的行：--replace 以文件为准，文件有错时不做任何修改，请改正后重新导入。")
        c = self.counts
        prefix = "试运行（未保存任何修改）：" if dry_run else "导入完成："
        self.stdout.write(f"{prefix}新增 {c['created']}，更新 {c['updated']}，未变 {c['unchanged']}，"
                          f"合并 {c['merged']}，删除 {c['deleted']}，出错 {len(errors)}")
        if errors:
            rest = "未做任何修改" if replace else ("其余行可以导入" if dry_run else "其余行已导入")
            raise CommandError(f"有 {len(errors)} 行出错（见上），{rest}。", returncode=1)

    def apply(self, groups, replace):
        existing = {g.pk: (g, g.term_list()) for g in SynonymGroup.objects.order_by("pk")}
        union = Terms()
        for _, terms in groups:
            union.union(terms)
        if not replace:  # merging: stored groups join the components too
            for _, terms in existing.values():
                if terms:
                    union.union(terms)
        components = {}  # root → {"terms": [...], "lines": [...]}, in file order
        for number, terms in groups:
            component = components.setdefault(union.find(terms[0]), {"terms": [], "lines": []})
            component["lines"].append(number)
            component["terms"].extend(t for t in terms if t not in component["terms"])
        if not replace:
            for _, terms in existing.values():
                root = union.find(terms[0]) if terms else None
                if root in components:
                    components[root]["terms"].extend(t for t in terms if t not in components[root]["terms"])

        errors, used, plan = [], set(), []
        for component in components.values():
            wanted = set(component["terms"])
            overlapping = [pk for pk, (_, terms) in existing.items() if pk not in used and wanted & set(terms)]
            used.update(overlapping)
            target = overlapping[0] if overlapping else None
            # The stored order of the kept group stays; new terms follow in the order they appear.
            kept = [t for t in existing[target][1] if t in wanted] if target else []
            terms = kept + [t for t in component["terms"] if t not in kept]
            if len(",".join(terms)) > MAX_GROUP_CHARS:
                errors += [(n, f"合并后的同义词组超过 {MAX_GROUP_CHARS} 个字符，请拆分：{','.join(terms)[:40]}…")
                           for n in component["lines"]]
                continue
            plan.append((target, overlapping[1:], terms))

        # Deletions first: a merged group's terms string may be exactly the new one (unique column).
        for _, others, _ in plan:
            for pk in others:
                existing[pk][0].delete()
                self.counts["deleted" if replace else "merged"] += 1
        if replace:
            for pk, (group, _) in existing.items():
                if pk not in used:
                    group.delete()
                    self.counts["deleted"] += 1
        for target, _, terms in plan:
            if target is None:
                SynonymGroup.objects.create(terms=",".join(terms))
                self.counts["created"] += 1
                continue
            group, stored = existing[target]
            if set(stored) == set(terms) and group.terms == ",".join(stored):
                self.counts["unchanged"] += 1
                continue
            group.terms = ",".join(terms)
            group.save()
            self.counts["updated"] += 1
        return errors
