"""Background work of the hotline search: applying the index outbox (run by ``manage.py db_worker``)."""
from django_tasks import task

from .outbox import process_outbox


@task()
def process_search_outbox():
    applied, failed = process_outbox()
    return {"applied": applied, "failed": failed}
