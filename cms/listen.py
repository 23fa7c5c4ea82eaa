"""Where the web servers listen (deploy/granian_serve.py, deploy/gunicorn.conf.py): the pool, its port,
and what the machine's network offers.

Standard library only: both read it before Django is imported.
"""
import socket
from pathlib import Path

# Two pools of the same application (docs/deploy.md, "The hotline's own processes"): the public
# site, and the 12345 hotline (/hotline/, /api/qa/), which nginx sends to processes of its own.
POOL_PORTS = {"web": 8000, "hotline": 8002}


def server_pool(environ):
    """(pool, default port) from SERVER_POOL, or its earlier name GUNICORN_POOL; ValueError if neither pool."""
    pool = environ.get("SERVER_POOL") or environ.get("GUNICORN_POOL") or "web"
    if pool not in POOL_PORTS:
        raise ValueError(f"SERVER_POOL 应为 web 或 hotline，而不是 {pool!r}")
    return pool, POOL_PORTS[pool]


def bind_variable(pool):
    """The environment variable that says where ``pool`` listens."""
    return "HOTLINE_BIND" if pool == "hotline" else "BIND"


def ipv6_available():
    """Whether this machine can open an IPv6 socket at all."""
    if not socket.has_ipv6:
        return False
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    except OSError:
        return False
    return True


def dual_stack_available(proc=Path("/proc/sys/net/ipv6/bindv6only")):
    """Whether one [::] socket takes IPv4 too (Linux's default, net.ipv6.bindv6only = 0)."""
    if not ipv6_available():
        return False
    try:
        return proc.read_text().strip() == "0"
    except OSError:
        return False
