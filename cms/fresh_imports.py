"""A new web worker imports the application from scratch, not from its server's main process.

granian's and gunicorn's workers are forked from a main process that configured the logs: their
personal-data filter (cms.logging) imports consultations.privacy, and with it django.conf and
bleach, the first time the main process logs a line. A worker would inherit those modules, so a
reload (SIGHUP) after an upgrade would run the new code beside an old django.conf or bleach.
Forgetting them before the application is imported makes the worker load every one afresh. Only
the log handlers the main process built stay as they were: a change to cms/logging.py needs a
restart (docs/deploy.md, "Upgrades"). Standard library only, like the rest of the pre-fork code.
"""
import sys

APPLICATION_PACKAGES = frozenset({"django", "bleach", "cms", "consultations", "interpretations", "search", "wagtail"})
KEEP = frozenset({__name__, "cms.granian_worker"})  # the code running this


def forget_the_main_process_imports():
    """Drop the application's and its libraries' modules from sys.modules; returns their names."""
    stale = [name for name in sys.modules if name.split(".")[0] in APPLICATION_PACKAGES and name not in KEEP]
    for name in stale:
        del sys.modules[name]
    return stale
