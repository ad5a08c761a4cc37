"""Absolute links for emails and calendars, always built from BASE_URL.

Never from the request's Host header (DESIGN.md §6): a forged Host would otherwise end up in
every invite. Works in the scheduler too, where there is no request at all.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` under BASE_URL."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
