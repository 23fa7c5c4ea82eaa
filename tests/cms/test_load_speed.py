"""The load test's yardstick for the machine (benchmarks/load/speed.py) and how --baseline uses it.

Sessions run on different virtual machines; the same code gave 2.7–3.1 ms of CPU per web request on
one and 3.4–5.3 ms on the next. These tests pin the work itself, the median, and that a comparison
across unlike machines says so and scales the CPU per request instead of presenting raw figures.
"""
import importlib.util
import itertools
from pathlib import Path

import pytest

from tests.cms.conftest import load_test_module

speed = load_test_module("speed")
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def load_test(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # load_test.py imports benchmarks/load/ as "load"
    spec = importlib.util.spec_from_file_location("load_test_under_test", BENCHMARKS / "load_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_work_is_fixed():
    # The same checksum every time and for every machine: a change to unit() must change WORK_VERSION.
    assert speed.unit(100) == speed.unit(100)
    # The checksum of each version of the work: a new version needs its own line here.
    assert speed.unit() == {1: 100230}[speed.WORK_VERSION]
    assert speed.unit(100) != speed.unit(101)


def test_the_figure_is_the_median_of_the_repeats_after_a_warm_up():
    # A fake clock: each reading advances by the next step, so each repeat "takes" a known time.
    steps = iter([0.0, 0.010, 0.0, 0.030, 0.0, 0.020])  # three repeats: 10, 30, 20 ms
    readings = itertools.accumulate(steps)
    figure = speed.machine_speed(repeats=3, rounds=1, clock=lambda: next(readings))
    assert figure == {"median_ms": 20.0, "repeats": 3, "rounds": 1, "version": speed.WORK_VERSION}


def test_a_real_measurement_is_positive():
    figure = speed.machine_speed(repeats=3, rounds=50)
    assert figure["median_ms"] > 0


@pytest.mark.parametrize("repeats, rounds", [(0, 10), (3, 0)])
def test_nonsense_amounts_are_refused(repeats, rounds):
    with pytest.raises(ValueError):
        speed.machine_speed(repeats=repeats, rounds=rounds)


def figure(ms, version=speed.WORK_VERSION, rounds=4000):
    return {"median_ms": ms, "repeats": 15, "rounds": rounds, "version": version}


def test_ratio_only_between_comparable_figures():
    assert speed.speed_ratio(figure(36), figure(24)) == pytest.approx(1.5)
    assert speed.speed_ratio(figure(24), None) is None
    assert speed.speed_ratio(figure(24), figure(24, version=speed.WORK_VERSION + 1)) is None
    assert speed.speed_ratio(figure(24), figure(24, rounds=2000)) is None
    assert speed.same_machine_kind(1.08) and speed.same_machine_kind(0.93)
    assert not speed.same_machine_kind(1.2) and not speed.same_machine_kind(None)


def run(ms, web_cores, web_rps):
    return {"machine_speed": figure(ms) if ms else None, "hotline_pool": True,
            "actions": {"提交意见 POST": {"rps": web_rps}},
            "cpu": {"components": {"web": {"cores": web_cores, "label": "网站进程 web pool (gunicorn)"}}}}


def test_a_baseline_from_a_faster_machine_is_flagged_and_scaled(load_test):
    # The baseline: 1.0 core for 300 requests/s (3.33 ms each) on a machine of 24 ms.
    # This run: 1.2 cores for 240/s (5.0 ms each) on a machine of 36 ms: 1.5 × slower, so 3.33 ms there.
    lines = load_test.machine_comparison(run(36, 1.2, 240), run(24, 1.0, 300))
    text = "\n".join(lines)
    assert "本机慢 ×1.50" in text and "不可直接比较" in text
    assert "基线 3.33 ms → 本次 5.00 ms，换算 3.33 ms（×1.00）" in text


def test_alike_machines_compare_directly(load_test):
    lines = load_test.machine_comparison(run(24.5, 1.0, 300), run(24, 1.0, 300))
    assert "可直接比较" in "\n".join(lines) and not any(line.startswith("!!") for line in lines)


def test_a_baseline_without_the_figure_is_called_out(load_test):
    lines = load_test.machine_comparison(run(24, 1.0, 300), run(None, 1.0, 300))
    assert lines[0].startswith("!! 无法比较")


def test_a_machine_that_changed_speed_during_the_run_is_called_out(load_test):
    steady = {"machine_speed": figure(24), "machine_speed_after": figure(25)}
    assert len(load_test.speed_during_run(steady)) == 1
    slowed = {"machine_speed": figure(24), "machine_speed_after": figure(36)}
    lines = load_test.speed_during_run(slowed)
    assert lines[-1].startswith("!! 机器速度在运行期间变化了 ×1.50")
    assert load_test.speed_during_run({"machine_speed": figure(24)}) == []
