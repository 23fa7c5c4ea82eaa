"""granian for the web processes: `python deploy/granian_serve.py` (make run-prod, systemd, compose).

granian (a WSGI server whose HTTP side is written in Rust) serves the same application as
gunicorn (deploy/gunicorn.conf.py, still supported) for less CPU: in the load test on this 2-core
machine 2.2–2.5 ms of the web processes' CPU per request against 3.0–3.2 with gunicorn, and the
opinion p95 at 220 offered/s 55–100 ms against 710–1300 (benchmarks/README.md, 2026-12-03).
Everything an operator changes comes from the environment (docs/deploy.md):

  SERVER_POOL           web (default) or hotline: the hotline's own processes (/hotline/, /api/qa/)
  BIND                  where the web pool listens; default [::]:8000, one dual-stack socket that
                        takes IPv4 and IPv6 (0.0.0.0:8000 where the machine has no IPv6)
  HOTLINE_BIND          the same for the hotline pool; default [::]:8002
  WEB_CONCURRENCY       web worker processes; default cores + 1
  HOTLINE_CONCURRENCY   hotline worker processes; default the cores, at least 2
  SERVER_THREADS        threads running the application in each worker; default 4
  SERVER_WORKER_LIFETIME seconds before a worker is replaced (a new one starts first); default 21600
  SERVER_GRACEFUL_TIMEOUT seconds a stopping worker may finish its requests; default 30
  SERVER_WARMUP         0 to skip the warm-up search in each new worker (cms.granian_worker)
  DATABASE_STATEMENT_TIMEOUT  PostgreSQL's limit per statement in the workers; default 30s, "" none
  LOG_FORMAT            json (default) or plain; LOG_LEVEL: info (default), warning, debug …

granian opens one listening socket. BIND may name one address, or the IPv4 and IPv6 wildcards of
one port (gunicorn's form, 0.0.0.0:8000,[::]:8000), which become that one dual-stack socket; two
other addresses (127.0.0.1 and ::1, say) cannot share a socket, and the launcher says so.

The access log never contains the query string: /api/qa/search?q=… and /hotline/?q=… carry what
a caller said, phone numbers included. It records the path only, and every line goes through the
personal-data filter of the application's logs (cms/logging.py).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # cms.listen, cms.logging and cms.granian_worker, wherever this starts
    sys.path.insert(0, str(ROOT))

from cms.listen import bind_variable, dual_stack_available, ipv6_available, server_pool  # noqa: E402 (after the path)
from cms.logging import server_log_config  # noqa: E402
from cms.worker_start import (  # noqa: E402
    remember_the_server,
    reset_signals_in_child,
    warm_up_wanted,
    worker_environment,
)

LOG_LEVELS = ("critical", "error", "warning", "warn", "info", "debug")
# Path without the query string (%(path)s is PATH_INFO), status, milliseconds, client.
ACCESS_FORMAT = '%(addr)s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).0fms'


class ConfigurationError(ValueError):
    """A setting the launcher refuses, with what to change; main() prints it and exits with status 2."""

    def __init__(self, message):
        super().__init__(f"!! deploy/granian_serve.py：{message}")


def parse_address(address):
    """'127.0.0.1:8000' or '[::1]:8000' -> (host, port)."""
    host, _, port = address.strip().rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigurationError(f"监听地址 {address!r} 应为 主机:端口，例如 127.0.0.1:8000 或 [::]:8000")
    return host, int(port)


def listen_address(bind, dual_stack):
    """The one (host, port) granian binds for a comma-separated BIND list."""
    addresses = [parse_address(a) for a in bind.split(",") if a.strip()]
    if not addresses:
        raise ConfigurationError("BIND 为空：请给出一个监听地址")
    if len(addresses) == 1:
        return addresses[0]
    hosts, ports = {host for host, _ in addresses}, {port for _, port in addresses}
    if hosts == {"0.0.0.0", "::"} and len(ports) == 1 and len(addresses) == 2:
        if not dual_stack:
            raise ConfigurationError("本机的 [::] 套接字不接收 IPv4（net.ipv6.bindv6only=1 或没有 IPv6）："
                                     "请把 BIND 设为 0.0.0.0:端口 与 [::]:端口 之一，或改用 gunicorn")
        return "::", ports.pop()
    raise ConfigurationError(f"granian 只能监听一个地址，{bind!r} 有 {len(addresses)} 个：请只留一个，"
                             "或用 [::]:端口 同时接收 IPv4 与 IPv6，或改用 gunicorn（deploy/gunicorn.conf.py）")


def positive_int(environ, name, default, minimum=1):
    value = environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ConfigurationError(f"{name}={value!r} 应为不小于 {minimum} 的整数")
    return number


def log_config(environ):
    """logging.dictConfig for granian's own and access loggers (cms.logging.server_log_config)."""
    return server_log_config("_granian", "granian.access", environ)


