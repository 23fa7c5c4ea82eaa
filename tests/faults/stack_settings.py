"""cms.settings.production for the fault tests' web server and db_worker: the same, plus two things.

- Result e-mails go to files the test reads (EMAIL_BACKEND=…filebased.EmailBackend comes from the
  environment like every other setting; its folder from FAULTS_EMAIL_DIR).
- Static files are served from the apps' folders (WhiteNoise's finders): collectstatic takes 25 s on
  the 2-core machine and proves nothing about a dependency going away.
"""
import os

from cms.settings.production import *  # noqa: F401,F403
from cms.settings.production import STORAGES

EMAIL_FILE_PATH = os.environ["FAULTS_EMAIL_DIR"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
