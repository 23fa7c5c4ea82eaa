"""`manage.py check_search_index`: report entries missing, stale or extra in the index; --fix repairs them."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.backends import SearchUnavailable, get_backend
from search.documents import count_documents
from search.indexing import check_index

SHOW = 20


class Command(BaseCommand):
    help = "核对检索索引与数据库：列出缺失、过期和多余的条目；加 --fix 立即修复。发现问题且未修复时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="把有差异的来源重新写入索引")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, fix=False, no_progress=False, verbosity=1, **options):
        show = verbosity >= 1 and not no_progress
        try:
            with tqdm(total=count_documents(), unit="条", desc="核对索引", disable=not show, file=self.stderr) as bar:
                drift = check_index(progress=bar.update)
        except SearchUnavailable as exc:
            raise CommandError(f"检索后端不可用，无法核对：{exc}") from exc
        for label, keys in (("缺失", drift.missing), ("过期", drift.stale), ("多余", drift.extra)):
            self.stdout.write(f"{label}：{len(keys)} 条")
            for key in keys[:SHOW]:
                self.stdout.write(f"  {key}")
            if len(keys) > SHOW:
                self.stdout.write(f"  ……另有 {len(keys) - SHOW} 条")
        if drift.clean:
            self.stdout.write(self.style.SUCCESS(f"索引与数据库一致（{drift.checked} 条）。"))
            return
        if not fix:
            raise CommandError("索引与数据库不一致；运行 manage.py check_search_index --fix 修复。", returncode=1)
        self._fix(drift)

    def _fix(self, drift):
        from search.documents import documents_for_source

        sources = drift.sources()
        try:
            get_backend().replace_sources({source: documents_for_source(source) for source in sources})
        except SearchUnavailable as exc:
            raise CommandError(f"检索后端不可用，未能修复：{exc}") from exc
        after = check_index()
        if not after.clean:
            raise CommandError(f"修复后仍有差异：缺失 {len(after.missing)}，过期 {len(after.stale)}，多余 {len(after.extra)}。")
        self.stdout.write(self.style.SUCCESS(f"已修复 {len(sources)} 个来源，索引与数据库一致。"))
