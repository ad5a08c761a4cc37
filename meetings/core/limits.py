"""Rate limits shared by several domains: whom a limit counts, and the pages behind links.

Every limit of the app counts by the same key, `client_address` (set as Flask-Limiter's
``key_func`` in `meetings.extensions`). Many people of one site often share one address (a
company's NAT), so what is limited hard on the pages behind links is failed lookups (a 404 is a
wrong or guessed token); ordinary use only has a generous cap. The counting is Flask-Limiter's,
through its public ``limit`` decorator: its storage (``RATELIMIT_STORAGE_URI``: Redis in
production, so that every worker and host counts together; ``memory://`` counts per process),
its windows, ``RATELIMIT_ENABLED``. A refusal is Flask-Limiter's ``RateLimitExceeded``, which
the app's error handler answers in the reader's language: JSON for the API, a page for pages.
"""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _


def client_address() -> str:
    """Whom a rate limit counts: the client's address, as Werkzeug gives it (behind a proxy,
    the proxy's own configuration decides what ``remote_addr`` is)."""
    return request.remote_addr or "127.0.0.1"


def too_many_wrong_links() -> str:
    """What a refusal for guessed links says, in the reader's language (Flask-Limiter calls it
    at the refusal)."""
    return _("Too many wrong links from your address: wait a minute.")


def _link_limit() -> str:
    return current_app.config["LINK_LIMIT"]


def _link_miss_limit() -> str:
    return current_app.config["LINK_MISS_LIMIT"]


def _missed(response) -> bool:
    return response.status_code == 404


def limit_link_pages(blueprint) -> None:
    """Rate-limit every route of ``blueprint`` by client address: ``LINK_LIMIT`` requests, and
    ``LINK_MISS_LIMIT`` wrong links (only 404s are counted; once spent, every link page of the
    blueprint is refused to that address until the window ends)."""
    from meetings.extensions import limiter

    limiter.limit(_link_miss_limit, key_func=client_address, deduct_when=_missed,
                  error_message=too_many_wrong_links, scope=f"link-misses:{blueprint.name}")(blueprint)
    limiter.limit(_link_limit, key_func=client_address, scope=f"link-pages:{blueprint.name}")(blueprint)
