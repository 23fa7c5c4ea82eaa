"""Fast, isolated settings for the test suite."""
from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
ALLOWED_HOSTS = ["*"]
SERVE_MEDIA = True
PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"  # noqa: F405
SEARCH_EMBEDDED_DIR = VAR_DIR / "test-search"  # noqa: F405 (tests use a fresh folder each)
SEARCH_RELOAD_SECONDS = 0

# Tests create and roll back sites all the time: look the site up on every request (the cache has
# its own test, tests/cms/test_site_cache.py).
SITE_CACHE_SECONDS = 0
# Tests change content and read it back at once: anonymous pages are rendered every time, except in
# the tests of that cache (tests/cms/test_response_cache.py, tests/consultations/test_hot_page.py).
PUBLIC_PAGE_CACHE_SECONDS = 0
