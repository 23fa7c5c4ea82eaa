"""Django's PostgreSQL backend with a health check that costs no round trip while nothing is wrong.

CONN_HEALTH_CHECKS makes Django run ``SELECT 1`` on a kept connection before the first query of
every request: a round trip to the database, and a statement for it to parse, on every page view
and opinion submitted. An idle connection has nothing to read; when the server restarts, closes
it or sends an error, its socket becomes readable. So the socket is polled first, without
waiting, and only a readable one gets Django's real check (which then fails and reconnects).
"""
import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()  # inside a transaction, perhaps a failed one: ask the server
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        return super().is_usable()  # something arrived while idle: a closed socket, an error, a notice
