"""How fast this machine runs Python: a fixed piece of work timed before and after each load run.

Each session lands on another virtual machine, and they differ: the same code (8b65eef) gave 2.7–3.1
ms of CPU per web request on one and 3.4–5.3 ms on the next, changing within minutes. Without a
yardstick a slower machine looks like a regression, and a faster one like an improvement. So the
load test times this work before it starts the stack and again after it stops it, stores both
figures in its results (and warns when they differ by more than SAME_MACHINE_TOLERANCE), and
compares them when it compares two runs (load_test.py --baseline): figures from machines whose
speed differs by more than that are flagged, and CPU per request is shown scaled to the
baseline's machine.

The work imitates what a request does in the interpreter, without I/O: attribute and dict access,
string building as a template does, a regular expression over Chinese text, and a JSON round trip.
The figure is the median CPU time (not wall time) of several repeats: waiting for a core does not
count, but a busy other core still slows it (on a 2-core VM, readings a minute apart ranged
23–39 ms; on an idle machine they repeat to ±2 %). Change WORK_VERSION whenever unit() changes:
figures of different versions are not compared.
"""
import json
import re
import statistics
import time

WORK_VERSION = 1
SAME_MACHINE_TOLERANCE = 0.10  # speeds within ±10 %: the same kind of machine, for our purposes
MEANING = "（固定计算量的 CPU 时间中位数，越小越快）"  # what the figure is, beside it in every report
_PHONE = re.compile(r"1[3-9]\d{9}")
_TEXT = "建议把减负稳岗补贴的申请材料再精简一些，联系电话 13912345678，小微企业没有专职会计。"


class _Row:
    __slots__ = ("number", "title", "tags")

    def __init__(self, number, title, tags):
        self.number, self.title, self.tags = number, title, tags


def unit(rounds=4000):
    """The fixed work; returns a checksum so that nothing can be skipped (and tests can pin it)."""
    checksum = 0
    for i in range(rounds):
        row = _Row(i, f"关于第 {i} 号文件的解读", {"dept": "rsj", "year": 2021 + i % 5})
        html = "".join(f"<li data-n=\"{row.number}\">{row.title}·{key}={value}</li>"
                       for key, value in row.tags.items())
        masked = _PHONE.sub("1**********", _TEXT)
        payload = json.loads(json.dumps({"n": row.number, "html": html, "text": masked}, ensure_ascii=False))
        checksum = (checksum * 31 + len(payload["html"]) + len(payload["text"]) + payload["n"]) % 1_000_003
    return checksum


def machine_speed(repeats=15, rounds=4000, clock=time.process_time):
    """Median CPU milliseconds of unit(rounds) over ``repeats`` runs (after one warm-up run)."""
    if repeats < 1 or rounds < 1:
        raise ValueError("repeats and rounds must be at least 1")
    unit(rounds)
    times = []
    for _ in range(repeats):
        start = clock()
        unit(rounds)
        times.append((clock() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 3), "repeats": repeats, "rounds": rounds,
            "version": WORK_VERSION}


def speed_ratio(now, before):
    """How many times slower this machine is than the baseline's (>1: slower), or None when the two
    figures cannot be compared (absent, another version or another amount of work)."""
    if not now or not before:
        return None
    if (now.get("version"), now.get("rounds")) != (before.get("version"), before.get("rounds")):
        return None
    if not before.get("median_ms") or not now.get("median_ms"):
        return None
    return now["median_ms"] / before["median_ms"]


def same_machine_kind(ratio):
    return ratio is not None and abs(ratio - 1) <= SAME_MACHINE_TOLERANCE
