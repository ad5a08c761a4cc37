"""The one gate every request passes before a view reads it: what no field of ours can hold is
refused here, once, for every endpoint, instead of in each service.

- text: a NUL byte (PostgreSQL cannot store it in text) or an unpaired surrogate (no encoding
  can write it) in a query argument, a form field, an upload's file name, a
  string of a JSON body, or (NUL) a calendar reply;
- JSON: nested deeper than `MAX_JSON_DEPTH` (the parser would recurse until it crashes) or an
  integer past 64 bits (no database column holds it);
- numbers read from query strings and forms with ``type=int`` (``request.args.get("page",
  type=int)``): bounded to what an id column holds (`meetings.core.schemas.MAX_INT`), through the
  request class, so no view can forget it.

A path argument with one names nothing: a 404. Otherwise API requests get a 422 (400 for a body
that cannot be read) with ``{"error": ...}`` naming the field; pages get the error page with the
same words.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, Request, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict

from meetings.core.errors import DomainError, InvalidInput, NotFound
from meetings.core.schemas import MAX_INT

#: How deep a JSON body may nest: ours are at most three levels (a meeting's reminders, an
#: agenda item's speakers); the parser would otherwise recurse as deep as the client likes.
MAX_JSON_DEPTH = 32
#: The integers a JSON body may carry: what a 64-bit column holds. Fields with smaller columns
#: bound themselves in their schemas (`meetings.core.schemas.Id`).
MAX_JSON_INT = 2**63 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnreadableBody(DomainError):
    """A body the app will not read at all (nested past `MAX_JSON_DEPTH`)."""

    status = 400


class BoundedParams(ImmutableMultiDict):
    """Query and form values whose ``type=int`` reads refuse numbers no column can hold.

    Werkzeug's ``get(key, type=int)`` turns a bad number into the default; a number that is
    well formed but too large used to get through and overflow the database. Here it is an
    `InvalidInput` naming the argument (422), as a bad JSON field is.
    """

    # ``type`` is werkzeug's own parameter name. Its overloads put it second, where its get() takes
    # ``default``: no signature that matches the real one satisfies them.
    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]  # noqa: A002
        """``MultiDict.get``, with ``type=int`` bounded to ``±MAX_INT``."""
        if type is int:
            return super().get(key, default, type=_bounded_int(key))
        return super().get(key, default, type=type)

    def getlist(self, key, type=None):  # noqa: A002
        """``MultiDict.getlist``, with ``type=int`` bounded to ``±MAX_INT``."""
        if type is int:
            return super().getlist(key, type=_bounded_int(key))
        return super().getlist(key, type=type)


def _bounded_int(key: str):
    def parse(value: str) -> int:
        number = int(value)  # a ValueError gives the caller's default, as werkzeug does
        if abs(number) > MAX_INT:
            raise InvalidInput(_("This number is too large."), str(key)[:40])
        return number

    return parse


def parse_int(value, field: str) -> int:
    """``value`` (text from a form or query string) as a whole number within ``±MAX_INT``;
    `InvalidInput` naming ``field`` otherwise. For the few reads not done with ``type=int``."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(_("Must be a whole number."), field) from None
    if abs(number) > MAX_INT:
        raise InvalidInput(_("This number is too large."), field)
    return number


class BoundedRequest(Request):
    """The app's request class: its ``args`` and ``form`` are `BoundedParams`."""

    parameter_storage_class = BoundedParams


def init_app(app: Flask) -> None:
    """Use `BoundedRequest` and refuse, before any view, what no field can store."""
    app.request_class = BoundedRequest
    app.before_request(check_request)


def check_request() -> None:
    """Raise `InvalidInput` (or a 400) for a request carrying what no field of ours can hold."""
    fields: dict[str, list[str]] = {}

    def refuse(name) -> None:
        fields.setdefault(_field_name(name), [_("Contains a character that cannot be stored "
                                                "(a NUL byte or an unpaired surrogate).")])

    # A path names something: one that no field can hold names nothing (a tampered link's token
    # is a 404 like any other wrong link, and counted as one).
    if any(_unstorable(value) for value in (request.view_args or {}).values()):
        raise NotFound(_("Not found."))
    for key, value in _items(request.args):
        if _unstorable(key) or _unstorable(value):
            refuse(key)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        # The API takes JSON or a file as it is (a roster sent with curl --data-binary arrives as
        # a form): only pages are read as forms.
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") \
                and not request.path.startswith("/api/"):
            for key, value in _items(request.form):
                if _unstorable(key) or _unstorable(value):
                    refuse(key)
            for key, upload in _items(request.files):
                if _unstorable(key) or _unstorable(upload.filename or ""):
                    refuse(key)
        elif request.is_json:
            _check_json(refuse)
        elif request.mimetype == "text/calendar" and b"\x00" in request.get_data(cache=True):
            # A calendar reply's text goes into queries. (A roster is a file the import decodes
            # and judges itself: a UTF-16 CSV is full of NUL bytes and deserves its own answer.)
            refuse("body")
    if fields:
        raise InvalidInput(_("The input is not valid:") + " " + "; ".join(
            f"{name}: {' '.join(problems)}" for name, problems in sorted(fields.items())), fields=fields)


def _items(params):
    if hasattr(params, "items") and hasattr(params, "getlist"):
        return params.items(multi=True)
    return params.items()


def _unstorable(value) -> bool:
    if not isinstance(value, str):
        return False
    if value.isascii():  # the usual case, and a C-speed check
        return "\x00" in value
    return _UNSTORABLE.search(value) is not None


def _field_name(name) -> str:
    # The name itself may be what is wrong: show it without the characters that are.
    return _UNSTORABLE.sub("?", str(name))[:60] or "body"


def _nesting(raw: bytes) -> int:
    """How deep ``raw``'s brackets nest, strings skipped: read in one pass, no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _check_json(refuse) -> None:
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        body = json.loads(raw)
    except RecursionError:
        raise UnreadableBody(_("The body is nested too deeply (at most %(depth)d levels).",
                           depth=MAX_JSON_DEPTH)) from None
    except ValueError:
        # Not JSON: the schema's parser answers that, as it always has, unless it is nested
        # deeply enough to exhaust the parser's recursion there (deeper in the stack than here,
        # so a body this parser could still refuse as malformed can overflow that one).
        if _nesting(raw) > MAX_JSON_DEPTH:
            raise UnreadableBody(_("The body is nested too deeply (at most %(depth)d levels).",
                                   depth=MAX_JSON_DEPTH)) from None
        return
    # Walked with a stack, not recursion: the bound is checked before the walk goes deeper.
    stack = [(body, 0, None)]
    while stack:
        value, depth, top = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise UnreadableBody(_("The body is nested too deeply (at most %(depth)d levels).",
                               depth=MAX_JSON_DEPTH))
        if isinstance(value, dict):
            for key, item in value.items():
                name = key if top is None else top
                if _unstorable(key):
                    refuse(name)
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, top) for item in value)
        elif isinstance(value, str):
            if _unstorable(value):
                refuse(top if top is not None else "body")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_JSON_INT:
            raise InvalidInput(_("This number is too large."), _field_name(top if top is not None else "body"))
