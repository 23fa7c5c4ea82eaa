"""Security headers: a strict Content-Security-Policy on public pages, Wagtail's needs in the admin."""
from cms.middleware import ADMIN_POLICY, PUBLIC_POLICY


def test_public_pages_allow_no_inline_script_or_style(client, site_tree):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert csp == PUBLIC_POLICY
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp


def test_public_templates_need_nothing_inline(client, site_tree):
    """What the strict policy would block must not be in our own pages."""
    for url in ("/", "/zhengce/", "/wenda/?q=社保"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and " style=" not in html and "<style" not in html, url
        assert "onclick=" not in html and "javascript:" not in html, url


def test_admin_gets_the_relaxed_policy(client, users):
    client.force_login(users["admin"])
    assert client.get("/admin/")["Content-Security-Policy"] == ADMIN_POLICY
