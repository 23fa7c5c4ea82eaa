"""Concurrent submissions against a real server: no opinion lost, none stored twice, receipts unique.

12 browser-like clients (each with its own cookies: GET the page for the form token and the CSRF
cookie, then POST) send 60 opinions at once through pytest-django's threaded live server; 10 of them
are POSTed twice at the same instant (a double click, a retry over a bad connection) from two
connections with the same cookies and form token. Every response must be the receipt page (200), each
form token stored exactly once, and each duplicate pair must show one and the same receipt.

Runs on SQLite (the default test database) and on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest tests/consultations/test_concurrent_submissions.py

SQLite: the test database is in memory, and pytest-django's ``live_server`` then hands ONE connection
object to every request thread (``connections_override``). Concurrent requests interleave their
transactions on it ("cannot start a transaction within a transaction", "cannot release savepoint -
SQL statements in progress" → HTTP 500): an artefact of the harness that says nothing about the site.
So on an in-memory SQLite test database this test copies the database into a file (SQLite's backup
API) and serves it with Django's own ``LiveServerThread`` *without* the override: every request thread
opens its own connection with the project's settings (WAL, ``transaction_mode=IMMEDIATE``, busy
timeout), exactly as the web processes in production do. With a file or PostgreSQL test database the
stock ``live_server`` is used.
"""
import http.client
import re
import sqlite3
import threading
import time
from collections import Counter
from html import unescape
from urllib.parse import urlencode, urlsplit

import pytest

from consultations.models import Opinion

CLIENTS = 12
PER_CLIENT = 5
DOUBLE_POSTED = 10  # the first submission of clients 0–9 is POSTed twice at once
TIMEOUT = 60
RECEIPT = re.compile(r"YJ-\d{8}-\d{6,}")
CATEGORIES = ["养老服务", "社会保障", "卫生健康", "城市交通", "便民服务"]

pytestmark = pytest.mark.django_db(transaction=True)


class Browser:
    """One client: its own cookie jar; every request on a fresh connection (threads never share one)."""

    def __init__(self, base_url):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookies = {}

    def request(self, method, path, body=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        cookies = dict(self.cookies)  # a snapshot: the twin POSTs share one browser
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Connection": "close"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            html = response.read().decode("utf-8", errors="replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, html
        finally:
            connection.close()


def form_value(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"{name} missing from the form"
    return unescape(match.group(1))


def opinion_text(client, n):
    return (f"第{client}位居民的第{n}条意见：建议社区养老服务站延长开放时间，"
            f"晚上和节假日也安排值班人员（客户端{client}·编号{n}）。")


@pytest.fixture
def server_url(request, transactional_db, tmp_path):
    """The base URL of a threaded server sharing the test's database (see the module docstring)."""
    from django.db import connection, connections

    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        yield request.getfixturevalue("live_server").url
        return

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    path = tmp_path / "concurrent.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    target.close()
    original_settings, original_connection = connections.settings["default"], connections["default"]
    connections.settings["default"] = {**original_settings, "NAME": str(path)}
    connections["default"] = connections.create_connection("default")  # this thread: the file too
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, connections_override={})
    server.daemon = True
    server.start()
    server.is_ready.wait(timeout=TIMEOUT)
    try:
        if server.error:
            raise server.error
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.terminate()
        connections["default"].close()
        connections.settings["default"] = original_settings
        connections["default"] = original_connection


@pytest.fixture
def open_consultation(server_url, consultation, settings):
    # The rate limit counts per client address; here every client is 127.0.0.1.
    settings.OPINION_RATE_LIMITS = [(100_000, 60), (1_000_000, 3600)]
    return consultation


def test_parallel_clients_lose_nothing_and_duplicate_nothing(open_consultation, server_url):
    path = urlsplit(open_consultation.url).path
    start = threading.Barrier(CLIENTS)
    results, errors = [], []  # (client, n, token, status, receipt, created)
    lock = threading.Lock()

    def post(browser, data, client, n):
        status, html = browser.request("POST", path, urlencode(data))
        receipt = RECEIPT.search(html)
        with lock:
            results.append((client, n, data["token"], status, receipt.group(0) if receipt else "",
                            "意见已提交，感谢参与" in html, html[:300] if status != 200 else ""))

    def run_client(client):
        try:
            browser = Browser(server_url)
            start.wait(timeout=TIMEOUT)
            for n in range(PER_CLIENT):
                status, html = browser.request("GET", path)
                assert status == 200, status
                data = {"category": CATEGORIES[(client + n) % len(CATEGORIES)], "clause": str(n % 3 + 1),
                        "text": opinion_text(client, n), "name": f"居民{client}", "phone": "",
                        "email": f"resident{client}@example.org", "consent": "on", "website": "",
                        "token": form_value(html, "token"),
                        "csrfmiddlewaretoken": form_value(html, "csrfmiddlewaretoken")}
                if n == 0 and client < DOUBLE_POSTED:
                    # The same form sent twice at the same instant, from two connections.
                    twins = threading.Barrier(2)

                    def twin(twins=twins, data=data, n=n):
                        try:
                            twins.wait(timeout=TIMEOUT)
                            post(browser, data, client, n)
                        except Exception as exc:
                            with lock:
                                errors.append(f"client {client} (double POST): {exc!r}")

                    others = [threading.Thread(target=twin) for _ in range(2)]
                    for t in others:
                        t.start()
                    for t in others:
                        t.join(timeout=2 * TIMEOUT)
                else:
                    post(browser, data, client, n)
        except Exception as exc:  # reported below, with the others
            with lock:
                errors.append(f"client {client}: {exc!r}")

    threads = [threading.Thread(target=run_client, args=(c,)) for c in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10 * TIMEOUT)
    elapsed = time.monotonic() - started
    assert not any(t.is_alive() for t in threads), "clients still running"
    assert not errors, errors

    expected_posts = CLIENTS * PER_CLIENT + DOUBLE_POSTED
    assert len(results) == expected_posts
    failed = [(c, n, status, body) for c, n, _, status, _, _, body in results if status != 200]
    assert not failed, failed  # every POST answered with the receipt page, none 500/429/403
    assert all(receipt for *_, receipt, _, _ in results)

    tokens = {token for _, _, token, *_ in results}
    assert len(tokens) == CLIENTS * PER_CLIENT
    stored = list(Opinion.objects.filter(consultation=open_consultation)
                  .values_list("idempotency_key", "receipt_number", "text"))
    assert len(stored) == CLIENTS * PER_CLIENT  # nothing lost, nothing stored twice
    assert {key for key, _, _ in stored} == tokens
    assert len({receipt for _, receipt, _ in stored}) == len(stored)  # receipts unique
    receipt_of = {key: receipt for key, receipt, _ in stored}
    text_of = {key: text for key, _, text in stored}
    for client, n, token, _, receipt, _, _ in results:
        assert receipt_of[token] == receipt  # the receipt shown is the one stored for that form
        assert text_of[token] == opinion_text(client, n)

    # Each double-posted form: the same receipt twice, and exactly one response says it was created.
    per_token = Counter(token for _, _, token, *_ in results)
    doubled = [token for token, count in per_token.items() if count == 2]
    assert len(doubled) == DOUBLE_POSTED and set(per_token.values()) == {1, 2}
    for token in doubled:
        pair = [r for r in results if r[2] == token]
        assert pair[0][4] == pair[1][4]
        assert sorted(r[5] for r in pair) == [False, True], pair
    assert all(r[5] for r in results if per_token[r[2]] == 1)
    print(f"\n{expected_posts} POSTs from {CLIENTS} clients in {elapsed:.1f} s ({len(stored)} opinions stored)")
