"""Who is asking: bearer tokens on the API, sessions on pages."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, abort, g, request

from meetings.accounts import services
from meetings.accounts.models import User
from meetings.core import access
from meetings.core.access import bearer_blueprint
from meetings.core.tokens import plausible_token
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

    Every view of the blueprint goes through it, whatever it reads. The user is loaded only
    when the request needs them (`current_api_user`); deciding what the caller may see needs
    only `current_api_caller`. A view whose access rule declares a
    `meetings.core.access.ReadWithCaller` has what its rule loads read in the same statement."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not plausible_token(raw):
        abort(401)
    along = access.read_with_caller()
    if along is None:
        _accept(services.api_caller_for_token(raw))
        return
    read, params = along
    caller, row = services.caller_and_row(raw, read.statement, params)
    _accept(caller)
    access.read_along(row)


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
    if caller is None:  # only a view outside `protect_api_blueprint` gets here: fail closed
        abort(401)
    return caller


def protect_api_blueprint(blueprint) -> None:
    """Require a bearer token on every route of ``blueprint``; no CSRF (no cookies are used).
    Its handlers' declared access (`meetings.core.access`) then judges that token's caller."""
    blueprint.before_request(authenticate_api_request)
    bearer_blueprint(blueprint.name)
    csrf.exempt(blueprint)
