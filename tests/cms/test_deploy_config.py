"""The deployment files (deploy/) and what the production settings make of the environment."""
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KEY = "k" * 20 + "y" * 40


def production(code, **env):
    """Run `code` with cms.settings.production set up under `env`; returns the completed process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_")) and k not in {
        "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "ALLOWED_HOSTS",
        "INSECURE_LOCAL_HTTP", "SECURE_SSL_REDIRECT", "ELASTICSEARCH_URL"}}
    environment.update({"DJANGO_SETTINGS_MODULE": "cms.settings.production", "SECRET_KEY": KEY, **env})
    script = "import django, json; django.setup(); from django.conf import settings as s; " + code
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=60)


def production_value(code, **env):
    result = production(f"print(json.dumps({code}, default=str))", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


# --- media storage -----------------------------------------------------------------------------

def test_media_on_disk_by_default():
    assert production_value("s.STORAGES['default']") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_s3_compatible_storage_when_a_bucket_is_named():
    storage = production_value("s.STORAGES", AWS_STORAGE_BUCKET_NAME="zcjd-media",
                               S3_ENDPOINT_URL="https://oss.example.gov.cn", AWS_S3_ADDRESSING_STYLE="path")
    assert storage["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["default"]["OPTIONS"]
    assert options["bucket_name"] == "zcjd-media" and options["endpoint_url"] == "https://oss.example.gov.cn"
    assert options["addressing_style"] == "path" and options["file_overwrite"] is False
    assert options["querystring_auth"] is False and options["location"] == "media"
    # Static files stay with WhiteNoise.
    assert storage["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_the_s3_backend_is_installed_and_builds_without_network():
    pytest.importorskip("storages.backends.s3")
    result = production("from django.core.files.storage import storages; b = storages['default']; "
                        "print(type(b).__name__, b.bucket_name, b.endpoint_url)",
                        AWS_STORAGE_BUCKET_NAME="zcjd-media", S3_ENDPOINT_URL="http://127.0.0.1:9",
                        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["S3Storage", "zcjd-media", "http://127.0.0.1:9"]


def test_an_endpoint_without_a_bucket_is_refused():
    result = production("pass", S3_ENDPOINT_URL="https://oss.example.gov.cn")
    assert result.returncode != 0 and "AWS_STORAGE_BUCKET_NAME" in result.stderr


# --- cache, sessions, cookies ------------------------------------------------------------------

def test_redis_carries_cache_and_sessions_when_set():
    value = production_value("[s.CACHES['default']['BACKEND'], s.SESSION_ENGINE]", REDIS_URL="redis://127.0.0.1:6379/1")
    assert value == ["cms.cache.ResilientRedisCache", "django.contrib.sessions.backends.cached_db"]
    value = production_value("[s.CACHES['default']['BACKEND'], s.SESSION_ENGINE]")
    assert value == ["django.core.cache.backends.locmem.LocMemCache", "django.contrib.sessions.backends.db"]


def test_cookies_are_secure_unless_explicitly_relaxed_for_the_loopback():
    code = "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT]"
    assert production_value(code, ALLOWED_HOSTS="zhengce.example.gov.cn") == [True, True, True]
    assert production_value(code, ALLOWED_HOSTS="127.0.0.1,localhost,[::1]", SECURE_SSL_REDIRECT="0",
                            INSECURE_LOCAL_HTTP="1") == [False, False, False]
    refused = production("pass", ALLOWED_HOSTS="127.0.0.1,zhengce.example.gov.cn", INSECURE_LOCAL_HTTP="1")
    assert refused.returncode != 0 and "zhengce.example.gov.cn" in refused.stderr


def test_health_probes_over_plain_http_are_not_redirected():
    result = production(
        "from django.test import Client; c = Client(); "
        "print(c.get('/healthz').status_code, c.get('/zhengce/').status_code, c.get('/zhengce/').get('Location'))",
        ALLOWED_HOSTS="testserver")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "301", "https://testserver/zhengce/"]


def test_the_environment_example_passes_check_deploy():
    env = {}
    for line in (DEPLOY / "zcjd.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip().removeprefix('"').removesuffix('"')
    assert len(env["SECRET_KEY"]) >= 50
    # The same file sourced by a shell (manage.py by hand) gives the same values.
    shell = subprocess.run(["bash", "-c", f"set -a; . {DEPLOY / 'zcjd.env.example'}; echo \"$DEFAULT_FROM_EMAIL\""],
                           capture_output=True, text=True)
    assert shell.returncode == 0 and shell.stdout.strip() == env["DEFAULT_FROM_EMAIL"], shell.stderr
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE"}}
    environment.update(env, DJANGO_SETTINGS_MODULE="cms.settings.production", VAR_DIR=str(ROOT / "var"))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_environment_variable_of_the_settings_is_documented():
    sources = [ROOT / "cms/settings/base.py", ROOT / "cms/settings/production.py", DEPLOY / "gunicorn.conf.py",
               DEPLOY / "granian_serve.py", ROOT / "cms/wsgi.py"]
    names = set()
    for source in sources:
        names |= set(re.findall(r"""(?:environ\.get|env_bool|env_list|positive_int\(environ,)\(?\s*["']([A-Z][A-Z0-9_]+)["']""",
                                source.read_text()))
    names |= set(re.findall(r'\$\{([A-Z][A-Z0-9_]+):-', (DEPLOY / "run-prod-local.sh").read_text())) - {"BIN"}
    docs = (ROOT / "docs" / "deploy.md").read_text()
    assert len(names) > 30
    assert sorted(name for name in names if f"`{name}`" not in docs) == []


# --- gunicorn ----------------------------------------------------------------------------------

def gunicorn_config(**env):
    code = ("import json, runpy; c = runpy.run_path('deploy/gunicorn.conf.py'); "
            "print(json.dumps({k: c[k] for k in ('bind', 'workers', 'timeout', 'forwarded_allow_ips', "
            "'access_log_format', 'accesslog', 'errorlog')}))")
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"BIND", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "GUNICORN_TIMEOUT", "GUNICORN_POOL",
                                "SERVER_POOL", "HOTLINE_BIND", "HOTLINE_CONCURRENCY"}}
    environment.update(env)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_defaults_bind_ipv4_and_ipv6_with_workers_from_the_cores():
    config = gunicorn_config()
    assert config["bind"][0] == "0.0.0.0:8000"
    if subprocess.run([sys.executable, "-c", "import socket; socket.socket(socket.AF_INET6)"]).returncode == 0:
        assert config["bind"] == ["0.0.0.0:8000", "[::]:8000"]
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["timeout"] == 30 and config["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert config["accesslog"] == "-" and config["errorlog"] == "-"


def test_gunicorn_reads_the_environment():
    config = gunicorn_config(BIND="127.0.0.1:8001,[::1]:8001", WEB_CONCURRENCY="3", GUNICORN_TIMEOUT="20",
                             FORWARDED_ALLOW_IPS="10.0.0.5")
    assert config["bind"] == ["127.0.0.1:8001", "[::1]:8001"]
    assert (config["workers"], config["timeout"], config["forwarded_allow_ips"]) == (3, 20, "10.0.0.5")


def test_gunicorn_access_format_leaves_out_query_strings_referers_and_headers():
    access_format = gunicorn_config()["access_log_format"]
    assert "%(U)s" in access_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "}i", "}e", "}o"):
        assert atom not in access_format


