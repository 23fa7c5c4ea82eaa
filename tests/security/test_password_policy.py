"""Password policy (issue #5): AUTH_PASSWORD_VALIDATORS hold wherever a password is set.

The validators (cms/settings/base.py): at least 10 characters, not a common password, not only
digits, not like the username, name or e-mail address. They are checked where people actually set
passwords: Wagtail's user forms (a superuser creating or editing an account), the 账户设置 password
panel, the password reset link, and ``manage.py changepassword`` / ``createsuperuser``. Each refusal
is in Chinese and leaves the old password in place. Production stores passwords with a slow salted
hash (the test settings use MD5 only for speed) and signs everyone else out after a change.

Cookie flags (Secure, HttpOnly) are covered by ``check --deploy`` in tests/cms/test_settings.py and
tests/cms/test_deploy_config.py; this file checks the session's lifetime and SameSite only.
"""
import io
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from cms.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
STRONG = "Tiaokuan-2026-jiedu!"
OLD = "Jiudemima-2025-rsj!"
USERNAME = "zhangwei.rsj"

# (weak password, the Chinese message Django's validators give for it)
WEAK = {
    "too-short": ("Ab3-xyz", "密码长度太短。密码必须包含至少 10 个字符。"),
    "common": ("qwertyuiop", "这个密码太常见了。"),
    "numeric": ("4938271605", "密码只包含数字。"),
    "like-the-username": (USERNAME, "密码跟 用户名 太相似了。"),
    "like-the-email": ("zhangwei@example.gov", "密码跟 电子邮件地址 太相似了。"),
}
# Django 5.2's zh_Hans catalogue lacks MinimumLengthValidator's new message: cms.passwords says it in Chinese.
def weak_cases():
    return list(WEAK)


TRANSLATED = dict(WEAK)


def assert_chinese_refusal(response, message):
    assert response.status_code == 200, response.status_code  # the form again, not a redirect
    html = response.content.decode()
    assert escape(message) in html, f"{message!r} not shown"


@pytest.fixture
def person(users):
    user = UserFactory(username=USERNAME, email="zhangwei@example.gov.cn", first_name="伟", last_name="张")
    user.set_password(OLD)
    user.save()
    return user


def test_a_too_short_password_is_refused_everywhere(client, users, person):
    """9 characters are never accepted, whatever the message says."""
    short = "Ab3-xyz.9"
    client.force_login(users["admin"])
    assert client.post(reverse("wagtailusers_users:add"), user_form(username="lisi", password=short)).status_code == 200
    assert not User.objects.filter(username="lisi").exists()
    assert client.post(reverse("wagtailusers_users:edit", args=[person.pk]), user_form(password=short)).status_code == 200
    person.groups.add(*User.objects.get(username="rsj_editor").groups.all())
    client.force_login(person)
    response = change_own_password(client, OLD, short)
    assert response.status_code == 200 and "密码长度太短" in response.content.decode()
    answers = iter([short] * 6)
    with mock.patch("getpass.getpass", lambda prompt="": next(answers)), pytest.raises(CommandError):
        call_command("changepassword", USERNAME, stdout=io.StringIO(), stderr=io.StringIO())
    person.refresh_from_db()
    assert person.check_password(OLD)


# --- Wagtail's user forms (superuser) ------------------------------------------------------------------
def user_form(username=USERNAME, password=STRONG, **extra):
    return {"username": username, "email": "zhangwei@example.gov.cn", "first_name": "伟", "last_name": "张",
            "password1": password, "password2": password, "is_active": "on", **extra}


@pytest.mark.parametrize("case", weak_cases())
def test_creating_a_user_refuses_a_weak_password(client, users, case):
    password, message = WEAK[case]
    client.force_login(users["admin"])
    response = client.post(reverse("wagtailusers_users:add"), user_form(password=password))
    assert_chinese_refusal(response, message)
    assert not User.objects.filter(username=USERNAME).exists()


def test_creating_a_user_with_a_strong_password(client, users):
    client.force_login(users["admin"])
    response = client.post(reverse("wagtailusers_users:add"), user_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username=USERNAME).check_password(STRONG)


def test_the_user_form_explains_the_rules_in_chinese(client, users):
    client.force_login(users["admin"])
    html = client.get(reverse("wagtailusers_users:add")).content.decode()
    for rule in ["你的密码必须包含至少 10 个字符。", "你的密码不能是一个常见密码。", "你的密码不能全都是数字。"]:
        assert rule in html


