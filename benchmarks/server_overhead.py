"""服务器开销 · What the WSGI server itself costs per request: gunicorn (deploy/gunicorn.conf.py) vs granian.

The load test (load_test.py) finds the web pool spending several ms of CPU per request, of which
Django's own work, measured in-process, is only part. This measures the rest: the same
application, the same environment and the same requests, served once by the production gunicorn
pool and once by granian (a WSGI server written in Rust), in turns a few seconds long, so that a
virtual machine whose speed drifts within minutes slows both alike.

  make setup                                             # granian is in requirements.txt
  apt-get install -y wrk                                 # the load: a C client, light on the CPU
  .venv/bin/python benchmarks/server_overhead.py         # about 2 minutes

It starts deploy/run-prod-local.sh with WSGI_SERVER=gunicorn on the load test's database
(zcjd_load, created on first use), then deploy/granian_serve.py with exactly the gunicorn pool's
environment, read from /proc, on another port; both log every request through the same JSON
formatter and personal-data filter.
For each round, path and server, in alternating order: wrk with 4 connections for --seconds, and
the CPU time of that server's processes (/proc, user + system) divided by the requests served.
It prints the median per path and server and the ratio, and writes benchmarks/results/
server-overhead-*.json. Only the server is changed. These figures led to granian becoming the
deployed server (docs/deploy.md); gunicorn stays supported.
"""
import argparse
import datetime
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

import load_test
from load import cpu

PATHS = ("/healthz",)  # plus the open consultation's page, read from the database
WRK_CONNECTIONS = 4


def parse_wrk(output):
    """{requests, rps, non_2xx} from wrk's report; ValueError when it has no request count."""
    found = re.search(r"^\s*(\d+) requests in ", output, re.M)
    if not found:
        raise ValueError(f"wrk 的输出里没有请求数：{output[:200]!r}")
    rps = re.search(r"^Requests/sec:\s*([\d.]+)", output, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    return {"requests": int(found.group(1)), "rps": float(rps.group(1)) if rps else 0.0,
            "non_2xx": int(bad.group(1)) if bad else 0}


def server_ticks(snapshot, pids):
    """CPU ticks (own + reaped children's) of the processes in ``pids`` in a cpu.snapshot()."""
    return sum(own + children for pid, (_component, own, children) in snapshot["processes"].items() if pid in pids)


def process_tree(root):
    """``root`` and every process under it (a server's master and its workers)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(children.get(pid, ()))
    return found


def gunicorn_web_master(stack_pid):
    """The web pool's gunicorn master under run-prod-local.sh (not the hotline pool's)."""
    for pid in sorted(process_tree(stack_pid)):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            parent = int(Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[1])
        except OSError:
            continue
        if parent == stack_pid and cpu.component_of(cmdline, environ) == "web":  # not a worker
            return pid, environ
    raise SystemExit("!! 找不到网站进程的 gunicorn 主进程")


def start_granian(environ, port, workers, threads, log):
    """deploy/granian_serve.py, as deployed, with the gunicorn pool's environment on another port."""
    env = dict(item.split("=", 1) for item in environ.decode(errors="replace").split("\0") if "=" in item)
    env.update(BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), SERVER_THREADS=str(threads),
               SERVER_POOL="web", LOG_LEVEL="WARNING")
    nice = int(env.get("WEB_NICE", 10))  # the pool it stands in for runs at this nice value
    command = ["nice", "-n", str(nice), sys.executable, str(load_test.REPO / "deploy" / "granian_serve.py")]
    return subprocess.Popen(command, cwd=load_test.REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def measure(url, pids, seconds):
    """One wrk run against ``url``: requests, rps and CPU ms per request of the processes ``pids``."""
    before = cpu.snapshot()
    completed = subprocess.run(["wrk", "-t1", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency",
                                "-H", "X-Forwarded-For: 10.200.0.1", url],
                               capture_output=True, text=True, timeout=seconds + 30, check=True)
    after = cpu.snapshot()
    figures = parse_wrk(completed.stdout)
    ticks = server_ticks(after, pids) - server_ticks(before, pids)
    figures["cpu_ms_per_request"] = round(ticks * 1000 / os.sysconf("SC_CLK_TCK") / max(1, figures["requests"]), 3)
    return figures


def summarize(runs):
    """{path: {server: median CPU ms/request, …, "ratio": granian / gunicorn}} from the runs."""
    summary = {}
    for run in runs:
        summary.setdefault(run["path"], {}).setdefault(run["server"], []).append(run["cpu_ms_per_request"])
    for servers in summary.values():
        for server in list(servers):
            servers[server] = {"median_ms": round(statistics.median(servers[server]), 3),
                               "runs": servers[server]}
        if "gunicorn" in servers and "granian" in servers and servers["gunicorn"]["median_ms"]:
            servers["ratio"] = round(servers["granian"]["median_ms"] / servers["gunicorn"]["median_ms"], 2)
    return summary


def print_summary(summary):
    print("\n每请求 CPU（毫秒，中位数）· CPU ms per request, median of the rounds")
    rows = [("路径 path", "gunicorn", "granian", "granian ÷ gunicorn")]
    for path, servers in summary.items():
        rows.append((path, f"{servers['gunicorn']['median_ms']:.2f}", f"{servers['granian']['median_ms']:.2f}",
                     f"×{servers.get('ratio', 0):.2f}"))
    print(load_test.table(rows[0], rows[1:]))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="turns per path and server (default 5)")
    parser.add_argument("--seconds", type=int, default=6, help="seconds of wrk per turn (default 6)")
    parser.add_argument("--granian-workers", type=int, default=(os.cpu_count() or 1) + 1,
                        help="granian worker processes (default: cores + 1)")
    parser.add_argument("--granian-threads", type=int, default=4, help="blocking threads per worker (default 4)")
    parser.add_argument("--db", default="zcjd_load", help="the stack's database (default zcjd_load, the load test's)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--workers", type=int, help="gunicorn's web workers (default: deploy/gunicorn.conf.py's)")
    args = parser.parse_args(argv)
    args.server = "gunicorn"  # the stack's pools; granian is started beside it
    return args


