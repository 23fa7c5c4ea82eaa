#!/usr/bin/env python
"""页面渲染基准 · Page-serving benchmark: the policy detail page against a bare Wagtail page.

Goal (from the issue): the policy detail page renders within 1.5× of a bare Wagtail page on the
same machine, in the same run, uncached. Run from the repository root:

    .venv/bin/python benchmarks/page_render.py                      # SQLite in a temporary directory
    .venv/bin/python benchmarks/page_render.py --database-url postgres://postgres@127.0.0.1:5432/bench_pages
    .venv/bin/python benchmarks/page_render.py --baseline benchmarks/results/page_render-<timestamp>.json
    .venv/bin/python benchmarks/page_render.py --profile            # + queries and cProfile of the policy page

What is measured (targets, requested round-robin so machine noise hits all of them alike):

* policy      — 政策文件详情页: a real policy (seed 000, 45 numbered clauses, sections, 10 topics) with two
                published interpretations, through Django's test Client: every middleware, Wagtail's
                routing and serve(), the page template and its StreamField blocks.
* bare        — 空白页面: a TopicIndexPage with no topics, through the same Client. It extends the same
                base.html (same site chrome); its only page logic is one empty queryset. This is the
                "bare Wagtail page" of the goal: wagtailcore.Page itself has no template, and the benchmark
                cannot add a page type without a migration.
* bare_deep   — the same bare page at the policy's URL depth (/kong-1/kong-2/kong-3/, tree depth 5, like
                /zhengce/bgt/<policy>/). Wagtail routes one tree level at a time, so a deeper URL costs more
                on its own; this line separates that from the policy page's own logic (for reference).
* django_view — a plain Django view rendering base.html, through the same Client and middleware but without
                Wagtail's routing (a URL pattern added in front of the project's URLs for this run only).
* floor       — 下限: django.shortcuts.render(base.html) on a RequestFactory request: no middleware, no
                routing; the cost of the site chrome template alone.

Nothing is cached between requests except what the project does in production anyway (Django's cached
template loader, Wagtail's site-root-paths cache); there is no page or response cache. DEBUG is False.
The benchmark exits 0 whatever the figures are, unless --check is given (then 1 when over the goal).
"""
import argparse
import contextlib
import datetime
import gc
import html
import io
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks" / "results"
GOAL_RATIO = 1.5
FORMAT_VERSION = 1

# Where the seed text is looked for, in order ($BENCH_SEED may name the file itself).
SEED_GLOB = "000_*.txt"
SEED_DIRS = [os.environ.get("DEMO_SEEDS_DIR", ""), str(REPO / "cms" / "demo" / "seeds"), "/work/shared/seeds"]
SEED_TITLE = "乌鲁木齐市2021年政务公开工作要点"
TOPICS = ["政务公开", "十四五规划", "疫情防控", "财政资金直达基层", "就业", "养老服务", "食品安全",
          "义务教育", "医疗卫生", "生态环境"]
INTERPRETATIONS = [
    {"slug": "yitu-dudong", "title": "一图读懂《乌鲁木齐市2021年政务公开工作要点》", "kind": "graphic",
     "stage": "first", "summary": "五个方面、45项任务：今年政府要主动公开哪些信息，群众在哪里查、怎么问。"},
    {"slug": "zhengce-wenda", "title": "《乌鲁木齐市2021年政务公开工作要点》政策问答", "kind": "qa",
     "stage": "follow_up", "summary": "依申请公开怎么办、多久答复、个人信息如何保护：群众最关心的八个问题。"},
]
BENCH_ID_NAMESPACE = uuid.UUID("0b5e0c1e-6a7d-4c55-9f1e-5be9c1a1e000")


# --- content -------------------------------------------------------------------------------------

_SECTION = re.compile(r"^[一二三四五六七八九十]+、")
_SUBSECTION = re.compile(r"^（[一二三四五六七八九十]+）")
_CLAUSE = re.compile(r"^(\d{1,3})[．.](?=\S)")


def find_seed():
    explicit = os.environ.get("BENCH_SEED")
    if explicit:
        return Path(explicit)
    for folder in SEED_DIRS:
        if folder:
            matches = sorted(Path(folder).glob(SEED_GLOB))
            if matches:
                return matches[0]
    return None


