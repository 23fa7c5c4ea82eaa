"""Fixtures of the fault tests: private servers that a test can take away and bring back.

The fast tests (unmarked, part of `make test`) run in-process against a real private redis-server
or a real unreachable database. The slow ones (``@pytest.mark.faults``) start the production
stack (stack.py): the web server (granian) and db_worker with ``cms.settings.production`` on a private
PostgreSQL cluster, and take its dependencies away while it serves.
"""
import importlib.util
import os
import runpy
import shutil
import tempfile

import pytest
from django.core.cache import cache

from tests.consultations.conftest import consultation  # noqa: F401 (fixture)
from tests.search.conftest import qa_base, search_backend  # noqa: F401 (fixtures)

from . import procs

BASE_SETTINGS = procs.ROOT / "cms" / "settings" / "base.py"


@pytest.fixture(autouse=True)
def clear_local_cache():
    cache.clear()  # rate-limit counters of the test client live in the (in-process) test cache


@pytest.fixture
def redis_server(tmp_path):
    if not procs.redis_server_binary():
        pytest.skip("redis-server 不在 PATH 中：无法启动私有 Redis（apt-get install redis-server）")
    server = procs.RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


def production_cache_settings(monkeypatch, redis_url, key_prefix):
    """CACHES and SESSION_ENGINE exactly as cms/settings/base.py builds them when REDIS_URL is set."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CACHE_KEY_PREFIX", key_prefix)
    values = runpy.run_path(str(BASE_SETTINGS))
    return values["CACHES"], values["SESSION_ENGINE"]


# --- the production stack (slow tests, @pytest.mark.faults) --------------------------------------------
@pytest.fixture(scope="session")
def stack_template():
    from .stack import StackTemplate

    missing = procs.pg_binaries_missing()
    if missing:
        pytest.skip(f"缺少 PostgreSQL 服务端程序（{missing}）：无法启动私有集群；请安装 postgresql 或设置 PG_BIN")
    if importlib.util.find_spec("granian") is None:  # what deploy/granian_serve.py imports
        pytest.skip("缺少 granian（requirements.txt）：请先 make setup")
    if os.geteuid() == 0 and not (shutil.which("runuser") and _user_exists("postgres")):
        pytest.skip("以 root 运行时需要 runuser 和 postgres 用户来启动私有 PostgreSQL 集群")
    template = StackTemplate(tempfile.mkdtemp(prefix="zcjd-faults-"))
    try:
        template.build()
        yield template
    finally:
        template.destroy()
        shutil.rmtree(template.workdir, ignore_errors=True)


def _user_exists(name):
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture
def stack_factory(stack_template, tmp_path):
    """``make(redis_url=None, worker=False)``: a running web server (and db_worker) on a fresh copy of the demo."""
    from .stack import Stack

    stacks = []

    def make(redis_url=None, worker=False):
        stack = Stack(stack_template, tmp_path / f"stack-{len(stacks)}", redis_url=redis_url)
        stacks.append(stack)
        stack.start_web()
        if worker:
            stack.start_worker()
        return stack

    yield make
    for stack in stacks:
        print(stack.logs())  # shown by pytest only when the test failed
        stack.close()
