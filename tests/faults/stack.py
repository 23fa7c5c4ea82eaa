"""The production stack of the slow fault tests: the web server and db_worker on a private PostgreSQL cluster.

One cluster per test session. Its template database is migrated and loaded with the demo once
(``load_demo``, as ``make run-prod`` does, about 35 s); each test gets a copy (CREATE DATABASE …
TEMPLATE, under a second) with a copy of the template's search index, and its own web server
(deploy/granian_serve.py, as deployed, 2 workers) on a free loopback port, its own db_worker when it needs one,
and its own e-mail folder. Settings: tests.faults.stack_settings (production plus an e-mail folder).
"""
import email
import email.policy
import os
import secrets
import shutil
import subprocess
import tempfile

import psycopg

from . import procs
from .web import Browser, server_answers

TEMPLATE_DB = "zcjd_faults_template"
# Variables of the developer's shell that must not reach the stack (they may point at other databases).
STRIPPED = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "ELASTICSEARCH_URL", "SEARCH_", "CACHE_KEY_PREFIX",
            "EMAIL_", "VAR_DIR", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT", "BIND", "WEB_CONCURRENCY", "GUNICORN_", "SERVER_")


def stack_env(workdir, database_url, search_dir, secret_key, redis_url=None, port=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
    workdir = procs.Path(workdir)
    for name in ("var", "media", "private", "mail"):
        (workdir / name).mkdir(parents=True, exist_ok=True)
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.faults.stack_settings",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "INSECURE_LOCAL_HTTP": "1",
        "TRUST_X_FORWARDED_FOR": "1",   # as behind nginx: each simulated visitor has its own address
        "VAR_DIR": str(workdir / "var"),
        "SEARCH_EMBEDDED_DIR": str(search_dir),
        "MEDIA_ROOT": str(workdir / "media"),
        "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
        "SERVE_MEDIA": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "FAULTS_EMAIL_DIR": str(workdir / "mail"),
        "LOG_FORMAT": "plain",
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
    })
    if port:
        env["BIND"] = f"127.0.0.1:{port}"
        env["WAGTAILADMIN_BASE_URL"] = f"http://127.0.0.1:{port}"
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = "zcjd-faults"
    return env


class StackTemplate:
    """The session's private cluster and its migrated, demo-loaded template database and index."""

    def __init__(self, workdir):
        self.workdir = procs.Path(workdir)
        # Not under pytest's temporary folder: that one is 0700 and the server runs as postgres.
        self.cluster = procs.PgCluster(tempfile.mkdtemp(prefix="zcjd-faults-pg-"))
        self.search_dir = self.workdir / "template-search"
        self.secret_key = secrets.token_urlsafe(64)
        self.count = 0

    def build(self):
        self.cluster.init().start()
        self.cluster.sql(f"CREATE DATABASE {TEMPLATE_DB} ENCODING 'UTF8' TEMPLATE template0")
        env = stack_env(self.workdir / "template", self.cluster.url(TEMPLATE_DB), self.search_dir, self.secret_key)
        script = ("import django; django.setup(); from django.core.management import call_command; "
                  "call_command('migrate', interactive=False, verbosity=0); call_command('load_demo', verbosity=0); "
                  # the tasks load_demo queued (Wagtail's reference index …): each copy starts with an empty queue
                  "call_command('db_worker', batch=True, startup_delay=False, verbosity=0)")
        result = subprocess.run([procs.PYTHON, "-c", script], cwd=procs.ROOT, env=env, capture_output=True, text=True,
                                timeout=300)
        if result.returncode:
            raise RuntimeError(f"building the template database failed:\n{result.stdout}\n{result.stderr}")
        return self

    def ensure_running(self):
        if not self.cluster.running():
            self.cluster.start()

    def destroy(self):
        self.cluster.destroy()


class Stack:
    def __init__(self, template, workdir, redis_url=None):
        template.count += 1
        self.template, self.workdir = template, procs.Path(workdir)
        self.cluster = template.cluster
        self.database = f"zcjd_faults_{template.count}"
        self.cluster.sql(f"CREATE DATABASE {self.database} TEMPLATE {TEMPLATE_DB}")
        self.search_dir = self.workdir / "search"
        shutil.copytree(template.search_dir, self.search_dir)
        self.port = procs.free_port()
        self.env = stack_env(self.workdir, self.cluster.url(self.database), self.search_dir, template.secret_key,
                             redis_url=redis_url, port=self.port)
        self.mail_dir = self.workdir / "mail"
        self.web = procs.Process("web", [procs.PYTHON, procs.WEB_SERVER], self.env, self.workdir / "web.log")
        self.worker = self._worker_process()

    def _worker_process(self):
        return procs.Process("db_worker", [procs.PYTHON, "manage.py", "db_worker", "--interval", "1"], self.env,
                             self.workdir / "worker.log")

    # --- processes ---------------------------------------------------------------------------------
    def start_web(self):
        self.web.start()
        procs.wait_until(lambda: self._web_up(), 90, 0.2, "the web server to answer /healthz")
        return self

    def _web_up(self):
        if not self.web.alive():
            raise RuntimeError(f"the web server exited:\n{self.web.log()[-3000:]}")
        return server_answers(self.port)

    def start_worker(self):
        if not self.worker.alive():
            self.worker = self._worker_process().start()
        return self

    def stop_worker(self):
        self.worker.stop()

    def close(self):
        self.worker.stop()
        self.web.stop()
        try:
            self.template.ensure_running()
            self.cluster.sql(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
        except Exception:  # noqa: BLE001 - the session's cluster is removed at the end anyway
            pass

    def logs(self):
        """Every warning and error of both processes, then the end of each log."""
        parts = []
        for process in (self.web, self.worker):
            text = process.log()
            notable = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
            parts.append(f"--- {process.name}: warnings and errors ---\n" + "\n".join(notable[:60]))
            parts.append(f"--- {process.name}: last lines ---\n{text[-3000:]}")
        return "\n".join(parts)

    # --- observing ---------------------------------------------------------------------------------
    def browser(self, **kwargs):
        return Browser(self.port, **kwargs)

    def sql(self, statement, params=None):
        """Read the stack's database directly, as an outside observer (no Django involved)."""
        with psycopg.connect(self.cluster.url(self.database), autocommit=True, connect_timeout=5) as connection:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else None

    def manage(self, *args, check=True):
        return procs.manage(self.env, *args, check=check)

    def emails(self):
        """Every e-mail the stack has sent (the file backend writes one file per connection)."""
        messages = []
        separator = "\n" + "-" * 79 + "\n"
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_text(encoding="utf-8").split(separator):
                if chunk.strip():
                    messages.append(email.message_from_string(chunk, policy=email.policy.default))
        return messages

    def ready(self):
        response = self.browser(timeout=10).get("/readyz")
        return response.status, response.json()
