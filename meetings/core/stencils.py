"""Whole link pages rendered once and kept with blanks where one person's values go.

Everyone invited opens their own RSVP and join links, and most of them see the same page: the
same meeting at the same version, in the same language and zone, with the same role, answer and
venue. Only a few values are theirs alone: their name, their unit, the token in their links. So a
page is rendered once per combination of what it shows (the caller's key) with a blank in place
of each such value, kept (`meetings.core.pagecache.kept`), and each request writes the reader's
values into the blanks, HTML-escaped (`Stencil.fill`): no template runs for a kept page.

The rules that keep one person's data out of another's page:

- the renderer is given the blanks, never the reader's values: the caller builds what the
  template reads from the key and the blanks alone (`blank` values stand where the person's go);
- everything else the page shows is in the key (and what the meeting-wide parts show is kept per
  content version, `meetings.scheduling.versions`);
- each blank is a fresh random word per rendering, made of letters and digits only, so it passes
  unchanged through autoescaping and ``url_for``, and no text of the page (a title, a topic) can
  name it;
- a value written into a URL is percent-encoded by the caller first (`quote_path`), as ``url_for``
  would have done.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping
from urllib.parse import quote

from markupsafe import Markup, escape

from meetings.core import pagecache

_NAME = re.compile(r"^[a-z]+$")


class Stencil:
    """A rendered page cut at its blanks: ``parts`` alternates text and blank names,
    ``(text, name, text, name, ..., text)``."""

    __slots__ = ("kept_weight", "parts")

    def __init__(self, parts: tuple[str, ...]):
        self.parts = parts
        #: Characters kept, for the cache's bound (`meetings.core.pagecache.weight`).
        self.kept_weight = sum(len(part) for part in parts[::2])

    @classmethod
    def render(cls, names: Iterable[str], render: Callable[[Mapping[str, Markup]], str]) -> Stencil:
        """``render(blanks)`` (the page with each blank where its value goes) cut at the blanks.
        ``names`` are lowercase ASCII letters."""
        names = tuple(names)
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"a blank's name is lowercase letters: {name!r}")
        # Fresh for each rendering: nothing the page shows can contain it.
        word = "blank" + secrets.token_hex(12)
        # Markup (bandit B704): letters and digits made here, nothing a reader sent.
        blanks = {name: Markup(f"{word}{name}z") for name in names}  # nosec B704
        text = str(render(blanks))
        pieces = re.split(f"{word}({'|'.join(names)})z", text) if names else [text]
        if word[:13] in "".join(pieces[::2]).lower():
            # A blank written other than as it was given (cut short, or changed by a filter):
            # the page would show it instead of the value.
            raise ValueError("the page writes one of its blanks changed")
        return cls(tuple(pieces))

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with each blank's value, HTML-escaped, in its place."""
        parts = self.parts
        out = [parts[0]]
        for index in range(1, len(parts), 2):
            out.append(escape(values[parts[index]]))
            out.append(parts[index + 1])
        return "".join(out)


def kept_page(key: Hashable, values: Mapping[str, str], render: Callable[[Mapping[str, Markup]], str]) -> str:
    """The page named by ``key`` with ``values`` written into its blanks: kept as a `Stencil`
    under ``key`` (which must name everything the page shows but ``values``), rendered by
    ``render(blanks)`` when it is not kept. See the module's docstring for the rules."""
    stencil: Stencil = pagecache.kept(("stencil", key), lambda: Stencil.render(values, render))
    return stencil.fill(values)


def quote_path(value: str) -> str:
    """``value`` as ``url_for`` writes it into a path segment (a link's token): percent-encoded."""
    return quote(value, safe="")
