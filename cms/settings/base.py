"""Settings shared by every environment; secrets and endpoints come from the environment."""
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Least permissive default: no key means the process refuses to start outside dev/test.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "cms",
    "interpretations",
    "consultations",
    "search",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.forms",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Work done once the response is sent (the hotline's query log): cms/after_response.py.
    "cms.after_response.AfterResponseMiddleware",
    "cms.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous visitors' pages from the shared cache: a hit skips everything below (cms/response_cache.py).
    "cms.response_cache.AnonymousResponseCacheMiddleware",
    "cms.sites.SiteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The same backend, with a health check that polls the socket instead of a SELECT 1 per request.
    DATABASES["default"]["ENGINE"] = "cms.db.postgresql"
    # The web servers set this for their own workers (deploy/granian_serve.py, gunicorn.conf.py):
    # granian kills no stuck request, so PostgreSQL cancels a statement that runs longer, and the
    # person gets the 503 page (cms/dbdown.py). The task worker and the commands have no limit.
    _statement_timeout = os.environ.get("DATABASE_STATEMENT_TIMEOUT", "").strip()
    if _statement_timeout:
        if not re.fullmatch(r"[1-9]\d*(ms|s|min)?", _statement_timeout):
            raise ImproperlyConfigured(f"DATABASE_STATEMENT_TIMEOUT={_statement_timeout!r} 应为正整数毫秒，"
                                       "或带单位 ms、s、min，例如 30s")
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c statement_timeout={_statement_timeout}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process and the task worker share the file safely.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE",
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Short socket timeouts: a hung Redis costs seconds, not a worker. While Redis is down the cache
    # degrades (cms/cache.py, docs/faults.md): pages serve uncached, sessions come from the database.
    CACHES = {"default": {"BACKEND": "cms.cache.ResilientRedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "zcjd"),
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    # Sessions read from the shared cache and are written through to the database, so every web
    # process sees a login or logout at once and a Redis restart logs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Django's ModelBackend, with each user's model permissions kept in the shared cache until any grant
# changes (cms/permissions.py): the hotline's permission check costs no query.
AUTHENTICATION_BACKENDS = ["cms.permissions.SharedCachePermissionsBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "cms.passwords.ChineseMinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Must be zh-hans before the first migrate: Wagtail creates its default Locale from it.
LANGUAGE_CODE = "zh-hans"
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES = [("zh-hans", "简体中文")]
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded files are served by the web server (or object storage) in production; the app
# serves them itself only when asked (development, tests, a single-machine demo).
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

WAGTAIL_SITE_NAME = "政策解读与公众参与平台"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# --- Uploads (docs/access-control.md, "Uploads"); tests/security/test_uploads.py ---
# Images: no SVG (it can carry script). Over 50 megapixels (8000×6000) is refused before decoding,
# so a small file that unpacks to gigabytes (a decompression bomb) never reaches Pillow's decoder.
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 50_000_000
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.upload_forms.ImageForm"
# Documents: the content must match the extension (cms/upload_forms.py). Videos (图解视频) may be
# larger than other files; nginx's body limit for /admin/ (deploy/nginx.conf) must stay above both.
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "doc", "xlsx", "xls", "odt", "txt", "vtt", "mp4", "webm"]
DOCUMENT_MAX_UPLOAD_MB = 20
VIDEO_MAX_UPLOAD_MB = 150
WAGTAILDOCS_MAX_UPLOAD_SIZE = VIDEO_MAX_UPLOAD_MB * 1024 * 1024  # Wagtail's own check: the largest allowed
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.upload_forms.DocumentForm"
# Django's defaults, stated: form fields without their files may total 2.5 MB (a larger body is a
# 400), and an upload over 2.5 MB is streamed to a temporary file instead of held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILADMIN_COMMENTS_ENABLED = True
# Chinese text: Wagtail's database backend cannot search inside it (no word boundaries).
# The admin's page search still works on titles; the hotline search has its own backend (search/).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# --- Hotline Q&A search (一号答, search/); see docs/search.md ---
ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL", "")
SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND") or (
    "search.backends.elasticsearch.ElasticsearchBackend" if ELASTICSEARCH_URL
    else "search.backends.embedded.EmbeddedBackend")
SEARCH_EMBEDDED_DIR = Path(os.environ.get("SEARCH_EMBEDDED_DIR", VAR_DIR / "search"))
# Index names carry the environment: zcjd-prod-qa-<version>, behind the alias zcjd-prod-qa.
SEARCH_INDEX_PREFIX = os.environ.get("SEARCH_INDEX_PREFIX", "zcjd-dev")
SEARCH_SEGMENTER = os.environ.get("SEARCH_SEGMENTER", "rjieba")  # or "jieba": same output, slower
SEARCH_RELOAD_SECONDS = 0.5      # how soon another process's index writes become visible
# Score floor: the share of the query's words an answer must match (measured: benchmarks/README.md).
SEARCH_MIN_CONCEPT_SHARE = float(os.environ.get("SEARCH_MIN_CONCEPT_SHARE", 0.5))
SEARCH_MAX_QUERY_CHARS = 100
SEARCH_OUTBOX_MAX_DELAY = 300    # seconds between retries while the backend is down, at most
SEARCH_API_RATE_LIMITS = [(60, 60), (1000, 3600)]  # (requests, seconds) per client
SEARCH_FEEDBACK_RATE_LIMITS = [(30, 60), (300, 3600)]  # 有用/没用 votes per client
# Elasticsearch only: use the IK analyzer ("auto" detects the plugin), request timeout in seconds.
SEARCH_ELASTICSEARCH_IK = {"auto": "auto", "1": True, "true": True, "0": False, "false": False}[
    os.environ.get("SEARCH_ELASTICSEARCH_IK", "auto").lower()]
SEARCH_ELASTICSEARCH_TIMEOUT = float(os.environ.get("SEARCH_ELASTICSEARCH_TIMEOUT", 5))

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGIN_URL = "/admin/login/"
WAGTAILADMIN_USER_LOGIN_FORM = "cms.login.ThrottledLoginForm"
LOGIN_FAILURE_LIMITS = {"account": (5, 900), "client": (20, 900)}  # (failures, seconds)
SESSION_COOKIE_AGE = 8 * 3600  # a working day; staff log in again the next morning
SESSION_COOKIE_SAMESITE = "Lax"
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))

