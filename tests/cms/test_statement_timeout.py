"""DATABASE_STATEMENT_TIMEOUT: PostgreSQL cancels a web worker's statement that runs too long, and the
person gets the 503 page (cms/dbdown.py) instead of a request that holds a thread for ever."""
import time

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory

from cms.dbdown import database_unavailable, is_database_outage

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL 的语句时限：make test-postgres 运行"),
]


@pytest.fixture
def limited(second_connection):
    """A connection opened with the option the settings add for DATABASE_STATEMENT_TIMEOUT=200ms."""
    return second_connection(options="-c statement_timeout=200ms")


def test_a_statement_over_the_limit_is_cancelled_and_answered_with_the_503_page(limited):
    with limited.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("200ms",)
        started = time.monotonic()
        with pytest.raises(OperationalError) as caught:
            cursor.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 3
    assert "statement timeout" in str(caught.value)
    assert is_database_outage(caught.value)
    response = database_unavailable(RequestFactory().post("/zhengqiu/tijiao/1/"))
    assert response.status_code == 503 and "没有保存" in response.content.decode()
    with limited.cursor() as cursor:  # the connection serves the next request
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
