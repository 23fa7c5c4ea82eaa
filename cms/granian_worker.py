"""What granian loads in each new worker (deploy/granian_serve.py): the application, warmed up.

Before Django is imported, the worker forgets the modules the main process had imported for its
logs (cms.worker_start), so that a reload runs the new code of every one of them.

granian puts its process's whole environment into every request's WSGI environ (granian/wsgi.py:
``dict(os.environ) | scope``), so SECRET_KEY, DATABASE_URL with its password and the storage keys
would sit in request.META, where an error report or a debugging aid could show them. The
application here gets each request without them: only what the request itself carries.
"""
import os

from cms.worker_start import forget_the_main_process_imports

forget_the_main_process_imports()

from cms.wsgi import application as django_application  # noqa: E402 (after forgetting, see above)
from cms.wsgi import warm_up  # noqa: E402

# What the server sets from the request: kept even where the process environment has a variable
# of the same name (the request's value is the one in the environ).
REQUEST_KEYS = frozenset({"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE",
                          "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR",
                          "REMOTE_PORT"})


def without_process_environment(app, process_keys):
    """``app`` called with each request's environ minus the process's own variables."""
    dropped = tuple(key for key in process_keys if key not in REQUEST_KEYS)

    def application(environ, start_response):
        for key in dropped:
            environ.pop(key, None)
        return app(environ, start_response)

    return application


application = without_process_environment(django_application, frozenset(os.environ))


def warmed_application():
    """granian's factory (--factory): called once in each new worker before it takes requests."""
    warm_up()
    return application
