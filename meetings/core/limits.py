"""Rate limits shared by several domains: whom a limit counts, and the pages behind links.

Every limit of the app counts by the same key, `client_address` (set as Flask-Limiter's
``key_func`` in `meetings.extensions`). Many people of one site often share one address (a
company's NAT), so what is limited hard on the pages behind links is wrong links (a token that
opens nothing: unknown, revoked, expired); actions (a POST: an answer, a join, a check-in) have
a generous cap; reading a page through a good link costs no counting at all, so opening a link
makes no round trip to the limits' storage. The counting is Flask-Limiter's, through its public
``limit`` used as a context manager (documented since Flask-Limiter 2.9: a limit for a block
inside a view, hit when the block is entered): its storage (``RATELIMIT_STORAGE_URI``: Redis in
production, so that every worker and host counts together; ``memory://`` counts per process),
its windows, ``RATELIMIT_ENABLED``. A refusal is Flask-Limiter's ``RateLimitExceeded``, which
the app's error handler answers in the reader's language: JSON for the API, a page for pages.

Link pages count only what this module counts for them: a request filter (Flask-Limiter's public
``request_filter``) exempts their requests from any other limit, except while `count_wrong_link`
or the cap on actions counts. That spares each of their requests Flask-Limiter's pass over the
limits before the view, which finds nothing to count there and cost about a tenth of a link
page's CPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, g, request
from flask_babel import gettext as _

#: The limits of link pages, made once (`_link_limits`): Flask-Limiter keeps the limits it has
#: seen by where they were entered.
_limits: dict[str, object] = {}
#: The names of the blueprints of link pages (`limit_link_pages`).
_link_blueprints: set[str] = set()
#: Set on ``g`` while a limit of link pages counts (`_counting`).
_COUNTING = "meetings_counting_link_limit"


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


def _link_limits():
    if not _limits:
        from meetings.extensions import limiter

        # Shared limits: one count per address across every link page (a guesser moving from
        # /rsvp/ to /join/ is the same guesser), whatever view counts it.
        _limits["misses"] = limiter.shared_limit(_link_miss_limit, "link-misses", key_func=client_address,
                                                 error_message=too_many_wrong_links)
        _limits["actions"] = limiter.shared_limit(_link_limit, "link-actions", key_func=client_address)
    return _limits


@contextmanager
def _counting() -> Iterator[None]:
    """Within this block a limit of link pages counts (`not_counted_here` says False)."""
    setattr(g, _COUNTING, g.get(_COUNTING, 0) + 1)
    try:
        yield
    finally:
        setattr(g, _COUNTING, g.get(_COUNTING) - 1)


def not_counted_here() -> bool:
    """Flask-Limiter's request filter: True (exempt) for a request of a link page, unless one of
    this module's limits is counting it now."""
    return request.blueprint in _link_blueprints and not g.get(_COUNTING)


def count_wrong_link() -> None:
    """Count a wrong link against the client's address (`meetings.core.linkpages.unknown_link`);
    once ``LINK_MISS_LIMIT`` is spent, Flask-Limiter's ``RateLimitExceeded`` (a 429) instead."""
    with _counting(), _link_limits()["misses"]:
        pass


def limit_link_pages(blueprint) -> None:
    """Cap the actions (POSTs) on ``blueprint``'s pages at ``LINK_LIMIT`` per client address.
    Wrong links are counted by the views that find them (`count_wrong_link`); a page read
    through a good link is not counted.

    Entered as a context manager, not declared on the blueprint (``shared_limit(...,
    methods=["POST"])(blueprint)``, which would spare each answer Flask-Limiter's second pass
    over the limits): once `count_wrong_link` has entered its limit in a view, Flask-Limiter
    marks that endpoint as limited by a decorator and no longer checks the blueprint's limits
    before its requests, so the cap would stop after the first wrong link
    (``test_an_address_has_a_cap_on_answers_and_is_told_why_when_guessing`` fails so)."""

    from meetings.extensions import limiter

    if not _link_blueprints:
        limiter.request_filter(not_counted_here)
    _link_blueprints.add(blueprint.name)

    @blueprint.before_request
    def _count_action():
        if request.method == "POST":
            with _counting(), _link_limits()["actions"]:
                pass
