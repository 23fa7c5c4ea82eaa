"""The demo site: loads idempotently, and a crawl from the home page finds no broken link (P11:
杜绝错链、断链) — pages, documents, images, static files and in-page anchors alike."""
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from django.core.management import call_command
from wagtail.models import Page, Revision

from cms.models import PolicyDocumentPage, Validity
from interpretations.models import InterpretationPage


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) and not (tag == "link" and attrs.get("rel") == "preconnect"):
                self.links.append(attrs[name])
        for candidate in (attrs.get("srcset") or "").split(","):
            if candidate.strip():
                self.links.append(candidate.strip().split()[0])


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", verbosity=0)


def crawl(client, start="/"):
    seen, anchors, broken, queue = {}, [], [], [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url, follow=True)
        seen[url] = response
        if response.status_code >= 400:
            broken.append((url, response.status_code))
            continue
        if "text/html" not in response.get("Content-Type", "") or url.startswith("/admin"):
            continue
        parser = LinkParser()
        parser.feed(response.content.decode())
        seen[url].ids = parser.ids
        for link in parser.links:
            absolute = urljoin(url, link)
            parsed = urlparse(absolute)
            if parsed.scheme in {"mailto", "tel"} or (parsed.netloc and parsed.netloc not in {"testserver", "localhost"}):
                continue
            path, fragment = urldefrag(parsed.path + (f"?{parsed.query}" if parsed.query else "") +
                                       (f"#{parsed.fragment}" if parsed.fragment else ""))
            if fragment:
                anchors.append((url, path or url, fragment))
            if path and path not in seen:
                queue.append(path)
    for source, target, fragment in anchors:
        page = seen.get(target)
        if page is not None and hasattr(page, "ids") and fragment not in page.ids:
            broken.append((f"{source} → {target}#{fragment}", "缺少锚点"))
    return seen, broken


def test_demo_site_has_no_broken_links(client, demo):
    seen, broken = crawl(client)
    assert broken == []
    # The crawl really walked the site: every live policy and interpretation was reached.
    reached = set(seen)
    for page in list(PolicyDocumentPage.objects.live()) + list(InterpretationPage.objects.live()):
        assert page.url in reached, page.url
    assert any(url.startswith("/media/images/") or "/images/" in url for url in reached)


def test_load_demo_is_idempotent(demo):
    counts = (Page.objects.count(), Revision.objects.count(), PolicyDocumentPage.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Page.objects.count(), Revision.objects.count(), PolicyDocumentPage.objects.count()) == counts


def test_demo_content_is_real_and_passes_the_gate(demo):
    interpretations = InterpretationPage.objects.live()
    assert interpretations.count() >= 4
    for interp in interpretations:
        assert interp.gate_findings() == [], interp.title
        kinds = {block.block_type for block in interp.body}
        assert {"graphic", "qa"} <= kinds, interp.title
    assert PolicyDocumentPage.objects.get(title="乌鲁木齐市2015年政务公开工作要点").validity == Validity.EXPIRED
    assert PolicyDocumentPage.objects.filter(doc_number="高区政办发〔2020〕19号").exists()


def test_no_demo_page_needs_inline_script_or_style(client, demo):
    """The public Content-Security-Policy forbids inline script and style; no page may rely on them."""
    seen, _broken = crawl(client)
    pages = [url for url, r in seen.items() if "text/html" in r.get("Content-Type", "") and not url.startswith("/admin")]
    assert len(pages) > 20
    for url in pages:
        html = seen[url].content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html, url
        assert " onclick=" not in html and " onload=" not in html, url