def test_gunicorn_binds_both_wildcards_on_one_port(tmp_path):
    """Linux's dual-stack [::] would collide with 0.0.0.0: the config opens IPv6 listeners v6-only."""
    if subprocess.run([sys.executable, "-c", "import socket; socket.socket(socket.AF_INET6)"]).returncode != 0:
        pytest.skip("no IPv6 on this machine")
    code = ("import runpy, socket; runpy.run_path('deploy/gunicorn.conf.py'); from gunicorn import sock; "
            "from types import SimpleNamespace as N; "
            "conf = N(reuse_port=False, backlog=8); log = N(info=print, debug=print, error=print, warning=print); "
            "a = sock.TCPSocket(('0.0.0.0', 0), conf, log); port = a.getsockname()[1]; "
            "b = sock.TCP6Socket(('::', port), conf, log); "
            "print(b.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), port == b.getsockname()[1])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["1", "True"]


# --- nginx -------------------------------------------------------------------------------------

NGINX = (DEPLOY / "nginx.conf").read_text()


def test_nginx_body_size_matches_the_opinion_upload_limits():
    from django.conf import settings

    [public] = re.findall(r"^    client_max_body_size (\d+)m;", NGINX, re.M)
    opinion_mb = settings.OPINION_ATTACHMENT_MAX_FILES * settings.OPINION_ATTACHMENT_MAX_MB
    assert int(public) == opinion_mb + 1  # the attachments plus one MB of text and form
    [admin] = re.findall(r"location /admin/ \{[^}]*client_max_body_size (\d+)m;", NGINX)
    assert int(admin) * 1024 * 1024 >= settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE


def test_nginx_listens_on_ipv6_sends_hsts_and_logs_no_query_string():
    assert "listen [::]:443 ssl" in NGINX and "listen [::]:80;" in NGINX
    assert 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains; preload" always;' in NGINX
    log_format = NGINX[NGINX.index("log_format"):NGINX.index("';\n", NGINX.index("log_format"))]
    assert "$uri" in log_format
    for variable in ("$request ", "$request\"", "$request_uri", "$args", "$query_string", "$http_referer", "$http_cookie"):
        assert variable not in log_format
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in NGINX


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="nginx 或 openssl 未安装")
def test_nginx_accepts_the_configuration(tmp_path):
    (tmp_path / "logs").mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", tmp_path / "zcjd.key", "-out", tmp_path / "zcjd.crt"], check=True, capture_output=True)
    site = (NGINX.replace("/etc/nginx/zcjd-upstream.conf", str(DEPLOY / "nginx-upstream.conf"))
            .replace("/etc/nginx/zcjd-hotline-upstream.conf", str(DEPLOY / "nginx-hotline-upstream.conf"))
            .replace("/etc/nginx/tls/", f"{tmp_path}/").replace("/var/log/nginx/", f"{tmp_path}/logs/"))
    (tmp_path / "zcjd.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  include {tmp_path}/zcjd.conf;\n}}\n")
    result = subprocess.run(["nginx", "-t", "-c", tmp_path / "nginx.conf", "-p", tmp_path],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


# --- compose, systemd, the local production run --------------------------------------------------

def compose_services():
    yaml = pytest.importorskip("yaml", reason="PyYAML 未安装：跳过 compose.yaml 的解析检查")
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]


