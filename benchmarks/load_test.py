#!/usr/bin/env python
"""混合负载测试 · Mixed load test against the production stack on the loopback (issue #5).

A hot consultation (residents opening the page and submitting opinions), 12345 operators searching
and the public reading pages, all at once, against `make run-prod`'s stack: granian
(deploy/granian_serve.py; --server gunicorn for deploy/gunicorn.conf.py) with
cms.settings.production, PostgreSQL, Redis, the embedded search index and a db_worker. Then it counts: every accepted opinion is in the database exactly once, with a
unique receipt. Run from the repository root:

    make load                                                      # = the defaults below (~3 min)
    .venv/bin/python benchmarks/load_test.py --duration 60 --submit-rate 200 --search-rate 20 --read-rate 20
    .venv/bin/python benchmarks/load_test.py --url http://127.0.0.1:8001   # a stack you started yourself
    .venv/bin/python benchmarks/load_test.py --baseline benchmarks/results/load-<timestamp>.json

Steps:

1. 环境 stack — unless --url is given: deploy/run-prod-local.sh with its own PostgreSQL database
   (--db, default zcjd_load; --fresh-db drops it first), Redis database 3 with a key prefix of its
   own, the search index and media under var/load/, the web server on a free loopback port, and
   TRUST_X_FORWARDED_FOR=1 (the load generator plays the nginx in front: each resident sends its own
   address, so the per-address opinion limit works as in production). The stack's output goes to
   var/load/stack.log. Waits for /readyz.
2. 负载 load — locust (benchmarks/load/locustfile.py, installed from benchmarks/requirements.txt)
   headless in this machine's other process: --residents users
   sharing --submit-rate opinions/s (each a GET of the consultation page then the POST), --operators
   operators sharing --search-rate searches/s (hotline page and JSON API; logged in beforehand, as
   --operator-sessions sessions: a login is a deliberately slow password hash), --readers sharing
   --read-rate page views/s. Users start over --ramp seconds; then the statistics are reset and the
   measured run lasts --duration seconds. --arrivals poisson (default) draws each user's gaps at
   random, as for independent people; --arrivals paced is locust's constant_throughput, whose users
   of one spawn batch act in lock-step (benchmarks/load/arrivals.py).
3. 核对 count — every form token the load generator saw accepted (a receipt number on the page) is
   stored exactly once with that receipt; receipts are unique; nothing refused was stored; the
   consultation's opinion count grew by exactly the number accepted; the search outbox and the task
   queue drain afterwards.
4. 结果 output — requests, throughput and p50/p95/p99 per action, the goals (≥ 200 opinions/s with
   p95 < 200 ms, searches p95 < 50 ms, zero errors, zero lost) with 达标/未达标, JSON in
   benchmarks/results/, and with --baseline FILE a side-by-side comparison.
5. 机器速度 machine speed — a fixed piece of Python work timed before the stack starts and after
   it stops (benchmarks/load/speed.py). Sessions run on different virtual machines, whose speed
   also changes within minutes: a run whose two readings differ by more than 10 % is flagged, and
   so is a baseline from a machine more than 10 % faster or slower, with its CPU per request
   scaled to compare.

Percentiles come from locust's histogram (two significant digits: 47 ms, 120 ms …). Exit status 0
whatever the figures are, unless --check is given (then 1 when a goal is missed).
"""
import argparse
import csv
import datetime
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from load import arrivals, cpu, speed  # benchmarks/load/ (this script's directory is on sys.path)

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks" / "results"
LOAD_DIR = REPO / "var" / "load"
BIN = Path(sys.executable).parent
LOCUSTFILE = REPO / "benchmarks" / "load" / "locustfile.py"
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# One per arrivals.PROFILES; results written before the choice existed were "paced".
ARRIVAL_LABELS = {"poisson": "随机间隔 poisson", "paced": "固定节拍 paced"}
SERVER_SETTINGS = ("WEB_CONCURRENCY", "SERVER_THREADS", "GUNICORN_THREADS", "GUNICORN_WORKER_CLASS",
                   "HOTLINE_CONCURRENCY", "WEB_NICE")
