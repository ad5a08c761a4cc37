"""What every response carries: security headers and a request id; and one log line per request.

Pages send no inline script, so the Content-Security-Policy forbids it; styles may be inline
(the invite previews show emails, which carry their styles inline). Form posts are not limited
to this origin: the join page's POST sends people on to the videoconference's own site.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import uuid
from collections.abc import Callable

from flask import Flask, after_this_request, g, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
])
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("meetings.requests")


def shows_secret(view: Callable) -> Callable:
    """Declare that a handler's answer shows a secret (a new API token, a capability link): it
    is sent with ``Cache-Control: no-store``, so no browser history, back button or shared cache
    keeps it. (The capability-link pages get it from their blueprint, `meetings.core.linkpages`.)"""
    @functools.wraps(view)
    def marked(*args, **kwargs):
        after_this_request(_no_store)
        return view(*args, **kwargs)

    vars(marked)["shows_secret"] = True  # a function attribute, which mypy cannot declare
    return marked


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Give each request an id, and each response the headers and its log line."""
    https = app.config["BASE_URL"].startswith("https://")
    # The headers every response carries unless its view set its own; built once. (One look at
    # the few headers a response has, not a setdefault each: Werkzeug raises and catches a
    # KeyError for every header a setdefault does not find, which is all of them.)
    defaults = [("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
                ("X-Frame-Options", "DENY"), ("Referrer-Policy", "strict-origin-when-cross-origin"),
                ("Permissions-Policy", "camera=(), microphone=(), geolocation=()")]
    if https:
        defaults.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    by_key = tuple((name.lower(), name, value) for name, value in defaults)

    @app.before_request
    def _start():
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if _REQUEST_ID.match(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        headers.extend([(name, value) for key, name, value in by_key if key not in present])
        request_id = g.get("request_id")
        if request_id:
            headers["X-Request-ID"] = request_id
            started = g.get("request_started")
            if access_log.isEnabledFor(logging.INFO):  # the line's fields cost more than the check
                access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                    "request_id": request_id, "method": request.method, "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None})
        return response
