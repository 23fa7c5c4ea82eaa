"""The bare Django project of benchmarks/submission_throughput.py: one view inserting one row.

It measures the stack's own limit on this machine — gunicorn, Django's request handling and one INSERT
into the same database engine with the same connection settings as the site (cms.settings.base's
DATABASES: WAL, IMMEDIATE transactions and a busy timeout on SQLite; persistent connections on
PostgreSQL) — without the site's middleware, routing, form, sanitising and receipt logic.

``site_settings`` is the real site for the same benchmark: cms.settings.test with the per-client rate
limit switched off (every benchmark client comes from 127.0.0.1).
"""
TABLE = "bench_bare_row"


def create_table(connection):
    """The trivial table (idempotent): a unique token, like the opinions' idempotency key, and a text."""
    auto = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    stamp = "TIMESTAMP WITH TIME ZONE" if connection.vendor == "postgresql" else "TEXT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id {auto}, token VARCHAR(64) NOT NULL UNIQUE, "
                       f"body TEXT NOT NULL, created_at {stamp} NOT NULL)")
