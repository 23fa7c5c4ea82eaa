"""Production: every secret from the environment, HTTPS-only cookies, HSTS, JSON logs.

Every variable read here is listed in docs/deploy.md (and deploy/zcjd.env.example).
"""
import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import ALLOWED_HOSTS, STORAGES, env_bool

DEBUG = False
if not SECRET_KEY or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("生产环境必须设置 SECRET_KEY 环境变量（至少 50 个字符）。")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe the web processes over plain HTTP: a redirect to https:// would fail the probe.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Plain HTTP on the loopback only (make run-prod, a smoke test on the server itself): cookies
# without the Secure flag, which browsers would not send back over http://. Never the default,
# and refused when the site answers to any name that is not the loopback.
INSECURE_LOCAL_HTTP = env_bool("INSECURE_LOCAL_HTTP", False)
if INSECURE_LOCAL_HTTP:
    _not_loopback = sorted(set(ALLOWED_HOSTS) - {"127.0.0.1", "localhost", "[::1]", "::1"})
    if _not_loopback:
        raise ImproperlyConfigured(
            "INSECURE_LOCAL_HTTP=1 只允许用于本机回环地址；ALLOWED_HOSTS 中还有：" + ", ".join(_not_loopback))
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

# The client address for rate limits comes from X-Forwarded-For only behind our own proxy (nginx
# sets it); see docs/consultations.md.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

# Elasticsearch index names carry the environment: zcjd-prod-qa-<version> behind zcjd-prod-qa.
SEARCH_INDEX_PREFIX = os.environ.get("SEARCH_INDEX_PREFIX", "zcjd-prod")

# --- E-mail (result notifications): SMTP; a timeout so a hung server cannot block the worker ---
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 30))
DEFAULT_FROM_EMAIL = SERVER_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

# --- Media: on local disk (MEDIA_ROOT) unless an S3-compatible bucket is named ---
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
if S3_ENDPOINT_URL and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("设置了 S3_ENDPOINT_URL 时必须同时设置 AWS_STORAGE_BUCKET_NAME（存储桶名称）。")
if AWS_STORAGE_BUCKET_NAME:
    # django-storages' S3Storage: AWS S3, or any S3-compatible service (MinIO, 政务云对象存储)
    # through S3_ENDPOINT_URL. Credentials come from boto3's usual chain: AWS_ACCESS_KEY_ID and
    # AWS_SECRET_ACCESS_KEY in the environment, or the machine's role. Opinion attachments stay
    # in PRIVATE_MEDIA_ROOT, never in the bucket.
    STORAGES = {**STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": S3_ENDPOINT_URL or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
        "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
        "location": os.environ.get("AWS_LOCATION", "media"),
        # Public pages link images and documents: plain URLs unless the bucket is private.
        "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
        "default_acl": os.environ.get("AWS_DEFAULT_ACL") or None,
        "file_overwrite": False,
    }}}

# --- Logs: one JSON object a line on stderr, personal data masked (cms/logging.py) ---
# LOG_FORMAT=plain gives the same masked records as text lines, for a person at a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "cms.logging.PersonalDataFilter"}},
    "formatters": {
        "json": {"()": "cms.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"],
                             "formatter": "plain" if os.environ.get("LOG_FORMAT") == "plain" else "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

