"""The load test's CPU accounting (benchmarks/load/cpu.py): who used the cores, from /proc.

A fake /proc in a temporary directory: processes of each component, a gunicorn worker replaced
inside the window (its CPU moves into the master's children counters) and a kernel thread.
"""

import pytest

from tests.cms.conftest import load_test_module


@pytest.fixture(scope="module")
def cpu():
    return load_test_module("cpu")


def write_process(proc, pid, *, name, cmdline, utime, stime=0, cutime=0, cstime=0, ppid=1, environ=""):
    directory = proc / str(pid)
    directory.mkdir(parents=True, exist_ok=True)
    # Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    rest = ["S", ppid, pid, pid, 0, -1, 0, 0, 0, 0, 0, utime, stime, cutime, cstime, 20, 0, 1, 0]
    (directory / "stat").write_text(f"{pid} ({name}) " + " ".join(map(str, rest)))
    (directory / "cmdline").write_bytes(cmdline.replace(" ", "\0").encode() + (b"\0" if cmdline else b""))
    (directory / "environ").write_bytes(environ.replace(" ", "\0").encode())


def write_machine(proc, busy, idle):
    # user nice system idle iowait irq softirq steal
    proc.mkdir(parents=True, exist_ok=True)
    (proc / "stat").write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0\n")


GUNICORN = "/srv/.venv/bin/python /srv/.venv/bin/gunicorn -c deploy/gunicorn.conf.py cms.wsgi"
GRANIAN = "/srv/.venv/bin/python deploy/granian_serve.py"  # its forked workers keep this command line


def test_component_of_each_process(cpu):
    assert cpu.component_of(GUNICORN.replace(" ", "\0").encode(), b"PATH=/bin\0GUNICORN_POOL=web") == "web"
    assert cpu.component_of(GUNICORN.replace(" ", "\0").encode(), b"HOME=/root\0GUNICORN_POOL=hotline\0") == "hotline"
    assert cpu.component_of(b"postgres: 15/main: postgres zcjd_load 127.0.0.1(5432) idle", b"") == "postgres"
    assert cpu.component_of(b"/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql", b"") == "postgres"
    assert cpu.component_of(b"/usr/bin/redis-server 127.0.0.1:6379", b"") == "redis"
    assert cpu.component_of(b"python\0manage.py\0db_worker\0--interval\x001", b"") == "worker"
    assert cpu.component_of(b"/srv/.venv/bin/python /srv/.venv/bin/locust -f locustfile.py", b"") == "locust"
    assert cpu.component_of(b"/usr/bin/python3 benchmarks/load_test.py", b"") == "other"
    # Only the pool's own variable counts, not a value that merely contains the word.
    assert cpu.component_of(GUNICORN.replace(" ", "\0").encode(), b"NOTE=GUNICORN_POOL=hotline-later") == "web"
    assert cpu.component_of(GRANIAN.replace(" ", "\0").encode(), b"SERVER_POOL=web\0") == "web"
    assert cpu.component_of(GRANIAN.replace(" ", "\0").encode(), b"A=1\0SERVER_POOL=hotline\0") == "hotline"
    assert cpu.component_of(GRANIAN.replace(" ", "\0").encode(), b"NOTE=SERVER_POOL=hotline") == "web"


# Processes that live through the window: pid, name, command line, environment, utime (before, after).
STEADY = [
    (20, "gunicorn", GUNICORN, "GUNICORN_POOL=hotline", (100, 130)),
    (30, "postgres", "postgres: postgres zcjd_load 127.0.0.1(1) idle", "", (40, 60)),
    (40, "redis-server", "/usr/bin/redis-server 127.0.0.1:6379", "", (5, 9)),
    (50, "locust", "/v/bin/python /v/bin/locust -f x.py", "", (10, 25)),
    (2, "kthreadd", "", "", (3, 5)),  # a kernel thread: no command line
]


def test_shares_over_a_window(tmp_path, cpu):
    proc = tmp_path / "proc"
    write_machine(proc, busy=1000, idle=1000)
    write_process(proc, 10, name="gunicorn", cmdline=GUNICORN, utime=50)  # the web master
    write_process(proc, 11, name="gunicorn", cmdline=GUNICORN, utime=300, stime=20, ppid=10)  # replaced below
    for pid, name, cmdline, environ, (utime, _later) in STEADY:
        write_process(proc, pid, name=name, cmdline=cmdline, utime=utime, environ=environ)
    before = cpu.snapshot(proc)

    write_machine(proc, busy=1150, idle=1050)  # 150 busy ticks, 50 idle ticks
    # Worker 11 used 30 more ticks, then exited and was reaped: its whole life (350) is in the master's
    # children counters. Its replacement, 12, started inside the window.
    (proc / "11" / "stat").unlink()
    write_process(proc, 10, name="gunicorn", cmdline=GUNICORN, utime=52, cutime=340, cstime=10)
    write_process(proc, 12, name="gunicorn", cmdline=GUNICORN, utime=18, ppid=10)
    for pid, name, cmdline, environ, (_earlier, utime) in STEADY:
        write_process(proc, pid, name=name, cmdline=cmdline, utime=utime, environ=environ)
    after = cpu.snapshot(proc)

    usage = cpu.shares(before, after, seconds=1.0, ticks_per_second=100)
    cores = {key: row["cores"] for key, row in usage["components"].items()}
    # web: master +2, worker 11 +30 (350 reaped − 320 before), worker 12 +18 = 50 ticks = 0.5 core
    assert cores == {"web": 0.5, "hotline": 0.3, "postgres": 0.2, "redis": 0.04, "worker": 0.0,
                     "locust": 0.15, "other": 0.02}
    assert usage["components"]["web"]["share"] == round(50 / 121, 3)
    assert usage["busy_cores"] == 1.5 and usage["idle_share"] == 0.25


def test_snapshot_of_this_machine(cpu):
    """The real /proc parses, and this test's own process is there."""
    import os

    snapshot = cpu.snapshot()
    assert os.getpid() in snapshot["processes"]
    assert snapshot["machine"]["busy"] > 0
