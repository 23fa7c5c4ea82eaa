"""Database down: a clean 503 in Chinese (never a traceback), /healthz still 200, /readyz 503, and an
opinion sent meanwhile is refused visibly, then stored exactly once when it is sent again.

The fast test swaps the request's connection for one to a database that does not answer (a port
nobody listens on, or an SQLite file that cannot be opened): the driver's real connection error.
The slow one (stack) stops and starts a private PostgreSQL cluster under a running web server.
"""
import contextlib
import logging
import time

import pytest
from django.db import connections
from django.test import Client, RequestFactory
from django.urls import get_resolver

from consultations.models import Opinion
from tests.consultations.conftest import opinion_data

from . import procs
from .web import forms

UNAVAILABLE = "服务暂时不可用，请稍后再试"
NOT_SAVED = "您刚才提交的内容没有保存"
LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite", "Error", "127.0.0.1", "SELECT")


@contextlib.contextmanager
def database_unreachable(tmp_path):
    """Requests in this block get a connection to a database server that is not there."""
    original = connections["default"]
    settings_dict = dict(original.settings_dict)
    if original.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "no-such-directory" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(procs.free_port()))
    dead = original.__class__(settings_dict, alias="default")
    connections["default"] = dead
    try:
        yield
    finally:
        dead.close()
        connections["default"] = original


def assert_clean_503(response):
    html = response.content.decode()
    assert response.status_code == 503, html[:300]
    assert response["Retry-After"].isdigit() and "no-store" in response["Cache-Control"]
    assert UNAVAILABLE in html
    for leak in LEAKS:
        assert leak not in html, f"{leak!r} shown to the user"
    return html


def test_database_unreachable_gives_a_clean_503_and_a_refused_opinion_can_be_sent_again(consultation, tmp_path,
                                                                                       caplog):
    resident = Client(raise_request_exception=False, REMOTE_ADDR="203.0.113.20")
    data = opinion_data(resident, consultation, text="建议在老旧小区加装电梯时，对一楼住户给予适当补偿。",
                        phone="13987654321", email="resident@example.org")

    with database_unreachable(tmp_path), caplog.at_level(logging.INFO):
        assert_clean_503(resident.get("/"))
        assert_clean_503(resident.get(consultation.url))
        refused = assert_clean_503(resident.post(consultation.url, data))
        assert NOT_SAVED in refused and "重新提交" in refused
        api = resident.get("/api/qa/search", {"q": "社保"})
        assert api.status_code == 503 and api.json() == {"error": "服务暂时不可用，请稍后再试。"}
        assert resident.get("/healthz").status_code == 200
        ready = resident.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        assert ready.json()["checks"]["database"]["ok"] is False
    logged = caplog.text
    for personal in ("13987654321", "resident@example.org", "张三丰", "老旧小区加装电梯"):
        assert personal not in logged

    # Not stored, and nothing half-stored.
    assert not Opinion.objects.filter(idempotency_key=data["token"]).exists()
    # The resident sends the same form again (the browser kept it): stored once, and only once.
    again = resident.post(consultation.url, data)
    assert again.status_code == 200 and "回执编号" in again.content.decode()
    twice = resident.post(consultation.url, data)
    assert twice.status_code == 200
    assert Opinion.objects.filter(idempotency_key=data["token"]).count() == 1
    assert resident.get("/").status_code == 200


def test_production_keeps_connections_and_checks_them_after_a_restart():
    """What lets the web server recover without a restart: a kept connection is checked before it is reused."""
    from tests.cms.test_deploy_config import production_value

    value = production_value("[s.DATABASES['default'][k] for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')]",
                             DATABASE_URL="postgres://zcjd@db.example.gov.cn:5432/zcjd")
    assert value == [60, True]


def test_other_server_errors_keep_the_500_page():
    """Only a database outage becomes a 503: any other error keeps the 500 page (and its alert)."""
    view = get_resolver().resolve_error_handler(500)
    request = RequestFactory().get("/")
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError:
        response = view(request)
    assert response.status_code == 500 and "系统出现错误" in response.content.decode()
    assert "Retry-After" not in response


