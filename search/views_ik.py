"""The IK plugin's remote extension dictionary: every 专业词 the hotline segmenter keeps whole.

Configure each Elasticsearch node's IKAnalyzer.cfg.xml with
``<entry key="remote_ext_dict">https://<site>/api/search/ik-dictionary.txt</entry>``. IK asks with
HEAD about once a minute and fetches the list again when ``Last-Modified`` or ``ETag`` changed; the
ETag is a hash of the list itself, so deleting a word changes it too. One word per line, UTF-8.
"""
import datetime
import hashlib

from django.db.models import Max
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_etags, quote_etag
from django.views.decorators.http import require_safe

EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)  # IK needs the header even for an empty list


def dictionary_words():
    """专业词, department names and short names, and the words of every 同义词 group, normalised, sorted."""
    from cms.models import Department
    from search.analysis import normalize
    from search.models import SynonymGroup, VocabularyTerm

    words = {normalize(w) for w in VocabularyTerm.objects.values_list("word", flat=True)}
    for name, short in Department.objects.values_list("name", "short_name"):
        words.update(normalize(n) for n in (name, short) if n)
    for terms in SynonymGroup.objects.values_list("terms", flat=True):
        words.update(normalize(t) for t in SynonymGroup.split(terms))
    return sorted(w for w in words if w and not any(ch.isspace() for ch in w))


def last_modified():
    from search.models import SynonymGroup, VocabularyTerm

    stamps = [model.objects.aggregate(m=Max("updated_at"))["m"] for model in (VocabularyTerm, SynonymGroup)]
    return max([s for s in stamps if s] or [EPOCH])


@require_safe
def ik_dictionary(request):
    body = "".join(f"{w}\n" for w in dictionary_words()).encode()
    etag = quote_etag(hashlib.sha1(body).hexdigest()[:20])
    modified = http_date(last_modified().timestamp())
    headers = {"ETag": etag, "Last-Modified": modified, "Cache-Control": "no-cache"}
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(b"" if request.method == "HEAD" else body, content_type="text/plain; charset=utf-8")
        response["Content-Length"] = str(len(body))
    for name, value in headers.items():
        response[name] = value
    return response
