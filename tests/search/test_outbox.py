"""The index outbox: nothing is lost while the search backend is unavailable, and the index catches up."""
import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from search.backends import get_backend, reset_backend
from search.factories import QAEntryFactory
from search.indexing import check_index
from search.models import IndexOutbox
from search.outbox import process_outbox
from search.service import hotline_search
from tests.search.conftest import publish


def new_entry(departments, question="公积金怎么提取用于租房？"):
    return publish(QAEntryFactory.build(department=departments["rsj"], live=False, question=question,
                                        short_answer="无房职工租房可按月提取住房公积金，线上申请即可。"))


def test_changes_wait_in_the_outbox_while_the_index_is_locked_and_apply_afterwards(qa_base, departments):
    backend = get_backend()
    blocker = backend._get_index().writer(heap_size=15_000_000, num_threads=1)  # another process writing
    entry = new_entry(departments)
    applied, failed = process_outbox()
    assert (applied, failed) == (0, 1)
    row = IndexOutbox.objects.get(source=f"qa:{entry.pk}")
    assert row.done_at is None and row.attempts == 1 and "写入" in row.last_error
    assert row.next_attempt_at > timezone.now()
    # Searching keeps working meanwhile; the new entry is simply not there yet.
    assert hotline_search("公积金租房").total == 0
    assert hotline_search("打零工的社保怎么交").total >= 1
    # A second failure backs off further.
    process_outbox(now=row.next_attempt_at)
    assert IndexOutbox.objects.get(pk=row.pk).attempts == 2
    blocker.rollback()
    del blocker
    later = timezone.now() + datetime.timedelta(minutes=10)
    assert process_outbox(now=later) == (1, 0)
    assert IndexOutbox.objects.get(pk=row.pk).done_at is not None
    assert hotline_search("公积金租房").total == 1
    assert check_index().clean


def test_search_outage_gives_a_clear_message_not_an_error(qa_base, settings, tmp_path, client, users):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.SEARCH_EMBEDDED_DIR = blocked / "index"
    reset_backend()
    response = hotline_search("社保")
    assert response.total == 0 and "暂时不可用" in response.error
    api = client.get("/api/qa/search", {"q": "社保"})
    assert api.status_code == 503 and "暂时不可用" in api.json()["error"]
    page = client.get("/wenda/", {"q": "社保"})
    assert page.status_code == 200 and "检索服务暂时不可用" in page.content.decode()


def test_rebuild_swaps_in_a_new_version_and_check_finds_no_drift(qa_base, departments):
    backend = get_backend()
    before = backend._current_version()
    call_command("rebuild_search_index", "--no-progress", verbosity=0)
    after = backend._current_version()
    assert after != before
    assert hotline_search("打零工的社保怎么交").total >= 1
    assert check_index().clean
    # The previous version is kept one rebuild longer for readers in other processes.
    call_command("rebuild_search_index", "--no-progress", verbosity=0)
    versions = {p.name for p in backend.root.iterdir() if p.is_dir()}
    assert before not in versions and after in versions


def test_check_reports_missing_stale_and_extra_and_fix_repairs(qa_base, departments, capsys):
    from search.documents import documents_for_source

    entries = qa_base["entries"]
    backend = get_backend()
    stale_doc = documents_for_source(f"qa:{entries['medical'].pk}")[0]
    stale_doc.short_answer = "过时的答复"
    extra_doc = documents_for_source(f"qa:{entries['school'].pk}")[0]
    extra_doc.key = extra_doc.source = "qa:999999"
    backend.replace_sources({f"qa:{entries['flexible'].pk}": [],              # missing
                             f"qa:{entries['medical'].pk}": [stale_doc],       # stale
                             "qa:999999": [extra_doc]})                        # extra
    with pytest.raises(CommandError, match="不一致"):
        call_command("check_search_index", "--no-progress")
    out = capsys.readouterr().out
    assert f"缺失：1 条\n  qa:{entries['flexible'].pk}" in out
    assert f"过期：1 条\n  qa:{entries['medical'].pk}" in out
    assert "多余：1 条\n  qa:999999" in out
    call_command("check_search_index", "--fix", "--no-progress")
    assert "索引与数据库一致" in capsys.readouterr().out
    assert check_index().clean


def test_changes_during_a_rebuild_are_applied_to_the_new_version(qa_base, departments, monkeypatch):
    """A change that lands while the rebuild reads the database must survive the swap."""
    import search.indexing as indexing

    real_all_documents = indexing.all_documents

    def documents_then_a_change():
        yield from real_all_documents()
        entry = new_entry(departments, question="公积金贷款额度怎么算？")
        process_outbox()  # the worker applies it to the old version meanwhile
        documents_then_a_change.entry = entry

    monkeypatch.setattr(indexing, "all_documents", documents_then_a_change)
    indexing.rebuild_index()
    monkeypatch.undo()
    assert hotline_search("公积金贷款额度").total == 1
    assert check_index().clean


def test_many_changes_queue_one_processing_task_on_the_database_queue(qa_base, departments, settings,
                                                                      django_capture_on_commit_callbacks):
    """An import publishes one entry per transaction; the worker should get one task, not one per entry."""
    from django_tasks import task_backends
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    task_backends._settings = None  # re-read TASKS
    try:
        for n in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                new_entry(departments, question=f"公积金怎么提取（{n}）？")
        assert DBTaskResult.objects.filter(task_path="search.tasks.process_search_outbox").count() == 1
        assert IndexOutbox.objects.filter(done_at__isnull=True).count() == 5
    finally:
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
        task_backends._settings = None


def test_a_department_change_reaches_every_answer_and_does_not_jam_the_outbox(qa_base, departments):
    ybj = departments["ybj"]
    ybj.phone = "0991-12393"
    ybj.save()
    entry = new_entry(departments, question="公积金贷款怎么申请？")
    assert process_outbox()[1] == 0
    assert hotline_search("异地就医备案").results[0]["department"]["phone"] == "0991-12393"
    assert hotline_search("公积金贷款").total == 1, entry
    assert check_index().clean
