"""Search down: the index's storage goes away while the site runs.

The embedded index lives in SEARCH_EMBEDDED_DIR on local disk; what takes it away in production is
that disk or mount failing. Here the directory is moved aside and a plain file put in its place
while the processes have it open, so every read and write fails as it would (NotADirectoryError),
until it is put back. (tests/search/test_outbox.py covers the other case: another process holding
the index's write lock, with reads still working.)

What a user sees meanwhile: the site serves, the hotline and 政策问答 say "检索服务暂时不可用", the API
answers 503. Editors' changes wait in the outbox. Afterwards the worker catches up by itself and
check_search_index finds no drift.
"""
import time
from urllib.parse import quote

import pytest

from search.factories import QAEntryFactory
from search.indexing import check_index
from search.models import IndexOutbox
from search.outbox import process_outbox
from search.service import hotline_search
from tests.search.conftest import publish

from .procs import wait_until
from .web import forms

UNAVAILABLE = "检索服务暂时不可用"


def take_away(index_dir):
    away = index_dir.with_name(index_dir.name + ".away")
    index_dir.rename(away)
    index_dir.write_text("")  # a plain file where the directory was
    return away


def bring_back(index_dir, away):
    index_dir.unlink()
    away.rename(index_dir)


def test_index_storage_gone_mid_run_search_says_so_changes_wait_and_catch_up(qa_base, departments, client, settings):
    index_dir = settings.SEARCH_EMBEDDED_DIR
    assert hotline_search("打零工的社保怎么交").total >= 1
    entry = qa_base["entries"]["medical"]

    away = take_away(index_dir)
    try:
        response = hotline_search("打零工的社保怎么交")
        assert response.total == 0 and UNAVAILABLE in response.error
        page = client.get("/wenda/", {"q": "社保"})
        assert page.status_code == 200 and UNAVAILABLE in page.content.decode()
        assert client.get("/").status_code == 200
        # An editor's change meanwhile: stored, and its index update waits in the outbox.
        entry.short_answer = "异地就医备案可在国家医保服务平台 App 上办理，当天生效。"
        publish(entry)
        new = publish(QAEntryFactory.build(department=departments["rsj"], live=False, question="公积金怎么提取用于租房？",
                                           short_answer="无房职工租房可按月提取住房公积金，线上申请即可。"))
        assert process_outbox() == (0, 2)
        assert set(IndexOutbox.objects.filter(done_at__isnull=True).values_list("source", flat=True)) == {
            f"qa:{entry.pk}", f"qa:{new.pk}"}
    finally:
        bring_back(index_dir, away)

    # Back: the retry applies both changes, and the index matches the database again.
    later = IndexOutbox.objects.order_by("-next_attempt_at").first().next_attempt_at
    assert process_outbox(now=later) == (2, 0)
    assert not IndexOutbox.objects.filter(done_at__isnull=True).exists()
    assert hotline_search("异地就医备案").results[0]["short_answer"].startswith("异地就医备案可在国家医保服务平台")
    assert hotline_search("公积金租房").total == 1
    assert check_index().clean


def test_index_emptied_mid_run_is_an_outage_not_no_answer_until_rebuilt(qa_base, client, settings):
    """The index's directory emptied (a wiped disk, a fresh volume): the backend opens a new, empty
    index. An operator must then read "unavailable", never "no answer", and readiness must say so."""
    import shutil

    from django.core.management import call_command

    assert hotline_search("打零工的社保怎么交").total >= 1
    assert client.get("/readyz").json()["checks"]["search"]["ok"]
    shutil.rmtree(settings.SEARCH_EMBEDDED_DIR)

    response = hotline_search("打零工的社保怎么交")
    assert response.total == 0 and UNAVAILABLE in response.error
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert not ready.json()["checks"]["search"]["ok"] and "rebuild_search_index" in ready.json()["checks"]["search"]["detail"]

    call_command("rebuild_search_index", "--no-progress")
    assert hotline_search("打零工的社保怎么交").total >= 1
    assert client.get("/readyz").json()["checks"]["search"]["ok"]


def test_an_empty_index_of_an_empty_site_is_simply_empty(db, client):
    """A new installation before any content: nothing to find is not an outage."""
    response = hotline_search("打零工的社保怎么交")
    assert response.total == 0 and not response.error
    assert client.get("/readyz").json()["checks"]["search"]["ok"]


def showing_unavailable(browser, path):
    response = browser.get(path + quote("社保"))
    assert response.status == 200, response.status
    return UNAVAILABLE in response.text and response


