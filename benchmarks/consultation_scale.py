#!/usr/bin/env python
"""意见征集规模基准 · Consultation scale benchmark: the seed's real volume in one consultation.

Goal (from the issue "Scale and durability"): one consultation with 75,899 opinions from 10,246
participants works smoothly: the admin opinion list and its filters, the statistics, the public
results page and the export stay fast at that size. Run from the repository root:

    .venv/bin/python benchmarks/consultation_scale.py                      # SQLite in a temporary directory
    .venv/bin/python benchmarks/consultation_scale.py --database-url postgres://postgres@127.0.0.1:5432/bench_consult
    .venv/bin/python benchmarks/consultation_scale.py --baseline benchmarks/results/consultation_scale-<stamp>.json
    .venv/bin/python benchmarks/consultation_scale.py --opinions 5000 --participants 700 --runs 3   # a quick look

Steps: a throwaway database (SQLite file in a temporary directory, or a PostgreSQL database created
for the run and dropped afterwards), migrate, the site tree, roles and a department, then an answered
consultation shaped like the seed (2021 民生实事 征集: 16 categories, three sections, a short
questionnaire, 14 days, results published). ``manage.py generate_opinions`` fills it (timed). Then,
interleaved round-robin, median of --runs:

* statistics     — consultations.results.consultation_statistics() (the figures and SVG charts)
* results page   — the public page with statistics and page 1 of the replies (Django test Client)
* results, last  — the last page of the public replies (deep OFFSET)
* admin list     — /admin/consultations/<id>/opinions/ as a superuser: unfiltered, by category, by
                   decision, search q=养老, grouped (group=1), and the last page
* export CSV/XLSX — /admin/consultations/<id>/opinions/export/?format=…, the streaming response consumed
                   to the last byte. Peak memory is measured in a fresh child process (so the high-water
                   mark is the export's own): tracemalloc peak of Python allocations, and the growth of
                   ru_maxrss (resident set) during the export.

Admin rows whose URL does not exist yet (404 / no such URL name) are reported as "not available"
instead of failing. Results go to benchmarks/results/consultation_scale-<stamp>.json (git-ignored).
"""
import argparse
import contextlib
import datetime
import gc
import io
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks" / "results"
FORMAT_VERSION = 1
SEED_OPINIONS, SEED_PARTICIPANTS = 75_899, 10_246
SLUG = "2021-minsheng-shishi-scale"
SECTIONS = [
    ("就业和社会保障", "围绕稳就业、保民生，拟实施一批就业培训和社会保障项目。"),
    ("教育和养老", "拟新建、改扩建一批中小学、幼儿园和社区养老服务设施。"),
    ("交通和城市管理", "拟实施一批道路微循环改造、公交线网优化和老旧小区改造项目。"),
]
QUESTIONNAIRE = [
    ("choice", {"question": "您最希望明年优先办好哪些方面的实事？", "required": False, "multiple": True,
                "options": "养老服务\n教育\n城市交通\n卫生健康\n就业创业\n便民服务"}),
    ("rating", {"question": "您对今年民生实事项目完成情况的总体评价", "required": False,
                "low_label": "很不满意", "high_label": "非常满意"}),
]


# --- database ------------------------------------------------------------------------------------------


def is_postgres(url):
    return urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}


def postgres_admin(url):
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("--database-url 需要包含数据库名 / needs a database name, e.g. …/bench_consult")
    return urlunsplit(parts._replace(path="/postgres")), name


def create_postgres_database(url, replace):
    import psycopg
    from psycopg import sql

    admin_url, name = postgres_admin(url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not replace:
            raise SystemExit(f"数据库 {name} 已存在 / database {name} already exists: pass --replace-db to drop and "
                             "recreate it, or choose another name.")
        if exists:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(sql.Identifier(name)))


