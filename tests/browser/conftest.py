"""Fixtures for the Playwright journeys: a live server with the site tree, and Debian's Chromium.

live_server tests are transactional: the database is flushed after each one, which also removes
Wagtail's root page, default Locale and root Collection. ``browser_site`` rebuilds all of it.
"""
import os

# Playwright's sync API runs an asyncio event loop in this thread; Django's ORM would otherwise
# refuse to run in the test's own code ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
NO_CHROMIUM = "未找到 /usr/bin/chromium：请执行 apt-get install chromium（make test 会尝试自动安装）"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "demo-pass-2026"  # cms.factories.UserFactory
TIMEOUT_MS = 15_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


# The test database is SQLite in memory, and the live server's request threads share the test's
# one connection with each other and with this thread. Wagtail's editor sends requests in
# parallel (autosave every 500 ms, editing-session pings, the save itself), and two of them in
# the same connection at once fail with "database table is locked". Requests are therefore
# served one at a time, and the test's own ORM calls take the same lock (see ``orm``).
DB_LOCK = threading.RLock()


@contextmanager
def orm():
    """Hold the server's lock while the test itself reads or writes the database."""
    with DB_LOCK:
        yield


class _OneRequestAtATime:
    """WSGI wrapper: one database-using request at a time; static files are served in parallel."""

    def __init__(self, app):
        from django.conf import settings

        self.app = app
        self.static_prefix = settings.STATIC_URL

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.static_prefix):
            return self.app(environ, start_response)
        with DB_LOCK:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]  # consume (and close) inside the lock: closing runs request_finished
            finally:
                if hasattr(result, "close"):
                    result.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, with requests serialised (see DB_LOCK)."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    addr = (request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
            or "localhost")
    server = LiveServer(addr, start=False)
    server.thread.static_handler = lambda app: _OneRequestAtATime(StaticFilesHandler(app))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


def pytest_collection_modifyitems(config, items):
    """Without Chromium, skip before the live server and the database are set up for nothing."""
    if os.path.exists(CHROMIUM):
        return
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_context(browser, request):
    """Factory for isolated browser contexts (own cookies), closed after the test.

    When the test fails, every page still open is saved to var/screenshots/FAILED-*.png.
    """
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("locale", "zh-CN")
        kwargs.setdefault("reduced_motion", "reduce")  # fewer transitions for Playwright to wait out
        context = browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}-{i}-{j}.png"), full_page=True)
                except Exception:
                    pass
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    """screenshot(page, name): saves var/screenshots/<name>.png for debugging; never asserted on."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()

    def take(page, name):
        print(f"[{time.monotonic() - t0:6.1f}s] {name}")  # a timeline, shown with pytest -s
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        except Exception:  # a failed screenshot must not hide the real failure
            pass

    return take


@pytest.fixture
def browser_site(live_server):
    """The same tree, roles, departments and users as tests/conftest.py, after the flush."""
    with orm():
        return _build_site(live_server)


def _build_site(live_server):
    from django.contrib.auth.models import Group

    from cms.factories import DepartmentFactory, UserFactory
    from cms.roles import REVIEWERS_GROUP, ensure_all_roles
    from tests.conftest import build_site_tree

    home, policy_index = build_site_tree()
    ensure_all_roles()
    rsj = DepartmentFactory(code="rsj", name="乌鲁木齐市人力资源和社会保障局", short_name="市人社局")
    ybj = DepartmentFactory(code="ybj", name="乌鲁木齐市医疗保障局", short_name="市医保局")
    # cms.signals.department_saved created each department's group, collection and folder.
    rsj.refresh_from_db()
    ybj.refresh_from_db()
    reviewers = Group.objects.get(name=REVIEWERS_GROUP)
    users = {
        "rsj_editor": UserFactory(username="rsj_editor", groups=[rsj.editors_group]),
        "ybj_editor": UserFactory(username="ybj_editor", groups=[ybj.editors_group]),
        "reviewer": UserFactory(username="reviewer", groups=[reviewers]),
    }
    return {"url": live_server.url, "home": home, "policy_index": policy_index,
            "departments": {"rsj": rsj, "ybj": ybj}, "users": users}
