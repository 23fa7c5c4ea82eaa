"""Settings of the bare project: no apps, no middleware, the site's database configuration."""
import os

from cms.settings.base import DATABASES  # noqa: F401 — same engine, same OPTIONS, same CONN_MAX_AGE

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-bare-insert-only")
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "benchmarks.bare_insert.urls"
WSGI_APPLICATION = "benchmarks.bare_insert.wsgi.application"
INSTALLED_APPS = []
MIDDLEWARE = []
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "root": {"level": os.environ.get("LOG_LEVEL", "WARNING")}}