def drop_postgres_database(url):
    import psycopg
    from psycopg import sql

    admin_url, name = postgres_admin(url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def check_sqlite_url(url):
    path = urlsplit(url).path
    path = path[1:] if path.startswith("//") else path
    if path in {"", "/:memory:", ":memory:"}:
        raise SystemExit("请给出 SQLite 文件路径 / give a SQLite file path (in-memory databases are not supported)")
    if Path(path).exists():
        raise SystemExit(f"{path} 已存在：基准测试只使用临时数据库 / already exists; the benchmark only uses a "
                         "throwaway database (omit --database-url to get one in a temporary directory).")


def setup_django(database_url, var_dir):
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["LOG_LEVEL"] = "WARNING"
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    return settings


def database_description():
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "postgresql":
        version = connection.pg_version
        version = f"{version // 10000}.{version % 10000}"
        return {"vendor": "postgresql", "label": f"PostgreSQL {version}", "version": version}
    import sqlite3

    return {"vendor": connection.vendor, "label": f"SQLite {sqlite3.sqlite_version}", "version": sqlite3.sqlite_version}


# --- content -------------------------------------------------------------------------------------------


def build_content():
    """Site tree, roles, a department, the answered consultation (no opinions yet), a superuser."""
    from django.core.management import call_command
    from django.utils import timezone
    from wagtail.rich_text import RichText

    from cms.factories import DepartmentFactory, UserFactory
    from cms.roles import ensure_all_roles
    from consultations.factories import ConsultationPageFactory
    from consultations.models import ConsultationPage
    from tests.conftest import build_site_tree

    call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    build_site_tree()
    ensure_all_roles()
    department = DepartmentFactory(code="bgt", name="乌鲁木齐市人民政府办公厅", short_name="市政府办公厅")
    department.refresh_from_db()
    admin = UserFactory(username="bench_admin", is_superuser=True, is_staff=True)
    # Local midnight 40 days ago: the same window shape on every run, so the same --seed gives the same data
    # set (the generator's times depend on the hour of day) and runs compare with --baseline.
    start = timezone.localtime(timezone.now() - datetime.timedelta(days=40)).replace(hour=0, minute=0, second=0,
                                                                                      microsecond=0)
    page = ConsultationPageFactory(
        parent=department.policy_index, slug=SLUG, title="乌鲁木齐市2021年重点民生实事项目意见建议公开征集（规模测试）",
        summary="面向全市居民征集 2021 年重点民生实事项目建议，覆盖就业、教育、养老、交通等 16 个方面。",
        topics="民生实事,养老服务,义务教育,城市交通",
        draft=[("clause", {"number": str(i), "heading": heading, "text": RichText(f"<p>{text}</p>")})
               for i, (heading, text) in enumerate(SECTIONS, start=1)],
        questionnaire=QUESTIONNAIRE, start_at=start, end_at=start + datetime.timedelta(days=14),
        results_summary="<p>本次征集收到的意见建议已逐条研究，采纳情况见下。</p>",
    )
    page.save_revision(user=admin).publish(user=admin)
    ConsultationPage.objects.filter(pk=page.pk).update(results_published_at=page.end_at + datetime.timedelta(days=20))
    return ConsultationPage.objects.get(pk=page.pk), admin


def generate(page, opinions, participants, seed):
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("generate_opinions", "--consultation", str(page.pk), "--opinions", str(opinions),
                 "--participants", str(participants), "--seed", str(seed), stdout=out)
    seconds = time.perf_counter() - started
    sys.stderr.write(out.getvalue())
    return seconds, out.getvalue().strip()


def dataset_figures(page):
    from django.db.models import Count, Q, Value
    from django.db.models.functions import Coalesce, NullIf

    from consultations.models import Opinion, QuestionAnswer

    opinions = Opinion.objects.filter(consultation=page)
    figures = opinions.aggregate(
        opinions=Count("pk"), decided=Count("pk", filter=~Q(decision="")),
        participants=Count(Coalesce(NullIf("email", Value("")), NullIf("phone", Value("")), "client_hash"),
                           distinct=True),
        in_groups=Count("pk", filter=Q(duplicate_group__isnull=False)),
        groups=Count("duplicate_group", distinct=True),
        visible=Count("pk", filter=~Q(moderation_status__in=["hidden", "spam"])),
    )
    figures["in_groups"] += figures["groups"]  # the first opinion of each group belongs to it too
    figures["answers"] = QuestionAnswer.objects.filter(consultation=page).count()
    return figures


# --- targets -------------------------------------------------------------------------------------------


class Target:
    def __init__(self, key, label, call, url="", expect=()):
        self.key, self.label, self.call, self.url, self.expect = key, label, call, url, expect
        self.available, self.note, self.bytes = True, "", 0

    def check(self):
        response = self.call()
        status = getattr(response, "status_code", 200)
        if status == 404:
            self.available, self.note = False, "not available (404)"
            return
        body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else \
            getattr(response, "content", b"")
        text = body.decode(errors="replace")
        missing = [e for e in self.expect if e not in text]
        if status != 200 or missing:
            raise SystemExit(f"{self.key}: HTTP {status}; 缺少 / missing: {missing}")
        self.bytes = len(body)


def admin_url(name, page):
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(f"consultations_admin:{name}", args=[page.pk])
    except NoReverseMatch:
        suffix = {"opinions": "opinions/", "export": "opinions/export/"}[name]
        return f"/admin/consultations/{page.pk}/{suffix}"


def make_targets(page, admin, last_reply_page, last_admin_page):
    from django.test import Client

    from consultations.results import consultation_statistics

    public = Client(raise_request_exception=True)
    staff = Client(raise_request_exception=True)
    staff.force_login(admin)
    url = page.url
    opinions = admin_url("opinions", page)

    def statistics_call():
        consultation_statistics(page)
        return None

    def get(client, path, **params):
        return lambda: client.get(path, params)

    return [
        Target("statistics", "统计 consultation_statistics()", statistics_call, "(function)"),
        Target("results_page", "公开结果页 results page", get(public, url), url, ["意见采纳情况", "采纳"]),
        Target("results_last", "公开结果页·最后一页 last page of replies", get(public, url, page=last_reply_page),
               f"{url}?page={last_reply_page}", ["意见采纳情况"]),
        Target("admin_list", "后台列表 admin list", get(staff, opinions), opinions, ["意见处理"]),
        Target("admin_category", "后台·按类别 category=养老服务", get(staff, opinions, category="养老服务"),
               f"{opinions}?category=养老服务", ["意见处理"]),
        Target("admin_decision", "后台·按处理结果 decision=not_adopted", get(staff, opinions, decision="not_adopted"),
               f"{opinions}?decision=not_adopted", ["意见处理"]),
        Target("admin_search", "后台·搜索 q=养老", get(staff, opinions, q="养老"), f"{opinions}?q=养老", ["意见处理"]),
        Target("admin_grouped", "后台·相同意见分组 group=1", get(staff, opinions, group="1"), f"{opinions}?group=1",
               ["意见处理"]),
        Target("admin_last", "后台·最后一页 last page", get(staff, opinions, page=last_admin_page),
               f"{opinions}?page={last_admin_page}", ["意见处理"]),
    ]


def count_queries(target):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        target.call()
    return len(captured.captured_queries)


def measure(targets, runs, warmup):
    """Round-robin rounds, each starting with a different target: machine noise hits all alike."""
    live = [t for t in targets if t.available]
    samples = {t.key: [] for t in live}
    rounds = warmup + runs
    for i in range(rounds):
        shift = i % len(live)
        for target in live[shift:] + live[:shift]:
            started = time.perf_counter()
            target.call()
            elapsed = (time.perf_counter() - started) * 1000
            if i >= warmup:
                samples[target.key].append(elapsed)
        gc.collect()
        sys.stderr.write(f"[bench] 测量 measuring round {i + 1}/{rounds}{' (预热 warm-up)' if i < warmup else ''}\n")
    return samples


# --- export --------------------------------------------------------------------------------------------


def consume(response):
    """Read a (streaming) response to the end; returns (bytes, body if kept)."""
    size = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        size += len(chunk)
    return size


def export_once(client, url, file_format, keep=False):
    response = client.get(url, {"format": file_format})
    if response.status_code != 200:
        return response.status_code, 0, b""
    if keep:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        response.close()
        return 200, len(body), body
    size = consume(response)
    response.close()
    return 200, size, b""


def count_export_rows(file_format, body):
    if file_format == "csv":
        import csv

        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(body), read_only=True)
    sheet = workbook.worksheets[0]
    rows = sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    workbook.close()
    return rows


