"""Where the machine's cores went during a load run: CPU time per component, read from /proc.

The load test runs everything on one machine (web processes, the hotline's processes, PostgreSQL,
Redis, the task worker and locust itself), so a throughput figure means little without knowing who
used the CPU. Two snapshots of /proc, at the start and the end of the measured window, give each
component's CPU seconds (user + system) and the idle time of the whole machine.

A process that exits inside the window (granian replaces a worker after its lifetime, gunicorn after
max_requests; PostgreSQL ends a backend) takes its CPU with it, except into its parent's "children"
counters (cutime, cstime)
once reaped: those are counted too, and a reaped process's CPU from before the window is subtracted,
so a worker replaced in mid-run is neither lost nor counted twice.
"""
import os
from pathlib import Path

COMPONENTS = {  # key → label, in report order
    "web": "网站进程 web pool",
    "hotline": "热线进程 hotline pool",
    "postgres": "PostgreSQL",
    "redis": "Redis",
    "worker": "任务队列 db_worker",
    "locust": "负载生成 locust",
    "other": "其他 other (kernel, this driver, …)",
}


def _read(path):
    try:
        return path.read_bytes()
    except OSError:  # the process ended between listing and reading
        return None


def component_of(cmdline, environ):
    """Which component a process belongs to, from its command line and environment (both bytes)."""
    args = cmdline.replace(b"\0", b" ")
    if (b"gunicorn" in args and b"cms.wsgi" in args) or b"granian_serve.py" in args:
        variables = environ.split(b"\0")
        return "hotline" if b"SERVER_POOL=hotline" in variables or b"GUNICORN_POOL=hotline" in variables else "web"
    if args.startswith(b"postgres") or b"/postgres " in args or b"bin/postgres" in args:
        return "postgres"
    if b"redis-server" in args:
        return "redis"
    if b"db_worker" in args:
        return "worker"
    if b"locust" in args:
        return "locust"
    return "other"


def snapshot(proc=Path("/proc")):
    """{pid: (component, own ticks, reaped children's ticks)} and the machine's busy and idle ticks."""
    processes = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        stat = _read(entry / "stat")
        if not stat:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after its last ")".
        fields = stat.rsplit(b")", 1)[1].split()
        own = int(fields[11]) + int(fields[12])  # utime, stime
        children = int(fields[13]) + int(fields[14])  # cutime, cstime
        cmdline = _read(entry / "cmdline") or b""
        if not cmdline:  # a kernel thread
            component = "other"
        else:
            component = component_of(cmdline, _read(entry / "environ") or b"")
        processes[int(entry.name)] = (component, own, children)
    machine = {"busy": 0, "idle": 0}
    for line in (proc / "stat").read_text().splitlines():
        if line.startswith("cpu "):
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
            machine = {"busy": sum(values[:8]) - idle, "idle": idle}
            break
    return {"processes": processes, "machine": machine}


def shares(before, after, seconds, ticks_per_second=None):
    """CPU per component over the window: {key: {"label", "cores", "share"}} plus machine figures.

    ``cores`` is CPU seconds per second (1.0 = one core busy all the time); ``share`` is the
    component's part of all the CPU used (0–1).
    """
    hz = ticks_per_second or os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(COMPONENTS, 0)
    old, new = before["processes"], after["processes"]
    for pid, (component, own, children) in new.items():
        was = old.get(pid)
        if was is not None and was[0] == component:
            used[component] += (own - was[1]) + (children - was[2])
        else:  # started inside the window
            used[component] += own + children
    for pid, (component, own, children) in old.items():
        if pid not in new:
            # Ended inside the window: its whole lifetime is now in its parent's children counters
            # (when the parent reaped it), of which the part before the window is not ours.
            used[component] -= own + children
    used = {key: max(0, ticks) for key, ticks in used.items()}
    total = sum(used.values()) or 1
    rows = {key: {"label": label, "cores": round(used[key] / hz / seconds, 3),
                  "share": round(used[key] / total, 3)} for key, label in COMPONENTS.items()}
    busy = after["machine"]["busy"] - before["machine"]["busy"]
    idle = after["machine"]["idle"] - before["machine"]["idle"]
    return {"seconds": round(seconds, 1), "components": rows,
            "busy_cores": round(busy / hz / seconds, 3),
            "idle_share": round(idle / (busy + idle), 3) if busy + idle else 0.0,
            "cpus": os.cpu_count()}