def main(argv=None):
    args = parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("!! 需要 wrk：apt-get install -y wrk")
    if importlib.util.find_spec("granian") is None:
        sys.exit("!! 需要 granian：make setup（requirements.txt）")
    load_test.LOAD_DIR.mkdir(parents=True, exist_ok=True)
    load_test.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    port = load_test.free_port()
    hotline_port = next(p for p in iter(load_test.free_port, None) if p != port)
    granian_port = next(p for p in iter(load_test.free_port, None) if p not in (port, hotline_port))
    stack = granian = None
    log = open(load_test.LOAD_DIR / "granian.log", "w")  # noqa: SIM115 (closed below)
    started = datetime.datetime.now(datetime.UTC)
    try:
        load_test.say(f"启动生产栈（数据库 {args.db}），日志 {load_test.LOAD_DIR / 'stack.log'}")
        stack = load_test.start_stack(args, port, hotline_port)
        gunicorn_base = f"http://127.0.0.1:{port}"
        load_test.wait_ready(gunicorn_base, stack, timeout=300)
        master, environ = gunicorn_web_master(stack.pid)
        granian = start_granian(environ, granian_port, args.granian_workers, args.granian_threads, log)
        granian_base = f"http://127.0.0.1:{granian_port}"
        load_test.wait_ready(granian_base, None, timeout=120)
        _id, consultation, _reads = load_test.site_paths(load_test.database_url(args.db))
        paths = [*PATHS, consultation]
        servers = {"gunicorn": (gunicorn_base, lambda: process_tree(master)),
                   "granian": (granian_base, lambda: process_tree(granian.pid))}
        for base, _pids in servers.values():  # warm every worker up, outside the measurement
            for path in paths:
                measure(base + path, set(), 2)
        runs = []
        total = args.rounds * len(paths) * len(servers)
        for round_number in range(args.rounds):
            order = list(servers) if round_number % 2 == 0 else list(reversed(servers))
            for path in paths:
                for server in order:
                    base, pids = servers[server]
                    figures = measure(base + path, pids(), args.seconds)
                    runs.append({"round": round_number + 1, "path": path, "server": server, **figures})
                    load_test.say(f"{len(runs)}/{total} {server:8s} {path}: {figures['cpu_ms_per_request']:.2f} ms CPU/请求，"
                                  f"{figures['rps']:.0f} 次/秒" + (f"，非 2xx {figures['non_2xx']}" if figures["non_2xx"] else ""))
    finally:
        if granian is not None:
            try:
                os.killpg(granian.pid, signal.SIGTERM)
                granian.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(granian.pid, signal.SIGKILL)
        load_test.stop_stack(stack)
        log.close()
    bad = sum(run["non_2xx"] for run in runs)
    summary = summarize(runs)
    print_summary(summary)
    result = {"started": started.isoformat(timespec="seconds"), "git": load_test.git_commit(),
              "cpus": os.cpu_count(), "seconds_per_turn": args.seconds, "connections": WRK_CONNECTIONS,
              "granian": {"workers": args.granian_workers, "threads": args.granian_threads},
              "non_2xx": bad, "summary": summary, "runs": runs}
    path = load_test.RESULTS_DIR / f"server-overhead-{started.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"结果：{path}")
    if bad:
        sys.exit(f"!! {bad} 个响应不是 2xx/3xx：数字不可用")


if __name__ == "__main__":
    main()
