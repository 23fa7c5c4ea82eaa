"""gunicorn settings for the web processes: `gunicorn -c deploy/gunicorn.conf.py cms.wsgi`.

Everything an operator changes comes from the environment (see docs/deploy.md):

  BIND                  comma-separated listen addresses; default 0.0.0.0:8000,[::]:8000
  WEB_CONCURRENCY       worker processes; default 2 × cores + 1
  SERVER_POOL           web (default) or hotline: the hotline's own processes, on HOTLINE_BIND
                        (default 0.0.0.0:8002,[::]:8002) with HOTLINE_CONCURRENCY workers (default:
                        the cores, at least 2)
  GUNICORN_THREADS      threads per worker process (default 4); GUNICORN_WORKER_CLASS (default gthread)
  GUNICORN_TIMEOUT      seconds a request may take before its worker is restarted (default 30)
  FORWARDED_ALLOW_IPS   proxies trusted for X-Forwarded-Proto (default 127.0.0.1,::1)
  LOG_FORMAT            json (default) or plain; LOG_LEVEL: info (default), warning, debug …
  SERVER_WARMUP         0 to skip the warm-up search in each new worker (post_worker_init)
  DATABASE_STATEMENT_TIMEOUT  PostgreSQL's limit per statement in the workers; default 30s, "" none
  GUNICORN_FAST_EXIT    0 to let workers exit through the interpreter's clean-up (worker_exit)

The access log never contains the query string: /api/qa/search?q=… and /hotline/?q=… carry what
a caller said, phone numbers included. It records the path only, and every line goes through the
same personal-data filter as the application's logs (cms/logging.py).
"""
import multiprocessing
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # cms.listen and cms.logging, whatever directory gunicorn starts in
    sys.path.insert(0, str(ROOT))

from cms.listen import bind_variable, ipv6_available, server_pool  # noqa: E402 (after the path)
from cms.logging import server_log_config  # noqa: E402
from cms.worker_start import remember_the_server, worker_environment  # noqa: E402

remember_the_server()  # gunicorn's own packages; its workers import the rest afresh (post_fork)
os.environ.update(worker_environment())  # the workers' limit per PostgreSQL statement, as under granian

chdir = str(ROOT)
wsgi_app = "cms.wsgi:application"
# The public site's pool or the hotline's (cms/listen.py): SERVER_POOL=hotline selects the second
# one's listen addresses and size, so that a flood of residents never queues an operator's search.
try:
    POOL, _port = server_pool(os.environ)
except ValueError as error:
    raise SystemExit(str(error)) from None
proc_name = f"zcjd-{POOL}"


def _ipv6_only_listeners():
    """Open IPv6 listeners with IPV6_V6ONLY, so `0.0.0.0:8000` and `[::]:8000` can both be bound.

    Linux makes a `[::]` socket dual-stack by default (net.ipv6.bindv6only = 0), and then the
    IPv4 wildcard on the same port fails with "Address already in use". gunicorn sets no option
    for this, so its IPv6 socket class gets the flag before it binds. Idempotent (reloads re-read
    this file).
    """
    from gunicorn import sock

    if getattr(sock.TCP6Socket, "_zcjd_v6only", False):
        return
    original = sock.TCP6Socket.set_options

    def set_options(self, raw, bound=False):
        if not bound:
            raw.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        return original(self, raw, bound=bound)

    sock.TCP6Socket.set_options = set_options
    sock.TCP6Socket._zcjd_v6only = True


_ipv6_only_listeners()
_default_bind = f"0.0.0.0:{_port},[::]:{_port}" if ipv6_available() else f"0.0.0.0:{_port}"
bind = [address.strip() for address in os.environ.get(bind_variable(POOL), _default_bind).split(",") if address.strip()]

if POOL == "hotline":  # tens of operators, not thousands of residents
    workers = int(os.environ.get("HOTLINE_CONCURRENCY") or max(2, multiprocessing.cpu_count()))
else:
    workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads, so that a connection stays open between requests (nginx keeps its upstream connections,
# deploy/nginx.conf) and a worker waiting on PostgreSQL or Redis serves another request meanwhile.
# The sync worker closes every connection and then waits for the client's FIN: in the load test
# (benchmarks/load_test.py) 70 opinions/s with 5 sync workers, 95–99 with gthread (4×4, 3×6, 2×8).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))  # nginx keeps upstream connections open
# Restart each worker after a while, so a slow leak never grows into an outage. Not too often: a
# new worker costs about 2 s of CPU (imports 1.65 s, warm-up search 0.5 s); at 2000 requests that
# was a tenth of this 2-core machine during the load test.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off the (possibly slow or read-only) disk
# Only these proxies may say the request came over HTTPS (X-Forwarded-Proto).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The control socket (gunicornc) is not needed: systemd sends the signals.
control_socket_disable = True

# --- Logs: both to stderr/stdout for journald or the container runtime ---
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Method, path (PATH_INFO, no query string), status, bytes, milliseconds, client, user agent.
# Deliberately absent: %(r)s and %(q)s (the query string), %(f)s (the referer: another page's
# query string), and request headers (cookies).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

logconfig_dict = server_log_config("gunicorn.error", "gunicorn.access")


def post_fork(server, worker):
    """A new worker imports the application afresh (cms.worker_start), not the master's copies."""
    from cms.worker_start import forget_the_main_process_imports

    forget_the_main_process_imports()


def post_worker_init(worker):
    """Warm each new worker up before it takes requests (cms.wsgi.warm_up: one search)."""
    from cms.wsgi import warm_up

    warm_up()


def worker_exit(server, worker):
    """End a worker that stopped normally without the interpreter's clean-up.

    Freeing a Django + Wagtail + segmenter process object by object takes 1.5–2 s of CPU per
    worker: with 5 workers on 2 cores a stop or reload took 9.5 s, and 1.9 s with this (measured
    with make run-prod's settings). Database connections are closed first, and log handlers have
    flushed every line. A worker that failed to boot, or exits with an error code, exits the usual
    way, so that gunicorn still sees the code. GUNICORN_FAST_EXIT=0 turns this off.
    """
    error = sys.exc_info()[1]
    code = error.code if isinstance(error, SystemExit) else None
    if not worker.booted or code not in (0, None) or os.environ.get("GUNICORN_FAST_EXIT", "1") == "0":
        return
    try:
        from django.db import connections

        connections.close_all()
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(0)
