from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "政策文件与部门"

    def ready(self):
        from . import permissions, routing, signals, sites  # noqa: F401  (signal receivers: the permission, route and site caches)
