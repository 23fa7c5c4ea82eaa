"""Settings read the environment, and the production module passes Django's deployment checks."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser journeys; production must never have it.
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING",
                        DJANGO_SETTINGS_MODULE="cms.settings.production",
                        SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="zhengce.example.gov.cn")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_environment_selects_database_and_cache():
    code = ("import django,os;os.environ['DJANGO_SETTINGS_MODULE']='cms.settings.dev';django.setup();"
            "from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], s.LANGUAGE_CODE, s.TIME_ZONE)")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", REDIS_URL="redis://127.0.0.1:6379/1")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    assert out.split() == ["cms.db.postgresql", "cms.cache.ResilientRedisCache",
                           "zh-hans", "Asia/Shanghai"]


def test_redis_cache_round_trip_when_redis_answers():
    import pytest

    redis = pytest.importorskip("redis")
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis 不可用（{url}）：设置 TEST_REDIS_URL 指向可用的 Redis 后再运行")
    from django.core.cache.backends.redis import RedisCache

    cache = RedisCache(url, {"KEY_PREFIX": "zcjd-test"})
    cache.set("政策", {"效力": "现行有效"}, 30)
    assert cache.get("政策") == {"效力": "现行有效"}
    cache.delete("政策")
