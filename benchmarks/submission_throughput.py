#!/usr/bin/env python
"""意见提交吞吐量基准 · Submission throughput: the real opinion form against a bare one-row INSERT view.

Goal (from the issue "Scale and durability"): measure how many opinions per second the site stores,
side by side with the stack's own limit on the same machine — a bare Django view that inserts one row,
served by the same gunicorn configuration on the same database engine — and print the ratio. Then check
that every accepted opinion was stored exactly once with a unique receipt. Run from the repository root:

    .venv/bin/python benchmarks/submission_throughput.py                         # SQLite (temporary file)
    .venv/bin/python benchmarks/submission_throughput.py --database-url postgres://postgres@127.0.0.1:5432/bench_submit
    .venv/bin/python benchmarks/submission_throughput.py --clients 32 --workers 4 --requests 4000
    .venv/bin/python benchmarks/submission_throughput.py --preload 75899        # the consultation already full

What runs: a throwaway database (migrated; site tree, a department and an open consultation), then two
gunicorn servers on 127.0.0.1 (free ports): the site (cms.wsgi with benchmarks.bare_insert.site_settings:
the test settings with the per-client rate limit off, since every client here is 127.0.0.1) and the bare
project (benchmarks.bare_insert). --clients threads, each with its own cookies and a keep-alive
connection, send a fixed number of requests (bounded; no open-ended loops) to, in turn:

* submit      — POST of the opinion form (CSRF cookie and token from one GET per client; a fresh form
                token per opinion, as the page hands out): the submission path itself
* page+submit — GET the page, then POST the form with its token: what a resident's browser does
                (one "request" = the pair; reported for reference)
* bare insert — POST to the bare view: one INSERT of a row with a unique token and the same text

Rounds alternate the targets (--rounds, default 5) so that noise from other processes hits all of them;
throughput is the median over rounds, latencies (p50/p95/p99) are over all requests of a target. After
the runs: opinions stored == receipts shown, every form token stored exactly once, receipts unique, and
the bare table holds exactly one row per accepted request.
"""
import argparse
import contextlib
import datetime
import http.client
import io
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

import consultation_scale as common  # noqa: E402  (database helpers, table output, git/environment)

RESULTS_DIR = REPO / "benchmarks" / "results"
# gunicorn of the environment running this script (the project's .venv when run as documented; also
# right for a git worktree without its own .venv), else the repository's .venv.
GUNICORN = next((p for p in (Path(sys.executable).parent / "gunicorn", REPO / ".venv" / "bin" / "gunicorn")
                 if p.exists()), REPO / ".venv" / "bin" / "gunicorn")
RECEIPT = re.compile(rb"YJ-\d{8}-\d{6,}")
TIMEOUT = 60
TEXT = ("建议社区养老服务站延长开放时间，晚上和节假日也安排值班人员；同时把居家养老服务补贴的发放对象扩大到"
        "七十五岁以上独居老人，并简化申请材料，由社区上门代办。")


# --- setup -----------------------------------------------------------------------------------------------


