"""Domain errors and the one place that turns any error into a response.

Services raise the errors below; handlers never build error bodies themselves. API requests get
``{"error": {"status", "message", "fields"}}``; pages get the error template.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from meetings.core.limits import LinkLimitReached

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A request that breaks a rule. ``field`` names the input at fault, when there is one."""

    status = 422

    def __init__(self, message: str, field: str | None = None, *, fields: dict | None = None):
        # Messages are written in the reader's language (flask_babel's gettext at the raise, or a
        # lazy string resolved here): the API and the form that shows it get the same words.
        message = str(message)
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = dict(fields or {})
        if field:
            self.fields.setdefault(field, []).append(message)


class InvalidInput(DomainError):
    """The input cannot be accepted as it is (a rule of the domain says no)."""


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it does."""

    status = 404


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a published meeting...)."""

    status = 409


def _wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/api":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, message: str, fields: dict | None = None, headers=None):
    """The response for an error, JSON or page depending on the request."""
    if _wants_json():
        body = {"error": {"status": status, "message": message, "fields": fields or {}}}
        response = jsonify(body)
    else:
        try:
            page = render_template("error.html", status=status, message=message, fields=fields or {})
        except Exception:  # a request the app cannot even build links for (an unknown Host)
            page = f"{status}: {message}\n"
            response = make_response(page, status, {"Content-Type": "text/plain; charset=utf-8"})
        else:
            response = make_response(page)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _flatten_webargs_messages(messages) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {"start": [...]}}); we report by field."""
    fields: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return fields
    for location, per_location in messages.items():
        if isinstance(per_location, dict):
            for name, problems in per_location.items():
                fields[name] = _as_messages(problems)
        else:
            fields[location] = _as_messages(per_location)
    return fields


def _as_messages(problems) -> list[str]:
    if isinstance(problems, list):
        return [p if isinstance(p, str) else str(p) for p in problems]
    if isinstance(problems, dict):
        out = []
        for key, value in problems.items():
            for message in _as_messages(value):
                out.append(f"{key}: {message}")
        return out
    return [str(problems)]


_STATUS_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Authentication required: send a valid API token as 'Authorization: Bearer TOKEN'."),
    403: _l("You may not do this."),
    404: _l("Not found."),
    405: _l("Method not allowed."),
    413: _l("The request body is too large (the limit is 10 MB)."),
    415: _l("Unsupported media type."),
    422: _l("The input is not valid."),
    429: _l("Too many requests: slow down and try again later."),
}


def register_error_handlers(app: Flask) -> None:
    """Route every error through `error_response`, and roll back the session on a crash."""
    from meetings.extensions import db

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status, error.message, error.fields)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        db.session.rollback()
        status = error.code or 500
        data = getattr(error, "data", None)
        fields = _flatten_webargs_messages(data.get("messages") if isinstance(data, dict) else None)
        message = str(_STATUS_MESSAGES.get(status) or error.description or error.name)
        limit = getattr(error, "limit", None)  # Flask-Limiter's RateLimitExceeded carries its limit
        if isinstance(error, LinkLimitReached) or (status == 429 and limit is not None and limit.error_message):
            message = str(error.description)  # the limit says why (in the reader's language)
        if fields.get("json") == ["Invalid JSON body."]:
            message, fields = _("The body is not valid JSON."), {}
        elif status == 422 and fields:
            message = _("The input is not valid:") + " " + "; ".join(
                f"{name}: {' '.join(problems)}" for name, problems in sorted(fields.items())
            )
        headers = {}
        if status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="meetings"'
        valid_methods = getattr(error, "valid_methods", None)  # MethodNotAllowed's, when it knows them
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        if status == 429:
            # A link page's limit knows when its window ends (`LinkLimitReached`); a refusal by
            # Flask-Limiter carries it in its response when one was made.
            retry_after = dict(error.get_headers()).get("Retry-After")
            if error.response is not None:
                retry_after = error.response.headers.get("Retry-After", retry_after)
            if retry_after:
                headers["Retry-After"] = retry_after
        return error_response(status, message, fields, headers)

    @app.errorhandler(IntegrityError)
    def handle_integrity_error(error: IntegrityError):
        # Two requests at once both passed the services' checks; the database's constraint let
        # one through. The other gets what it would have got a moment later.
        db.session.rollback()
        log.info("integrity error on %s %s: %s", request.method, request.path, error.orig)
        return error_response(409, _("This clashes with a change made at the same moment (something that "
                                     "must be unique exists now). Reload and try again."))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_error(error)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, _("Something went wrong on our side; nothing was saved."))
