"""Which requests have a Flask session: the pages people sign in to, not the API or link pages.

The API's caller is its bearer token (`meetings.accounts.auth`), and a link page's is the secret
in its URL (`meetings.core.linkpages`; the check-in page, which also serves the signed-in staff,
is the exception it declares): neither reads or sets a session cookie. Their requests get
Flask's null session (read as empty, never saved) instead of its signed cookie session, which
would build a signing serializer to open it and check it again to save it on each request: about
a twentieth of an answer's or a meeting's JSON CPU, on the routes that carry the rushes.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class SessionsForPages(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, except for paths under ``sessionless`` (prefixes)."""

    def __init__(self, sessionless: tuple[str, ...]):
        self.sessionless = sessionless

    def open_session(self, app, request):
        """None (Flask then makes its null session) for a sessionless path; Flask's otherwise."""
        if request.path.startswith(self.sessionless):
            return None
        return super().open_session(app, request)


def sessionless_prefixes(app: Flask, blueprints: Collection[str]) -> tuple[str, ...]:
    """The literal beginnings of the URL rules of ``blueprints`` (up to their first argument, or
    the whole rule), less any that begins a rule of another blueprint: a path that begins with
    one is theirs, or found by no rule (a 404)."""
    mine, others = set(), []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint in blueprints:
            mine.add(rule.rule.split("<", 1)[0])
        else:
            others.append(rule.rule)
    return tuple(sorted(prefix for prefix in mine
                        if len(prefix) > 1 and not any(rule.startswith(prefix) for rule in others)))


def init_app(app: Flask) -> None:
    """Give ``app`` its sessions, once every blueprint is registered."""
    from meetings.core.access import bearer_blueprints
    from meetings.core.linkpages import without_sessions

    app.session_interface = SessionsForPages(sessionless_prefixes(app, bearer_blueprints() | without_sessions()))
