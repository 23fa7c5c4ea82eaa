"""每请求 CPU（进程内）· Django's own CPU per request for each action of the load test, without a server.

  .venv/bin/python benchmarks/request_cpu.py                   # every action, ~1 min
  .venv/bin/python benchmarks/request_cpu.py post --profile    # one action, with cProfile's top 40

Runs the requests through Django's test client in this process, with the production settings and
the load test's database, cache and index (run benchmarks/load_test.py once first: it creates
them), so the figure is what the application costs before any WSGI server adds its own
(benchmarks/server_overhead.py measures that part). Each request comes from an address of its own
(X-Forwarded-For, trusted as behind nginx) so the rate limits stay out of the way, and every
response is checked (200, and a receipt for an opinion). The opinion is posted form-encoded to the
form's action, as locust and a browser send it. Prints the median of 7 batches of --requests
requests of process CPU time (time.process_time), in ms, after the machine-speed figure
(benchmarks/load/speed.py): the figures move with it.
"""
import argparse
import itertools
import os
import re
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlencode

REPO = Path(__file__).resolve().parent.parent
LOAD_DIR = REPO / "var" / "load"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')
CATEGORY = re.compile(r'<select name="category"[^>]*>.*?<option value="([^"]+)"', re.S)
ACTION = re.compile(r'<form method="post" enctype="multipart/form-data" action="([^"#]+)')
QUERIES = ("社保怎么交", "医保报销比例", "失业金怎么领", "公积金提取", "稳岗补贴")
TEXT = "建议把减负稳岗补贴的申请材料再精简一些，小微企业没有专职会计，表格太多填不过来。"


def production_environment(db, redis_url):
    key_file = REPO / "var" / "prod-secret-key"
    if not key_file.exists() or not (LOAD_DIR / "search").exists():
        sys.exit("!! 先运行一次 benchmarks/load_test.py：它创建数据库、密钥与检索索引")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY=key_file.read_text().strip(),
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}", REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=f"zcjd-load-{db}", SEARCH_EMBEDDED_DIR=str(LOAD_DIR / "search"),
        MEDIA_ROOT=str(LOAD_DIR / "media"), PRIVATE_MEDIA_ROOT=str(LOAD_DIR / "private"),
        TRUST_X_FORWARDED_FOR="1", ALLOWED_HOSTS="127.0.0.1,localhost", SECURE_SSL_REDIRECT="0",
        INSECURE_LOCAL_HTTP="1", LOG_LEVEL="WARNING")


class Actions:
    """One callable per load-test action; each makes one checked request."""

    def __init__(self, client, operator, consultation, reads):
        # Residents and readers anonymous (the anonymous response cache serves them), the operator logged in.
        self.client, self.operator, self.consultation, self.reads = client, operator, consultation, reads
        self.addresses = (f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in itertools.count(1))
        self.queries = itertools.cycle(QUERIES)
        self.read_paths = itertools.cycle(reads)
        self.forms = []

    def _get(self, path, client=None):
        response = (client or self.client).get(path, HTTP_X_FORWARDED_FOR=next(self.addresses))
        assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
        return response

    def page(self):
        return self._get(self.consultation)

    def prepare_forms(self, count):
        """Forms to submit, each read from a page of its own (a token is good for one opinion)."""
        for _ in range(count):
            address = next(self.addresses)
            html = self.client.get(self.consultation, HTTP_X_FORWARDED_FOR=address).content.decode()
            self.forms.append((address, CSRF.search(html).group(1), FORM_TOKEN.search(html).group(1),
                               CATEGORY.search(html).group(1), ACTION.search(html).group(1)))

    def post(self):
        address, csrf, token, category, action = self.forms.pop()
        body = urlencode({"csrfmiddlewaretoken": csrf, "token": token, "category": category,
                          "text": TEXT + uuid.uuid4().hex[:6], "name": "测试居民", "consent": "on"})
        response = self.client.post(action, body, content_type="application/x-www-form-urlencoded",
                                    HTTP_X_FORWARDED_FOR=address, HTTP_REFERER="http://127.0.0.1" + self.consultation)
        assert response.status_code == 200 and b"YJ-" in response.content, f"意见未受理：HTTP {response.status_code}"
        return response

    def hotline(self):
        return self._get("/hotline/?q=" + quote(next(self.queries)), self.operator)

    def api(self):
        return self._get("/api/qa/search?q=" + quote(next(self.queries)))

    def read(self):
        return self._get(next(self.read_paths))

    def healthz(self):
        return self._get("/healthz")


NAMES = {"page": "征集页面 GET", "post": "提交意见 POST", "hotline": "热线检索页面（座席已登录）",
         "api": "热线检索 API", "read": "公开页面 GET", "healthz": "/healthz"}


def measure(action, requests, batches=7):
    for _ in range(min(30, requests)):  # warm-up: caches, the segmenter, the index
        action()
    per_batch = []
    for _ in range(batches):
        started = time.process_time()
        for _ in range(requests):
            action()
        per_batch.append((time.process_time() - started) / requests * 1000)
    return statistics.median(per_batch), per_batch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("actions", nargs="*", choices=[[], *NAMES], default=[], metavar="action",
                        help=f"some of {', '.join(NAMES)} (default: all)")
    parser.add_argument("--requests", type=int, default=50, help="requests per batch (default 50)")
    parser.add_argument("--profile", action="store_true", help="cProfile 200 more requests, top 40 by cumulative time")
    parser.add_argument("--db", default="zcjd_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    production_environment(args.db, args.redis_url)
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)  # one access line per request would be measured too
    from django.contrib.auth import get_user_model
    from django.test import Client

    sys.path.insert(0, str(REPO / "benchmarks"))
    import load_test
    from load import speed

    print(f"机器速度 machine speed：{speed.machine_speed()['median_ms']:.1f} ms{speed.MEANING}", flush=True)
    _id, consultation, reads = load_test.site_paths(load_test.database_url(args.db))
    operator = Client(HTTP_HOST="127.0.0.1")
    operator.force_login(get_user_model().objects.get(username="hotline"))
    actions = Actions(Client(HTTP_HOST="127.0.0.1"), operator, consultation, reads)
    for name in args.actions or list(NAMES):
        if name == "post":
            actions.prepare_forms(min(30, args.requests) + 7 * args.requests + (200 if args.profile else 0))
        median, batches = measure(getattr(actions, name), args.requests)
        print(f"{NAMES[name]:24s} {median:6.2f} ms CPU/请求（中位数；各批 {', '.join(f'{b:.2f}' for b in batches)}）",
              flush=True)
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            for _ in range(200):
                getattr(actions, name)()
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