def proc_status_mb(key):
    """VmRSS (resident now) or VmHWM (resident high-water mark) of this process, in MB (Linux)."""
    with contextlib.suppress(OSError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return None


def reset_high_water_mark():
    """Linux ≥ 4.0: writing 5 to clear_refs resets VmHWM to the current RSS."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def memory_probe(args):
    """Child process: one export with a fresh high-water mark; prints JSON on stdout."""
    setup_django(args.database_url, Path(args.probe_var_dir))
    from django.contrib.auth import get_user_model
    from django.test import Client

    from consultations.models import ConsultationPage

    page = ConsultationPage.objects.get(slug=SLUG)
    client = Client(raise_request_exception=True)
    client.force_login(get_user_model().objects.get(username="bench_admin"))
    url = admin_url("export", page)
    # Warm up imports, templates and connections with a one-row export.
    first = page.opinions.order_by("pk").values_list("receipt_number", flat=True).first()
    client.get(url, {"format": args.probe, "q": first}).close()
    gc.collect()
    # 1. Resident memory, untraced run: ru_maxrss growth, and the peak above the RSS at the start
    #    (VmHWM reset first, so the peak is the export's own even below the process's old high-water mark).
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm_reset = reset_high_water_mark()
    rss_before = proc_status_mb("VmRSS")
    started = time.perf_counter()
    status, size, _ = export_once(client, url, args.probe)
    seconds = time.perf_counter() - started
    maxrss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hwm_after = proc_status_mb("VmHWM")
    # 2. Python allocations: tracemalloc peak over a second run (tracing slows it down several times).
    gc.collect()
    tracemalloc.start()
    traced_started = time.perf_counter()
    export_once(client, url, args.probe)
    traced_seconds = time.perf_counter() - traced_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({
        "status": status, "bytes": size, "seconds": seconds, "seconds_traced": traced_seconds,
        "tracemalloc_peak_mb": peak / 2**20, "maxrss_before_mb": maxrss_before, "maxrss_after_mb": maxrss_after,
        "maxrss_delta_mb": maxrss_after - maxrss_before, "rss_before_mb": rss_before,
        "rss_peak_delta_mb": (hwm_after - rss_before) if hwm_reset and hwm_after and rss_before else None}))


def measure_export(database_url, var_dir, client, url, file_format, runs, expected_rows):
    """Time (median of runs, no tracing) in this process; rows verified once; memory in a child process."""
    status, size, body = export_once(client, url, file_format, keep=True)
    if status == 404:
        return {"available": False, "note": "not available (404)"}
    if status != 200:
        raise SystemExit(f"export {file_format}: HTTP {status}")
    rows = count_export_rows(file_format, body)
    del body
    times = []
    for i in range(runs):
        gc.collect()
        started = time.perf_counter()
        export_once(client, url, file_format)
        times.append(time.perf_counter() - started)
        sys.stderr.write(f"[bench] 导出 export {file_format} {i + 1}/{runs}: {times[-1]:.2f} s\n")
    env = {**os.environ, "DATABASE_URL": database_url}
    probe = subprocess.run([sys.executable, __file__, "--probe", file_format, "--database-url", database_url,
                            "--probe-var-dir", str(var_dir)], capture_output=True, text=True, env=env, timeout=900)
    if probe.returncode != 0:
        raise SystemExit(f"memory probe failed:\n{probe.stderr[-3000:]}")
    memory = json.loads(probe.stdout.strip().splitlines()[-1])
    return {"available": True, "median_s": statistics.median(times), "min_s": min(times), "samples_s": times,
            "bytes": size, "rows": rows, "expected_rows": expected_rows, "rows_ok": rows == expected_rows,
            **{k: memory[k] for k in ("tracemalloc_peak_mb", "maxrss_delta_mb", "maxrss_before_mb", "maxrss_after_mb",
                                      "rss_before_mb", "rss_peak_delta_mb", "seconds_traced")}}


# --- output --------------------------------------------------------------------------------------------


def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def pad(text, size, right=False):
    gap = " " * max(0, size - width(text))
    return gap + str(text) if right else str(text) + gap


def table(header, rows, right_from=1):
    sizes = [max(width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        lines.append("  ".join(pad(cell, sizes[i], right=i >= right_from) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


def percentile(values, fraction):
    """Nearest rank (as page_render.py); with the default 7 runs, p95 is the slowest run."""
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(fraction * len(ordered)))) - 1]


def print_report(result):
    data = result["dataset"]
    print()
    print(f"意见征集规模基准 · Consultation scale benchmark — {result['database']['label']} · "
          f"中位数 median of {result['runs']} (round-robin, warm-up {result['warmup']})")
    print(f"Python {result['environment']['python']} · Django {result['environment']['django']} · "
          f"Wagtail {result['environment']['wagtail']} · {result['environment']['machine']} · "
          f"git {result['git']['commit'][:10]}{' (dirty)' if result['git']['dirty'] else ''}")
    print(f"数据 data: {data['opinions']:,} 条意见 opinions · {data['participants']:,} 名参与者 participants · "
          f"{data['decided']:,} 已答复 decided · {data['in_groups']:,} 条在 {data['groups']:,} 个相同意见组 in duplicate "
          f"groups · {data['answers']:,} 问卷回答 answers")
    print(f"生成 generate_opinions: {result['generate_seconds']:.1f} s "
          f"({data['opinions'] / result['generate_seconds']:,.0f} 条/秒 rows/s)")
    print()
    rows = []
    for t in result["targets"].values():
        if not t["available"]:
            rows.append([t["label"], "—", "—", "—", "—", "—", t["note"]])
            continue
        rows.append([t["label"], f"{t['median_ms']:.1f} ms", f"{t['p95_ms']:.1f} ms", f"{t['min_ms']:.1f} ms",
                     str(t["queries"]), f"{t['bytes']:,}" if t["bytes"] else "", t.get("note", "")])
    print(table(["目标 target", "中位数 median", "p95", "最小 min", "查询 queries", "字节 bytes", ""], rows))
    print()
    rows = []
    for fmt, e in result["exports"].items():
        if not e["available"]:
            rows.append([f"导出 export {fmt.upper()}", "—", "—", "—", "—", "—", e["note"]])
            continue
        peak = e.get("rss_peak_delta_mb")
        rows.append([f"导出 export {fmt.upper()}", f"{e['median_s']:.2f} s", f"{e['bytes'] / 2**20:.1f} MB",
                     f"{e['rows']:,}{'' if e['rows_ok'] else ' ≠ ' + format(e['expected_rows'], ',')}",
                     f"{e['tracemalloc_peak_mb']:.1f} MB",
                     f"{e['maxrss_delta_mb']:+.1f} MB ({e['maxrss_before_mb']:.0f}→{e['maxrss_after_mb']:.0f})",
                     f"{peak:+.1f} MB" if peak is not None else "—"])
    print(table(["导出 export", "中位数 median", "大小 size", "行 rows", "tracemalloc 峰值 peak",
                 "ru_maxrss 增量 delta", "RSS 峰值增量 peak over start"], rows))
    print("  行数 = 公开+待审+敏感待审意见 (不含不公开和垃圾信息) rows = opinions except hidden and spam, as the export "
          "filters by default.\n  内存在独立子进程中测量 memory measured in a fresh child process after a one-row warm-up "
          "export: ru_maxrss growth (0 = stayed below the process's earlier high-water mark), the RSS peak above the RSS "
          "at the start (VmHWM reset via /proc/self/clear_refs), and the tracemalloc peak (second, traced run).")


def compare_with_baseline(result, baseline_path):
    baseline = json.loads(Path(baseline_path).read_text(encoding="utf-8"))
    print()
    print(f"与基线对比 · compared with baseline {baseline_path}")
    print(f"  基线 baseline: {baseline['timestamp']} · {baseline['database']['label']} · git {baseline['git']['commit'][:10]}"
          f" · {baseline['dataset']['opinions']:,} opinions")
    print(f"  本次 this run: {result['timestamp']} · {result['database']['label']} · git {result['git']['commit'][:10]}"
          f" · {result['dataset']['opinions']:,} opinions")
    if baseline["database"]["vendor"] != result["database"]["vendor"]:
        print("  !! 数据库不同 / different database: compare runs on the same database")
    keys = ("opinions", "participants", "decided", "groups", "answers")
    if any(baseline["dataset"].get(k) != result["dataset"].get(k) for k in keys):
        print("  !! 数据不同 / different data set: " + ", ".join(
            f"{k} {baseline['dataset'].get(k)}→{result['dataset'].get(k)}" for k in keys
            if baseline["dataset"].get(k) != result["dataset"].get(k)))

    def change(before, now):
        return f"{(now - before) / before * 100:+.1f} %" if before else "—"

    rows = [["生成 generate_opinions", f"{baseline['generate_seconds']:.1f} s", f"{result['generate_seconds']:.1f} s",
             change(baseline["generate_seconds"], result["generate_seconds"]), ""]]
    for key, now in result["targets"].items():
        before = baseline["targets"].get(key)
        if not now["available"] or not before or not before.get("available"):
            rows.append([now["label"], f"{before['median_ms']:.1f} ms" if before and before.get("available") else "—",
                         f"{now['median_ms']:.1f} ms" if now["available"] else "—", "—", ""])
            continue
        rows.append([now["label"], f"{before['median_ms']:.1f} ms", f"{now['median_ms']:.1f} ms",
                     change(before["median_ms"], now["median_ms"]), f"{before['queries']} → {now['queries']}"])
    for fmt, now in result["exports"].items():
        before = baseline["exports"].get(fmt, {})
        if now.get("available") and before.get("available"):
            rows.append([f"导出 export {fmt.upper()}", f"{before['median_s']:.2f} s", f"{now['median_s']:.2f} s",
                         change(before["median_s"], now["median_s"]),
                         f"peak {before['tracemalloc_peak_mb']:.1f} → {now['tracemalloc_peak_mb']:.1f} MB"])
    print(table(["目标 target", "基线 baseline", "本次 now", "变化 change", "查询/内存 queries/memory"], rows))


def git_state():
    def run(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": run("rev-parse", "HEAD") or "unknown", "dirty": bool(run("status", "--porcelain"))}


def environment():
    import django
    import wagtail

    return {"python": platform.python_version(), "django": django.get_version(), "wagtail": wagtail.__version__,
            "machine": f"{platform.node()} {platform.machine()} ×{os.cpu_count()}", "platform": platform.platform(),
            "loadavg_at_start": list(os.getloadavg())}


# --- main ----------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--opinions", type=int, default=SEED_OPINIONS)
    parser.add_argument("--participants", type=int, default=SEED_PARTICIPANTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7, help="timed rounds per page target (default 7)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--export-runs", type=int, default=3, help="timed runs per export format (default 3)")
    parser.add_argument("--database-url", default="",
                        help="default: SQLite in a temporary directory. postgres://…/NAME creates NAME and drops it")
    parser.add_argument("--replace-db", action="store_true", help="PostgreSQL: drop NAME first if it exists")
    parser.add_argument("--keep-db", action="store_true", help="PostgreSQL: keep the database after the run")
    parser.add_argument("--baseline", metavar="FILE", help="a previous results JSON to compare with, side by side")
    parser.add_argument("--output", metavar="FILE")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--probe", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--probe-var-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.export_runs < 1 or args.warmup < 0:
        parser.error("--runs ≥ 1, --export-runs ≥ 1, --warmup ≥ 0")
    if args.baseline and not Path(args.baseline).is_file():
        parser.error(f"no such baseline file: {args.baseline}")
    return args


def run(args, tmp):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    postgres = is_postgres(database_url)
    if postgres:
        create_postgres_database(database_url, args.replace_db)
    elif args.database_url:
        check_sqlite_url(database_url)
    var_dir = Path(tmp) / "var"
    try:
        setup_django(database_url, var_dir)
        db = database_description()
        sys.stderr.write(f"[bench] {db['label']}: migrate, site tree, consultation …\n")
        page, admin = build_content()
        sys.stderr.write(f"[bench] generate_opinions {args.opinions:,} / {args.participants:,} …\n")
        generate_seconds, generate_output = generate(page, args.opinions, args.participants, args.seed)
        data = dataset_figures(page)

        from consultations.admin_views import PAGE_SIZE
        from consultations.models import ModerationStatus, Opinion

        replies = (Opinion.objects.filter(consultation=page, moderation_status=ModerationStatus.APPROVED)
                   .exclude(decision="").count())
        last_reply_page = max(1, -(-replies // 20))
        last_admin_page = max(1, -(-data["opinions"] // PAGE_SIZE))
        targets = make_targets(page, admin, last_reply_page, last_admin_page)
        for target in targets:
            target.check()
            if not target.available:
                sys.stderr.write(f"[bench] !! {target.label}: {target.note}\n")
        samples = measure(targets, args.runs, args.warmup)
        queries = {t.key: count_queries(t) for t in targets if t.available}

        from django.test import Client

        staff = Client(raise_request_exception=True)
        staff.force_login(admin)
        export_url = admin_url("export", page)
        exports = {fmt: measure_export(database_url, var_dir, staff, export_url, fmt, args.export_runs, data["visible"])
                   for fmt in ("csv", "xlsx")}

        result = {
            "benchmark": "consultation_scale", "format": FORMAT_VERSION,
            "timestamp": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "git": git_state(), "environment": environment(), "database": db,
            "runs": args.runs, "warmup": args.warmup, "export_runs": args.export_runs,
            "dataset": {**data, "seed": args.seed, "requested_opinions": args.opinions,
                        "requested_participants": args.participants, "replies_public": replies},
            "generate_seconds": generate_seconds, "generate_output": generate_output,
            "targets": {},
            "exports": exports,
        }
        for t in targets:
            entry = {"label": t.label, "url": t.url, "available": t.available, "note": t.note}
            if t.available:
                values = samples[t.key]
                entry.update(median_ms=statistics.median(values), p95_ms=percentile(values, 0.95), min_ms=min(values),
                             mean_ms=statistics.fmean(values), n=len(values), queries=queries[t.key], bytes=t.bytes,
                             samples_ms=[round(v, 3) for v in values])
            result["targets"][t.key] = entry

        print_report(result)
        if args.baseline:
            compare_with_baseline(result, args.baseline)
        if not args.no_save:
            path = Path(args.output) if args.output else RESULTS_DIR / f"consultation_scale-{db['vendor']}-{stamp}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            shown = path.resolve().relative_to(REPO) if path.resolve().is_relative_to(REPO) else path
            print(f"\n结果已保存 results saved: {shown}")
            print(f"下次对比 compare next time: .venv/bin/python benchmarks/consultation_scale.py --baseline {shown}")
        return result
    finally:
        if postgres:
            from django.db import connections

            with contextlib.suppress(Exception):
                connections.close_all()
            if not args.keep_db:
                drop_postgres_database(database_url)


def main(argv=None):
    args = parse_args(argv)
    if args.probe:
        memory_probe(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-consult-") as tmp:
        run(args, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