def parse_policy_text(raw, key="000"):
    """The seed as raw StreamField data: 一、… sections, （一）… sub-headings, N．… clauses, paragraphs.

    Deliberately self-contained (not cms/demo/seeds.py) so the content, and therefore the figures,
    stay the same from one run to the next whatever happens to the demo loader.
    """
    blocks, sections = [], 0

    def add(block_type, value):
        block_id = str(uuid.uuid5(BENCH_ID_NAMESPACE, f"{key}-{len(blocks)}"))
        blocks.append({"type": block_type, "value": value, "id": block_id})

    for line in raw.splitlines():
        text = line.replace("\u3000", " ").strip()
        if not text or text == SEED_TITLE:
            continue
        clause = _CLAUSE.match(text)
        if _SECTION.match(text) and len(text) <= 60 and not text.endswith("。"):
            sections += 1
            add("section", {"heading": text, "anchor": f"part-{sections}"})
        elif clause:
            add("clause", {"number": clause.group(1), "heading": "",
                           "text": f"<p>{html.escape(text[clause.end():].strip())}</p>"})
        elif _SUBSECTION.match(text) and len(text) <= 50 and "。" not in text:
            add("paragraph", f"<h3>{html.escape(text)}</h3>")
        else:
            add("paragraph", f"<p>{html.escape(text)}</p>")
    return blocks


def synthetic_policy_blocks():
    """Stand-in of the same shape when the seed text is missing (flagged in the results)."""
    sentence = ("各级行政机关要按照谁起草、谁解读的原则，在政策文件公布后及时发布解读材料，"
                "通过政府网站、政务新媒体和新闻发布会等渠道回应社会关切，")
    raw = []
    for part in range(1, 6):
        raw.append("一二三四五"[part - 1] + "、在推进重点领域信息公开方面")
        for item in range(1, 10):
            number = (part - 1) * 9 + item
            raw.append(f"{number}．" + sentence * 3 + "确保政策公开透明、落地见效。")
    return parse_policy_text("\n".join(raw), key="synthetic")


def describe_blocks(blocks):
    counts = {}
    for block in blocks:
        counts[block["type"]] = counts.get(block["type"], 0) + 1
    text_chars = sum(len(re.sub(r"<[^>]+>", "", json.dumps(b["value"], ensure_ascii=False))) for b in blocks)
    return {"blocks": len(blocks), "by_type": counts, "approx_chars": text_chars}


# --- database and Django ---------------------------------------------------------------------------


def is_postgres(url):
    return urlsplit(url).scheme in {"postgres", "postgresql", "pgsql"}