def api_search(browser, query):
    return browser.get(f"/api/qa/search?q={quote(query)}")


def edit_qa(editor, pk, **changes):
    page = editor.get(f"/admin/snippets/search/qaentry/edit/{pk}/")
    form = next(f for f in forms(page.text) if f.action.endswith(f"/qaentry/edit/{pk}/"))
    response = editor.post(form.action, form.data(**changes, **{"action-publish": "action-publish"}))
    assert response.status == 302, response.text[:500]


def unpublish_qa(editor, pk):
    path = f"/admin/snippets/search/qaentry/unpublish/{pk}/"
    form = next(f for f in forms(editor.get(path).text) if "csrfmiddlewaretoken" in dict(f.fields))
    response = editor.post(path, form.data())
    assert response.status == 302, response.text[:500]


@pytest.mark.faults
def test_search_storage_gone_on_the_running_stack(stack_factory):
    stack = stack_factory(worker=True)
    visitor, operator, editor = stack.browser(), stack.browser(), stack.browser()
    operator.login("hotline")
    editor.login("admin")
    (edited_id, edited_question), (removed_id, removed_question) = stack.sql(
        "SELECT id, question FROM search_qaentry WHERE live ORDER BY id LIMIT 2")
    before = api_search(visitor, edited_question).json()
    assert before["total"] >= 1
    wait_until(lambda: stack.ready()[1]["checks"]["worker"]["detail"]["search_outbox_pending"] == 0, 30,
               what="the outbox to be empty before the fault")

    away = take_away(stack.search_dir)
    try:
        # What people see: search says it is unavailable (each worker notices within
        # SEARCH_RELOAD_SECONDS, see docs/faults.md); every other page serves.
        wenda = wait_until(lambda: showing_unavailable(visitor, "/wenda/?q="), 10, what="/wenda/ to say so")
        assert "Traceback" not in wenda.text
        wait_until(lambda: showing_unavailable(operator, "/hotline/?q="), 10, what="/hotline/ to say so")
        api = wait_until(lambda: (r := api_search(visitor, "社保")).status == 503 and r, 10, what="the API's 503")
        assert "暂时不可用" in api.json()["error"]
        for path in ("/", "/zhengce/", "/zhengqiu/", "/zhengce/rsj/jianxi-butie-zhengqiu/"):
            assert visitor.get(path).status == 200, path
        status, ready = wait_until(lambda: (r := stack.ready())[1]["status"] == "degraded" and r, 10,
                                   what="/readyz to say degraded")
        assert status == 200 and ready["checks"]["search"]["ok"] is False

        # An editor publishes a changed answer and withdraws another one meanwhile: both are saved,
        # and the worker's attempt to index them fails and backs off.
        new_answer = "故障演练：本条答复在检索服务中断期间修改，恢复后应当可以检索到。"
        edit_qa(editor, edited_id, short_answer=new_answer)
        unpublish_qa(editor, removed_id)
        assert stack.sql("SELECT short_answer FROM search_qaentry WHERE id = %s", [edited_id]) == [(new_answer,)]
        pending = wait_until(lambda: (rows := stack.sql(
            "SELECT source, attempts, last_error FROM search_indexoutbox WHERE done_at IS NULL ORDER BY id"))
            and all(r[1] >= 1 for r in rows) and rows, 20, what="the worker to try and fail")
        assert {r[0] for r in pending} == {f"qa:{edited_id}", f"qa:{removed_id}"}
        assert all("索引" in r[2] for r in pending)
    finally:
        bring_back(stack.search_dir, away)
    outage_over = time.monotonic()

    # Back: the worker's next retry (2, 4, 8 … s) applies both changes, nothing else needed.
    wait_until(lambda: not stack.sql("SELECT 1 FROM search_indexoutbox WHERE done_at IS NULL"), 40,
               what="the outbox to drain")
    caught_up = time.monotonic() - outage_over
    found = api_search(visitor, edited_question).json()
    assert found["results"][0]["short_answer"] == new_answer
    gone = api_search(visitor, removed_question).json()
    assert removed_question not in [r["question"] for r in gone["results"]]
    check = stack.manage("check_search_index", "--no-progress")
    assert "缺失：0 条" in check.stdout and "过期：0 条" in check.stdout and "多余：0 条" in check.stdout
    assert "索引与数据库一致" in check.stdout
    status, ready = stack.ready()
    assert status == 200 and ready["status"] == "ready"
    print(f"FAULT-TIMING search: index caught up {caught_up:.1f} s after the storage came back")
