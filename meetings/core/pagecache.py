"""What the busiest pages show of a meeting, rendered once per version of it and kept in the
worker.

Each invited person opens their own link (a fresh token in each email) once to three times, so
a whole page kept per address is seldom asked for again. What all of them share is the
meeting: its title, its agenda and speakers. That part is read and rendered once per content
version of the meeting (`meetings.scheduling.versions`) and language, and kept here
(`kept`); what belongs to one person (their invitation, their answer, their link) is read on
every request, in the page's one statement that also reads the meeting's version. A change
moves the version in the database, so what was kept from before is never used again, whichever
worker kept it.

Each worker keeps the `PAGE_CACHE_SIZE` entries used last (0 turns it off), and drops the least
recently used beyond `PAGE_CACHE_MB` megabytes between them (whole link pages are kept too:
`meetings.core.stencils`). A meeting's JSON
is kept the same way (`json_answer`), with an ``ETag``: a client that sends it back in
``If-None-Match`` gets a 304 while nothing changed. With ``PAGE_CACHE_REPORT`` on (the
benchmarks), each response that used kept parts says in ``X-Kept-Page`` whether they were all
kept (``hit``) or not (``miss``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, cast

from flask import Flask, Response, current_app, g, has_request_context, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.http import generate_etag

_EXTENSION = "meetings_page_cache"


class PageCache:
    """The last ``size`` pages used, by key, and no more than ``max_weight`` between them
    (about bytes: `weight`); safe to share between a worker's threads."""

    def __init__(self, size: int, max_weight: int = 64 * 2**20):
        self.size = size
        self.max_weight = max_weight
        self._pages: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            entry = self._pages.get(key)
            if entry is None:
                return None
            self._pages.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, page: Any) -> None:
        heavy = weight(page)
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._pages[key] = (page, heavy)
            self._weight += heavy
            while len(self._pages) > self.size or (self._weight > self.max_weight and len(self._pages) > 1):
                _, (_, gone) = self._pages.popitem(last=False)
                self._weight -= gone

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._weight = 0

    @property
    def total_weight(self) -> int:
        """What the kept pages weigh together (`weight`)."""
        return self._weight

    def __len__(self) -> int:
        return len(self._pages)


#: What a kept value that says nothing of its size is counted as (a few views of rows).
_OBJECT_WEIGHT = 4096


def weight(page: Any) -> int:
    """About how many bytes ``page`` holds: text and bytes by their length, a value that says its
    own ``kept_weight`` (a whole page: `meetings.core.stencils.Stencil`) by that, a tuple or list
    by its members, anything else as `_OBJECT_WEIGHT`."""
    if isinstance(page, (str, bytes)):
        return len(page) + 64
    own = getattr(page, "kept_weight", None)
    if isinstance(own, int):
        return own + 64
    if isinstance(page, (tuple, list)):
        return 64 + sum(weight(member) for member in page)
    return _OBJECT_WEIGHT


def init_app(app: Flask) -> None:
    """Give ``app`` its cache (none when ``PAGE_CACHE_SIZE`` is 0)."""
    size = int(app.config.get("PAGE_CACHE_SIZE", 0))
    megabytes = int(app.config.get("PAGE_CACHE_MB", 64))
    app.extensions[_EXTENSION] = PageCache(size, megabytes * 2**20) if size > 0 else None
    if app.config.get("PAGE_CACHE_REPORT") and not app.extensions.get(_EXTENSION + ".report"):
        app.extensions[_EXTENSION + ".report"] = True
        app.after_request(_report)


def _report(response: Response) -> Response:
    if "kept_page" in g:
        response.headers["X-Kept-Page"] = "hit" if g.kept_page else "miss"
    return response


def cache() -> PageCache | None:
    """This app's cache, or None when it is turned off."""
    return current_app.extensions.get(_EXTENSION)


def kept(key: Hashable, make: Callable[[], Any]) -> Any:
    """What is kept under ``key`` (a tuple that names the version of what it holds), else
    ``make()``, kept for the next request. Without a cache, ``make()`` once per request (a page
    may ask twice: for its key and for its rendering)."""
    pages = cache()
    if pages is None:
        if not has_request_context():
            return make()
        made = g.setdefault("kept_in_request", {})
        if key not in made:
            made[key] = make()
        return made[key]
    value = pages.get(key)
    hit = value is not None
    if not hit:
        value = make()
        pages.put(key, value)
    g.kept_page = g.get("kept_page", True) and hit
    return value


def json_answer(name: str, version: Hashable, dump: Callable[[], object]) -> Response:
    """The JSON answer ``name`` for this request's address at ``version`` (what the caller read
    just now), kept as `kept` keeps: ``dump()`` reads what it shows and returns the data.

    The answer carries a strong ``ETag`` of its body, and a request whose ``If-None-Match``
    names it gets an empty 304 instead."""
    def render() -> tuple[bytes, str]:
        # Read after ``version`` was: never older than it. (Newer, kept under the older version,
        # is only ever shown to requests that read that version while the change committed.)
        data = dump()
        # Flask's own provider, whose response() is annotated with Werkzeug's sans-IO Response
        # but returns the app's response_class.
        body = cast(Response, current_app.json.response(data)).get_data()
        return body, generate_etag(body)

    body, etag = kept((name, request.full_path, version), render)
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype=cast(DefaultJSONProvider, current_app.json).mimetype)
    response.set_etag(etag)
    return response
