"""Personal data handling for public text: masking names, phone, ID and e-mail numbers (C6)."""
import hashlib
import hmac
import re

import bleach
from django.conf import settings

# Mainland mobile and landline numbers, 18-digit ID numbers and e-mail addresses typed into text.
_ID_NUMBER = re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
# ASCII classes: Unicode \w would swallow the Chinese text around an address.
_TAG_START = re.compile(r"<(?=[A-Za-z!/?])")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ－＠．", "0123456789Xx-@.")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# What every one of the four patterns needs: an "@", or three digits and four more (with at most one
# space or hyphen between: a mobile number's first groups; ID and landline numbers have seven in a
# row). Text without it, most of it (every access-log line, most opinions), skips the four searches.
_CANDIDATE = re.compile(r"@|\d{3}[\s-]?\d{4}")


# What HTML parsing can change: markup and references, and the characters html5lib's input stream
# rewrites (NUL, other C0/C1 controls, lone surrogates, noncharacters), all dropped or kept alike by
# the filter below. Text without any of them (nearly every opinion) skips bleach: the result is the
# same (property-tested against bleach in tests/consultations/test_opinion_submission.py).
_NEEDS_PARSING = re.compile("[<>&\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
                            "|[\U0001fffe-\U0001ffff\U0002fffe-\U0002ffff\U0003fffe-\U0003ffff\U0004fffe-\U0010ffff]")


def clean_text(value):
    """Plain text only: strip every tag (bleach), normalise line endings, drop control characters."""
    text = str(value or "")
    if _NEEDS_PARSING.search(text):
        text = bleach.clean(text, tags=set(), attributes={}, strip=True, strip_comments=True)
        # bleach escapes &<> for HTML output; we store plain text and escape on output instead.
        text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    # Unescaping can rebuild markup bleach removed (&lt;script&gt;), and so can dropping a control
    # character ("<\x7f?" → "<?", found by make fuzz): store such a "<" as full-width ＜, last.
    return _TAG_START.sub("＜", text).strip()


def mask_personal_data(text):
    """Replace ID numbers, phone numbers and e-mail addresses typed into free text."""
    text = text.translate(_FULL_WIDTH_DIGITS)  # １３９… typed with a Chinese input method
    if not _CANDIDATE.search(text):
        return text
    text = _ID_NUMBER.sub("[身份证号已隐藏]", text)
    text = _EMAIL.sub("[邮箱已隐藏]", text)
    text = _MOBILE.sub("[电话已隐藏]", text)
    return _LANDLINE.sub("[电话已隐藏]", text)


def contains_personal_data(text):
    return any(p.search(text) for p in (_ID_NUMBER, _EMAIL, _MOBILE, _LANDLINE))


def mask_name(name):
    """张三丰 → 张**; an empty name stays anonymous."""
    name = (name or "").strip()
    if not name:
        return "匿名"
    return name[0] + "*" * max(1, len(name) - 1)


def client_fingerprint(request):
    """A keyed hash of the client address: enough for rate limits, useless as personal data."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if getattr(settings, "TRUST_X_FORWARDED_FOR", False) else ""
    address = forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