# Seconds an anonymous visitor's page is served from the shared cache; any page change renews it at
# once (cms/response_cache.py). 0 turns the cache off.
PUBLIC_PAGE_CACHE_SECONDS = int(os.environ.get("PUBLIC_PAGE_CACHE_SECONDS", 60))

# --- Public consultations (意见征集) ---
CONSULTATION_FEEDBACK_DAYS = int(os.environ.get("CONSULTATION_FEEDBACK_DAYS", 30))
OPINION_TEXT_MIN = 10
OPINION_TEXT_MAX = 2000
OPINION_ATTACHMENT_MAX_FILES = 3
OPINION_ATTACHMENT_MAX_MB = 5
# (count, seconds) windows per client: a person can send a few opinions, a script cannot send many.
OPINION_RATE_LIMITS = [(5, 60), (30, 3600)]

# --- Interpretation quality gate (P4); see docs/quality-gate.md for how they were chosen ---
QUALITY_MIN_ELEMENT_CHARS = int(os.environ.get("QUALITY_MIN_ELEMENT_CHARS", 30))
QUALITY_MIN_NA_REASON_CHARS = int(os.environ.get("QUALITY_MIN_NA_REASON_CHARS", 6))
QUALITY_NGRAM_SIZE = int(os.environ.get("QUALITY_NGRAM_SIZE", 12))
QUALITY_MAX_COPIED_SHARE = float(os.environ.get("QUALITY_MAX_COPIED_SHARE", 0.4))
QUALITY_MAX_HEADING_SHARE = float(os.environ.get("QUALITY_MAX_HEADING_SHARE", 0.6))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
