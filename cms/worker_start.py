"""What the web servers (deploy/granian_serve.py, deploy/gunicorn.conf.py) do around a worker's start.

Standard library only, like the rest of the code that runs before the fork and before Django.

A new web worker starts from the application's code on disk, not from its server's main process.
granian's and gunicorn's workers are forked from a main process that configured the logs: their
personal-data filter (cms.logging) imports consultations.privacy, and with it django.conf,
asgiref, bleach and webencodings, the first time the main process logs a line. A worker would
inherit those modules, so a reload (SIGHUP) after an upgrade would run the new code beside an
old django.conf or bleach. So the main process remembers which third-party packages the server
itself had loaded (``remember_the_server``, before it starts), and each new worker forgets every
other module outside the standard library, and every module of this repository
(``forget_the_main_process_imports``), before it imports the application. Only the log handlers
the main process built stay as they were: a change to cms/logging.py needs a restart
(docs/deploy.md, "Upgrades").

The workers also get a limit per PostgreSQL statement (``worker_environment``): granian kills no
stuck request, so PostgreSQL cancels a statement that runs longer (a little under nginx's 35 s)
and the person gets the 503 page. The task worker and the commands have none.
"""
import os
import signal
import sys
from pathlib import Path

# This repository's own packages (cms, consultations, …): not the virtualenv, which may live inside it.
REPOSITORY_PACKAGES = frozenset(path.name for path in Path(__file__).resolve().parent.parent.iterdir()
                                if (path / "__init__.py").is_file())
KEEP = frozenset({__name__, "cms.granian_worker", "__main__", "__mp_main__"})  # the code running this
SERVERS = frozenset({"granian", "_granian", "gunicorn"})
WEB_STATEMENT_TIMEOUT = "30s"  # DATABASE_STATEMENT_TIMEOUT's default in the web workers; "" for none
_server_packages = set(SERVERS)


def _top_level(name):
    return name.partition(".")[0]


def _in_repository(name):
    return _top_level(name) in REPOSITORY_PACKAGES


def remember_the_server():
    """In the main process, before the workers fork: the third-party packages the server uses."""
    _server_packages.update(_top_level(name) for name in list(sys.modules)
                            if _top_level(name) not in sys.stdlib_module_names and not _in_repository(name))


def forget_the_main_process_imports():
    """In a new worker: drop every module that is neither the standard library nor the server's."""
    stale = [name for name in list(sys.modules)
             if name not in KEEP and (_in_repository(name) or (
                 _top_level(name) not in sys.stdlib_module_names and _top_level(name) not in _server_packages))]
    for name in stale:
        del sys.modules[name]
    return stale


def reset_signals_in_child():
    """os.register_at_fork hook: SIGTERM and SIGINT back to their default in a new worker."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def warm_up_wanted(environ=os.environ):
    """Whether new workers run the warm-up search (SERVER_WARMUP, or its earlier name GUNICORN_WARMUP)."""
    return environ.get("SERVER_WARMUP", environ.get("GUNICORN_WARMUP", "1")) != "0"


def worker_environment(environ=os.environ):
    """Variables the workers get unless the environment sets them (inherited through the fork)."""
    return {} if "DATABASE_STATEMENT_TIMEOUT" in environ else {"DATABASE_STATEMENT_TIMEOUT": WEB_STATEMENT_TIMEOUT}
