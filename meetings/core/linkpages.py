"""What pages behind capability links share: no CSRF token, no referrer, a rate limit.

The secret in the URL is what authorises a POST to ``/join/TOKEN`` or ``/checkin/TOKEN``, not
a cookie: a forged cross-site form would have to know the token, and whoever knows it can post
anyway. So these pages need no CSRF token, set no session cookie (room systems and shared phones
keep none), and are cheaper at the minute everyone joins. They send ``Referrer-Policy:
no-referrer`` and are never cached, so the token does not leak through a link or a shared cache.

A 256-bit token cannot be guessed, but a client that keeps trying wrong ones is still stopped
(`meetings.core.limits`): a view that finds no live link answers with `unknown_link`, which counts
it (hard limit); actions are capped generously, because the people of one site often share one
address; reading a page through a good link is not counted (no round trip to the limits' storage).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import NoReturn

from flask import Blueprint, Flask, abort, current_app, request

from meetings.core.limits import count_wrong_link, limit_link_pages
from meetings.core.validation import normalize_language
from meetings.extensions import csrf


@dataclass(frozen=True)
class LinkHolder:
    """Who holds a live link, as a link page's one statement read it: what the parts of a page
    that depend on the reader (the materials they may see) are chosen by, without reading the
    link again."""

    #: The link's purpose (``rsvp``, ``join``, ``site``).
    purpose: str
    meeting_id: int
    #: The meeting's uid and content version: what the meeting-wide parts are kept by.
    meeting_uid: str
    version: int
    #: A person's link: their invitation, person, role, and where they attend (`Invitation.venue`).
    invitation_id: int | None = None
    person_id: int | None = None
    role: str | None = None
    #: The venue of a person (None: online), or a site link's own site.
    site_id: int | None = None
    #: False once the person was taken off the list.
    active: bool = True


#: The link pages' blueprints that never read who is signed in: they have no session
#: (`meetings.core.sessions`).
_without_sessions: set[str] = set()


def link_pages_blueprint(name: str, import_name: str, *, staff_signed_in: bool = False) -> Blueprint:
    """A blueprint of capability-link pages: every response private and without referrer, and
    the rate limits of link pages. Its pages have no session (the link is who asks), unless
    ``staff_signed_in``: pages that also serve a signed-in organizer (the check-in page, where
    the staff check people in)."""
    blueprint = Blueprint(name, import_name)
    if not staff_signed_in:
        _without_sessions.add(name)
    blueprint.after_request(_private)
    limit_link_pages(blueprint)
    return blueprint


def without_sessions() -> frozenset[str]:
    """The names of the link pages' blueprints that have no session (`link_pages_blueprint`)."""
    return frozenset(_without_sessions)


def unknown_link() -> NoReturn:
    """Answer a link that opens nothing (unknown, revoked, expired, or no longer its holder's):
    a 404, counted against the client's address as a wrong link; once ``LINK_MISS_LIMIT`` is
    spent, a 429 in the reader's language (`meetings.core.limits.count_wrong_link`)."""
    count_wrong_link()
    abort(404)


def exempt_link_pages(blueprint: Blueprint) -> None:
    """Exempt ``blueprint``'s pages from CSRF tokens (see the module docstring); called by the
    domain's ``init_app`` for each app."""
    csrf.exempt(blueprint)


def _private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


_HOLDER_PARTS = "meetings_link_holder_parts"


def shows_per_holder(app: Flask, part: Callable[[LinkHolder], Hashable]) -> None:
    """Declare that link pages show something chosen per holder (a domain above this one, such
    as the materials a holder may see): ``part(holder)`` names what it shows to ``holder``, and is
    part of the key of every whole page kept (`meetings.core.stencils`), so two holders are given
    the same kept page only when they are shown the same."""
    parts = app.extensions.setdefault(_HOLDER_PARTS, [])
    if part not in parts:
        parts.append(part)


def holder_key(holder: LinkHolder) -> tuple:
    """What the parts declared by `shows_per_holder` show ``holder``."""
    return tuple(part(holder) for part in current_app.extensions.get(_HOLDER_PARTS, ()))


def kept_query(**choices: Collection[str]) -> tuple | None:
    """This request's query arguments as a key for a kept page, when they are only those the
    page's own links and forms add, each once: ``lang`` (the language switch, on every link
    page) with a language `normalize_language` knows, and each of ``choices`` with one of its
    values (the RSVP page's ``done=answered``). None otherwise: such a request is rendered whole
    and not kept (no mailed link carries anything else, and arbitrary arguments must not fill
    the cache)."""
    args = request.args
    if not args:
        return ()
    shown = []
    for name in args:
        values = args.getlist(name)
        if len(values) != 1:
            return None
        value = values[0]
        if name == "lang":
            if len(value) > 16 or not normalize_language(value):
                return None
        elif value not in choices.get(name, ()):
            return None
        shown.append((name, value))
    return tuple(sorted(shown))