def test_compose_file_is_valid_yaml_with_the_reference_services():
    services = compose_services()
    assert {"nginx", "web1", "web2", "hotline", "worker", "postgres", "redis", "elasticsearch", "migrate"} <= set(services)
    assert services["hotline"]["environment"]["SERVER_POOL"] == "hotline"
    for name in ("web1", "web2", "hotline", "worker"):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "cms.settings.production"
        assert environment["REDIS_URL"].startswith("redis://") and environment["ELASTICSEARCH_URL"]
    assert services["worker"]["command"][-3:] == ["db_worker", "--interval", "1"]
    assert services["web2"]["command"] == services["hotline"]["command"] == [".venv/bin/python", "deploy/granian_serve.py"]


def read_unit(name):
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(DEPLOY / "systemd" / name)
    return unit


def test_systemd_units_run_granian_and_the_worker_with_the_environment_file():
    web, worker = read_unit("zcjd-web.service"), read_unit("zcjd-worker.service")
    assert web["Service"]["ExecStart"] == "/srv/zcjd/.venv/bin/python /srv/zcjd/deploy/granian_serve.py"
    # granian replaces its workers one at a time on SIGHUP; it does not speak sd_notify.
    assert web["Service"]["Type"] == "exec" and web["Service"]["ExecReload"] == "/bin/kill -s HUP $MAINPID"
    assert worker["Service"]["ExecStart"].endswith("manage.py db_worker --interval 1")
    for unit in (web, worker, read_unit("zcjd-daily.service")):
        assert unit["Service"]["EnvironmentFile"] == "/etc/zcjd/zcjd.env"
        assert unit["Service"]["User"] == "zcjd" and unit["Service"]["ProtectSystem"] == "strict"
    assert read_unit("zcjd-daily.timer")["Timer"]["OnCalendar"]


def test_the_hotline_has_its_own_processes_with_a_larger_share_of_the_cpu():
    web, hotline = read_unit("zcjd-web.service"), read_unit("zcjd-hotline.service")
    assert hotline["Service"]["ExecStart"] == web["Service"]["ExecStart"]  # the same application …
    assert "SERVER_POOL=hotline" in hotline["Service"]["Environment"]  # … in its own pool
    assert int(hotline["Service"]["CPUWeight"]) > int(web["Service"]["CPUWeight"])
    assert hotline["Service"]["EnvironmentFile"] == "/etc/zcjd/zcjd.env"
    script = (DEPLOY / "run-prod-local.sh").read_text()
    assert "SERVER_POOL=hotline" in script and 'nice -n "$WEB_NICE"' in script


def test_the_three_ways_of_running_give_the_hotline_the_same_priority():
    # systemd's CPUWeight, compose's cpu_shares and run-prod-local.sh's nice level say the same
    # thing: about ten times the public processes' share (one nice level ≈ 1.25× the weight).
    web, hotline = read_unit("zcjd-web.service"), read_unit("zcjd-hotline.service")
    systemd_ratio = int(hotline["Service"]["CPUWeight"]) / int(web["Service"]["CPUWeight"])
    services = compose_services()
    compose_ratio = services["hotline"]["cpu_shares"] / services["web1"].get("cpu_shares", 1024)
    nice = int(re.search(r"WEB_NICE=\$\{WEB_NICE:-(\d+)\}", (DEPLOY / "run-prod-local.sh").read_text()).group(1))
    assert systemd_ratio == compose_ratio == 10
    assert abs(1.25 ** nice / systemd_ratio - 1) < 0.15