def build_site(preload):
    """Migrate, site tree, roles, a department, an open consultation (optionally preloaded with opinions)."""
    from django.core.management import call_command

    from cms.factories import DepartmentFactory
    from cms.roles import ensure_all_roles
    from consultations.factories import ConsultationPageFactory
    from consultations.models import ConsultationPage
    from tests.conftest import build_site_tree

    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    build_site_tree()
    ensure_all_roles()
    department = DepartmentFactory(code="mzj", name="乌鲁木齐市民政局", short_name="市民政局")
    department.refresh_from_db()
    page = ConsultationPageFactory(parent=department.policy_index, slug="yanglao-tiaoli")
    page.save_revision().publish()
    page = ConsultationPage.objects.get(pk=page.pk)
    if preload:
        sys.stderr.write(f"[bench] 预置 preloading {preload:,} opinions …\n")
        call_command("generate_opinions", "--consultation", str(page.pk), "--opinions", str(preload),
                     "--participants", str(max(1, preload * 10246 // 75899)), stdout=io.StringIO())
    from django.db import connection

    from benchmarks.bare_insert import create_table

    create_table(connection)
    return page


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master (started here, stopped here by its pid)."""

    def __init__(self, name, app, settings_module, env, args, log_dir):
        self.name, self.port = name, free_port()
        self.log = open(log_dir / f"{name}.log", "w")  # noqa: SIM115 — closed in stop()
        command = [str(GUNICORN), app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(args.workers),
                   "--worker-class", args.worker_class, "--threads", str(args.threads), "--timeout", "60",
                   "--graceful-timeout", "10", "--keep-alive", "5", "--backlog", "2048", "--log-level", "warning",
                   "--chdir", str(REPO)]
        self.process = subprocess.Popen(command, env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
                                        stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO)

    def wait_ready(self, path):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn exited ({self.process.returncode}); see {self.log.name}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"{self.name}: not ready after 60 s; see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


# --- clients ---------------------------------------------------------------------------------------------


class KeepAlive:
    """A keep-alive HTTP/1.1 connection with its own cookies; reconnects when the server closes it."""

    def __init__(self, port):
        self.port, self.connection, self.cookies = port, None, {}

    def request(self, method, path, fields=None):
        body = urlencode(fields) if fields is not None else None
        headers = {"Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            fresh = self.connection is None
            if fresh:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if fresh or attempt:  # only a stale keep-alive connection is retried (nothing was sent)
                    raise
                continue
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            if response.will_close:
                self.close()
            return response.status, data
        raise RuntimeError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def form_value(html, name):
    match = re.search(rf'name="{name}" value="([^"]*)"'.encode(), html)
    if not match:
        raise RuntimeError(f"{name} missing from the page")
    return match.group(1).decode()


class Target:
    def __init__(self, key, label, port, path, kind):
        self.key, self.label, self.port, self.path, self.kind = key, label, port, path, kind
        self.latencies, self.rounds, self.errors = [], [], []
        self.accepted = {}  # token → receipt (site) or "" (bare)

    def prepare(self, client):
        """Per client, once: the CSRF cookie and token from the page (site targets)."""
        if self.kind == "bare":
            return {}
        status, html = client.request("GET", self.path)
        if status != 200:
            raise RuntimeError(f"GET {self.path}: HTTP {status}")
        return {"csrfmiddlewaretoken": form_value(html, "csrfmiddlewaretoken")}

    def one(self, client, common_fields, n):
        """One timed request (page+submit: the pair). Returns (ok, token, receipt, status)."""
        if self.kind == "bare":
            token = uuid.uuid4().hex
            status, body = client.request("POST", self.path, {"token": token, "text": TEXT})
            return status == 200 and body.startswith(b"ok"), token, "", status
        fields = {"category": "养老服务", "clause": str(n % 3 + 1), "text": f"{TEXT}（{n}）", "name": "张三丰",
                  "phone": "13912345678", "email": "zhang@example.org", "consent": "on", "website": "",
                  **common_fields}
        if self.kind == "cycle":
            status, html = client.request("GET", self.path)
            if status != 200:
                return False, "", "", status
            fields["token"] = form_value(html, "token")
            fields["csrfmiddlewaretoken"] = form_value(html, "csrfmiddlewaretoken")
        else:
            fields["token"] = uuid.uuid4().hex
        status, body = client.request("POST", self.path, fields)
        receipt = RECEIPT.search(body) if status == 200 else None
        return bool(receipt), fields["token"], receipt.group(0).decode() if receipt else "", status


def run_round(target, clients, requests, warmup):
    """`clients` threads, `requests` timed requests in all (after `warmup` untimed ones each)."""
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    barrier = threading.Barrier(clients + 1)
    lock = threading.Lock()
    latencies, accepted, errors = [], {}, []

    def worker(index):
        client = KeepAlive(target.port)
        try:
            fields = target.prepare(client)
            for n in range(warmup):
                ok, token, receipt, status = target.one(client, fields, -n - 1)
                if ok:
                    with lock:
                        accepted[token] = receipt
            barrier.wait(timeout=TIMEOUT)
            for n in range(per_client[index]):
                started = time.perf_counter()
                ok, token, receipt, status = target.one(client, fields, index * 100_000 + n)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if ok:
                        accepted[token] = receipt
                    else:
                        errors.append(status)
        except Exception as exc:  # counted, reported, never hidden
            with lock:
                errors.append(repr(exc))
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.abort()
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=10 * TIMEOUT)
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=30 * TIMEOUT)
    elapsed = time.perf_counter() - started
    if any(t.is_alive() for t in threads):
        raise SystemExit(f"{target.key}: clients did not finish in time")
    target.latencies += latencies
    target.accepted.update(accepted)
    target.errors += errors
    throughput = len(latencies) / elapsed if elapsed else 0.0
    target.rounds.append({"requests": len(latencies), "seconds": elapsed, "per_second": throughput,
                          "errors": len(errors)})
    return throughput


def percentile(values, fraction):
    """Nearest rank (as page_render.py): the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def summary(target):
    lat = [v * 1000 for v in target.latencies]
    return {"label": target.label, "per_second": statistics.median(r["per_second"] for r in target.rounds),
            "rounds": target.rounds, "requests": len(lat), "errors": len(target.errors),
            "error_samples": [str(e) for e in target.errors[:10]],
            "p50_ms": percentile(lat, 0.50), "p95_ms": percentile(lat, 0.95), "p99_ms": percentile(lat, 0.99),
            "mean_ms": statistics.fmean(lat), "accepted": len(target.accepted)}


# --- verification ------------------------------------------------------------------------------------------


def verify(page, site_targets, bare_target, preloaded):
    from django.db import connection
    from django.db.models import Count

    from benchmarks.bare_insert import TABLE
    from consultations.models import Opinion

    connection.close()
    shown = {}
    for target in site_targets:
        shown.update(target.accepted)
    opinions = Opinion.objects.filter(consultation=page).order_by()
    stored = dict(opinions.values_list("idempotency_key", "receipt_number"))
    total = len(stored)
    duplicate_keys = opinions.values("idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).count()
    duplicate_receipts = opinions.values("receipt_number").annotate(n=Count("pk")).filter(n__gt=1).count()
    missing = [t for t in shown if t not in stored]
    mismatched = [t for t, r in shown.items() if t in stored and stored[t] != r]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT token) FROM {TABLE}")
        bare_rows, bare_tokens = cursor.fetchone()
    checks = {
        "opinions_stored": total - preloaded,
        "receipts_shown": len(shown),
        "every_shown_receipt_stored": not missing and not mismatched,
        "stored_equals_shown": total - preloaded == len(shown),
        "no_token_twice": duplicate_keys == 0,
        "receipts_unique": duplicate_receipts == 0,
        "bare_rows": bare_rows,
        "bare_accepted": len(bare_target.accepted),
        "bare_rows_equal_accepted": bare_rows == bare_tokens == len(bare_target.accepted),
    }
    checks["ok"] = all(checks[k] for k in ("every_shown_receipt_stored", "stored_equals_shown", "no_token_twice",
                                           "receipts_unique", "bare_rows_equal_accepted"))
    return checks


# --- report ---------------------------------------------------------------------------------------------------


def print_report(result):
    print()
    cfg = result["config"]
    print(f"意见提交吞吐量 · Submission throughput — {result['database']['label']} · gunicorn {cfg['workers']} "
          f"worker(s) × {cfg['worker_class']}/{cfg['threads']} thread(s) · {cfg['clients']} clients · "
          f"{cfg['requests']} requests × {cfg['rounds']} rounds per target")
    print(f"Python {result['environment']['python']} · Django {result['environment']['django']} · "
          f"{result['environment']['machine']} · load {' '.join(f'{x:.1f}' for x in result['environment']['loadavg_at_start'])}"
          f" → {' '.join(f'{x:.1f}' for x in result['loadavg_at_end'])} · git {result['git']['commit'][:10]}"
          f"{' (dirty)' if result['git']['dirty'] else ''} · preloaded {cfg['preload']:,} opinions")
    print()
    rows = []
    for t in result["targets"].values():
        per_round = " / ".join(f"{r['per_second']:.0f}" for r in t["rounds"])
        rows.append([t["label"], f"{t['per_second']:.1f}", per_round, f"{t['p50_ms']:.1f}", f"{t['p95_ms']:.1f}",
                     f"{t['p99_ms']:.1f}", f"{t['requests']:,}", str(t["errors"])])
    print(common.table(["目标 target", "请求/秒 req/s", "各轮 rounds", "p50 ms", "p95 ms", "p99 ms", "请求 requests",
                        "错误 errors"], rows))
    print()
    print(f"比值 ratio: 裸插入 / 提交 bare insert ÷ submit = {result['ratio']:.2f}×  "
          f"(提交达到栈极限的 {100 / result['ratio']:.0f}% · the submission runs at {100 / result['ratio']:.0f}% "
          f"of the stack's own limit); 裸插入 / 页面+提交 bare ÷ page+submit = {result['ratio_cycle']:.2f}×")
    v = result["verification"]
    print(f"核对 verification: {v['opinions_stored']:,} opinions stored, {v['receipts_shown']:,} receipts shown, "
          f"every shown receipt stored for its token: {v['every_shown_receipt_stored']}, no token twice: "
          f"{v['no_token_twice']}, receipts unique: {v['receipts_unique']}; bare rows {v['bare_rows']:,} = accepted "
          f"{v['bare_accepted']:,}: {v['bare_rows_equal_accepted']} → {'OK' if v['ok'] else 'FAILED'}")


def compare_with_baseline(result, path):
    baseline = json.loads(Path(path).read_text(encoding="utf-8"))
    print()
    print(f"与基线对比 · compared with baseline {path} ({baseline['timestamp']}, {baseline['database']['label']})")
    rows = []
    for key, now in result["targets"].items():
        before = baseline["targets"].get(key)
        if before:
            rows.append([now["label"], f"{before['per_second']:.1f}", f"{now['per_second']:.1f}",
                         f"{(now['per_second'] - before['per_second']) / before['per_second'] * 100:+.1f} %",
                         f"{before['p95_ms']:.1f} → {now['p95_ms']:.1f}"])
    rows.append(["比值 ratio bare ÷ submit", f"{baseline['ratio']:.2f}×", f"{result['ratio']:.2f}×", "", ""])
    print(common.table(["目标 target", "基线 req/s", "本次 req/s", "变化 change", "p95 ms"], rows))


# --- main ---------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="",
                        help="default: SQLite in a temporary directory; postgres://…/NAME is created and dropped")
    parser.add_argument("--replace-db", action="store_true")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--clients", type=int, default=16, help="parallel clients (threads), default 16")
    parser.add_argument("--requests", type=int, default=600, help="timed requests per target and round (default 600)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, targets alternating (default 5)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per client before each round")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--preload", type=int, default=0, help="opinions generated into the consultation first")
    parser.add_argument("--baseline", metavar="FILE")
    parser.add_argument("--output", metavar="FILE")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if min(args.clients, args.requests, args.rounds, args.workers, args.threads) < 1 or args.warmup < 0:
        parser.error("--clients, --requests, --rounds, --workers, --threads ≥ 1; --warmup ≥ 0")
    if args.requests > 200_000:
        parser.error("--requests ≤ 200000 (bounded runs)")
    if not GUNICORN.exists():
        parser.error(f"{GUNICORN} not found")
    return args


def run(args, tmp):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    postgres = common.is_postgres(database_url)
    if postgres:
        common.create_postgres_database(database_url, args.replace_db)
    elif args.database_url:
        common.check_sqlite_url(database_url)
    var_dir = Path(tmp) / "var"
    servers = []
    try:
        common.setup_django(database_url, var_dir)
        db = common.database_description()
        sys.stderr.write(f"[bench] {db['label']}: migrate, site, consultation …\n")
        page = build_site(args.preload)
        path = urlsplit(page.url).path
        from django.db import connections

        connections.close_all()  # the servers write; this process only reads at the end
        env = {**os.environ, "DATABASE_URL": database_url, "VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING",
               "PYTHONPATH": str(REPO)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        site = Server("site", "cms.wsgi:application", "benchmarks.bare_insert.site_settings", env, args, Path(tmp))
        servers.append(site)
        bare = Server("bare", "benchmarks.bare_insert.wsgi:application", "benchmarks.bare_insert.settings", env,
                      args, Path(tmp))
        servers.append(bare)
        site.wait_ready(path)
        bare.wait_ready("/health/")
        sys.stderr.write(f"[bench] servers ready: site :{site.port}, bare :{bare.port}\n")

        targets = [Target("submit", "提交 submit (POST)", site.port, path, "submit"),
                   Target("cycle", "页面+提交 page+submit (GET+POST)", site.port, path, "cycle"),
                   Target("bare", "裸插入 bare insert (POST)", bare.port, "/insert/", "bare")]
        load_start = list(os.getloadavg())
        for r in range(args.rounds):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for target in order:
                # page+submit costs two requests: half as many pairs keep the rounds comparable in time
                requests = args.requests // 2 if target.kind == "cycle" else args.requests
                rate = run_round(target, args.clients, max(requests, args.clients), args.warmup)
                sys.stderr.write(f"[bench] round {r + 1}/{args.rounds} {target.key}: {rate:.1f} req/s, "
                                 f"errors {len(target.errors)}\n")
        load_end = list(os.getloadavg())
        for server in servers:
            server.stop()
        servers.clear()

        result = {
            "benchmark": "submission_throughput", "format": 1,
            "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "git": common.git_state(), "environment": {**common.environment(), "loadavg_at_start": load_start},
            "loadavg_at_end": load_end, "database": db,
            "config": {"clients": args.clients, "requests": args.requests, "rounds": args.rounds,
                       "warmup": args.warmup, "workers": args.workers, "worker_class": args.worker_class,
                       "threads": args.threads, "preload": args.preload},
            "targets": {t.key: summary(t) for t in targets},
        }
        result["ratio"] = result["targets"]["bare"]["per_second"] / result["targets"]["submit"]["per_second"]
        result["ratio_cycle"] = result["targets"]["bare"]["per_second"] / result["targets"]["cycle"]["per_second"]
        result["verification"] = verify(page, targets[:2], targets[2], args.preload)
        print_report(result)
        if args.baseline:
            compare_with_baseline(result, args.baseline)
        if not args.no_save:
            out = Path(args.output) if args.output else RESULTS_DIR / f"submission_throughput-{db['vendor']}-{stamp}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            shown = out.resolve().relative_to(REPO) if out.resolve().is_relative_to(REPO) else out
            print(f"\n结果已保存 results saved: {shown}")
        return result
    finally:
        for server in servers:
            server.stop()
        if postgres:
            from django.db import connections

            with contextlib.suppress(Exception):
                connections.close_all()
            if not args.keep_db:
                common.drop_postgres_database(database_url)


def main(argv=None):
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as tmp:
        result = run(args, tmp)
    return 0 if result["verification"]["ok"] and not any(t["errors"] for t in result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
