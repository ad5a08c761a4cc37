"""Rate limits shared by several domains: the pages behind capability links.

Many people of one site often share one address (a company's NAT), so what is limited hard is
failed lookups (a 404 is a wrong or guessed token); ordinary use only has a generous cap.
"""

from __future__ import annotations

from flask import current_app

from meetings.extensions import limiter


def _not_found(response) -> bool:
    return response.status_code == 404


def limit_link_pages(blueprint) -> None:
    """Rate-limit every route of ``blueprint`` by client address."""
    limiter.limit(lambda: current_app.config["LINK_LIMIT"])(blueprint)
    limiter.limit(lambda: current_app.config["LINK_MISS_LIMIT"], deduct_when=_not_found,
                  error_message="Too many wrong links from your address: wait a minute.")(blueprint)
