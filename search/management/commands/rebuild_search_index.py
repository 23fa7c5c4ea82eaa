"""`manage.py rebuild_search_index`: build a new version of the hotline index and swap it in."""
import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search.backends import SearchUnavailable, get_backend
from search.documents import count_documents
from search.indexing import rebuild_index


class Command(BaseCommand):
    help = "重建政策问答检索索引（新建索引版本，完成后原子切换，检索不中断）。"

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, no_progress=False, verbosity=1, **options):
        started = time.perf_counter()
        backend = get_backend()
        show = verbosity >= 1 and not no_progress
        bar = tqdm(total=count_documents(), unit="条", desc="重建索引", disable=not show, file=self.stderr)
        try:
            count = rebuild_index(progress=bar.update)
        except SearchUnavailable as exc:
            raise CommandError(f"检索后端不可用，索引未重建：{exc}") from exc
        finally:
            bar.close()
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(
                f"已重建 {backend.name} 索引：{count} 条，用时 {time.perf_counter() - started:.1f} 秒。"))