def postgres_admin(url):
    """(maintenance-database URL, name of the benchmark database)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise SystemExit("--database-url 需要包含数据库名 / needs a database name, e.g. …/bench_pages")
    return urlunsplit(parts._replace(path="/postgres")), name


def create_postgres_database(url, replace):
    import psycopg
    from psycopg import sql

    admin_url, name = postgres_admin(url)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not replace:
            raise SystemExit(f"数据库 {name} 已存在 / database {name} already exists: "
                             "pass --replace-db to drop and recreate it, or choose another name.")
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
    """Refuse a SQLite URL that points at an existing file: the benchmark only uses throwaway databases."""
    path = urlsplit(url).path
    path = path[1:] if path.startswith("//") else path  # sqlite:////abs/path → /abs/path
    if path in {"", "/:memory:", ":memory:"}:
        raise SystemExit("请给出 SQLite 文件路径 / give a SQLite file path (in-memory databases are not supported)")
    if Path(path).exists():
        raise SystemExit(f"{path} 已存在，基准测试只使用临时数据库 / already exists; the benchmark only uses a "
                         "throwaway database (omit --database-url to get one in a temporary directory).")


def setup_django(database_url, var_dir):
    os.environ["DJANGO_SETTINGS_MODULE"] = "cms.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ["VAR_DIR"] = str(var_dir)  # static/media roots of this run go to the temporary directory
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(REPO))

    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # cms.settings.test already says so; make sure nothing overrode it
    return settings


def migrate():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("migrate", interactive=False, verbosity=0, stdout=out, stderr=out)


def database_description():
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "postgresql":
        version = connection.pg_version
        version = f"{version // 10000}.{version % 10000}"
        return {"vendor": "postgresql", "label": f"PostgreSQL {version}", "version": version}
    if connection.vendor == "sqlite":
        import sqlite3

        return {"vendor": "sqlite", "label": f"SQLite {sqlite3.sqlite_version}", "version": sqlite3.sqlite_version}
    return {"vendor": connection.vendor, "label": connection.vendor, "version": ""}


def build_content(blocks):
    """Site tree, roles, a department, the policy with two live interpretations, and the bare page."""
    from cms.factories import DepartmentFactory, PolicyDocumentPageFactory, UserFactory
    from cms.models import PolicyDocumentPage, TopicIndexPage
    from cms.roles import ensure_all_roles
    from interpretations.factories import InterpretationPageFactory
    from tests.conftest import build_site_tree

    home, _policy_index = build_site_tree()
    ensure_all_roles()
    department = DepartmentFactory(code="bgt", name="乌鲁木齐市人民政府办公厅", short_name="市政府办公厅",
                                   phone="0991-4614321")
    department.refresh_from_db()
    admin = UserFactory(username="bench_admin", is_superuser=True, is_staff=True)

    policy = PolicyDocumentPageFactory(
        parent=department.policy_index, slug="wlmq-2021-zhengwu-gongkai-yaodian", title=SEED_TITLE,
        issuing_authority="乌鲁木齐市人民政府办公厅", category="work_points",
        written_date=datetime.date(2021, 7, 15), publish_date=datetime.date(2021, 7, 20),
        summary="乌鲁木齐市2021年政务公开工作安排，分五个方面列出45项任务：各类规划和财政信息公开、"
                "常态化疫情防控信息发布、重大政策解读和“一号答”政策咨询、规章集中公开并随立改废更新、"
                "依申请公开和年度报告等。",
        body=blocks,
    )
    for spec in INTERPRETATIONS:
        interpretation = InterpretationPageFactory(parent=policy, **spec)
        interpretation.save_revision(user=admin).publish(user=admin)
    policy = PolicyDocumentPage.objects.get(pk=policy.pk)
    policy.topics.add(*TOPICS)
    policy.save_revision(user=admin).publish(user=admin)
    policy = PolicyDocumentPage.objects.get(pk=policy.pk)

    bare = TopicIndexPage(title="专题", slug="zhuanti", intro="")
    home.add_child(instance=bare)
    bare.save_revision(user=admin).publish(user=admin)

    # The same bare page at the policy's URL depth (/kong-1/kong-2/kong-3/, depth 5 like
    # /zhengce/bgt/<policy>/): separates "deeper URL" from "page logic". Nesting topic indexes is
    # not allowed in the admin (parent_page_types, max_count); in this throwaway database it is a
    # measuring device whose routing is plain Wagtail, like the folders above a policy.
    parent = home
    for level in range(1, 4):
        page = TopicIndexPage(title="专题" if level == 3 else f"空白栏目{level}", slug=f"kong-{level}", intro="")
        parent.add_child(instance=page)
        page.save_revision(user=admin).publish(user=admin)
        parent = page
    return policy, TopicIndexPage.objects.get(pk=bare.pk), TopicIndexPage.objects.get(pk=parent.pk)


# --- targets ---------------------------------------------------------------------------------------


class Target:
    def __init__(self, key, label, call, url="", expect=()):
        self.key, self.label, self.call, self.url, self.expect = key, label, call, url, expect

    def check(self):
        """One request, which must succeed and contain what the page is about (never time a 404)."""
        response = self.call()
        body = response.content.decode()
        missing = [text for text in self.expect if text not in body]
        if response.status_code != 200 or missing:
            raise SystemExit(f"{self.key}: HTTP {response.status_code}; 缺少 / missing: {missing}")
        return len(response.content)


FLOOR_URL = "/__bench__/django-view/"


def install_django_view_url():
    """A throwaway URLconf: one plain Django view in front of the project's URLs (this process only)."""
    import types

    from django.conf import settings
    from django.shortcuts import render
    from django.urls import path

    import cms.urls

    def django_view(request):
        return render(request, "base.html", {})

    module = types.ModuleType("bench_page_render_urls")
    module.urlpatterns = [path(FLOOR_URL.strip("/") + "/", django_view), *cms.urls.urlpatterns]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__


