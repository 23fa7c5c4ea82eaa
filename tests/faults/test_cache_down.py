"""Redis down: the site serves uncached, staff stay logged in, /readyz says so, and it all recovers.

The Redis here is a private redis-server killed (SIGKILL) or frozen (SIGSTOP) mid-run; the cache
settings are the ones cms/settings/base.py builds for REDIS_URL, with sessions ``cached_db``.
"""
import logging
import time
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils.module_loading import import_string

from consultations.models import Opinion
from tests.consultations.conftest import opinion_data

from . import procs
from .conftest import production_cache_settings
from .web import forms

# Short enough for a fast test, long enough to see that a hung Redis is not asked on every call.
RETRY_SECONDS = 0.3


@pytest.fixture
def redis_cache(settings, monkeypatch, redis_server):
    caches, session_engine = production_cache_settings(monkeypatch, redis_server.url, f"faults-{redis_server.port}")
    backend = import_string(caches["default"]["BACKEND"])
    if hasattr(backend, "retry_seconds"):  # the resilient backend's retry interval (absent from RedisCache)
        caches["default"]["OPTIONS"]["retry_seconds"] = RETRY_SECONDS
    settings.CACHES = caches
    settings.SESSION_ENGINE = session_engine
    assert session_engine == "django.contrib.sessions.backends.cached_db"
    return redis_server


def send_opinion(client, consultation, text):
    data = opinion_data(client, consultation, text=text)
    response = client.post(consultation.url, data)
    return response, data["token"]