GOALS = {"submit_rps": 200, "submit_p95_ms": 200, "search_p95_ms": 50}
ACTIONS = {  # locust name → (label, kind)
    "征集页面 GET": ("征集页面 consultation page (GET)", "page"),
    "提交意见 POST": ("提交意见 opinion (POST)", "submit"),
    "热线检索页面": ("热线检索页面 hotline page search", "search"),
    "热线检索 API": ("热线检索 API /api/qa/search", "search"),
    "公开页面 GET": ("公开页面 public pages (GET)", "read"),
}


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_status(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


# --- 1. the stack ------------------------------------------------------------------------------------


def database_url(name):
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_database(name):
    import psycopg
    from psycopg import sql

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def start_stack(args, port, hotline_port):
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BIN": str(BIN), "PROD_PORT": str(port), "PROD_HOTLINE_PORT": str(hotline_port),
           "PROD_DB": args.db, "HOTLINE_BIND": f"127.0.0.1:{hotline_port}",
           "PROD_REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"zcjd-load-{args.db}",
           "SEARCH_EMBEDDED_DIR": str(LOAD_DIR / "search"), "MEDIA_ROOT": str(LOAD_DIR / "media"),
           "PRIVATE_MEDIA_ROOT": str(LOAD_DIR / "private"), "TRUST_X_FORWARDED_FOR": "1",
           "BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "INFO", "WSGI_SERVER": args.server}
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    for key in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    log = open(LOAD_DIR / "stack.log", "w")  # noqa: SIM115 (closed by stop_stack)
    process = subprocess.Popen(["bash", str(REPO / "deploy" / "run-prod-local.sh")], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log
    return process


def wait_ready(base, process, timeout):
    deadline = time.monotonic() + timeout
    last = 0
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            sys.exit(f"!! 生产栈启动失败（退出码 {process.returncode}），见 {LOAD_DIR / 'stack.log'}")
        if http_status(f"{base}/readyz") == 200:
            return
        if time.monotonic() - last > 10:
            say("等待 /readyz（迁移、演示内容、网站进程启动）…")
            last = time.monotonic()
        time.sleep(1)
    sys.exit(f"!! {timeout} 秒内 {base}/readyz 未就绪，见 {LOAD_DIR / 'stack.log'}")


def stop_stack(process):
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.log.close()


# --- what to load: read from the stack's own database ----------------------------------------------


def connect(db_url):
    import psycopg

    return psycopg.connect(db_url, autocommit=True)


def site_paths(db_url):
    """The open consultation, a policy, an interpretation: public URLs from the page tree."""
    with connect(db_url) as connection:
        def first(query):
            row = connection.execute(query).fetchone()
            return row[0] if row else None

        home = first("SELECT url_path FROM wagtailcore_page WHERE depth = 2 AND live ORDER BY path LIMIT 1")

        def public(url_path):
            return "/" + url_path[len(home):] if url_path else None

        consultation = connection.execute(
            "SELECT p.id, p.url_path FROM consultations_consultationpage c JOIN wagtailcore_page p ON p.id = c.page_ptr_id "
            "WHERE p.live AND c.start_at <= now() AND c.end_at > now() AND c.results_published_at IS NULL "
            "AND c.require_real_name = false ORDER BY c.end_at DESC LIMIT 1").fetchone()
        if consultation is None:
            sys.exit("!! 数据库里没有正在征集的意见征集页面（load_demo 应当创建一个）")
        policy = first("SELECT p.url_path FROM cms_policydocumentpage d JOIN wagtailcore_page p ON p.id = d.page_ptr_id "
                       "WHERE p.live ORDER BY p.id LIMIT 1")
        interpretation = first("SELECT p.url_path FROM interpretations_interpretationpage i "
                               "JOIN wagtailcore_page p ON p.id = i.page_ptr_id WHERE p.live ORDER BY p.id LIMIT 1")
    reads = ["/", "/zhengce/", public(policy), public(interpretation)]
    return consultation[0], public(consultation[1]), [r for r in reads if r]


def opinion_count(db_url, consultation_id):
    with connect(db_url) as connection:
        return connection.execute("SELECT count(*) FROM consultations_opinion WHERE consultation_id = %s",
                                  [consultation_id]).fetchone()[0]


def operator_sessions(base, username, password, count):
    """Log the hotline operator in ``count`` times before the load: each login costs a slow password hash."""
    import http.cookiejar
    import re
    import urllib.parse

    sessions = []
    for _ in range(count):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(f"{base}/admin/login/", timeout=30).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "username": username, "password": password,
                                       "next": "/hotline/"}).encode()
        request = urllib.request.Request(f"{base}/admin/login/", data=body, headers={"Referer": f"{base}/admin/login/"})
        response = opener.open(request, timeout=30)
        cookie = next((c.value for c in jar if c.name == "sessionid"), None)
        if cookie is None or "/admin/login/" in response.geturl():
            sys.exit(f"!! 座席账号 {username} 登录失败（密码不对？用 --operator-password 指定）")
        sessions.append(cookie)
    return sessions