def opinion_form(browser, path, text):
    form = next(f for f in forms(browser.get(path).text) if "token" in dict(f.fields))
    return form.data(category=form.options["category"][1], text=text, consent="on", website="",
                     name="李四", phone="13800001111", email="lisi@example.org")


@pytest.mark.faults
def test_database_restarted_under_the_running_stack(stack_factory):
    stack = stack_factory(worker=True)
    (path,) = [p.removeprefix("/home") for (p,) in stack.sql(
        "SELECT url_path FROM wagtailcore_page WHERE slug = 'jianxi-butie-zhengqiu'")]
    visitor, first, second = stack.browser(), stack.browser(), stack.browser()
    sent = opinion_form(first, path, "数据库重启之前提交的意见：建议见习补贴按月发放。")
    response = first.post(path, sent)
    assert response.status == 200 and "回执编号" in response.text
    refused = opinion_form(second, path, "数据库中断期间提交的意见：建议简化见习单位的认定材料。")
    web_pid = stack.web.process.pid

    stack.cluster.stop("fast")   # every connection is cut; new ones are refused until it starts again
    try:
        started = time.monotonic()
        page = visitor.get("/")
        answered_in = time.monotonic() - started
        assert page.status == 503 and page.headers["retry-after"].isdigit(), page.text[:300]
        assert UNAVAILABLE in page.text and not any(leak in page.text for leak in LEAKS)
        answer = second.post(path, refused)
        assert answer.status == 503 and NOT_SAVED in answer.text and "重新提交" in answer.text
        assert not any(personal in answer.text for personal in ("13800001111", "lisi@example.org"))
        api = visitor.get("/api/qa/search?q=%E7%A4%BE%E4%BF%9D")
        assert api.status == 503 and api.json() == {"error": "服务暂时不可用，请稍后再试。"}
        assert visitor.get("/healthz").status == 200
        ready = visitor.get("/readyz")
        assert ready.status == 503 and ready.json()["checks"]["database"]["ok"] is False
        # db_worker exits on a lost database; systemd brings it back (Restart=always, RestartSec=5).
        procs.wait_until(lambda: not stack.worker.alive(), 15, what="db_worker to exit")
    finally:
        stack.cluster.start()
    back = time.monotonic()
    stack.start_worker()  # what systemd does

    # The same web server serves again: every worker reconnects by itself (CONN_HEALTH_CHECKS).
    assert [visitor.get("/").status for _ in range(6)] == [200] * 6
    print(f"FAULT-TIMING database: the 503 page in {answered_in * 1000:.0f} ms, "
          f"six pages 200 within {time.monotonic() - back:.2f} s of the server being back")
    assert stack.web.alive() and stack.web.process.pid == web_pid
    assert not stack.sql("SELECT 1 FROM consultations_opinion WHERE idempotency_key = %s", [refused["token"]])
    again = second.post(path, refused)   # the resident goes back and sends the same form again
    assert again.status == 200 and "回执编号" in again.text
    assert second.post(path, refused).status == 200   # and once more, by accident
    counts = dict(stack.sql("SELECT idempotency_key, count(*) FROM consultations_opinion "
                            "WHERE idempotency_key = ANY(%s) GROUP BY idempotency_key",
                            [[sent["token"], refused["token"]]]))
    assert counts == {sent["token"]: 1, refused["token"]: 1}
    status, ready = stack.ready()
    assert status == 200 and ready["checks"]["database"]["ok"] is True
    procs.wait_until(lambda: "Starting worker" in stack.worker.log(), 15, what="the restarted db_worker")
    logs = stack.logs()
    assert "Service Unavailable" in logs   # the outage is logged for the operators …
    for personal in ("13800001111", "lisi@example.org", "李四", "简化见习单位"):
        assert personal not in logs        # … without what the resident typed
