"""What granian loads in each new worker (deploy/granian_serve.py): the application, warmed up.

granian forks its workers from its main process, and a worker inherits the main process's SIGTERM
handler, which does nothing in the worker, until granian installs the worker's own once the
application has loaded. A stop that came during those 1–2 s was lost, and the worker was killed
after SERVER_GRACEFUL_TIMEOUT (30 s measured). Until then, the signals' default: a worker told to
stop while it loads stops at once; it was serving nothing yet. Imported before Django, on purpose,
and so is the forgetting of what the main process imported (cms.fresh_imports).
"""
import signal

from cms.fresh_imports import forget_the_main_process_imports

signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.SIG_DFL)
forget_the_main_process_imports()

from cms.wsgi import application, warm_up  # noqa: E402 (after the two steps above)

__all__ = ["application", "warmed_application"]


def warmed_application():
    """granian's factory (--factory): called once in each new worker before it takes requests."""
    warm_up()
    return application
