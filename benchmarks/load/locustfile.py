"""Locust users for the mixed production load test (benchmarks/load_test.py drives this file).

Three kinds of people at once, as on the day a hot consultation closes:

* Resident   — opens the consultation page (GET: CSRF cookie, a fresh form token, the categories),
               then submits an opinion (POST). Each submission comes from its own address
               (X-Forwarded-For, which the stack trusts from the loopback proxy here, as behind
               nginx), so the per-address rate limit applies as in production, not to the whole test.
* Operator   — a 12345 hotline operator, logged in: colloquial questions on the hotline page
               (/hotline/?q=, three in four) and through the JSON API (/api/qa/search, one in four),
               sent to the hotline's own processes (LOAD_HOTLINE_HOST), as nginx does in production.
* Reader     — the public reading the site: home, policy list, a policy, an interpretation.

Offered load comes from LOAD_* environment variables (set by load_test.py): users per class and
each user's requests per second. LOAD_ARRIVALS picks when each next action starts (arrivals.py):
"poisson" (default), random gaps as for independent people, or "paced", locust's
constant_throughput (the users of a spawn batch stay in lock-step). Either way a gap counts from the
start of the previous action, so the load is open-ended: a slower server shows up as latency and a
shortfall in throughput, not as a silently lower rate.

Every accepted opinion's form token and receipt number is appended to LOAD_RECEIPTS (one JSON line
per submission, outcome included), so the driver can check the database afterwards: every accepted
opinion stored exactly once, with a unique receipt.
"""
import json
import os
import random
import re
import threading
import uuid
from urllib.parse import quote

from arrivals import wait_time_for  # beside this file: locust puts its directory on sys.path
from locust import FastHttpUser, events, task

CONSULTATION = os.environ.get("LOAD_CONSULTATION_PATH", "/")
READ_PATHS = [p for p in os.environ.get("LOAD_READ_PATHS", "/").split(",") if p]
QUERIES = json.loads(os.environ.get("LOAD_QUERIES", '["社保怎么交"]'))
RECEIPTS_PATH = os.environ.get("LOAD_RECEIPTS", "receipts.jsonl")
ARRIVALS = os.environ.get("LOAD_ARRIVALS", "poisson")
HOTLINE = os.environ.get("LOAD_HOTLINE_HOST", "").rstrip("/")  # empty: the host under test

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="token" value="([0-9a-f]{32})"')
CATEGORY_SELECT = re.compile(r'<select name="category"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]+)"')
FORM_ACTION = re.compile(r'<form method="post" enctype="multipart/form-data" action="([^"#]+)')
RECEIPT = re.compile(r"YJ-\d{8}-\d{6,}")
TEXTS = [
    "建议把减负稳岗补贴的申请材料再精简一些，小微企业没有专职会计，表格太多填不过来，最好能网上一次办好。",
    "第三条规定的参保时间要求偏严，建议对新设立不满一年的企业按实际经营月数折算，不要一刀切。",
    "希望明确补贴资金到账的时限，并在政务网站公开每一批的发放名单和金额，方便企业查询和社会监督。",
    "建议增加对吸纳高校毕业生和就业困难人员较多企业的倾斜，补贴比例可以适当提高，鼓励企业多招人。",
    "征求意见稿中“稳岗返还”和“一次性扩岗补助”的关系没有写清楚，能否同时享受？建议在文件中说明。",
]

_receipts_lock = threading.Lock()
_receipts_file = None


def record(entry):
    global _receipts_file
    with _receipts_lock:
        if _receipts_file is None:
            # Line-buffered: the driver counts lines while the test runs.
            _receipts_file = open(RECEIPTS_PATH, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (closed at quit)
        _receipts_file.write(json.dumps(entry, ensure_ascii=False) + "\n")


@events.quitting.add_listener
def _close_receipts(environment, **kwargs):
    with _receipts_lock:
        if _receipts_file is not None:
            _receipts_file.flush()
            _receipts_file.close()


def rate(name, default):
    return float(os.environ.get(name, default))


def random_address():
    # Documentation and private ranges only: never a real resident's address.
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Resident(FastHttpUser):
    weight = int(os.environ.get("LOAD_RESIDENTS", 40))
    wait_time = wait_time_for(ARRIVALS, rate("LOAD_RESIDENT_RATE", 1))

    @task
    def read_and_submit(self):
        address = random_address()
        headers = {"X-Forwarded-For": address}
        with self.client.get(CONSULTATION, name="征集页面 GET", headers=headers, catch_response=True) as page:
            html = page.text or ""
            csrf, token = CSRF.search(html), FORM_TOKEN.search(html)
            select = CATEGORY_SELECT.search(html)
            if page.status_code != 200 or not (csrf and token and select):
                page.failure(f"征集页面缺少表单（HTTP {page.status_code}）")
                return
            page.success()
        categories = OPTION.findall(select.group(1))
        action = FORM_ACTION.search(html)
        action = action.group(1) if action else CONSULTATION  # where the browser would send the form
        form = {
            "csrfmiddlewaretoken": csrf.group(1), "token": token.group(1),
            "category": random.choice(categories), "text": random.choice(TEXTS) + uuid.uuid4().hex[:6],
            "name": "测试居民", "consent": "on",
        }
        with self.client.post(action, data=form, name="提交意见 POST", catch_response=True,
                              headers={**headers, "Referer": self.host + CONSULTATION}) as response:
            found = RECEIPT.search(response.text or "") if response.status_code == 200 else None
            record({"token": form["token"], "status": response.status_code,
                    "receipt": found.group(0) if found else None})
            if found:
                response.success()
            else:
                response.failure(f"未收到回执（HTTP {response.status_code}）")


class Operator(FastHttpUser):
    """A hotline operator (座席), logged in, searching while callers talk."""

    weight = int(os.environ.get("LOAD_OPERATORS", 10))
    wait_time = wait_time_for(ARRIVALS, rate("LOAD_OPERATOR_RATE", 1))

    def on_start(self):
        # One workstation each: the API's per-client limit applies per seat. The session is one the
        # driver logged in before the measurement (a login costs a deliberately slow password hash).
        self.address = random_address()
        sessions = json.loads(os.environ.get("LOAD_OPERATOR_SESSIONS", "[]"))
        self.logged_in = bool(sessions)
        if sessions:
            cookie = random.choice(sessions)
            self.session_headers = {"X-Forwarded-For": self.address, "Cookie": f"sessionid={cookie}"}

    @task(3)
    def hotline_page(self):
        if not self.logged_in:
            return self.api_search()
        query = random.choice(QUERIES)
        with self.client.get(f"{HOTLINE}/hotline/?q={quote(query)}", name="热线检索页面", catch_response=True,
                             headers=self.session_headers) as response:
            if response.status_code != 200 or "hotline" not in (response.text or ""):
                response.failure(f"HTTP {response.status_code}")
            else:
                response.success()

    @task(1)
    def api_search(self):
        query = random.choice(QUERIES)
        with self.client.get(f"{HOTLINE}/api/qa/search?q={quote(query)}", name="热线检索 API", catch_response=True,
                             headers={"X-Forwarded-For": self.address}) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return
            try:
                body = json.loads(response.text)
            except ValueError:
                response.failure("不是 JSON")
                return
            if "results" not in body:
                response.failure("缺少 results")
            else:
                response.success()


class Reader(FastHttpUser):
    weight = int(os.environ.get("LOAD_READERS", 10))
    wait_time = wait_time_for(ARRIVALS, rate("LOAD_READER_RATE", 1))

    @task
    def read(self):
        self.client.get(random.choice(READ_PATHS), name="公开页面 GET")
