"""Rate limits shared by several domains: whom a limit counts, and the pages behind links.

Every limit of the app counts by the same key, `client_address` (set as Flask-Limiter's
``key_func`` in `meetings.extensions`). Many people of one site often share one address (a
company's NAT), so what is limited hard on the pages behind links is wrong links (a token that
opens nothing: unknown, revoked, expired), counted exactly; actions (a POST: an answer, a join, a
check-in) have a generous cap, which each process counts in the storage a few actions at a time
(`batch_for`); reading a page through a good link costs no counting at all, so opening a link
makes no round trip to the limits' storage.

The rest of the app is limited by Flask-Limiter's declared limits (the sign-in throttle, the
API's). Link pages are exempt from them (a request filter, Flask-Limiter's public
``request_filter``) and count their two limits here, through Flask-Limiter's public
``Limiter.limiter``: the ``limits`` strategy it runs, on its storage (``RATELIMIT_STORAGE_URI``:
Redis in production, so that every worker and host counts together; ``memory://`` counts per
process), under ``RATELIMIT_ENABLED`` and ``RATELIMIT_KEY_PREFIX``. Counting through
Flask-Limiter's request machinery instead (a limit declared on the view, or entered as a
context manager) costs a second full pass over every limit the app knows on each answer, about
a fifth of an answer's CPU, for one counter. A refusal is `LinkLimitReached`, a 429 that says
why in the reader's language and when to try again (``Retry-After``). While the storage is out of
reach (``limits.errors.StorageError``, raised as ``RATELIMIT_STORAGE_OPTIONS`` asks), the link
pages are served uncounted and each miss of a count is logged: an invitee's answer must not fail
because Redis did.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from flask import current_app, request
from flask_babel import gettext as _
from limits import RateLimitItem, parse
from limits.errors import StorageError
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

#: The names of the blueprints of link pages (`limit_link_pages`).
_link_blueprints: set[str] = set()
#: Limits by their text (``LINK_LIMIT``, ``LINK_MISS_LIMIT``), parsed once.
_parsed: dict[str, RateLimitItem] = {}


class LinkLimitReached(TooManyRequests):
    """A 429 of a link page's limit: its ``description`` says why, in the reader's language,
    and ``retry_after`` the seconds until the window that refused ends."""


def client_address() -> str:
    """Whom a rate limit counts: the client's address, as Werkzeug gives it (behind a proxy,
    the proxy's own configuration decides what ``remote_addr`` is)."""
    return request.remote_addr or "127.0.0.1"


def too_many_wrong_links() -> str:
    """What a refusal for guessed links says, in the reader's language."""
    return _("Too many wrong links from your address: wait a minute.")


def too_many_actions() -> str:
    """What a refusal for too many answers, joins or check-ins says, in the reader's language
    (the words of any other 429: `meetings.core.errors`)."""
    return _("Too many requests: slow down and try again later.")


#: A generous cap (``LINK_LIMIT``: hundreds an address a minute) is counted in the storage a few
#: actions at a time: at most one `BATCH_SHARE`-th of the cap, and at most `MAX_BATCH`, per process.
#: Each round trip to Redis is a wait on a busy machine (in the rush of answers after the invites
#: go out, it was a third of a worker's time), and a cap of 600 a minute that lets through up to
#: nine more per worker still stops a flood. A small cap (``LINK_MISS_LIMIT``: 30 wrong links a
#: minute) is a batch of one: counted exactly, at every hit.
BATCH_SHARE = 50
MAX_BATCH = 10
#: Addresses whose actions this process holds uncounted, at most (beyond, they are forgotten:
#: a batch each at most goes uncounted).
MAX_HELD = 10_000


