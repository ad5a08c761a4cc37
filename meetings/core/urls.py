"""Absolute links for emails and calendars, always built from BASE_URL.

Never from the request's Host header (DESIGN.md §6): a forged Host would otherwise end up in
every invite. Works in the scheduler too, where there is no request at all.
"""

from __future__ import annotations

import functools
import re
import secrets
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import Map, MapAdapter


def external_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` under BASE_URL."""
    return _adapter(current_app.url_map, current_app.config["BASE_URL"]).build(endpoint, values, force_external=True)


#: What a capability link's token is made of (``secrets.token_urlsafe``): characters no URL
#: builder escapes.
_UNRESERVED = re.compile(r"[A-Za-z0-9_-]+")


def token_url(endpoint: str, token: str) -> str:
    """`external_url` of ``endpoint`` with its one value ``token`` (a capability link's).

    The URL is built through the URL map once per endpoint and BASE_URL, with a marker where the
    token goes, and each call writes the token there: building costs more than everything else a
    link in an email does, and a batch of emails writes thousands. A token with anything but
    letters, digits, ``-`` and ``_`` is built the long way (escaped as the URL map escapes it)."""
    if not _UNRESERVED.fullmatch(token):
        return external_url(endpoint, token=token)
    head, tail = _around_token(current_app.url_map, current_app.config["BASE_URL"], endpoint)
    return head + token + tail


@functools.lru_cache(maxsize=64)
def _around_token(url_map: Map, base_url: str, endpoint: str) -> tuple[str, str]:
    marker = "token" + secrets.token_hex(12)
    url = _adapter(url_map, base_url).build(endpoint, {"token": marker}, force_external=True)
    head, found, tail = url.partition(marker)
    if not found or marker in tail:
        raise RuntimeError(f"{endpoint}'s URL does not write its token once: {url}")
    return head, tail


@functools.lru_cache(maxsize=8)
def _adapter(url_map: Map, base_url: str) -> MapAdapter:
    # Made once per app and BASE_URL: binding costs more than building a link, and a batch of
    # emails builds thousands. Building reads the adapter and never changes it.
    base = urlsplit(base_url)
    return url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
