"""What the machine's network offers the web servers' listeners (deploy/granian_serve.py, deploy/gunicorn.conf.py).

Standard library only: both read it before Django is imported.
"""
import socket
from pathlib import Path


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
