from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "政策文件与部门"

    def ready(self):
        from . import signals  # noqa: F401
