"""What pages behind capability links share: no CSRF token, no rate limit, no referrer.

The secret in the URL is what authorises a POST to ``/join/TOKEN`` or ``/checkin/TOKEN``, not
a cookie: a forged cross-site form would have to know the token, and whoever knows it can post
anyway. So these pages need no CSRF token, set no session cookie (room systems and shared phones
keep none), and are cheaper at the minute everyone joins. A 256-bit token cannot be guessed,
so they are not rate limited either. They send ``Referrer-Policy: no-referrer`` and are never
cached, so the token does not leak through a link or a shared cache.
"""

from __future__ import annotations

from flask import Blueprint

from meetings.extensions import csrf, limiter


def link_pages_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of capability-link pages: every response private and without referrer."""
    blueprint = Blueprint(name, import_name)
    blueprint.after_request(_private)
    return blueprint


def exempt_link_pages(blueprint: Blueprint) -> None:
    """Exempt ``blueprint``'s pages from CSRF tokens and rate limits (see the module docstring);
    called by the domain's ``init_app`` for each app."""
    csrf.exempt(blueprint)
    limiter.exempt(blueprint)


def _private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
