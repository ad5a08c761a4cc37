"""Absolute links for emails and calendars, always built from BASE_URL.

Never from the request's Host header (DESIGN.md §6): a forged Host would otherwise end up in
every invite. Works in the scheduler too, where there is no request at all.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import Map, MapAdapter


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` under BASE_URL."""
    return _adapter(current_app.url_map, current_app.config["BASE_URL"]).build(endpoint, values, force_external=True)


@functools.lru_cache(maxsize=8)
def _adapter(url_map: Map, base_url: str) -> MapAdapter:
    # Made once per app and BASE_URL: binding costs more than building a link, and a batch of
    # emails builds thousands. Building reads the adapter and never changes it.
    base = urlsplit(base_url)
    return url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
