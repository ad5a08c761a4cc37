"""No log line carries a token: the app's JSON lines and gunicorn's access log, as configured in
gunicorn.conf.py, with links, ``?token=`` and bearer tokens in every place a request has them."""

import io
import logging
import runpy
import secrets
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from meetings.core import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app_log(app):
    """What the app's loggers write, through the handler production installs."""
    stream = io.StringIO()
    handler = logs.json_handler(stream)
    root = logging.getLogger("meetings")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def requests_with_tokens():
    token = secrets.token_urlsafe(32)
    return token, [("GET", f"/rsvp/{token}"), ("POST", f"/rsvp/{token}"), ("GET", f"/join/{token}"),
                   ("GET", f"/join/{token}/roll-call"), ("GET", f"/checkin/{token}"), ("GET", f"/feeds/{token}.ics"),
                   ("GET", f"/api/meetings?token={token}"), ("GET", f"/people?q=a&token={token}")]


def test_the_apps_log_lines_carry_no_token(client, api, app_log):
    token, requests = requests_with_tokens()
    for method, url in requests:
        client.open(url, method=method, headers={"Authorization": f"Bearer {token}"})
    api.get(f"/api/meetings?token={token}")
    logging.getLogger("meetings.test").warning("a line that names /rsvp/%s and Bearer %s", token, api.token)
    written = app_log.getvalue()
    assert written.count("\n") >= len(requests) + 2
    assert "/rsvp/[redacted]" in written and "/feeds/[redacted].ics" in written
    assert token not in written and api.token not in written


def gunicorn_config(access_log: Path, access_log_format: str | None = None) -> Config:
    """gunicorn's settings from gunicorn.conf.py, the access log to ``access_log``."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    for name in ("logger_class", "access_log_format"):
        config.set(name, settings[name])
    if access_log_format:
        config.set("access_log_format", access_log_format)
    config.set("accesslog", str(access_log))
    return config


@pytest.mark.parametrize("log_format", [None, '%(h)s "%(r)s" %(U)s %(q)s "%(f)s" "%(a)s" %(u)s '
                                              '%({authorization}i)s %({x-token}i)s %({http_authorization}e)s'])
def test_gunicorns_access_log_carries_no_token(tmp_path, log_format):
    config = gunicorn_config(tmp_path / "access.log", log_format)
    assert config.logger_class is logs.GunicornLogger
    logger = config.logger_class(config)
    token, requests = requests_with_tokens()
    for method, url in requests:
        path, _, query = url.partition("?")
        environ = {"REQUEST_METHOD": method, "RAW_URI": url, "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                   "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_REFERER": f"https://meetings.example.com{url}",
                   "HTTP_USER_AGENT": "test"}
        request = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {token}"), ("X-TOKEN", token)])
        response = SimpleNamespace(status="200 OK", sent=10, headers=[("X-Request-ID", "abcdefgh12")])
        logger.access(response, request, environ, timedelta(milliseconds=3))
    for log in (logger.access_log, logger.error_log):
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
    written = (tmp_path / "access.log").read_text()
    assert written.count("\n") == len(requests)
    assert "/rsvp/[redacted]" in written
    assert token not in written


def test_gunicorns_error_log_carries_no_token(tmp_path):
    config = gunicorn_config(tmp_path / "access.log")
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = config.logger_class(config)
    token = secrets.token_urlsafe(32)
    try:
        raise RuntimeError(f"failed on /join/{token}")
    except RuntimeError:
        logger.exception("Error handling request %s", f"/rsvp/{token}")
    for log in (logger.access_log, logger.error_log):
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
    written = (tmp_path / "error.log").read_text()
    assert "Error handling request /rsvp/[redacted]" in written and "RuntimeError" in written
    assert token not in written
