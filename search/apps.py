from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "政策问答检索"

    def ready(self):
        from . import signals  # noqa: F401
