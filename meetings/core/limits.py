"""Rate limits shared by several domains: the pages behind capability links.

Many people of one site often share one address (a company's NAT), so what is limited hard is
failed lookups (a 404 is a wrong or guessed token); ordinary use only has a generous cap.
"""

from __future__ import annotations

import time

from flask import current_app
from limits.storage import MemoryStorage

from meetings.extensions import limiter


def _not_found(response) -> bool:
    return response.status_code == 404


def limit_link_pages(blueprint) -> None:
    """Rate-limit every route of ``blueprint`` by client address."""
    limiter.limit(lambda: current_app.config["LINK_LIMIT"])(blueprint)
    limiter.limit(lambda: current_app.config["LINK_MISS_LIMIT"], deduct_when=_not_found,
                  error_message="Too many wrong links from your address: wait a minute.")(blueprint)


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
