"""Logs for production: one JSON object a line, with personal data masked (stdlib only).

`PersonalDataFilter` goes on a handler, so it sees every record that reaches it, from any logger:
it formats the message with its arguments, drops query strings from the servers' messages (a
rejected request line), masks ID numbers, phone numbers and e-mail addresses
(`consultations.privacy.mask_personal_data`, the same rules as the public text), and does the same
to the exception text and to extra string fields. `JsonFormatter` then writes the record as one
line of JSON (newlines inside the message or a traceback are escaped by the encoder).

`cms.settings.production` uses both for Django's loggers, and deploy/granian_serve.py and
deploy/gunicorn.conf.py for the servers' error and access logs.
"""
import json
import logging
import os
import re
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else was passed as `extra=` and may go into the JSON.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# gunicorn's access log passes the request's atoms as the record's arguments: only these are kept
# (never the request line `r`, the query string `q`, the referer `f` or the headers).
GUNICORN_ACCESS_FIELDS = {"m": "method", "U": "path", "s": "status", "B": "bytes", "M": "duration_ms",
                          "h": "remote_addr", "H": "protocol", "a": "user_agent"}
# granian's access log (deploy/granian_serve.py) passes a dict of its atoms; never its query_string.
GRANIAN_ACCESS_FIELDS = {"method": "method", "path": "path", "status": "status", "dt_ms": "duration_ms",
                         "addr": "remote_addr", "protocol": "protocol"}
# A query string inside a message, e.g. gunicorn's "Invalid HTTP request line: 'GET /hotline/?q=…'".
_QUERY_STRING = re.compile(r"(/[^\s'\"?]*)\?[^\s'\"]*")


def _mask(text):
    from consultations.privacy import mask_personal_data  # late: importable before Django is set up

    return mask_personal_data(text)


class PersonalDataFilter(logging.Filter):
    """Mask ID numbers, phone numbers and e-mail addresses in the message, traceback and extras."""

    def filter(self, record):
        if getattr(record, "_personal_data_masked", False):
            return True
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            # Keep the safe request fields before the arguments are folded into the message.
            record.http = {name: record.args.get(atom) for atom, name in GUNICORN_ACCESS_FIELDS.items()}
            if str(record.http["status"]).isdigit():
                record.http["status"] = int(record.http["status"])
        elif record.name == "granian.access" and isinstance(record.args, dict):
            record.http = {name: record.args.get(atom) for atom, name in GRANIAN_ACCESS_FIELDS.items()}
            if isinstance(record.http["duration_ms"], float):
                record.http["duration_ms"] = round(record.http["duration_ms"])
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logged as it is rather than lost
            message = f"{record.msg} {record.args!r}"
        if record.name.startswith(("gunicorn.", "_granian", "granian.")):
            message = _QUERY_STRING.sub(r"\1?[查询参数已省略]", message)
        record.msg, record.args = _mask(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _mask(record.exc_text)
        if record.stack_info:
            record.stack_info = _mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, _mask_value(value))
        record._personal_data_masked = True
        return True


_MASK = PersonalDataFilter()


def _mask_value(value):
    if isinstance(value, str):
        return _mask(value)
    if isinstance(value, dict):
        return {key: _mask_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(item) for item in value]
    return value


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_jsonable(v) for v in value)
    return False


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts (UTC, ISO 8601), level, logger, message, process, and extras.

    It masks personal data itself too (through `PersonalDataFilter`), so a handler configured
    without the filter still writes nothing it should not. Extras are kept when they are plain JSON values; objects are left out, except Django's
    `request`, of which only the method and the path (never the query string) are written.
    """

    def format(self, record):
        _MASK.filter(record)  # a no-op when the handler's PersonalDataFilter already ran
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            entry["method"] = getattr(request, "method", None)
            entry["path"] = request.path
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and key not in entry and _jsonable(value):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def server_log_config(error_logger, access_logger, environ=os.environ):
    """logging.dictConfig for a web server's own logger (stderr) and access logger (stdout).

    JSON lines (LOG_FORMAT=plain: text lines), every one through PersonalDataFilter; LOG_LEVEL sets
    the server's own logger. Used by deploy/granian_serve.py and deploy/gunicorn.conf.py.
    """
    formatter = "plain" if environ.get("LOG_FORMAT") == "plain" else "json"

    def console(stream):
        return {"class": "logging.StreamHandler", "stream": f"ext://sys.{stream}", "filters": ["personal_data"],
                "formatter": formatter}

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"personal_data": {"()": "cms.logging.PersonalDataFilter"}},
        "formatters": {"json": {"()": "cms.logging.JsonFormatter"},
                       "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
        "handlers": {"error_console": console("stderr"), "access_console": console("stdout")},
        "root": {"level": "INFO", "handlers": ["error_console"]},
        "loggers": {
            error_logger: {"level": environ.get("LOG_LEVEL", "info").upper(), "handlers": ["error_console"],
                           "propagate": False},
            access_logger: {"level": "INFO", "handlers": ["access_console"], "propagate": False},
        },
    }
