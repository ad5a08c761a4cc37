"""Pages behind links (and the busiest API answers), rendered once per version of what they
show and kept in the worker.

At the minute a meeting starts, every room system and participant opens its join page, and each
page is the same until the organizer changes something or someone answers. A page that renders
a template of a few dozen times and names for each request spends most of its time on that;
kept here, a request costs the one small statement that checks its link and reads the meeting's
content version (`meetings.scheduling.versions`).

A page is found by its name, the request's address (its token and query), the language it is
written in, and the version the caller read: a change moves the version in the database, so a
page kept from before is never served again, whichever worker kept it. Each worker keeps the
`PAGE_CACHE_SIZE` pages used last (0 turns it off); error pages and forms with errors are
never kept. A meeting's JSON is kept the same way (`json_answer`), with an ``ETag``: a client
that sends it back in ``If-None-Match`` gets a 304 while nothing changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, request
from werkzeug.http import generate_etag

from meetings.core.i18n import current_language

_EXTENSION = "meetings_page_cache"
Page = TypeVar("Page")  # what is kept: a page's HTML, an answer's body and ETag


class PageCache:
    """The last ``size`` pages used, by key (safe to share between a worker's threads)."""

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: Any) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)


def init_app(app: Flask) -> None:
    """Give ``app`` its cache (none when ``PAGE_CACHE_SIZE`` is 0)."""
    size = int(app.config.get("PAGE_CACHE_SIZE", 0))
    app.extensions[_EXTENSION] = PageCache(size) if size > 0 else None


def cache() -> PageCache | None:
    """This app's cache, or None when it is turned off."""
    return current_app.extensions.get(_EXTENSION)


def page(name: str, version: Hashable | None, render: Callable[[], tuple[Hashable, Page] | None], *,
         by_language: bool = True) -> Page | None:
    """Page ``name`` for this request's address and language at ``version`` (what the caller
    read from the database just now, or None to render without keeping).

    ``render()`` loads and renders the page and returns ``(version, html)``, the version read
    with what it shows (in the same statement, so the two agree), or None when there is no page
    (a 404): that is not kept. An answer written in no language (JSON) passes
    ``by_language=False`` and is kept once for all.
    """
    pages = cache()
    if pages is None or version is None:
        rendered = render()
        return None if rendered is None else rendered[1]
    address, language = request.full_path, current_language() if by_language else None
    html = pages.get((name, address, language, version))
    if html is None:
        rendered = render()
        if rendered is None:
            return None
        rendered_version, html = rendered
        pages.put((name, address, language, rendered_version), html)
    return html


def json_answer(name: str, version: Hashable, dump: Callable[[], tuple[Hashable, object]]) -> Response:
    """The JSON answer ``name`` for this request's address at ``version``, as `page` keeps pages:
    ``dump()`` reads what it shows and returns ``(version read with it, data to serialize)``.

    The answer carries a strong ``ETag`` of its body, and a request whose ``If-None-Match``
    names it gets an empty 304 instead."""
    def render() -> tuple[Hashable, tuple[bytes, str]]:
        rendered_version, data = dump()
        body = current_app.json.response(data).get_data()
        return rendered_version, (body, generate_etag(body))

    body, etag = page(name, version, render, by_language=False)
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype=current_app.json.mimetype)
    response.set_etag(etag)
    return response
