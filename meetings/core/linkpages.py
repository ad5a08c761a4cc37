"""What pages behind capability links share: no CSRF token, no referrer, a rate limit.

The secret in the URL is what authorises a POST to ``/join/TOKEN`` or ``/checkin/TOKEN``, not
a cookie: a forged cross-site form would have to know the token, and whoever knows it can post
anyway. So these pages need no CSRF token, set no session cookie (room systems and shared phones
keep none), and are cheaper at the minute everyone joins. They send ``Referrer-Policy:
no-referrer`` and are never cached, so the token does not leak through a link or a shared cache.

A 256-bit token cannot be guessed, but a client that keeps trying wrong ones is still stopped
(`meetings.core.limits`): failed lookups are limited hard, ordinary use generously, because the
people of one site often share one address.
"""

from __future__ import annotations

from flask import Blueprint

from meetings.core.limits import limit_link_pages
from meetings.extensions import csrf


def link_pages_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint of capability-link pages: every response private and without referrer, and
    the rate limits of link pages."""
    blueprint = Blueprint(name, import_name)
    blueprint.after_request(_private)
    limit_link_pages(blueprint)
    return blueprint


def exempt_link_pages(blueprint: Blueprint) -> None:
    """Exempt ``blueprint``'s pages from CSRF tokens (see the module docstring); called by the
    domain's ``init_app`` for each app."""
    csrf.exempt(blueprint)


def _private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