def login(username):
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": "demo-pass-2026"})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def test_redis_killed_mid_run_the_site_serves_uncached_and_recovers(redis_cache, qa_base, consultation, users,
                                                                    caplog):
    redis_server = redis_cache
    staff = login("admin")
    resident = Client(REMOTE_ADDR="203.0.113.10")
    tokens = []

    # Up: pages, the hotline, an opinion; the session is in Redis and in the database.
    assert resident.get("/").status_code == 200
    response, token = send_opinion(resident, consultation, "建议在每个社区设置老年食堂，方便独居老人就近吃饭。（Redis 正常时）")
    assert response.status_code == 200 and "回执编号" in response.content.decode()
    tokens.append(token)
    assert "灵活就业" in staff.get("/hotline/", {"q": "打零工的社保怎么交"}).content.decode()
    assert redis_server.client().keys("*django.contrib.sessions.cached_db*")
    assert resident.get("/readyz").status_code == 200

    redis_server.kill()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        # What a resident sees: every page, and their opinion is accepted.
        assert resident.get("/").status_code == 200
        assert resident.get(consultation.url).status_code == 200
        response, token = send_opinion(resident, consultation, "建议把居家养老补贴扩大到七十五岁以上独居老人。（Redis 停止期间）")
        assert response.status_code == 200 and "回执编号" in response.content.decode()
        tokens.append(token)
        # What staff see: still logged in (the session comes from the database), the hotline answers.
        assert staff.get("/admin/").status_code == 200
        hotline = staff.get("/hotline/", {"q": "打零工的社保怎么交"})
        assert hotline.status_code == 200 and "灵活就业" in hotline.content.decode()
        # A new login works too (its session is written to the database).
        assert login("reviewer").get("/admin/").status_code == 200
        # The load balancer sees the cache is down.
        ready = resident.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"  # serves: stays in rotation
        assert ready.json()["checks"]["cache"]["ok"] is False
        assert ready.json()["checks"]["database"]["ok"] is True

        # Rate limits still count, in this process (fail to per-process limits, not open or closed):
        # 5 opinions a minute from one address, the 6th is refused with the form kept.
        flood = Client(REMOTE_ADDR="203.0.113.99")
        statuses = []
        for n in range(6):
            response, token = send_opinion(flood, consultation, f"同一地址短时间内提交的第 {n + 1} 条意见，用于检验频率限制。")
            statuses.append(response.status_code)
            if response.status_code == 200:
                tokens.append(token)
        assert statuses == [200] * 5 + [429]
        assert "提交过于频繁" in response.content.decode() and "您填写的内容仍保留在下方" in response.content.decode()
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"requests took {elapsed:.1f} s with Redis down"
    warnings = [r for r in caplog.records if r.name == "cms.cache" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # one warning per outage, not per call

    # Back: a fresh Redis (no persistence) on the same port; everything as before.
    redis_server.start()
    time.sleep(RETRY_SECONDS + 0.1)
    ready = resident.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["cache"]["ok"] is True
    assert staff.get("/admin/").status_code == 200
    response, token = send_opinion(resident, consultation, "建议公布养老服务补贴的申请进度查询渠道。（Redis 恢复之后）")
    assert response.status_code == 200
    tokens.append(token)
    assert redis_server.client().keys("*rate:opinion*")  # the shared counters are used again

    # Nothing lost, nothing doubled.
    stored = list(Opinion.objects.filter(consultation=consultation).values_list("idempotency_key", flat=True))
    assert sorted(stored) == sorted(tokens) and len(tokens) == 8


def test_redis_hangs_a_logout_during_the_hang_still_counts_afterwards(redis_cache, site_tree, users):
    """SIGSTOP: connections hang until the socket timeout. A logout meanwhile must not come back to life
    when Redis resumes with the copy of the session it still holds."""
    redis_server = redis_cache
    staff = login("admin")
    assert staff.get("/admin/").status_code == 200
    session_cookie = staff.cookies["sessionid"].value
    assert redis_server.client().keys("*django.contrib.sessions.cached_db*")

    redis_server.pause()
    try:
        started = time.monotonic()
        assert staff.get("/admin/").status_code == 200   # one socket timeout, then the database answers
        staff.post("/admin/logout/")
        assert staff.get("/admin/").status_code == 302   # logged out
        hung_for = time.monotonic() - started
    finally:
        redis_server.resume()
    assert hung_for < 8, f"{hung_for:.1f} s: the hung Redis was waited for on more than one call"
    assert redis_server.client().keys("*django.contrib.sessions.cached_db*")  # Redis still has the old session

    time.sleep(RETRY_SECONDS + 0.1)
    replayed = Client()
    replayed.cookies["sessionid"] = session_cookie    # e.g. a copy of the cookie someone kept
    response = replayed.get("/admin/")
    assert response.status_code == 302, "the session ended during the outage was served from Redis again"
    assert not redis_server.client().keys("*django.contrib.sessions.cached_db*")


def test_every_cache_call_degrades_while_redis_hangs_and_nothing_stale_survives(redis_server, caplog):
    """The backend on its own, call by call: misses, per-process memory, and invalidation afterwards."""
    from cms.cache import ResilientRedisCache

    cache = ResilientRedisCache(redis_server.url, {"KEY_PREFIX": f"unit-{redis_server.port}", "OPTIONS": {
        "socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry_seconds": 2}})
    cache.set("kept", "before")
    cache.set("changed", "before")
    redis_server.pause()
    try:
        started = time.monotonic()
        with caplog.at_level(logging.INFO, logger="cms.cache"):
            assert cache.get("kept") is None and cache.get("kept", "默认") == "默认"   # a miss, not an error
            cache.set("changed", "during")          # not in Redis: remembered, to be invalidated
            cache.delete("kept")                    # likewise
            cache.set("x", 1)
            assert cache.get("x") == 1              # served from this process's memory
            assert cache.add("n", 0) and cache.incr("n") == 1 and cache.incr("n", 5) == 6 and cache.decr("n") == 5
            with pytest.raises(ValueError):
                cache.incr("missing")
            cache.set_many({"a": 1, "b": 2})
            assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
            assert cache.has_key("a") and cache.touch("b", 30)
            cache.delete_many(["a"])
            assert not cache.has_key("a")
            assert cache.get_or_set("computed", lambda: "值") == "值"
            cache.set("health:probe", "1")           # never from memory: /readyz must see the outage
            assert cache.get("health:probe") is None
            cache.set("django.contrib.sessions.cached_dbk1", {"_auth_user_id": "1"})  # nor sessions
            assert cache.get("django.contrib.sessions.cached_dbk1") is None
        assert time.monotonic() - started < 2, "the hung Redis was asked more than once"
    finally:
        redis_server.resume()
    time.sleep(2.1)
    with caplog.at_level(logging.INFO, logger="cms.cache"):
        assert cache.get("changed") is None         # "before" is still in Redis, but was invalidated
    assert cache.get("kept") is None and cache.get("x") is None   # memory dropped, Redis in charge again
    cache.set("after", "ok")
    assert cache.get("after") == "ok" and redis_server.client().keys(f"unit-{redis_server.port}:*after")
    messages = [r.getMessage() for r in caplog.records if r.name == "cms.cache"]
    assert len(messages) == 2 and "unavailable" in messages[0] and "available again" in messages[1]
    assert "keys changed meanwhile were invalidated" in messages[1] and " 0 keys" not in messages[1]


def send_form(browser, path, text):
    form = next(f for f in forms(browser.get(path).text) if "token" in dict(f.fields))
    data = form.data(category=form.options["category"][1], text=text, consent="on", website="")
    response = browser.post(path, data)
    assert response.status == 200 and "回执编号" in response.text, response.text[:500]
    return data["token"]


@pytest.mark.faults
def test_redis_killed_under_the_running_stack(stack_factory, redis_server):
    stack = stack_factory(redis_url=redis_server.url, worker=True)
    (path,) = [p.removeprefix("/home") for (p,) in stack.sql(
        "SELECT url_path FROM wagtailcore_page WHERE slug = 'jianxi-butie-zhengqiu'")]
    operator, visitor = stack.browser(), stack.browser()
    operator.login("hotline")
    hotline = f"/hotline/?q={quote('打零工的社保怎么交')}"
    assert "灵活就业" in operator.get(hotline).text
    tokens = [send_form(stack.browser(), path, "Redis 正常时提交的意见：建议见习补贴按月发放。")]

    def session_cached():  # a request reads the session: from Redis, or from the database and into Redis
        operator.get(hotline)
        return redis_server.client().keys("*sessions.cached_db*")

    procs.wait_until(session_cached, 10, 0.5, "the operator's session in Redis")

    redis_server.kill()
    started = time.monotonic()
    for page in ("/", "/zhengce/", "/zhengqiu/", path, f"/wenda/?q={quote('社保')}"):
        assert visitor.get(page).status == 200, page
    tokens.append(send_form(stack.browser(), path, "Redis 停止期间提交的意见：建议简化见习单位认定材料。"))
    answer = operator.get(hotline)
    assert answer.status == 200 and "灵活就业" in answer.text   # still logged in, the session from the database
    reviewer = stack.browser()
    reviewer.login("reviewer")
    assert reviewer.get("/admin/").status == 200
    status, ready = stack.ready()
    assert status == 200 and ready["status"] == "degraded"  # it serves: the load balancer keeps it
    assert ready["checks"]["cache"]["ok"] is False and ready["checks"]["database"]["ok"] is True
    assert time.monotonic() - started < 20

    served_for = time.monotonic() - started
    redis_server.start()   # a fresh Redis without persistence, as after a restart
    restarted = time.monotonic()
    # Each web process retries Redis every 5 s (ResilientRedisCache.retry_seconds); a few probes reach both.
    procs.wait_until(lambda: all(stack.ready()[1]["status"] == "ready" for _ in range(4)), 20, 0.5,
                     "/readyz to be ready again")
    print(f"FAULT-TIMING redis: {served_for:.1f} s of requests without Redis, "
          f"/readyz ready again {time.monotonic() - restarted:.1f} s after Redis restarted")
    assert "灵活就业" in operator.get(hotline).text
    tokens.append(send_form(stack.browser(), path, "Redis 恢复之后提交的意见：建议公布见习岗位目录。"))
    procs.wait_until(session_cached, 10, 0.5, "the session cached in the new Redis")
    stored = [t for (t,) in stack.sql("SELECT idempotency_key FROM consultations_opinion WHERE idempotency_key = ANY(%s)",
                                      [tokens])]
    assert sorted(stored) == sorted(tokens)
    log = stack.web.log()
    assert "Redis cache unavailable" in log and "Redis cache available again" in log  # once per process and outage