@pytest.mark.parametrize("case", weak_cases())
def test_editing_a_user_refuses_a_weak_password(client, users, person, case):
    password, message = WEAK[case]
    client.force_login(users["admin"])
    response = client.post(reverse("wagtailusers_users:edit", args=[person.pk]), user_form(password=password))
    assert_chinese_refusal(response, message)
    person.refresh_from_db()
    assert person.check_password(OLD)


def test_editing_a_user_sets_a_strong_password(client, users, person):
    client.force_login(users["admin"])
    response = client.post(reverse("wagtailusers_users:edit", args=[person.pk]), user_form())
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(STRONG)


# --- 账户设置: a user changes their own password ------------------------------------------------------------
class FormValues(HTMLParser):
    """The values a browser would send for the form on a page: inputs, checked boxes, selected options."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._first_option = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            else:
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.values.setdefault(self._select, self._first_option or "")
            self._select = None


def account_form(client):
    parser = FormValues()
    parser.feed(client.get(reverse("wagtailadmin_account")).content.decode())
    return parser.values


def change_own_password(client, old, new):
    data = account_form(client)
    assert "password-old_password" in data, sorted(data)  # the password panel is on the page
    data.update({"password-old_password": old, "password-new_password1": new, "password-new_password2": new})
    return client.post(reverse("wagtailadmin_account"), data)


@pytest.mark.parametrize("case", weak_cases())
def test_changing_ones_own_password_refuses_a_weak_one(client, person, case):
    password, message = WEAK[case]
    person.groups.add(*User.objects.get(username="rsj_editor").groups.all())  # a department editor
    client.force_login(person)
    assert_chinese_refusal(change_own_password(client, OLD, password), message)
    person.refresh_from_db()
    assert person.check_password(OLD)


def test_changing_ones_own_password_needs_the_old_one(client, person):
    person.groups.add(*User.objects.get(username="rsj_editor").groups.all())
    client.force_login(person)
    assert_chinese_refusal(change_own_password(client, "not-the-old-one", STRONG), "你的旧密码不正确。请重新输入。")
    person.refresh_from_db()
    assert person.check_password(OLD)


def test_a_password_change_signs_out_the_other_sessions(person):
    person.groups.add(*User.objects.get(username="rsj_editor").groups.all())
    here, elsewhere = Client(), Client()
    for browser in (here, elsewhere):
        browser.force_login(person)
        assert browser.get("/admin/").status_code == 200
    response = change_own_password(here, OLD, STRONG)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_account")
    person.refresh_from_db()
    assert person.check_password(STRONG)
    assert here.get("/admin/").status_code == 200  # the session that changed it stays signed in
    assert elsewhere.get("/admin/")["Location"].startswith("/admin/login/")  # a stolen session ends


# --- the password reset link -----------------------------------------------------------------------------
def test_the_reset_link_refuses_a_weak_password(client, person):
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    page = client.get(reverse("wagtailadmin_password_reset_confirm", args=[uid, token]), follow=True)
    assert page.status_code == 200
    url = page.redirect_chain[-1][0] if page.redirect_chain else reverse(
        "wagtailadmin_password_reset_confirm", args=[uid, token])
    for password, message in TRANSLATED.values():
        response = client.post(url, {"new_password1": password, "new_password2": password})
        assert_chinese_refusal(response, message)
    person.refresh_from_db()
    assert person.check_password(OLD)
    assert client.post(url, {"new_password1": STRONG, "new_password2": STRONG}).status_code == 302
    person.refresh_from_db()
    assert person.check_password(STRONG)


# --- manage.py ----------------------------------------------------------------------------------------------
def test_changepassword_refuses_weak_passwords_and_gives_up(person):
    weak = list(TRANSLATED.values())[:3]  # changepassword allows three attempts
    answers = iter(p for password, _ in weak for p in (password, password))
    stderr = io.StringIO()
    with mock.patch("getpass.getpass", lambda prompt="": next(answers)), pytest.raises(CommandError, match="3 attempts"):
        call_command("changepassword", USERNAME, stdout=io.StringIO(), stderr=stderr)
    for _, message in weak:
        assert message in stderr.getvalue()
    person.refresh_from_db()
    assert person.check_password(OLD)


def test_changepassword_sets_a_strong_password(person):
    answers = iter(["4938271605", "4938271605", STRONG, STRONG])
    with mock.patch("getpass.getpass", lambda prompt="": next(answers)):
        call_command("changepassword", USERNAME, stdout=io.StringIO(), stderr=io.StringIO())
    person.refresh_from_db()
    assert person.check_password(STRONG)


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_createsuperuser_asks_again_after_a_weak_password(db):
    passwords = iter(["qwertyuiop", "qwertyuiop", STRONG, STRONG])
    stderr = io.StringIO()
    with mock.patch("getpass.getpass", lambda prompt="Password: ": next(passwords)), \
            mock.patch("builtins.input", lambda prompt="": "N"):  # “Bypass password validation …? [y/N]”
        call_command("createsuperuser", interactive=True, username="yunwei", email="yunwei@example.gov.cn",
                     stdin=TTY(), stdout=io.StringIO(), stderr=stderr)
    assert "这个密码太常见了。" in stderr.getvalue()
    user = User.objects.get(username="yunwei")
    assert user.is_superuser and user.check_password(STRONG)


def test_createsuperuser_without_prompts_refuses_a_weak_password(db, monkeypatch):
    # Django's own command takes DJANGO_SUPERUSER_PASSWORD unchecked; cms/management/commands/createsuperuser.py does not.
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "qwertyuiop")
    with pytest.raises(CommandError, match="这个密码太常见了"):
        call_command("createsuperuser", interactive=False, username="yunwei", email="yunwei@example.gov.cn",
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert not User.objects.filter(username="yunwei").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", STRONG)
    call_command("createsuperuser", interactive=False, username="yunwei", email="yunwei@example.gov.cn",
                 stdout=io.StringIO(), stderr=io.StringIO())
    assert User.objects.get(username="yunwei").check_password(STRONG)


# --- production: the hash and the session ---------------------------------------------------------------------
def production(code):
    """A value computed under cms.settings.production, in a fresh interpreter."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "INSECURE_LOCAL_HTTP"}}
    environment.update(DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY="k" * 60)
    script = ("import django, json; django.setup(); from django.conf import settings as s; "
              f"print(json.dumps({code}))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_production_hashes_passwords_with_a_slow_salted_hash():
    hashers, validators, sample = production(
        "[s.PASSWORD_HASHERS, [v['NAME'].rsplit('.', 1)[1] for v in s.AUTH_PASSWORD_VALIDATORS], "
        "__import__('django.contrib.auth.hashers', fromlist=['x']).make_password('Tiaokuan-2026-jiedu!')]")
    assert hashers[0].rsplit(".", 1)[1] in {"PBKDF2PasswordHasher", "Argon2PasswordHasher", "ScryptPasswordHasher"}
    weak = {"MD5PasswordHasher", "UnsaltedMD5PasswordHasher", "UnsaltedSHA1PasswordHasher", "SHA1PasswordHasher"}
    assert not {h.rsplit(".", 1)[1] for h in hashers} & weak  # nor accepted for old hashes
    algorithm, iterations, salt, _ = sample.split("$")
    assert algorithm == "pbkdf2_sha256" and int(iterations) >= 1_000_000 and len(salt) >= 16
    assert validators == ["UserAttributeSimilarityValidator", "ChineseMinimumLengthValidator", "CommonPasswordValidator",
                          "NumericPasswordValidator"]


def test_production_sessions_last_a_working_day_and_stay_on_the_site():
    age, samesite, httponly, browser_close, csrf_httponly = production(
        "[s.SESSION_COOKIE_AGE, s.SESSION_COOKIE_SAMESITE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.CSRF_COOKIE_HTTPONLY]")
    assert age == 8 * 3600 and samesite == "Lax" and httponly is True
    assert browser_close is False and csrf_httponly is False  # Wagtail's admin reads the CSRF cookie in JavaScript


@pytest.mark.parametrize("remember", [False, True])
def test_the_login_cookie_carries_the_session_settings(client, person, settings, remember):
    """Without 「记住我」 the cookie ends with the browser; either way the session ends after 8 hours."""
    from django.contrib.sessions.models import Session

    settings.SESSION_COOKIE_SECURE = True  # as in production (the test client speaks plain HTTP)
    fields = {"username": USERNAME, "password": OLD, **({"remember": "on"} if remember else {})}
    response = client.post(reverse("wagtailadmin_login"), fields)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert re.fullmatch(r"[a-z0-9]{32}", cookie.value)
    assert cookie["max-age"] == (8 * 3600 if remember else "")
    session = Session.objects.get(session_key=cookie.value)
    lifetime = (session.expire_date - timezone.now()).total_seconds()
    assert 8 * 3600 - 60 < lifetime <= 8 * 3600
