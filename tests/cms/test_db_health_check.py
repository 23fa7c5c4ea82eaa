"""The PostgreSQL health check (cms/db/postgresql): no SELECT 1 while the connection is idle and
well, and a connection the server has closed is noticed before a request uses it."""
import time

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL 的健康检查：make test-postgres 运行"),
]


@pytest.fixture
def kept(second_connection):
    return second_connection()


def test_the_backend_is_ours():
    assert type(connections["default"]).__module__ == "cms.db.postgresql.base"


def test_an_idle_healthy_connection_is_usable_without_a_statement(kept, monkeypatch):
    def no_statements(*args, **kwargs):
        raise AssertionError("the health check sent a statement")

    monkeypatch.setattr(kept.connection, "cursor", no_statements)
    assert kept.is_usable()


def test_a_connection_the_server_closed_is_not_usable_and_is_replaced(kept):
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while kept.is_usable() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not kept.is_usable()
    # What Django does at the start of a request with health checks on: close, then reconnect.
    kept.health_check_done = False
    kept.close_if_health_check_failed()
    with kept.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_left_in_a_failed_transaction_gets_the_real_check(kept):
    from django.db import DatabaseError

    kept.set_autocommit(False)
    with pytest.raises(DatabaseError), kept.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_table")
    assert not kept.is_usable()  # the server refuses SELECT 1 until a rollback
    kept.rollback()
    kept.set_autocommit(True)
    assert kept.is_usable()