def queries():
    path = REPO / "benchmarks" / "data" / "queries.jsonl"
    return [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- 2. the load -------------------------------------------------------------------------------------


def locust_command():
    found = shutil.which("locust", path=str(BIN)) or shutil.which("locust")
    if not found:
        sys.exit("!! 未安装 locust：.venv/bin/pip install -r benchmarks/requirements.txt（make load 会自动安装）")
    return found


def run_locust(args, base, hotline, consultation_path, reads, receipts, prefix, sessions):
    users = args.residents + args.operators + args.readers
    env = {**os.environ, "LOAD_HOTLINE_HOST": hotline,
           "LOAD_CONSULTATION_PATH": consultation_path, "LOAD_READ_PATHS": ",".join(reads),
           "LOAD_QUERIES": json.dumps(queries(), ensure_ascii=False), "LOAD_RECEIPTS": str(receipts),
           "LOAD_RESIDENTS": str(args.residents), "LOAD_RESIDENT_RATE": str(args.submit_rate / args.residents),
           "LOAD_OPERATORS": str(args.operators), "LOAD_OPERATOR_RATE": str(args.search_rate / args.operators),
           "LOAD_READERS": str(args.readers), "LOAD_READER_RATE": str(args.read_rate / args.readers),
           "LOAD_OPERATOR_SESSIONS": json.dumps(sessions), "LOAD_ARRIVALS": args.arrivals}
    command = [locust_command(), "-f", str(LOCUSTFILE), "--headless", "--host", base,
               "--users", str(users), "--spawn-rate", f"{users / args.ramp:.2f}", "--run-time", f"{args.duration + args.ramp}s",
               "--reset-stats", "--csv", str(prefix), "--only-summary", "--stop-timeout", "10",
               "--loglevel", "WARNING"]
    say(f"locust：{args.residents} 位居民（共 {args.submit_rate}/s 意见）、{args.operators} 位座席（共 "
        f"{args.search_rate}/s 检索）、{args.readers} 位读者（共 {args.read_rate}/s 页面），{args.duration} 秒，"
        f"到达 {ARRIVAL_LABELS[args.arrivals]}")
    log = open(LOAD_DIR / "locust.log", "w")  # noqa: SIM115
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    cpu_window = CpuWindow(start=args.ramp + 1, end=args.ramp + args.duration - 1)
    cpu_window.start()
    samples = []
    while process.poll() is None:
        time.sleep(5)
        elapsed = time.monotonic() - started
        accepted = sum(1 for _ in open(receipts, encoding="utf-8")) if receipts.exists() else 0
        samples.append(os.getloadavg()[0])
        phase = "爬坡" if elapsed < args.ramp else "测量"
        say(f"  {elapsed:5.0f} s / ~{args.duration + args.ramp} s（{phase}）· 已提交意见 {accepted} 条 · 负载 {samples[-1]:.1f}")
    log.close()
    cpu_window.join()
    if process.returncode not in (0, 1):  # 1 = some requests failed: reported below, not a crash
        sys.exit(f"!! locust 退出码 {process.returncode}，见 {LOAD_DIR / 'locust.log'}")
    return {"loadavg_samples": samples, "cpu": cpu_window.result}


class CpuWindow(threading.Thread):
    """Two /proc snapshots inside the measured window (benchmarks/load/cpu.py): who used the cores."""

    def __init__(self, start, end):
        super().__init__(daemon=True)
        self.offsets, self.result = (start, end), None

    def run(self):
        began = time.monotonic()
        time.sleep(self.offsets[0])
        before, t0 = cpu.snapshot(), time.monotonic()
        time.sleep(max(1, self.offsets[1] - (time.monotonic() - began)))
        after, t1 = cpu.snapshot(), time.monotonic()
        self.result = cpu.shares(before, after, t1 - t0)


def read_stats(prefix):
    rows = {}
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"]
            if name not in ACTIONS and name != "Aggregated":
                continue
            rows[name] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]), "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]), "max_ms": float(row["Max Response Time"]),
            }
    failures = []
    path = Path(f"{prefix}_failures.csv")
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            failures = [{"name": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])}
                        for r in csv.DictReader(handle)]
    return rows, failures


# --- 3. the count ------------------------------------------------------------------------------------