def make_targets(policy, bare, bare_deep):
    from django.shortcuts import render
    from django.test import Client, RequestFactory

    client = Client(raise_request_exception=True)
    factory = RequestFactory()
    policy_url, bare_url, deep_url = policy.url, bare.url, bare_deep.url
    interp_titles = [spec["title"] for spec in INTERPRETATIONS]
    last_clause = max((b for b in policy.body.raw_data if b["type"] == "clause"),
                      key=lambda b: int(b["value"]["number"]), default=None)
    clause_anchor = [f'id="clause-{last_clause["value"]["number"]}"'] if last_clause else []

    def floor():
        return render(factory.get("/"), "base.html", {})

    return [
        Target("policy", "政策文件详情页 · policy detail page", lambda: client.get(policy_url), policy_url,
               [policy.title, *interp_titles, *clause_anchor, TOPICS[-1]]),
        Target("bare", "空白页面（同站点框架）· bare Wagtail page", lambda: client.get(bare_url), bare_url,
               ["暂无专题", bare.title]),
        Target("bare_deep", "空白页面·同深度 · bare page, policy's depth", lambda: client.get(deep_url), deep_url,
               ["暂无专题", "空白栏目2"]),
        Target("django_view", "Django 视图+中间件 · Django view, middleware", lambda: client.get(FLOOR_URL),
               FLOOR_URL, ["政策解读与公众参与平台"]),
        Target("floor", "下限：仅 render() · floor: render() only", floor, "(RequestFactory)",
               ["政策解读与公众参与平台"]),
    ]


# --- measuring ---------------------------------------------------------------------------------------


class Progress:
    """One line on stderr, rewritten in place on a terminal, every 10 % otherwise."""

    def __init__(self, total, label):
        self.total, self.label = total, label
        self.tty = sys.stderr.isatty()
        self.last_decile = -1
        self.started = time.monotonic()

    def update(self, done, note=""):
        if self.tty:
            if done == self.total or done % 5 == 0:
                sys.stderr.write(f"\r{self.label} {done}/{self.total} {note}\033[K")
                sys.stderr.flush()
        else:
            decile = done * 10 // self.total
            if decile != self.last_decile:
                self.last_decile = decile
                sys.stderr.write(f"{self.label} {done}/{self.total} {note}\n")
                sys.stderr.flush()

    def done(self):
        line = f"{self.label} 完成 / done in {time.monotonic() - self.started:.1f} s"
        sys.stderr.write("\r" + line + "\033[K\n" if self.tty else line + "\n")
        sys.stderr.flush()


def count_queries(target):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        target.call()
    return list(captured.captured_queries)


def measure(targets, iterations, warmup):
    """Round-robin: each round requests every target once, starting with a different one each round."""
    samples = {t.key: [] for t in targets}
    rounds = warmup + iterations
    progress = Progress(rounds, "[bench] 测量 / measuring rounds")
    gc.collect()
    clock = time.perf_counter_ns
    for i in range(rounds):
        shift = i % len(targets)
        for target in targets[shift:] + targets[:shift]:
            started = clock()
            target.call()
            elapsed = clock() - started
            if i >= warmup:
                samples[target.key].append(elapsed / 1e6)
        note = "(预热 / warm-up)" if i < warmup else ""
        if i >= warmup and samples["policy"]:
            note = f"policy ~{statistics.median(samples['policy']):.2f} ms"
        progress.update(i + 1, note)
    progress.done()
    return samples


def percentile(values, fraction):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(values):
    return {
        "median_ms": statistics.median(values),
        "p95_ms": percentile(values, 0.95),
        "mean_ms": statistics.fmean(values),
        "min_ms": min(values),
        "stdev_ms": statistics.stdev(values) if len(values) > 1 else 0.0,
        "n": len(values),
    }


def paired_ratio(samples, over, under):
    """Median of per-round ratios (same round ⇒ same machine state): a robustness check on the ratio."""
    return statistics.median(a / b for a, b in zip(samples[over], samples[under], strict=True))


# --- output ------------------------------------------------------------------------------------------