def test_nginx_sends_the_hotline_and_its_api_to_the_hotline_processes():
    locations = dict(re.findall(r"location\s+([^\s{]+)\s*\{([^}]*)\}", NGINX))
    for path in ("/hotline/", "/api/qa/"):
        assert "proxy_pass http://zcjd_hotline;" in locations[path]
    assert "proxy_pass http://zcjd_web;" in locations["/"]
    assert "include /etc/nginx/zcjd-hotline-upstream.conf;" in NGINX
    assert "server 127.0.0.1:8002" in (DEPLOY / "nginx-hotline-upstream.conf").read_text()


def test_gunicorns_hotline_pool_listens_on_its_own_port():
    config = gunicorn_config(SERVER_POOL="hotline")
    assert config["bind"][0] == "0.0.0.0:8002" and config["workers"] == max(2, os.cpu_count())
    assert gunicorn_config(GUNICORN_POOL="hotline")["bind"][0] == "0.0.0.0:8002"  # the older name still works
    config = gunicorn_config(SERVER_POOL="hotline", HOTLINE_BIND="127.0.0.1:9002", HOTLINE_CONCURRENCY="3",
                             BIND="127.0.0.1:9000", WEB_CONCURRENCY="7")
    assert (config["bind"], config["workers"]) == (["127.0.0.1:9002"], 3)
    code = "import runpy; runpy.run_path('deploy/gunicorn.conf.py')"
    refused = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "SERVER_POOL": "admin"})
    assert refused.returncode != 0 and "SERVER_POOL" in refused.stderr


def test_the_local_production_script_is_valid_bash():
    result = subprocess.run(["bash", "-n", DEPLOY / "run-prod-local.sh"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    script = (DEPLOY / "run-prod-local.sh").read_text()
    assert "cms.settings.production" in script and "db_worker" in script
    assert "deploy/granian_serve.py" in script and "deploy/gunicorn.conf.py" in script
    assert "WSGI_SERVER=${WSGI_SERVER:-granian}" in script


def test_gunicorn_workers_skip_the_interpreters_clean_up_only_after_a_normal_exit():
    code = ("import runpy, sys; from types import SimpleNamespace as N; c = runpy.run_path('deploy/gunicorn.conf.py'); "
            "c['worker_exit'](None, N(booted=False)); print('boot failure: normal exit', flush=True)\n"
            "try:\n    sys.exit(3)\nexcept SystemExit:\n    c['worker_exit'](None, N(booted=True)); print('error code: normal exit', flush=True)\n"
            "c['worker_exit'](None, N(booted=True)); print('not reached')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["boot failure: normal exit", "error code: normal exit"]


def test_the_kernel_settings_let_connections_move_between_granian_workers_and_keep_dual_stack():
    settings = dict(line.replace(" ", "").split("=") for line in (DEPLOY / "sysctl" / "90-zcjd.conf").read_text().splitlines()
                    if line.strip() and not line.startswith("#"))
    assert settings == {"net.ipv4.tcp_migrate_req": "1", "net.ipv6.bindv6only": "0"}
    assert "deploy/sysctl/90-zcjd.conf" in (ROOT / "docs" / "deploy.md").read_text()


def test_the_statement_timeout_goes_to_postgresql_as_a_connection_option():
    url = "postgres://zcjd@127.0.0.1:5432/zcjd"
    options = production_value("s.DATABASES['default'].get('OPTIONS', {})", DATABASE_URL=url,
                               DATABASE_STATEMENT_TIMEOUT="30s")
    assert options["options"] == "-c statement_timeout=30s"
    assert "options" not in production_value("s.DATABASES['default'].get('OPTIONS', {})", DATABASE_URL=url)
    refused = production("print(1)", DATABASE_URL=url, DATABASE_STATEMENT_TIMEOUT="30 seconds")
    assert refused.returncode != 0 and "DATABASE_STATEMENT_TIMEOUT" in refused.stderr


def test_only_the_web_workers_get_the_statement_timeout_by_default():
    # The servers' configuration sets it for their workers; manage.py commands and the task worker have none.
    code = "import os, runpy; runpy.run_path('deploy/gunicorn.conf.py'); print(os.environ['DATABASE_STATEMENT_TIMEOUT'])"
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_STATEMENT_TIMEOUT"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split() == ["30s"], result.stderr
    for unit in ("zcjd-worker.service", "zcjd-daily.service"):
        assert "DATABASE_STATEMENT_TIMEOUT" not in (DEPLOY / "systemd" / unit).read_text()
