"""benchmarks/request_cpu.py submits what a browser submits: its opinion POST is accepted and stored.

The script's figure for 提交意见 POST is only the application's cost if its request is a real
submission (CSRF checked, the form's own action, one token per opinion), so that is pinned here.
"""
import importlib.util
from pathlib import Path

import pytest
from django.test import Client

from consultations.models import Opinion

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "request_cpu.py"


@pytest.fixture
def request_cpu():
    spec = importlib.util.spec_from_file_location("request_cpu_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_its_opinions_are_real_submissions(request_cpu, consultation, settings):
    settings.TRUST_X_FORWARDED_FOR = True  # as in the production stack behind nginx
    actions = request_cpu.Actions(Client(enforce_csrf_checks=True, HTTP_HOST="testserver"), None, consultation.url, [])
    actions.prepare_forms(2)
    tokens = sorted(form[2] for form in actions.forms)
    assert {form[4] for form in actions.forms} == {f"/zhengqiu/tijiao/{consultation.pk}/"}
    actions.post()
    actions.post()
    assert sorted(Opinion.objects.values_list("idempotency_key", flat=True)) == tokens


def test_a_refused_request_fails_the_measurement(request_cpu, consultation):
    actions = request_cpu.Actions(Client(HTTP_HOST="testserver"), None, consultation.url, ["/no-such-page/"])
    with pytest.raises(AssertionError, match="HTTP 404"):
        actions.read()