def verify(db_url, consultation_id, before, receipts_path):
    entries = [json.loads(line) for line in receipts_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    accepted = {e["token"]: e["receipt"] for e in entries if e["receipt"]}
    refused = {e["token"] for e in entries if not e["receipt"]}
    tokens = [e["token"] for e in entries]
    with connect(db_url) as connection:
        stored = connection.execute(
            "SELECT idempotency_key, receipt_number FROM consultations_opinion "
            "WHERE consultation_id = %s AND idempotency_key = ANY(%s)", [consultation_id, tokens]).fetchall()
        duplicate_receipts = connection.execute(
            "SELECT count(*) FROM (SELECT receipt_number FROM consultations_opinion GROUP BY receipt_number "
            "HAVING count(*) > 1) d").fetchone()[0]
        outbox = connection.execute("SELECT count(*) FROM search_indexoutbox WHERE done_at IS NULL").fetchone()[0]
    after = opinion_count(db_url, consultation_id)
    by_token = {}
    for token, receipt in stored:
        by_token.setdefault(token, []).append(receipt)
    missing = [t for t in accepted if t not in by_token]
    stored_twice = [t for t, receipts in by_token.items() if len(receipts) > 1]
    wrong_receipt = [t for t, r in accepted.items() if t in by_token and by_token[t] != [r]]
    stored_but_refused = [t for t in refused if t in by_token]
    receipts_shown = list(accepted.values())
    result = {
        "submissions_sent": len(entries), "accepted": len(accepted), "refused": len(refused),
        "stored": len(stored), "missing": len(missing), "stored_twice": len(stored_twice),
        "wrong_receipt": len(wrong_receipt), "stored_but_refused": len(stored_but_refused),
        "receipts_unique": len(set(receipts_shown)) == len(receipts_shown) and duplicate_receipts == 0,
        "count_before": before, "count_after": after, "count_delta": after - before, "outbox_pending": outbox,
    }
    result["nothing_lost"] = (not missing and not stored_twice and not wrong_receipt and result["receipts_unique"]
                              and result["count_delta"] == len(accepted) + len(stored_but_refused))
    return result


def wait_drained(db_url, timeout=120):
    """The worker catches up after the load: the search outbox and the task queue empty."""
    started = time.monotonic()
    with connect(db_url) as connection:
        while time.monotonic() - started < timeout:
            outbox = connection.execute("SELECT count(*) FROM search_indexoutbox WHERE done_at IS NULL").fetchone()[0]
            tasks = connection.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
            ).fetchone()[0]
            if outbox == 0 and tasks == 0:
                return round(time.monotonic() - started, 1)
            time.sleep(1)
    return None


# --- 4. output ---------------------------------------------------------------------------------------


def goals_of(result):
    stats = result["actions"]
    submit = stats.get("提交意见 POST", {})
    searches = [stats[n] for n in ("热线检索页面", "热线检索 API") if n in stats]
    total_failures = stats.get("Aggregated", {}).get("failures", 0)
    checks = result["count"]
    return [
        ("意见提交吞吐 opinions/s", f"≥ {GOALS['submit_rps']}", f"{submit.get('rps', 0):.1f}",
         submit.get("rps", 0) >= GOALS["submit_rps"]),
        ("意见提交 p95", f"< {GOALS['submit_p95_ms']} ms", f"{submit.get('p95_ms', 0):.0f} ms",
         bool(submit) and submit["p95_ms"] < GOALS["submit_p95_ms"]),
        ("热线检索 p95（页面与 API）", f"< {GOALS['search_p95_ms']} ms",
         " / ".join(f"{s['p95_ms']:.0f} ms" for s in searches) or "—",
         bool(searches) and all(s["p95_ms"] < GOALS["search_p95_ms"] for s in searches)),
        ("错误 errors", "0", str(total_failures), total_failures == 0),
        ("丢失/重复 lost or doubled", "0",
         f"缺 {checks['missing']} · 重 {checks['stored_twice']} · 回执错 {checks['wrong_receipt']}", checks["nothing_lost"]),
    ]


def width(text):
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))


