"""Who is asking: bearer tokens on the API, sessions on pages."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, abort, g

from meetings.accounts import services
from meetings.accounts.models import User
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
    """Before every API request: resolve the bearer token into ``g.api_user`` or answer 401."""
    from flask import request

    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        abort(401)
    found = services.user_for_api_token(raw.strip())
    if found is None:
        abort(401)
    user, token = found
    if services.token_needs_touch(token):
        _touch(token.id)
    g.api_user = user


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
    """The user of the current API request (set by `authenticate_api_request`)."""
    return g.api_user


def protect_api_blueprint(blueprint) -> None:
    """Require a bearer token on every route of ``blueprint``; no CSRF (no cookies are used)."""
    blueprint.before_request(authenticate_api_request)
    csrf.exempt(blueprint)