def server_options(environ=os.environ, cores=None, dual_stack=None):
    """The keyword arguments of granian.Granian for this environment (no side effects)."""
    cores = cores or os.cpu_count() or 1
    dual_stack = dual_stack_available() if dual_stack is None else dual_stack
    try:
        pool, port = server_pool(environ)
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    default_bind = f"[::]:{port}" if dual_stack else f"0.0.0.0:{port}"
    bind = environ.get(bind_variable(pool))
    if not bind and not dual_stack and ipv6_available():
        print(f"!! deploy/granian_serve.py：本机 net.ipv6.bindv6only=1，[::] 不接收 IPv4，默认只监听 IPv4（{default_bind}）；"
              "要同时服务 IPv6，请设 net.ipv6.bindv6only=0，或另起一个 BIND=[::]:端口 的进程", file=sys.stderr)
    host, port = listen_address(bind or default_bind, dual_stack)
    if pool == "hotline":  # tens of operators, not thousands of residents
        workers = positive_int(environ, "HOTLINE_CONCURRENCY", max(2, cores))
    else:
        workers = positive_int(environ, "WEB_CONCURRENCY", cores + 1)
    log_level = environ.get("LOG_LEVEL", "info").lower()
    if log_level not in LOG_LEVELS:
        raise ConfigurationError(f"LOG_LEVEL={log_level!r} 应为 {'、'.join(LOG_LEVELS)} 之一")
    warm = warm_up_wanted(environ)
    return {
        "target": "cms.granian_worker:warmed_application" if warm else "cms.granian_worker:application",
        "factory": warm,
        "address": host,
        "port": port,
        "interface": "wsgi",
        "workers": workers,
        "blocking_threads": positive_int(environ, "SERVER_THREADS", 4),
        "http": "1",  # nginx and the load balancers speak HTTP/1.1 to the upstream
        "websockets": False,
        "log_level": log_level,
        "log_dictconfig": log_config(environ),
        "log_access": True,
        "log_access_format": ACCESS_FORMAT,
        # A crashed worker is replaced; every worker is replaced after a while (a new one first),
        # so that a slow leak never grows into an outage.
        "respawn_failed_workers": True,
        "workers_lifetime": positive_int(environ, "SERVER_WORKER_LIFETIME", 6 * 3600, minimum=60),
        "workers_kill_timeout": positive_int(environ, "SERVER_GRACEFUL_TIMEOUT", 30),
        "working_dir": ROOT,
    }


def main():
    try:
        options = server_options()
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        sys.exit(2)  # the units' RestartPreventExitStatus: a wrong setting is not retried every 2 s
    os.environ.update(worker_environment(os.environ))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels

    options.update(interface=Interfaces(options["interface"]), http=HTTPModes(options["http"]),
                   log_level=LogLevels(options["log_level"]))
    server = Granian(**options)
    # A forked worker inherits this process's SIGTERM handler, which does nothing in the worker
    # until granian installs the worker's own once the application has loaded: a stop during
    # those 1–2 s was lost, and the worker killed after SERVER_GRACEFUL_TIMEOUT (30 s measured).
    # From the fork until then the default action applies, so a loading worker stops at once:
    # reset right after the fork, and, for a signal that comes before the new process first
    # runs, the inherited handler itself passes it on to the default action.
    os.register_at_fork(after_in_child=reset_signals_in_child)
    server.signal_handler_interrupt = only_in_this_process(server.signal_handler_interrupt)
    remember_the_server()  # what the workers keep; the rest they import afresh (cms.worker_start)
    server.serve()


def only_in_this_process(handler):
    """``handler`` in the process that installed it; in a forked copy, the signal's default action."""
    owner = os.getpid()

    def guarded(signum, frame):
        if os.getpid() != owner:
            reset_signals_in_child()
            os.kill(os.getpid(), signum)
            return
        handler(signum, frame)

    return guarded


if __name__ == "__main__":
    main()