def table(header, rows):
    sizes = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        lines.append("  ".join(str(c) + " " * (sizes[i] - width(c)) for i, c in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


def print_report(result):
    print()
    print(f"混合负载测试 · {result['started']} · git {result['git'][:10]} · {result['machine']} · "
          f"{result.get('server', 'gunicorn')} {result['workers']} workers · "
          f"{'热线独立进程 hotline pool' if result.get('hotline_pool') else '单一进程池 single pool'} · "
          f"到达 {ARRIVAL_LABELS[result.get('arrivals', 'paced')]} · {result['duration_s']} s"
          + (f" · 机器速度 {result['machine_speed']['median_ms']:.1f} ms" if result.get("machine_speed") else "")
          + "".join(f" · {name}={value}" for name, value in result.get("server_overrides", {}).items()))
    rows = []
    for name, (label, _kind) in ACTIONS.items():
        s = result["actions"].get(name)
        if s:
            rows.append([label, s["requests"], f"{s['rps']:.1f}", s["failures"], f"{s['p50_ms']:.0f}",
                         f"{s['p95_ms']:.0f}", f"{s['p99_ms']:.0f}", f"{s['max_ms']:.0f}"])
    s = result["actions"].get("Aggregated")
    if s:
        rows.append(["合计 all", s["requests"], f"{s['rps']:.1f}", s["failures"], f"{s['p50_ms']:.0f}",
                     f"{s['p95_ms']:.0f}", f"{s['p99_ms']:.0f}", f"{s['max_ms']:.0f}"])
    print(table(["动作 action", "请求", "req/s", "失败", "p50 ms", "p95 ms", "p99 ms", "max ms"], rows))
    c = result["count"]
    print(f"\n核对：发出 {c['submissions_sent']} · 收到回执 {c['accepted']} · 被拒 {c['refused']} · 入库 {c['stored']} · "
          f"缺失 {c['missing']} · 重复 {c['stored_twice']} · 回执不符 {c['wrong_receipt']} · 被拒却入库 "
          f"{c['stored_but_refused']} · 回执唯一 {'是' if c['receipts_unique'] else '否'} · 征集意见数 "
          f"{c['count_before']} → {c['count_after']}（+{c['count_delta']}）")
    drained = result.get("drained_after_s")
    print(f"任务队列与检索 outbox 在负载结束后 {drained} 秒内清空" if drained is not None
          else "!! 任务队列或检索 outbox 在 120 秒内未清空")
    if result["failures"]:
        print("\n失败 failures:")
        for f in result["failures"][:10]:
            print(f"  {f['count']} × {f['name']}: {f['error']}")
    print()
    print(table(["目标 goal", "要求", "本次", "结论"],
                [[g, want, got, "达标" if ok else "未达标"] for g, want, got, ok in goals_of(result)]))
    print_cpu(result)
    for line in speed_during_run(result):
        print(line)
    print(f"\n负载均值（1 分钟）{result['loadavg_mean']:.1f}；结果：{result['path']}")


def speed_during_run(result):
    """Whether the machine ran Python as fast after the run as before it (benchmarks/load/speed.py)."""
    before, after = result.get("machine_speed"), result.get("machine_speed_after")
    ratio = speed.speed_ratio(after, before)
    if ratio is None:
        return []
    line = (f"机器速度 machine speed：运行前 {before['median_ms']:.1f} ms · 运行后 {after['median_ms']:.1f} ms"
            f"{speed.MEANING}")
    if speed.same_machine_kind(ratio):
        return [line]
    return [line, f"!! 机器速度在运行期间变化了 ×{ratio:.2f}：本次的毫秒与每请求 CPU 不宜与其他运行比较，请重跑"]


def cpu_projection(result):
    """Cores each component would need for the goal's opinion rate, at this run's CPU per opinion.

    Everything but the hotline pool and the worker grows with the residents' traffic (the public
    readers are a fixed 20/s here, so this slightly overstates it); the hotline's searches stay at the
    offered rate. A rough budget, not a model: it shows whether the goal fits into the machine.
    """
    usage = result.get("cpu")
    submitted = result["actions"].get("提交意见 POST", {}).get("rps", 0)
    if not usage or not submitted:
        return None
    scale = GOALS["submit_rps"] / submitted
    fixed = {"hotline", "worker", "other"}
    needed = {key: row["cores"] * (1 if key in fixed else scale) for key, row in usage["components"].items()}
    return {"opinions_per_s": GOALS["submit_rps"], "cores": {k: round(v, 2) for k, v in needed.items()},
            "total_cores": round(sum(needed.values()), 2), "machine_cores": usage["cpus"]}


def served_per_s(result):
    """Requests per second each gunicorn pool served (the hotline pool: the searches, when it ran)."""
    stats = result["actions"]
    return {"web": sum(stats.get(n, {}).get("rps", 0) for n, (_l, kind) in ACTIONS.items()
                       if kind != "search" or not result.get("hotline_pool")),
            "hotline": sum(stats.get(n, {}).get("rps", 0) for n, (_l, kind) in ACTIONS.items() if kind == "search")
            if result.get("hotline_pool") else 0}


def cpu_ms_per_request(result):
    """{pool: CPU milliseconds per request it served}, for the pools that served any."""
    usage, served = result.get("cpu"), served_per_s(result)
    if not usage:
        return {}
    return {key: row["cores"] / served[key] * 1000 for key, row in usage["components"].items() if served.get(key)}


def print_cpu(result):
    usage = result.get("cpu")
    if not usage:
        return
    served, per_request_ms = served_per_s(result), cpu_ms_per_request(result)
    rows = []
    for key, row in usage["components"].items():
        per_request = (f"{per_request_ms[key]:.1f} ms（{served[key]:.0f} 次/秒）" if key in per_request_ms else "")
        rows.append([row["label"], f"{row['cores']:.2f}", f"{row['share'] * 100:.0f} %", per_request])
    print(f"\nCPU 去向 where the cores went（测量窗口 {usage['seconds']} s；本机 {usage['cpus']} 核，"
          f"忙 {usage['busy_cores']:.2f} 核，空闲 {usage['idle_share'] * 100:.1f} %）")
    print(table(["组件 component", "核 cores", "占比", "每请求 CPU"], rows))
    projection = cpu_projection(result)
    if projection:
        parts = " + ".join(f"{usage['components'][k]['label'].split(' ')[0]} {v:.2f}"
                           for k, v in projection["cores"].items() if v >= 0.01)
        print(f"按本次每条意见的 CPU 推算，{projection['opinions_per_s']} 条/秒需要 {projection['total_cores']:.2f} 核"
              f"（{parts}），本机 {projection['machine_cores']} 核")


def write_charts(result, baseline=None):
    """An HTML page with the figures as charts (cms/charts.py: SVG, no script, no CDN) beside the JSON."""
    sys.path.insert(0, str(REPO))
    from cms.charts import bar_chart_svg

    def rows(source, key):
        return [{"label": label, key: source["actions"][name][key]}
                for name, (label, _kind) in ACTIONS.items() if name in source["actions"]]

    sections = []
    for key, title, unit in (("p95_ms", "p95 延迟（毫秒）", "ms"), ("rps", "吞吐（次/秒）", "次/秒")):
        runs = [("本次", result)] + ([("基线", baseline)] if baseline else [])
        for tag, source in runs:
            data = rows(source, key)
            step = 50 if key == "p95_ms" else 10  # round scale ends make readable grid lines
            top = max(step, math.ceil(max([r[key] for r in data] + [1]) / step) * step)
            caption = f"{title} · {tag} {source['started']}"
            sections.append((caption, bar_chart_svg(
                data, title=f"{title} · {tag} {source['started']}", id_prefix=f"{key}-{tag}", max_value=top,
                value_key=key, value_text=lambda r, k=key, u=unit: f"{r[k]:.0f} {u}",
                row_desc=lambda r, k=key, u=unit: f"{r['label']} {r[k]:.0f} {u}",
                desc=f"目标：意见提交 ≥ {GOALS['submit_rps']} 次/秒且 p95 < {GOALS['submit_p95_ms']} ms，检索 p95 < {GOALS['search_p95_ms']} ms")))
    for tag, source in [("本次", result)] + ([("基线", baseline)] if baseline and baseline.get("cpu") else []):
        if not source.get("cpu"):
            continue
        data = [{"label": row["label"], "cores": row["cores"]} for row in source["cpu"]["components"].values()]
        caption = f"CPU 去向（核）· {tag} {source['started']}"
        sections.append((caption, bar_chart_svg(
            data, title=caption, id_prefix=f"cpu-{tag}", max_value=max(1, source["cpu"]["cpus"]),
            value_key="cores", value_text=lambda r: f"{r['cores']:.2f} 核",
            row_desc=lambda r: f"{r['label']} {r['cores']:.2f} 核",
            desc=f"本机 {source['cpu']['cpus']} 核；测量窗口内每个组件平均占用的核数")))
    page = ("<!DOCTYPE html><html lang=\"zh-Hans\"><meta charset=\"utf-8\"><title>混合负载测试 "
            f"{result['started']}</title><body><h1>混合负载测试 {result['started']}</h1>"
            + "".join(f"<figure><figcaption>{caption}</figcaption>{svg}</figure>" for caption, svg in sections)
            + "</body></html>")
    path = Path(result["path"]).with_suffix(".html")
    path.write_text(page, encoding="utf-8")
    return path


def compare_with_baseline(result, path):
    baseline = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = []
    for name, (label, _kind) in [*ACTIONS.items(), ("Aggregated", ("合计 all", ""))]:
        before, now = baseline["actions"].get(name), result["actions"].get(name)
        if not (before and now):
            continue
        ratio = now["p95_ms"] / before["p95_ms"] if before["p95_ms"] else float("nan")
        rows.append([label, f"{before['rps']:.1f} → {now['rps']:.1f}", f"{before['p50_ms']:.0f} → {now['p50_ms']:.0f}",
                     f"{before['p95_ms']:.0f} → {now['p95_ms']:.0f}", f"×{ratio:.2f}"])
    print(f"\n对比基线 {path}（git {baseline['git'][:10]}，{baseline['started']}）：")
    print(table(["动作 action", "req/s", "p50 ms", "p95 ms", "p95 本次÷基线"], rows))
    if baseline.get("cpu") and result.get("cpu"):
        print(table(["组件 component", "核 cores 基线 → 本次"],
                    [[row["label"], f"{baseline['cpu']['components'].get(key, {}).get('cores', 0):.2f} → {row['cores']:.2f}"]
                     for key, row in result["cpu"]["components"].items()]))
    for line in machine_comparison(result, baseline):
        print(line)


def machine_comparison(result, baseline):
    """Lines saying whether the two runs' machines are alike (benchmarks/load/speed.py), with the CPU
    per request scaled to the baseline's machine when they are not."""
    ratio = speed.speed_ratio(result.get("machine_speed"), baseline.get("machine_speed"))
    if ratio is None:
        return ["!! 无法比较两次运行的机器速度（基线没有 machine_speed，或测量方法不同）：毫秒与每请求 CPU 可能来自不同速度的机器"]
    relative = f"本机慢 ×{ratio:.2f}" if ratio >= 1 else f"本机快 ×{1 / ratio:.2f}"
    lines = [f"机器速度 machine speed：本次 {result['machine_speed']['median_ms']:.1f} ms · 基线 "
             f"{baseline['machine_speed']['median_ms']:.1f} ms（{relative}）"]
    if speed.same_machine_kind(ratio):
        lines.append("两台机器速度相近（±10 % 以内），可直接比较。")
        return lines
    lines.append("!! 两台机器速度不同：延迟与吞吐不可直接比较；每请求 CPU 按速度换算到基线的机器：")
    before, now = cpu_ms_per_request(baseline), cpu_ms_per_request(result)
    for key in now:
        if key in before:
            lines.append(f"  {cpu.COMPONENTS[key]}：基线 {before[key]:.2f} ms → 本次 {now[key]:.2f} ms，"
                         f"换算 {now[key] / ratio:.2f} ms（×{now[key] / ratio / before[key]:.2f}）")
    return lines


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds of measured load (default 60)")
    parser.add_argument("--ramp", type=int, default=10,
                        help="seconds to start every user, before the statistics are reset (default 10)")
    parser.add_argument("--submit-rate", type=float, default=220, help="opinions/s offered (default 220)")
    parser.add_argument("--residents", type=int, default=400,
                        help="concurrent residents (default 400: each acts every 1.8 s on average, long beside "
                        "the time a submission takes, so random gaps lose little of the offered rate)")
    parser.add_argument("--search-rate", type=float, default=20, help="searches/s offered (default 20)")
    parser.add_argument("--operators", type=int, default=20, help="logged-in operators (default 20)")
    parser.add_argument("--read-rate", type=float, default=20, help="public page views/s (default 20)")
    parser.add_argument("--readers", type=int, default=40, help="concurrent readers (default 40)")
    parser.add_argument("--url", help="an already running stack (e.g. make run-prod's http://127.0.0.1:8001)")
    parser.add_argument("--hotline-url", help="with --url: its hotline pool (make run-prod's http://127.0.0.1:8002); "
                        "default: the same as --url")
    parser.add_argument("--single-pool", action="store_true",
                        help="operators search through the public pool too, as without the hotline's own processes")
    parser.add_argument("--db", help="the stack's PostgreSQL database (default zcjd_load; with --url, "
                        "zcjd_prod, make run-prod's, or LOAD_DATABASE_URL)")
    parser.add_argument("--fresh-db", action="store_true", help="drop the database first")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--server", choices=("granian", "gunicorn"), default="granian",
                        help="the WSGI server of both pools (deploy/run-prod-local.sh's WSGI_SERVER; default granian)")
    parser.add_argument("--workers", type=int, help="web worker processes (default: the server's own, cores + 1 "
                        "for granian, 2 × cores + 1 for gunicorn)")
    parser.add_argument("--operator-username", default="hotline", help="a hotline operator (load_demo's)")
    parser.add_argument("--operator-password", default=os.environ.get("LOAD_OPERATOR_PASSWORD", "demo-pass-2026"),
                        help="that operator's password (load_demo's)")
    parser.add_argument("--operator-sessions", type=int, default=4,
                        help="logins made before the load, shared by the operators (default 4)")
    parser.add_argument("--arrivals", choices=arrivals.PROFILES, default="poisson",
                        help="when each user acts next: poisson (random gaps, default) or paced (locust's "
                        "constant_throughput, in lock-step per spawn batch, as in the earlier runs)")
    parser.add_argument("--baseline", help="an earlier results JSON to compare with")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = datetime.datetime.now(datetime.UTC)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    LOAD_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stack = None
    # Before the stack starts: how fast this machine runs Python (benchmarks/load/speed.py).
    machine_speed = speed.machine_speed()
    say(f"机器速度 machine speed：{machine_speed['median_ms']:.1f} ms{speed.MEANING}")
    try:
        if args.url:
            base = args.url.rstrip("/")
            hotline = (args.hotline_url or args.url).rstrip("/")
            db_url = os.environ.get("LOAD_DATABASE_URL") or database_url(args.db or "zcjd_prod")
        else:
            args.db = args.db or "zcjd_load"
            db_url = database_url(args.db)
            if args.fresh_db:
                say(f"删除数据库 {args.db}")
                drop_database(args.db)
            port = free_port()
            hotline_port = next(p for p in iter(free_port, None) if p != port)
            base, hotline = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hotline_port}"
            say(f"启动生产栈（deploy/run-prod-local.sh，数据库 {args.db}，{base}，热线进程 {hotline}），"
                f"日志 {LOAD_DIR / 'stack.log'}")
            stack = start_stack(args, port, hotline_port)
        wait_ready(base, stack, timeout=300)
        wait_ready(hotline, stack, timeout=120)
        if args.single_pool:
            hotline = base
        consultation_id, consultation_path, reads = site_paths(db_url)
        before = opinion_count(db_url, consultation_id)
        say(f"就绪：征集页面 {consultation_path}（已有意见 {before} 条），公开页面 {', '.join(reads)}")
        sessions = operator_sessions(base, args.operator_username, args.operator_password, args.operator_sessions)
        receipts = LOAD_DIR / f"receipts-{stamp}.jsonl"
        prefix = LOAD_DIR / f"locust-{stamp}"
        run = run_locust(args, base, hotline, consultation_path, reads, receipts, prefix, sessions)
        actions, failures = read_stats(prefix)
        say("负载结束，等待任务队列与检索 outbox 清空…")
        drained = wait_drained(db_url)
        count = verify(db_url, consultation_id, before, receipts)
    finally:
        stop_stack(stack)
    # Again once the stack is down: a virtual machine's speed can change within minutes.
    machine_speed_after = speed.machine_speed()
    result = {
        "started": started.isoformat(timespec="seconds"), "git": git_commit(), "duration_s": args.duration,
        "machine": f"{platform.node()} ×{os.cpu_count()}", "python": platform.python_version(),
        "machine_speed": machine_speed, "machine_speed_after": machine_speed_after,
        "server": args.server if not args.url else "external",
        "workers": args.workers or "default", "hotline_pool": hotline != base, "arrivals": args.arrivals,
        # What the stack took from this environment instead of its defaults (deploy/granian_serve.py,
        # deploy/run-prod-local.sh), so that a run with other settings says so.
        "server_overrides": {name: os.environ[name] for name in SERVER_SETTINGS if name in os.environ},
        "offered": {"submit_rate": args.submit_rate, "search_rate": args.search_rate,
                                                          "read_rate": args.read_rate, "residents": args.residents,
                                                          "operators": args.operators, "readers": args.readers},
        "actions": actions, "failures": failures, "count": count, "drained_after_s": drained,
        "loadavg_mean": statistics.mean(run["loadavg_samples"]) if run["loadavg_samples"] else 0.0,
        "cpu": run["cpu"],
        "path": str(RESULTS_DIR / f"load-{stamp}.json"),
    }
    result["cpu_projection"] = cpu_projection(result)
    Path(result["path"]).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(result)
    baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8")) if args.baseline else None
    if args.baseline:
        compare_with_baseline(result, args.baseline)
    print(f"图表：{write_charts(result, baseline)}")
    if args.check and not all(ok for *_, ok in goals_of(result)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
