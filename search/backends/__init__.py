"""Pick the hotline search backend: Elasticsearch when ELASTICSEARCH_URL is set, else the embedded one."""
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import SearchBackend, SearchUnavailable  # noqa: F401

_backend = None


def get_backend():
    global _backend
    if _backend is None:
        _backend = import_string(settings.SEARCH_BACKEND)()
    return _backend


def reset_backend(**kwargs):
    global _backend
    _backend = None


def _on_setting_changed(setting, **kwargs):
    if setting.startswith("SEARCH_") or setting == "ELASTICSEARCH_URL":
        reset_backend()


setting_changed.connect(_on_setting_changed)
