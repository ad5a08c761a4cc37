"""Structured logs: one JSON object per line, each carrying the request id when there is one.

No log line carries a secret: capability links (``/rsvp/``, ``/join/``, ``/checkin/``,
``/feeds/`` and any other path or query that holds a token), ``?token=`` and bearer tokens are
written as ``[redacted]`` (`redact`), in the app's lines and in gunicorn's access log
(`GunicornLogger`, named in gunicorn.conf.py). A log is read by more people, kept longer and
copied further than the database, which stores only the tokens' hashes.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime

from flask import Flask, g, has_app_context
from gunicorn import glogging

_EXTRA = ("request_id", "method", "path", "status", "duration_ms")

REDACTED = "[redacted]"
_SECRETS = (
    # A link's path: its token is the segment after the purpose (``/feeds/TOKEN.ics`` too).
    (re.compile(r"(/(?:rsvp|join|checkin|feeds)/)[^/?#\s\"'.]+", re.IGNORECASE), r"\1" + REDACTED),
    # A token, key or password in a query string or a form.
    (re.compile(r"((?:^|[?&;\s\"'])(?:token|access_token|api_token|key|password|secret|code)=)[^&;\s\"']*",
                re.IGNORECASE), r"\1" + REDACTED),
    # An Authorization header's credentials (Bearer, Basic, any scheme).
    (re.compile(r"((?:Bearer|Basic|Token)\s+)[^\s\"',;]+", re.IGNORECASE), r"\1" + REDACTED),
    # Whatever else looks like one of our tokens (`secrets.token_urlsafe(32)`: 43 characters).
    (re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"), REDACTED),
)


def redact(text: str) -> str:
    """``text`` with every capability token and credential replaced by ``[redacted]``."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in _EXTRA:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if "request_id" not in entry and has_app_context() and g.get("request_id"):
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False))


def json_handler(stream=None) -> logging.Handler:
    """A handler writing JSON lines (`JsonFormatter`) to ``stream`` (standard error)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    return handler


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and its traceback) redacted, for loggers whose lines we do
    not format ourselves (gunicorn's error log names the URI of a request that failed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger without secrets: every atom of an access line (request line, path,
    query, referer, headers, environ) is redacted before the line is formatted, and the error
    log's messages and tracebacks are redacted too."""

    def setup(self, cfg):
        """gunicorn's set-up, then the error log's filter."""
        super().setup(cfg)
        if not any(isinstance(f, RedactingFilter) for f in self.error_log.filters):
            self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        """gunicorn's atoms, each text redacted."""
        found = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in found.items()}


def init_app(app: Flask) -> None:
    """Outside development and tests, log JSON lines to standard error at LOG_LEVEL."""
    if app.debug or app.testing:
        return
    root = logging.getLogger("meetings")
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.addHandler(json_handler())
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    root.propagate = False
