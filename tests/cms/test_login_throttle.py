"""Admin login throttling: guessing a password is stopped, with a Chinese message; others are unaffected."""
import pytest

from cms.factories import UserFactory

pytestmark = pytest.mark.usefixtures("empty_cache")  # fresh throttle counters


def login(client, username, password):
    return client.post("/admin/login/", {"username": username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(client, site_tree):
    UserFactory(username="reviewer2", is_staff=True, is_superuser=True)
    for _ in range(5):
        response = login(client, "reviewer2", "wrong-password")
        assert response.status_code == 200 and "登录失败次数过多" not in response.content.decode()
    refused = login(client, "reviewer2", "demo-pass-2026")
    assert refused.status_code == 200
    assert "登录失败次数过多，请 15 分钟后再试" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_success_resets_the_count_and_other_accounts_are_not_locked(client, site_tree):
    UserFactory(username="editor_a", is_superuser=True)
    UserFactory(username="editor_b", is_superuser=True)
    for _ in range(4):
        login(client, "editor_a", "wrong-password")
    assert login(client, "editor_a", "demo-pass-2026").status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "editor_a", "wrong-password")
    assert login(client, "editor_a", "demo-pass-2026").status_code == 302  # the count started again
    client.logout()
    for _ in range(5):
        login(client, "editor_a", "wrong-password")
    assert login(client, "editor_b", "demo-pass-2026").status_code == 302


def test_one_client_trying_many_accounts_is_stopped(client, site_tree, settings):
    settings.LOGIN_FAILURE_LIMITS = {"account": (5, 900), "client": (3, 900)}
    UserFactory(username="victim", is_superuser=True)
    for name in ("a1", "a2", "a3"):
        login(client, name, "guess")
    assert "登录失败次数过多" in login(client, "victim", "demo-pass-2026").content.decode()
