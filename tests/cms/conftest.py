"""Fixtures of the page-cache and route-cache tests, a second database connection, and the load test's
modules (benchmarks/load/)."""
import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from cms.factories import PolicyDocumentPageFactory
from tests.cms.test_policy_validity import publish_with_interpretation


@pytest.fixture
def policy(departments, users):
    page = PolicyDocumentPageFactory(parent=departments["rsj"].policy_index, slug="wending",
                                     title="关于稳定就业的若干措施", doc_number="乌政办〔2021〕7号")
    return publish_with_interpretation(page, users["admin"])


def queries_of(client, url, **extra):
    """(the response, how many queries it took)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **extra)
    return response, len(captured)


def load_test_module(name):
    """A module of benchmarks/load/ (not a package the tests can import): cpu.py, arrivals.py."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "load" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"load_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def second_connection():
    """``second_connection(**options)``: another connection to the test database, as a web process
    keeps one between requests; extra ``OPTIONS`` for its settings; closed after the test."""
    opened = []

    def open_connection(**options):
        wrapper = connections.create_connection("default")
        if options:
            wrapper.settings_dict = {**wrapper.settings_dict,
                                     "OPTIONS": {**wrapper.settings_dict.get("OPTIONS", {}), **options}}
        wrapper.ensure_connection()
        opened.append(wrapper)
        return wrapper

    yield open_connection
    for wrapper in opened:
        wrapper.close()