def width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def pad(text, size, right=False):
    text = str(text)
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def table(header, rows, right_from=1):
    sizes = [max(width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [pad(cell, sizes[i], right=i >= right_from) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * s for s in sizes))
    return "\n".join(lines)


def print_report(result):
    targets = result["targets"]
    bare_median = targets["bare"]["median_ms"]
    print()
    print(f"页面渲染基准 · Page render benchmark — {result['database']['label']} · "
          f"{result['iterations']} 次/目标 iterations per target (交错 round-robin, 预热 warm-up {result['warmup']})")
    print(f"Python {result['environment']['python']} · Django {result['environment']['django']} · "
          f"Wagtail {result['environment']['wagtail']} · {result['environment']['machine']} · "
          f"git {result['git']['commit'][:10]}{' (dirty)' if result['git']['dirty'] else ''} · "
          f"负载 load {result['environment']['loadavg_at_start'][0]:.2f}")
    print(f"内容 content: {result['content']['source']}, {result['content']['blocks']} 个块 blocks "
          f"{result['content']['by_type']}, {len(TOPICS)} 个主题 topics, {len(INTERPRETATIONS)} 篇解读 interpretations")
    print()
    header = ["目标 target", "中位数 median", "p95", "平均 mean", "查询 queries", "大小 bytes", "对空白页 vs bare"]
    rows = []
    for t in targets.values():
        rows.append([t["label"], f"{t['median_ms']:.2f} ms", f"{t['p95_ms']:.2f} ms", f"{t['mean_ms']:.2f} ms",
                     str(t["queries"]), f"{t['bytes']:,}", f"{t['median_ms'] / bare_median:.2f}×"])
    print(table(header, rows))
    print()
    verdict = "达标 PASS" if result["passed"] else "未达标 FAIL"
    print(f"目标 goal: 政策页 / 空白页 policy / bare ≤ {GOAL_RATIO}× (中位数 medians, 无缓存 uncached)")
    print(f"实测 measured: {result['ratio']:.2f}× (逐轮配对比值中位数 median of per-round ratios "
          f"{result['paired_ratio']:.2f}×) → {verdict}")
    if "ratio_p25" in result:
        gap = abs(result["ratio"] - result["ratio_p25"]) / result["ratio_p25"]
        print(f"稳健性 robustness: 快速四分位比值 ratio of the 25th percentiles {result['ratio_p25']:.2f}×, "
              f"最小值比值 of the minimums {result['ratio_min']:.2f}×"
              + (f"\n  !! 与中位数比值相差 {gap:.0%}：机器繁忙，结果不可靠，请在空闲时重测 / differs from the median "
                 "ratio by more than 10 %: the machine was too busy for this run to be trusted, run it again"
                 if gap > 0.10 else ""))
    print(f"参考 for reference: 政策页 / 同深度空白页 policy / bare page at the same URL depth = "
          f"{result['ratio_same_depth']:.2f}× (URL 深度本身 the depth alone: "
          f"{targets['bare_deep']['median_ms'] / bare_median:.2f}×)")


def compare_with_baseline(result, baseline_path):
    baseline = json.loads(Path(baseline_path).read_text(encoding="utf-8"))
    print()
    print(f"与基线对比 · compared with baseline {baseline_path}")
    for label, entry in (("基线 baseline", baseline), ("本次 this run", result)):
        print(f"  {label}: {entry['timestamp']} · {entry['database']['label']} · git {entry['git']['commit'][:10]} · "
              f"{entry['iterations']} iterations · 负载 load {entry['environment']['loadavg_at_start'][0]:.2f}")
    warnings = []
    if baseline["database"]["vendor"] != result["database"]["vendor"]:
        warnings.append("数据库不同 / different database: compare runs on the same database")
    if baseline["content"].get("fingerprint") != result["content"].get("fingerprint"):
        warnings.append("内容不同 / different content: the pages measured are not the same")
    if baseline["environment"].get("machine") != result["environment"].get("machine"):
        warnings.append("机器不同 / different machine: absolute times are not comparable, ratios are")
    for warning in warnings:
        print(f"  !! {warning}")
    header = ["目标 target", "基线 baseline", "本次 now", "变化 change", "查询 queries (基线→本次)"]
    rows = []
    for key, now in result["targets"].items():
        before = baseline["targets"].get(key)
        if before is None:
            rows.append([now["label"], "—", f"{now['median_ms']:.2f} ms", "—", f"— → {now['queries']}"])
            continue
        change = (now["median_ms"] - before["median_ms"]) / before["median_ms"] * 100
        rows.append([now["label"], f"{before['median_ms']:.2f} ms", f"{now['median_ms']:.2f} ms", f"{change:+.1f} %",
                     f"{before['queries']} → {now['queries']}"])
    ratio_change = (result["ratio"] - baseline["ratio"]) / baseline["ratio"] * 100
    rows.append(["比值 ratio policy / bare", f"{baseline['ratio']:.2f}×", f"{result['ratio']:.2f}×",
                 f"{ratio_change:+.1f} %", ""])
    print(table(header, rows))
    print("  中位数 medians; 变化 change = (本次 now − 基线 baseline) / 基线 baseline. Absolute medians move with the\n"
          "  machine's speed and load (compare the floor lines); the ratio row is the comparison that survives that.")


# --- profiling -----------------------------------------------------------------------------------------


class PhaseTimer:
    """Wall time per request spent in each phase of serving a page, measured by wrapping the functions
    that start them (outermost call only), plus the ORM time inside each: where the milliseconds go."""

    PHASES = [
        ("total", "整个请求 whole request"),
        ("route", "站点与路由 site + routing (Page.route_for_request)"),
        ("context", "get_context()"),
        ("render", "模板渲染 template render (TemplateResponse.render)"),
        ("body", "  其中正文块 of which StreamField blocks (include_block)"),
        ("other", "其余 rest: middleware, hooks, handler"),
    ]

    def __init__(self):
        self.active = {}
        self.current = {}
        self.orm_depth = 0
        self.orm_started = 0.0

    def _timed(self, phase, func):
        timer = self

        def wrapper(*args, **kwargs):
            if phase in timer.active:
                return func(*args, **kwargs)
            timer.active[phase] = (time.perf_counter(), timer.current["orm"], timer.current["queries"])
            try:
                return func(*args, **kwargs)
            finally:
                started, orm_before, queries_before = timer.active.pop(phase)
                timer.current[phase] += time.perf_counter() - started
                timer.current[f"{phase}_orm"] += timer.current["orm"] + timer._open_orm() - orm_before
                timer.current[f"{phase}_queries"] += timer.current["queries"] - queries_before

        return wrapper

    def _open_orm(self):
        return time.perf_counter() - self.orm_started if self.orm_depth else 0.0

    def _orm(self, func, counts_query=False):
        timer = self

        def wrapper(*args, **kwargs):
            if counts_query:
                timer.current["queries"] += 1
            timer.orm_depth += 1
            if timer.orm_depth == 1:
                timer.orm_started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                timer.orm_depth -= 1
                if timer.orm_depth == 0:
                    timer.current["orm"] += time.perf_counter() - timer.orm_started

        return wrapper

    @contextlib.contextmanager
    def installed(self, page_class):
        from django.db.models.query import QuerySet
        from django.db.models.sql.compiler import SQLCompiler
        from django.template.response import SimpleTemplateResponse
        from wagtail.blocks.base import BoundBlock
        from wagtail.blocks.stream_block import StreamValue
        from wagtail.models import Page

        patches = [
            (Page, "route_for_request", staticmethod(self._timed("route", Page.route_for_request))),
            (page_class, "get_context", self._timed("context", page_class.get_context)),
            (SimpleTemplateResponse, "render", self._timed("render", SimpleTemplateResponse.render)),
            # {% include_block block %} per block, or {% include_block page.body %} for the whole stream
            (BoundBlock, "render_as_block", self._timed("body", BoundBlock.render_as_block)),
            (StreamValue, "render_as_block", self._timed("body", StreamValue.render_as_block)),
            (QuerySet, "_fetch_all", self._orm(QuerySet._fetch_all)),
            (SQLCompiler, "execute_sql", self._orm(SQLCompiler.execute_sql, counts_query=True)),
        ]
        saved = [(owner, name, owner.__dict__.get(name)) for owner, name, _ in patches]
        try:
            for owner, name, replacement in patches:
                setattr(owner, name, replacement)
            yield self
        finally:
            for owner, name, original in saved:
                if original is None:
                    delattr(owner, name)
                else:
                    setattr(owner, name, original)

    def request(self, call):
        self.current = {key: 0.0 for key in ("orm", "queries")}
        for phase, _ in self.PHASES:
            for suffix in ("", "_orm", "_queries"):
                self.current[phase + suffix] = 0.0
        self.current["total"] = -1.0  # marker: filled in below
        started = time.perf_counter()
        call()
        self.current["total"] = time.perf_counter() - started
        self.current["total_orm"] = self.current["orm"]
        self.current["total_queries"] = self.current["queries"]
        for suffix in ("", "_orm", "_queries"):
            self.current["other" + suffix] = self.current["total" + suffix] - sum(
                self.current[phase + suffix] for phase in ("route", "context", "render"))
        return dict(self.current)


def phase_breakdown(target, page_class, runs):
    timer = PhaseTimer()
    with timer.installed(page_class):
        for _ in range(5):
            timer.request(target.call)
        measured = [timer.request(target.call) for _ in range(runs)]
    rows = []
    for phase, label in PhaseTimer.PHASES:
        median = statistics.median(m[phase] for m in measured) * 1000
        orm = statistics.median(m[f"{phase}_orm"] for m in measured) * 1000
        queries = statistics.median(m[f"{phase}_queries"] for m in measured)
        rows.append([label, f"{median:.2f} ms", f"{orm:.2f} ms", f"{queries:g}"])
    return rows


def profile_target(target, page_class, runs, out_dir, stamp):
    import cProfile
    import pstats

    print()
    print(f"== 剖析 profile: {target.label} ({target.url})")
    queries = count_queries(target)
    print(f"-- 查询 queries: {len(queries)} (相同语句合并 identical statements grouped)")
    seen = {}
    for q in queries:
        sql = re.sub(r"\s+", " ", q["sql"])
        sql = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", sql)
        seen.setdefault(sql, []).append(float(q["time"]))
    for n, (sql, times) in enumerate(seen.items(), 1):
        repeat = f" ×{len(times)}" if len(times) > 1 else ""
        print(f"  {n:>2}.{repeat} {sql[:200]}{'…' if len(sql) > 200 else ''}")

    print(f"-- 分阶段耗时 where the time goes ({runs} 次请求 requests, 每阶段中位数 median per phase; "
          "ORM = 查询构造+执行+建对象 query compile + execute + model instances):")
    rows = phase_breakdown(target, page_class, runs)
    print(table(["阶段 phase", "耗时 time", "其中 ORM", "查询 queries"], rows))

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        target.call()
    profiler.disable()
    out_dir.mkdir(parents=True, exist_ok=True)
    prof_path = out_dir / f"page_render-{stamp}-{target.key}.prof"
    profiler.dump_stats(prof_path)
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats("cumulative").print_stats(25)
    text = stream.getvalue()
    start = text.find("   ncalls")
    print(f"-- cProfile ({runs} 次请求 requests, 按累计时间 by cumulative time; 剖析本身使代码变慢 profiling slows code down):")
    print(text[start:].rstrip() if start >= 0 else text.rstrip())
    print(f"-- 完整剖析数据 full profile: {prof_path} (python -m pstats …; sort cumtime; stats 40)")


# --- main ------------------------------------------------------------------------------------------------


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

    return {
        "python": platform.python_version(), "django": django.get_version(), "wagtail": wagtail.__version__,
        "machine": f"{platform.node()} {platform.machine()} ×{os.cpu_count()}",
        "platform": platform.platform(), "loadavg_at_start": list(os.getloadavg()),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per target (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first (default 20)")
    parser.add_argument("--database-url", default="",
                        help="default: SQLite in a temporary directory. postgres://…/NAME creates NAME and drops it "
                             "afterwards; sqlite:///PATH must not exist yet")
    parser.add_argument("--replace-db", action="store_true", help="PostgreSQL: drop NAME first if it exists")
    parser.add_argument("--keep-db", action="store_true", help="PostgreSQL: keep the database after the run")
    parser.add_argument("--baseline", metavar="FILE", help="a previous results JSON to compare with, side by side")
    parser.add_argument("--output", metavar="FILE", help="where to write the JSON (default benchmarks/results/…)")
    parser.add_argument("--no-save", action="store_true", help="do not write a results file")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when policy / bare > {GOAL_RATIO}×")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, list the policy page's queries and cProfile it (and the bare page)")
    parser.add_argument("--profile-runs", type=int, default=50, help="requests under cProfile (default 50)")
    args = parser.parse_args(argv)
    if args.iterations < 2 or args.warmup < 0:
        parser.error("--iterations ≥ 2, --warmup ≥ 0")
    if args.baseline and not Path(args.baseline).is_file():
        parser.error(f"no such baseline file: {args.baseline}")
    return args


def run(args, tmp):
    started_at = datetime.datetime.now().astimezone()  # before Django sets TZ from TIME_ZONE
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    database_url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    postgres = is_postgres(database_url)
    if postgres:
        create_postgres_database(database_url, args.replace_db)
    elif args.database_url:
        check_sqlite_url(database_url)

    try:
        t0 = time.monotonic()
        setup_django(database_url, Path(tmp) / "var")
        db = database_description()
        sys.stderr.write(f"[bench] {db['label']}: migrate …\n")
        migrate()
        seed = find_seed()
        if seed is not None and seed.is_file():
            blocks, source = parse_policy_text(seed.read_text(encoding="utf-8")), f"seed {seed.name}"
        else:
            sys.stderr.write("[bench] !! 找不到种子文本 / seed text not found: using a synthetic body of the same shape\n")
            blocks, source = synthetic_policy_blocks(), "synthetic"
        sys.stderr.write("[bench] 建立内容 / building content …\n")
        policy, bare, bare_deep = build_content(blocks)
        install_django_view_url()
        targets = make_targets(policy, bare, bare_deep)
        sizes = {t.key: t.check() for t in targets}
        setup_seconds = time.monotonic() - t0

        samples = measure(targets, args.iterations, args.warmup)
        queries = {t.key: len(count_queries(t)) for t in targets}

        content = {"source": source, **describe_blocks(blocks)}
        content["fingerprint"] = uuid.uuid5(BENCH_ID_NAMESPACE, json.dumps(
            [blocks, TOPICS, INTERPRETATIONS], ensure_ascii=False, sort_keys=True)).hex[:12]
        result = {
            "benchmark": "page_render", "format": FORMAT_VERSION,
            "timestamp": started_at.isoformat(timespec="seconds"),
            "git": git_state(), "environment": environment(), "database": db,
            "iterations": args.iterations, "warmup": args.warmup, "setup_seconds": round(setup_seconds, 1),
            "content": content, "goal_ratio": GOAL_RATIO,
            "targets": {
                t.key: {"label": t.label, "url": t.url, **summarise(samples[t.key]), "queries": queries[t.key],
                        "bytes": sizes[t.key], "samples_ms": [round(v, 4) for v in samples[t.key]]}
                for t in targets
            },
        }
        result["ratio"] = result["targets"]["policy"]["median_ms"] / result["targets"]["bare"]["median_ms"]
        result["paired_ratio"] = paired_ratio(samples, "policy", "bare")
        # Robustness checks (not the goal): on a busy 2-CPU machine, time spent preempted (here and,
        # on PostgreSQL, in the server process, once per query) is added to requests at random; the
        # fast quartile and the minimum are the least affected. A large gap from the median ratio
        # means: run again on a quieter machine.
        result["ratio_p25"] = (percentile(samples["policy"], 0.25) / percentile(samples["bare"], 0.25))
        result["ratio_min"] = min(samples["policy"]) / min(samples["bare"])
        result["ratio_same_depth"] = result["targets"]["policy"]["median_ms"] / result["targets"]["bare_deep"]["median_ms"]
        result["passed"] = result["ratio"] <= GOAL_RATIO

        print_report(result)
        if args.baseline:
            compare_with_baseline(result, args.baseline)
        if not args.no_save:
            path = Path(args.output) if args.output else RESULTS_DIR / f"page_render-{stamp}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            shown = path.resolve().relative_to(REPO) if path.resolve().is_relative_to(REPO) else path
            print(f"\n结果已保存 results saved: {shown}")
            print(f"下次对比 compare next time: .venv/bin/python benchmarks/page_render.py --baseline {shown}")
        if args.profile:
            by_key = {t.key: t for t in targets}
            for key, page in (("policy", policy), ("bare", bare)):
                profile_target(by_key[key], type(page), args.profile_runs, RESULTS_DIR, stamp)
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
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        result = run(args, tmp)
    if args.check and not result["passed"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
