"""Production logs: one JSON object a line, and no phone, ID or e-mail number in any of it."""
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cms.logging import JsonFormatter, PersonalDataFilter

ROOT = Path(__file__).resolve().parents[2]
PHONE, LANDLINE, ID_NUMBER, EMAIL = "13812345678", "0991-7330383", "650102199003071234", "zhangsan@example.com"


@pytest.fixture
def capture():
    """A logger writing through the production handler set-up (filter + JSON formatter)."""
    saved = []

    def make(name="zcjd.test"):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.addFilter(PersonalDataFilter())
        handler.setFormatter(JsonFormatter())
        logger = logging.getLogger(name)
        saved.append((logger, logger.handlers, logger.propagate, logger.level))
        logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
        return logger, stream

    yield make
    for logger, handlers, propagate, level in saved:
        logger.handlers, logger.propagate, logger.level = handlers, propagate, level


def lines(stream):
    return stream.getvalue().splitlines()


def assert_no_personal_data(text):
    for value in (PHONE, "138 1234 5678", LANDLINE, ID_NUMBER, EMAIL):
        assert value not in text


def test_a_record_with_phone_id_and_email_comes_out_masked_as_one_json_line(capture):
    logger, stream = capture()
    logger.warning("来电人 %s 说：身份证 %s，邮箱 %s，座机 %s\n第二行", PHONE, ID_NUMBER, EMAIL, LANDLINE)

    [line] = lines(stream)  # one line, although the message had a newline
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "zcjd.test"
    assert entry["message"] == ("来电人 [电话已隐藏] 说：身份证 [身份证号已隐藏]，邮箱 [邮箱已隐藏]，"
                                "座机 [电话已隐藏]\n第二行")
    assert entry["ts"].endswith("+00:00") and isinstance(entry["process"], int)
    assert_no_personal_data(line)


def test_tracebacks_and_extra_fields_are_masked_too(capture):
    logger, stream = capture()
    try:
        raise ValueError(f"bad address {EMAIL} for 138 1234 5678")
    except ValueError:
        logger.exception("sending failed", extra={"caller": PHONE, "opinion": 42, "note": {"id": ID_NUMBER}})

    [line] = lines(stream)
    entry = json.loads(line)
    assert "Traceback" in entry["exc"] and "[邮箱已隐藏]" in entry["exc"]
    assert entry["caller"] == "[电话已隐藏]" and entry["opinion"] == 42
    assert entry["note"] == {"id": "[身份证号已隐藏]"}
    assert_no_personal_data(line)


def test_django_request_records_show_the_path_and_never_the_query_string(capture):
    from django.test import RequestFactory

    logger, stream = capture("django.request")
    request = RequestFactory().get("/api/qa/search", {"q": f"我的电话{PHONE}", "name": "张三"})
    logger.error("Internal Server Error: %s", request.path, extra={"request": request, "status_code": 500})

    entry = json.loads(lines(stream)[0])
    assert entry["path"] == "/api/qa/search" and entry["method"] == "GET" and entry["status_code"] == 500
    assert "q=" not in lines(stream)[0] and "张三" not in lines(stream)[0]


def test_gunicorn_access_lines_have_no_query_string():
    """Through gunicorn's own access logger, with deploy/gunicorn.conf.py's format and handlers."""
    import datetime
    import logging.config
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    namespace = {"__file__": str(ROOT / "deploy" / "gunicorn.conf.py")}
    exec(compile((ROOT / "deploy" / "gunicorn.conf.py").read_text(), namespace["__file__"], "exec"), namespace)
    config = Config()
    config.set("access_log_format", namespace["access_log_format"])
    config.set("accesslog", "-")
    access, error = logging.getLogger("gunicorn.access"), logging.getLogger("gunicorn.error")
    saved = access.handlers, access.propagate, error.handlers, error.propagate
    glog = Logger(config)
    # The access handler exactly as the config file defines it (filter and formatter), into a buffer.
    spec = {key: value for key, value in namespace["logconfig_dict"].items() if key != "root"}
    spec["loggers"] = {"gunicorn.access": spec["loggers"]["gunicorn.access"]}
    spec["handlers"] = {"access_console": spec["handlers"]["access_console"]}
    logging.config.dictConfig(spec)
    stream = io.StringIO()
    access.handlers[0].setStream(stream)

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/api/qa/search?q={PHONE}", "PATH_INFO": "/api/qa/search",
               "QUERY_STRING": f"q={PHONE}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "::1",
               "HTTP_REFERER": f"https://zhengce.example.gov.cn/hotline/?q={PHONE}", "HTTP_USER_AGENT": "curl/8"}
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    try:
        glog.access(response, SimpleNamespace(headers=[("COOKIE", "sessionid=secret")]), environ,
                    datetime.timedelta(milliseconds=12))
    finally:
        output = stream.getvalue()
        access.handlers, access.propagate, error.handlers, error.propagate = saved


    [line] = output.splitlines()
    entry = json.loads(line)
    assert entry["message"] == '::1 "GET /api/qa/search HTTP/1.1" 200 512 12ms "curl/8"'
    assert entry["http"] == {"method": "GET", "path": "/api/qa/search", "status": 200, "bytes": 512,
                             "duration_ms": 12, "remote_addr": "::1", "protocol": "HTTP/1.1", "user_agent": "curl/8"}
    assert PHONE not in line and "q=" not in line and "sessionid" not in line and "hotline" not in line


def test_gunicorn_error_lines_drop_a_rejected_request_lines_query_string(capture):
    logger, stream = capture("gunicorn.error")
    logger.warning("Invalid request from ip=127.0.0.1: Invalid HTTP request line: '%s'",
                   "GET /hotline/?q=张三的电话 HTTP/1.1")
    assert "张三" not in stream.getvalue() and "/hotline/?[查询参数已省略]" in stream.getvalue()


def test_production_settings_log_json_through_the_filter():
    code = ("import django, logging; django.setup(); from django.conf import settings as s; "
            "h = s.LOGGING['handlers']['console']; print(h['formatter'], h['filters'], "
            "s.LOGGING['formatters'][h['formatter']]['()'], s.LOGGING['filters']['personal_data']['()']); "
            f"logging.getLogger('consultations').warning('电话 {PHONE}')")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LOG_FORMAT", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(DJANGO_SETTINGS_MODULE="cms.settings.production", SECRET_KEY="k" * 20 + "x" * 40)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["json", "['personal_data']", "cms.logging.JsonFormatter",
                                     "cms.logging.PersonalDataFilter"]
    [line] = result.stderr.splitlines()
    assert json.loads(line)["message"] == "电话 [电话已隐藏]"
