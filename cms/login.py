"""Login throttling for the admin (and so the hotline): a password cannot be guessed by trying.

Failures are counted per account and per client address over a window; past the limit the login
form refuses even a correct password until the window ends, with a Chinese message saying how long.
Counters live in the cache (Redis in production, shared by every web process).
"""
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from wagtail.admin.forms.auth import LoginForm

from consultations.privacy import client_fingerprint


def _limits():
    # (failures, seconds): per account, and per client address (many accounts from one place).
    return getattr(settings, "LOGIN_FAILURE_LIMITS", {"account": (5, 900), "client": (20, 900)})


def _keys(request, username):
    account = (username or "").strip().lower()[:150]
    return {"account": f"login-fail:account:{account}", "client": f"login-fail:client:{client_fingerprint(request)}"}


def seconds_locked(request, username):
    now = time.time()
    for scope, (limit, window) in _limits().items():
        key = _keys(request, username)[scope]
        failures = cache.get(key)
        if failures and failures["count"] >= limit:
            remaining = window - (now - failures["first"])
            if remaining > 0:
                return remaining
            cache.delete(key)
    return 0


def record_failure(request, username):
    now = time.time()
    for scope, (_limit, window) in _limits().items():
        key = _keys(request, username)[scope]
        failures = cache.get(key) or {"count": 0, "first": now}
        failures["count"] += 1
        cache.set(key, failures, window)


def clear_failures(request, username):
    cache.delete(_keys(request, username)["account"])


class ThrottledLoginForm(LoginForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        locked = seconds_locked(self.request, username)
        if locked:
            raise ValidationError(f"登录失败次数过多，请 {math.ceil(locked / 60)} 分钟后再试；忘记密码请联系系统管理员。",
                                  code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failure(self.request, username)
            raise
        clear_failures(self.request, username)
        return cleaned