class _Held:
    """What this process counted and has not yet told the storage, per limit and address, and the
    addresses it already knows are refused (until their window ends)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uncounted: dict[tuple, int] = {}
        self.refused_until: dict[tuple, float] = {}

    def take(self, key: tuple, batch: int) -> int:
        """Hold one more action of ``key``; the number to count now (0: held, under ``batch``)."""
        with self.lock:
            held = self.uncounted.pop(key, 0) + 1
            if held < batch:
                if len(self.uncounted) >= MAX_HELD:
                    self.uncounted.clear()
                self.uncounted[key] = held
                return 0
            return held

    def refused(self, key: tuple) -> float | None:
        """When the window that refused ``key`` ends (a Unix time), while it lasts; else None."""
        until = self.refused_until.get(key)
        if until is not None and until <= time.time():
            with self.lock:
                self.refused_until.pop(key, None)
            return None
        return until

    def refuse(self, key: tuple, until: float) -> None:
        with self.lock:
            if len(self.refused_until) >= MAX_HELD:
                now = time.time()
                self.refused_until = {k: v for k, v in self.refused_until.items() if v > now}
                if len(self.refused_until) >= MAX_HELD:
                    self.refused_until.clear()
            self.refused_until[key] = until


_held = _Held()


def batch_for(item: RateLimitItem) -> int:
    """How many actions this process counts at once against ``item`` (`BATCH_SHARE`)."""
    return max(1, min(MAX_BATCH, item.amount // BATCH_SHARE))


def _count(limit: str, scope: str, refusal) -> None:
    """Hit ``limit`` (a limit's text) for the client's address in ``scope``, one count shared by
    every link page; `LinkLimitReached` saying ``refusal()`` once it is spent. A generous limit is
    counted a batch at a time (`batch_for`): Flask-Limiter's public ``Limiter.limiter`` strategy,
    ``hit(..., cost=n)``."""
    from meetings.extensions import limiter

    if not limiter.enabled:
        return
    item = _parsed.get(limit)
    if item is None:
        item = _parsed.setdefault(limit, parse(limit))
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    identifiers = (prefix, client_address(), scope) if prefix else (client_address(), scope)
    key = (limit, *identifiers)
    until = _held.refused(key)
    if until is not None:
        raise LinkLimitReached(description=refusal(), retry_after=max(1, math.ceil(until - time.time())))
    cost = _held.take(key, batch_for(item))
    if not cost:
        return
    strategy = limiter.limiter
    try:
        allowed = strategy.hit(item, *identifiers, cost=cost)
        reset = None if allowed else strategy.get_window_stats(item, *identifiers).reset_time  # a Unix time
    except StorageError as error:
        # The counters are out of reach (Redis down): the pages behind links keep working, answers
        # and joins included, uncounted meanwhile. A wrong link is still a 404, and a 256-bit
        # token is not guessed in an outage's minutes.
        log.warning("link limit %s not counted: the rate limits' storage failed: %s", scope, error.storage_error)
        return
    if reset is not None:
        if cost > 1:  # the process refuses the address itself until the window ends
            _held.refuse(key, reset)
        raise LinkLimitReached(description=refusal(), retry_after=max(1, math.ceil(reset - time.time())))


def not_counted_here() -> bool:
    """Flask-Limiter's request filter: True (exempt from its declared limits) for a request of a
    link page, which counts its own (`count_wrong_link`, `limit_link_pages`)."""
    return request.blueprint in _link_blueprints


def count_wrong_link() -> None:
    """Count a wrong link against the client's address (`meetings.core.linkpages.unknown_link`);
    once ``LINK_MISS_LIMIT`` is spent, `LinkLimitReached` (a 429) instead."""
    _count(current_app.config["LINK_MISS_LIMIT"], "link-misses", too_many_wrong_links)


def limit_link_pages(blueprint) -> None:
    """Cap the actions (POSTs) on ``blueprint``'s pages at ``LINK_LIMIT`` per client address,
    and exempt its pages from Flask-Limiter's declared limits. Wrong links are counted by the
    views that find them (`count_wrong_link`); a page read through a good link is not counted."""

    from meetings.extensions import limiter

    if not _link_blueprints:
        limiter.request_filter(not_counted_here)
    _link_blueprints.add(blueprint.name)

    @blueprint.before_request
    def _count_action():
        if request.method == "POST":
            _count(current_app.config["LINK_LIMIT"], "link-actions", too_many_actions)
