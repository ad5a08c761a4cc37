"""Who is asking: bearer tokens on the API, sessions on pages."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request

from meetings.accounts import services
from meetings.accounts.models import User
from meetings.core.tokens import hash_token, plausible_token
from meetings.extensions import csrf, db, login_manager

log = logging.getLogger(__name__)


def init_login(app: Flask) -> None:
    """Configure Flask-Login for the pages."""
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        return services.load_session_user(session_id)


def authenticate_api_request() -> None:
    """Before every API request: resolve the bearer token into ``g.api_caller`` or answer 401.

    The user is loaded only when the request needs them (`current_api_user`); deciding what
    the caller may see needs only `current_api_caller`. A view marked `reads_own_caller` checks
    the token in its own first statement instead (`read_with_caller`)."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not plausible_token(raw):
        abort(401)
    g.api_token = raw
    if request.method in ("GET", "HEAD") and \
            getattr(current_app.view_functions.get(request.endpoint), "reads_own_caller", False):
        return
    _accept(services.api_caller_for_token(raw))


def reads_own_caller(view: Callable) -> Callable:
    """Mark an API view (a read) that checks its bearer token in the statement that reads what
    it shows, with `read_with_caller`: one round trip to the database instead of two, for the
    answers that room systems and calendars poll. It fails closed: until the view has read its
    caller, `current_api_caller` reads it as for any other view (401 for a bad token)."""
    view.reads_own_caller = True
    return view


def read_with_caller(read: Callable[..., tuple | None], *args) -> tuple:
    """In a view marked `reads_own_caller`: ``read(token_hash, *args)`` runs one statement that
    selects the `services.API_CALLER` of the request's token first, then what the view needs
    (the caller's row outer-joined to it). Answers 401 when the token is no one's; else the
    caller is the request's, as `authenticate_api_request` makes it, and the rest of the row
    is returned."""
    row = read(hash_token(g.api_token), *args)
    _accept(services.caller_from_row(row))
    return tuple(row[services.CALLER_COLUMNS:])


def _accept(caller: services.ApiCaller | None) -> services.ApiCaller:
    """``caller`` as this request's, its token's use recorded; 401 when there is none."""
    if caller is None:
        abort(401)
    if services.token_needs_touch(caller):
        _touch(caller.token_id)
    g.api_caller = caller
    return caller


def _touch(token_id: int) -> None:
    # Bookkeeping in a short transaction of its own, so it neither rides on nor breaks the
    # request's transaction; losing one update of "last used" is harmless.
    db.session.commit()
    try:
        services.touch_api_token(token_id)
        db.session.commit()
    except sa.exc.OperationalError:
        db.session.rollback()
        log.debug("could not record use of API token %s", token_id, exc_info=True)


def current_api_user() -> User:
    """The user of the current API request (found by `authenticate_api_request`), loaded once."""
    user = g.get("api_user")
    if user is None:
        user = g.api_user = db.session.get(User, g.api_caller.id)
    return user


def current_api_caller() -> services.ApiCaller:
    """Who the current API request is from: their id and whether they are an admin."""
    caller = g.get("api_caller")
    if caller is None:  # a view that `reads_own_caller` asked before reading it
        caller = _accept(services.api_caller_for_token(g.api_token))
    return caller


def protect_api_blueprint(blueprint) -> None:
    """Require a bearer token on every route of ``blueprint``; no CSRF (no cookies are used)."""
    blueprint.before_request(authenticate_api_request)
    csrf.exempt(blueprint)
