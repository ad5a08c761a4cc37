"""Rate limits shared by several domains: the pages behind capability links.

Many people of one site often share one address (a company's NAT), so what is limited hard is
failed lookups (a 404 is a wrong or guessed token); ordinary use only has a generous cap.
"""

from __future__ import annotations

import time
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from meetings.extensions import limiter


MISS_MESSAGE = "Too many wrong links from your address: wait a minute."


class LinkLimitExceeded(TooManyRequests):
    """A 429 from the limits of link pages; ``limit.error_message`` says why, as Flask-Limiter's
    `RateLimitExceeded` does (the error handler reads it)."""

    def __init__(self, error_message: str | None = None):
        self.limit = SimpleNamespace(error_message=error_message)
        super().__init__(description=error_message)


def limit_link_pages(blueprint) -> None:
    """Rate-limit every route of ``blueprint`` by client address: ``LINK_LIMIT`` requests, and
    ``LINK_MISS_LIMIT`` wrong links (404s), counted per blueprint.

    The counting is Flask-Limiter's (its storage, its fixed windows, ``RATELIMIT_ENABLED``), done
    here in two hooks: Flask-Limiter's own decorators spent more per request on finding which
    limits apply than these pages spend on their query.
    """
    scope = f"link-pages:{blueprint.name}"

    @blueprint.before_request
    def _check_link_limits():
        if not limiter.enabled:
            return
        window, address = _window(), request.remote_addr or "127.0.0.1"
        config = current_app.config
        if not window.test(_parsed(config["LINK_MISS_LIMIT"]), scope, "misses", address):
            raise LinkLimitExceeded(MISS_MESSAGE)
        if not window.hit(_parsed(config["LINK_LIMIT"]), scope, "all", address):
            raise LinkLimitExceeded()

    @blueprint.after_request
    def _count_misses(response):
        if response.status_code == 404 and limiter.enabled:
            _window().hit(_parsed(current_app.config["LINK_MISS_LIMIT"]), scope, "misses",
                          request.remote_addr or "127.0.0.1")
        return response


@lru_cache(maxsize=32)
def _parsed(text: str) -> RateLimitItem:
    return parse(text)


def _window() -> FixedWindowRateLimiter:
    # Flask-Limiter's storage of the current app (tests make many apps; `limiter.reset()` clears it).
    storage = limiter.storage
    window = _windows.get(id(storage))
    if window is None or window.storage is not storage:
        window = _windows[id(storage)] = FixedWindowRateLimiter(storage)
    return window


_windows: dict[int, FixedWindowRateLimiter] = {}


class InProcessStorage(MemoryStorage):
    """limits' memory storage (``memory://``, one count per process) without its timer thread.

    The library's storage starts a fresh `threading.Timer` every 10 ms that a counter changes, to
    drop expired counters: under load that is a thread started every few requests, which cost
    more than the page behind the limit. Expired counters are already ignored when read; here the
    sweep that frees their memory runs inline, at most once every `SWEEP_SECONDS`. Registered
    under the same ``memory`` scheme, so ``RATELIMIT_STORAGE_URI=memory://`` gets it (redis://
    and the others are untouched).
    """

    STORAGE_SCHEME = ["memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer of the base class
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()
