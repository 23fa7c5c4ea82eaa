"""benchmarks/server_overhead.py: reading wrk, counting a server's CPU, the summary.

The benchmark itself starts the production stack and needs wrk and granian (a documented command,
benchmarks/README.md); these tests pin the parts its figures rest on.
"""
import importlib.util
import os
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

WRK_OUTPUT = """Running 6s test @ http://127.0.0.1:8101/healthz
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.44ms    3.22ms  33.18ms   86.41%
    Req/Sec     0.98k    95.12     1.20k    70.00%
  5872 requests in 6.00s, 1.61MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    978.77
Transfer/sec:    274.12KB
"""


@pytest.fixture
def overhead(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # it imports load_test and benchmarks/load/ as "load"
    spec = importlib.util.spec_from_file_location("server_overhead_under_test", BENCHMARKS / "server_overhead.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_wrk_report_is_read(overhead):
    assert overhead.parse_wrk(WRK_OUTPUT) == {"requests": 5872, "rps": 978.77, "non_2xx": 3}
    clean = WRK_OUTPUT.replace("  Non-2xx or 3xx responses: 3\n", "")
    assert overhead.parse_wrk(clean)["non_2xx"] == 0


def test_a_wrk_failure_is_not_read_as_zero_requests(overhead):
    with pytest.raises(ValueError, match="没有请求数"):
        overhead.parse_wrk("unable to connect to 127.0.0.1:8101 Connection refused\n")


def test_only_the_servers_processes_count(overhead):
    snapshot = {"processes": {10: ("web", 100, 5), 11: ("web", 40, 0), 12: ("postgres", 900, 0)}, "machine": {}}
    assert overhead.server_ticks(snapshot, {10, 11}) == 145
    assert overhead.server_ticks(snapshot, {99}) == 0


def test_this_process_is_in_its_own_tree(overhead):
    assert os.getpid() in overhead.process_tree(os.getpid())
    assert os.getppid() not in overhead.process_tree(os.getpid())


def test_summary_takes_medians_and_the_ratio(overhead):
    runs = [{"path": "/healthz", "server": server, "cpu_ms_per_request": value}
            for server, values in {"gunicorn": [2.0, 1.8, 5.0], "granian": [1.0, 1.2, 0.9]}.items()
            for value in values]
    summary = overhead.summarize(runs)
    assert summary["/healthz"]["gunicorn"]["median_ms"] == 2.0
    assert summary["/healthz"]["granian"]["median_ms"] == 1.0
    assert summary["/healthz"]["ratio"] == 0.5
    assert summary["/healthz"]["gunicorn"]["runs"] == [2.0, 1.8, 5.0]
