"""gunicorn benchmarks.bare_insert.wsgi"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bare_insert.settings")
application = get_wsgi_application()
