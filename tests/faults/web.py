"""A small HTTP client for the fault tests: cookies, CSRF, and the forms a person would fill in."""
import http.client
import json
import socket
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    def json(self):
        return json.loads(self.text)

    @property
    def location(self):
        return self.headers.get("location", "")


@dataclass
class Form:
    action: str
    method: str
    fields: list = field(default_factory=list)     # (name, value) as the browser would send them
    options: dict = field(default_factory=dict)    # select name → option values

    def data(self, **overrides):
        values = {}
        for name, value in self.fields:
            values.setdefault(name, value)
        values.update(overrides)
        return {name: value for name, value in values.items() if value is not None}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._textarea, self._text = [], None, None, None, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = Form(action=attrs.get("action") or "", method=(attrs.get("method") or "get").lower())
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self._form.fields.append((name, attrs.get("value", "on")))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                self._form.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select = name
            self._form.options[name] = []
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            self._form.options[self._select].append(value)
            if "selected" in attrs:
                self._form.fields.append((self._select, value))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self._form is not None:
            self._form.fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None


def forms(html):
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class Browser:
    """One visitor: keeps cookies, sends the CSRF token, optionally arrives through a proxy (X-Forwarded-For)."""

    def __init__(self, port, forwarded_for=None, timeout=30):
        self.port, self.timeout = port, timeout
        self.forwarded_for = forwarded_for or f"198.51.100.{uuid.uuid4().int % 250 + 1}"
        self.cookies = {}

    def request(self, method, path, data=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        body = urlencode(data, doseq=True).encode() if data is not None else None
        send = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "zcjd-fault-tests",
                "X-Forwarded-For": self.forwarded_for, "Accept-Language": "zh-CN"}
        if self.cookies:
            send["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
            send["Referer"] = f"http://127.0.0.1:{self.port}{path}"
            if "csrftoken" in self.cookies:
                send["X-CSRFToken"] = self.cookies["csrftoken"]
        send.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=send)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
            response_headers = {k.lower(): v for k, v in raw.getheaders()}
            for header, value in raw.getheaders():
                if header.lower() == "set-cookie":
                    self._store_cookie(value)
            return Response(raw.status, response_headers, text)
        finally:
            connection.close()

    def _store_cookie(self, header):
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data=data, **kwargs)

    def follow(self, response, limit=5):
        while response.status in (301, 302, 303) and limit:
            target = urlsplit(response.location)
            response = self.get(target.path + (f"?{target.query}" if target.query else ""))
            limit -= 1
        return response

    def login(self, username, password="demo-pass-2026"):
        page = self.get("/admin/login/")
        form = next(f for f in forms(page.text) if any(name == "username" for name, _ in f.fields))
        response = self.post("/admin/login/", form.data(username=username, password=password))
        assert response.status == 302, f"login of {username} failed: {response.status} {response.text[:300]}"
        return response


def server_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            pass
        return Browser(port, timeout=3).get("/healthz").status == 200
    except OSError:
        return False
