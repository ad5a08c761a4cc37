"""Who may use each handler: the kinds of access, and `access`, the decorator every view carries.

One rule in one place. Each view function says who may call it, ``@access(MEETING)`` just under
its route, and the same line enforces it before the handler runs (load, check, then act):

| kind | who | refused |
| --- | --- | --- |
| `PUBLIC` | anyone | never |
| `link(*purposes)` | whoever holds a live link of one of those purposes (no account) | 404, by the handler's token lookup |
| `CALLER` | anyone signed in; the answer holds only the caller's own things | 401 / sign-in page |
| `OWN` | anyone signed in, about a thing of theirs the URL names (a token) | 404 from the handler for another's |
| `MEETING` | the meeting's organizers and admins (`meeting_id`, or `action_id` through its meeting) | 404: no ids learnt |
| `APPROVER` | as `MEETING`, and then the minutes' named approver only (never an admin) | 404, then 403 from the service |
| `PERSON_READ` | anyone signed in: the directory is shared | 401 / sign-in page |
| `PERSON_CHANGE` | reading as `PERSON_READ`; any other method on a ``person_id`` under the person rule | 403 with the reason |
| `ADMIN` | admins | 403 |

Signed out, an API call (a blueprint behind `meetings.accounts.auth.protect_api_blueprint`) gets
a 401, a page the sign-in page, and a page's script (a JSON body) a 401 it can read. `PUBLIC`
and link kinds are declared only: nothing is checked here, the link's token is looked up by its
domain (a wrong, expired or revoked token, or one of another purpose, is a 404).

The rules that need a domain's knowledge are registered by that domain, so imports stay one way
(DESIGN.md §2): scheduling registers how a meeting is loaded for a caller (`register_loader`,
``get_meeting_for``), minutes how an action is, the directory the person rule (`register_check`).
The handler reads what the rule loaded with `loaded()` instead of loading it again. A `MEETING`
view of the API may declare a `ReadWithCaller` as what its rule loads: the API's authentication
then reads it in the statement that checks the token (one round trip for a polled answer).

`check_declarations` (called by ``create_app``) refuses an app with an endpoint that declares
nothing, and tests/test_access_walk.py walks every URL as anonymous, as another organizer and as
an admin, asserting what each declared kind implies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from meetings.extensions import login_manager


@dataclass(frozen=True)
class Kind:
    """Who may use a handler (the table of the module docstring)."""

    name: str
    #: For a link kind: the purposes its token may have (``rsvp``, ``join``, ``approve``...).
    purposes: tuple[str, ...] = ()

    @property
    def signed_out(self) -> bool:
        """Whether someone who is not signed in may reach the handler."""
        return self.name in ("public", "link")

    def __str__(self) -> str:
        return f"link:{'|'.join(self.purposes)}" if self.name == "link" else self.name


PUBLIC = Kind("public")
CALLER = Kind("caller")
OWN = Kind("own")
MEETING = Kind("meeting")
APPROVER = Kind("approver")
PERSON_READ = Kind("person-read")
PERSON_CHANGE = Kind("person-change")
ADMIN = Kind("admin")


def link(*purposes: str) -> Kind:
    """The kind of a page behind a capability link of one of ``purposes``."""
    if not purposes:
        raise ValueError("a link has a purpose")
    return Kind("link", tuple(str(purpose) for purpose in purposes))


#: Kinds that load the object the URL names, by its argument (`register_loader`).
_LOADING = (MEETING, APPROVER)
#: Where the request's API authentication leaves the row it read along with the caller (`read_with_caller`).
_READ_WITH_CALLER = "access_read_with_caller"
#: URL argument -> ``loader(caller, value)``: the object if the caller may manage it, else a 404.
_loaders: dict[str, Callable] = {}
#: kind -> ``check(caller, view_args)``: raises when the caller may not (`register_check`).
_checks: dict[Kind, Callable] = {}
#: Blueprints whose callers are bearer tokens (`meetings.accounts.auth.protect_api_blueprint`).
_bearer_blueprints: set[str] = set()
#: Endpoints that need no declaration: Flask's own static files.
EXEMPT = frozenset({"static"})
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def register_loader(argument: str, loader: Callable) -> None:
    """How `MEETING` and `APPROVER` handlers whose URL has ``argument`` load what it names:
    ``loader(caller, value)`` returns it or raises a 404 (idempotent)."""
    _loaders[argument] = loader


def register_check(kind: Kind, check: Callable) -> None:
    """The rule of ``kind`` beyond being signed in: ``check(caller, view_args)`` raises to refuse."""
    _checks[kind] = check


def bearer_blueprint(name: str) -> None:
    """Callers of blueprint ``name`` are API tokens: signed out, they get a 401."""
    _bearer_blueprints.add(name)


def bearer_blueprints() -> frozenset[str]:
    """The names of the blueprints whose callers are API tokens (`bearer_blueprint`)."""
    return frozenset(_bearer_blueprints)


@dataclass(frozen=True)
class ReadWithCaller:
    """What a `MEETING` view's rule loads (``access(MEETING, load=...)``), read by an API request
    in the statement that checks its token: one statement and one round trip to the database
    instead of two, for the answers that room systems and calendars poll (a meeting's version,
    for its kept JSON and ``.ics``).

    Authentication is not skipped or moved: ``meetings.accounts.auth`` checks every API
    request's token before any view, as always, here with ``statement`` instead of its own; a
    token that is no one's is a 401 whatever the view declared. The rule of what the caller may
    see is in ``statement`` (the same SQL condition as the loader's on its own would use), and
    ``from_row`` answers 404 as the registered loader does. Only an API view can declare one:
    elsewhere nothing reads it, and the view fails closed."""

    #: The token's check (``meetings.accounts.services.CALLER_FOR_TOKEN``, columns labelled)
    #: with what the rule loads outer-joined to the caller's row, the URL's argument bound by
    #: its name.
    statement: sa.Select
    #: ``from_row(caller, row, value)``: what the rule loads, from that statement's row; raises
    #: the 404 when the caller may not see it.
    from_row: Callable[[Any, Any, Any], Any]


def read_with_caller() -> tuple[ReadWithCaller, dict[str, Any]] | None:
    """For the API's authentication, before the view: the `ReadWithCaller` the view declares
    (``access(..., load=...)``) and the URL's argument it binds, or None."""
    load = getattr(current_app.view_functions.get(request.endpoint or ""), "access_load", None)
    if not isinstance(load, ReadWithCaller):
        return None
    view_args = request.view_args or {}
    argument = _loaded_argument(view_args)
    if argument is None:
        return None
    return load, {argument: view_args[argument]}


def read_along(row) -> None:
    """Record ``row``, read with the caller by the view's `ReadWithCaller`, for its rule."""
    setattr(g, _READ_WITH_CALLER, row)


def caller():
    """Who is asking: the API token's caller (`meetings.accounts.services.ApiCaller`), the
    signed-in user of a page, or None. Both have ``id`` and ``is_admin``."""
    found = g.get("api_caller")
    if found is not None:
        return found
    if request.blueprint in _bearer_blueprints:
        abort(401)  # an API view whose token was not read: fail closed
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def loaded(expected_id: int | None = None):
    """What the handler's rule loaded for this request (the meeting, or the action); with
    ``expected_id``, it must be that row (a handler that asks for another is a bug)."""
    found = g.get("access_loaded")
    if found is None:
        raise RuntimeError(f"{request.endpoint} reads what its access rule loaded, but the rule loaded nothing")
    if expected_id is not None and getattr(found, "id", expected_id) != expected_id:
        raise RuntimeError(f"{request.endpoint} asks for {expected_id}, its access rule loaded {found.id}")
    return found


def access(kind: Kind, *, load: Callable | ReadWithCaller | None = None) -> Callable:
    """Declare who may use the view (``view.access = kind``) and enforce it before it runs.

    ``load`` replaces the registered loader of a `MEETING` view with a service helper under the
    same rule, that answers cheaper: a `ReadWithCaller` (``meeting_version_for``, for a kept JSON
    answer) is read by the API's authentication, in the statement that checks the token."""
    if not isinstance(kind, Kind):
        raise TypeError(f"access() takes a Kind, not {kind!r}")
    if load is not None and kind not in _LOADING:
        raise ValueError(f"only {', '.join(map(str, _LOADING))} load; {kind} does not")

    def decorate(view: Callable) -> Callable:
        if kind.signed_out:
            vars(view)["access"] = kind  # nothing to check here (see the module docstring); a function attribute, which mypy cannot declare
            return view

        @functools.wraps(view)
        def checked(*args, **kwargs):
            who = caller()
            if who is None:
                return _signed_out()
            _enforce(kind, who, kwargs, load)
            return view(*args, **kwargs)

        vars(checked)["access"] = kind
        if load is not None:
            vars(checked)["access_load"] = load  # for `read_with_caller`
        return checked

    return decorate


def _enforce(kind: Kind, who, view_args: dict, load: Callable | ReadWithCaller | None) -> None:
    if kind == ADMIN:
        if not who.is_admin:
            abort(403)
    elif kind in _LOADING:
        argument = _loaded_argument(view_args)
        if argument is None:
            raise RuntimeError(f"{request.endpoint} is declared {kind} but its URL names nothing to load")
        if isinstance(load, ReadWithCaller):  # read with the caller's token, by the API's authentication
            row = g.pop(_READ_WITH_CALLER, None)
            if row is None:  # fail closed: a view outside the API, or a token that was not read
                raise RuntimeError(f"{request.endpoint} reads what it loads along with an API caller, but none was read")
            g.access_loaded = load.from_row(who, row, view_args[argument])
        else:
            g.access_loaded = (load or _loaders[argument])(who, view_args[argument])
    elif kind == PERSON_CHANGE and "person_id" in view_args and request.method not in _SAFE_METHODS:
        check = _checks.get(kind)
        if check is None:  # fail closed
            raise RuntimeError("the person rule is not registered (meetings.directory.access)")
        check(who, view_args)


def _loaded_argument(arguments) -> str | None:
    return next((name for name in _loaders if name in arguments), None)


def _signed_out():
    if request.blueprint in _bearer_blueprints:
        abort(401)
    if request.is_json:  # a page's script (the minutes' autosave): a 401 it can read, not a redirect
        from meetings.core.errors import error_response

        return error_response(401, _("Your session has expired: sign in again."))
    return login_manager.unauthorized()


def declared(view: Callable) -> Kind | None:
    """The kind ``view`` declares, or None."""
    return getattr(view, "access", None)


def declare_endpoint(app: Flask, endpoint: str, kind: Kind) -> None:
    """Declare a view the app did not write (an extension's, like the OpenAPI spec): its view
    function is wrapped by `access`."""
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def declared_view(*args, **kwargs):
        return view(*args, **kwargs)

    app.view_functions[endpoint] = access(kind)(declared_view)


def undeclared(app: Flask) -> list[str]:
    """What is wrong with ``app``'s declarations, one line each: an endpoint without a kind, a
    loading kind whose URL names nothing registered to load, or a `ReadWithCaller` off the API
    (nothing would read it)."""
    problems = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        kind = declared(app.view_functions[rule.endpoint])
        if kind is None:
            problems.append(f"{rule.endpoint} ({rule.rule}) declares no access: add @access(KIND) under its route")
        elif kind in _LOADING and _loaded_argument(rule.arguments) is None:
            problems.append(f"{rule.endpoint} ({rule.rule}) is {kind}, but names none of {sorted(_loaders)}")
        elif isinstance(getattr(app.view_functions[rule.endpoint], "access_load", None), ReadWithCaller) \
                and rule.endpoint.rpartition(".")[0] not in _bearer_blueprints:
            problems.append(f"{rule.endpoint} ({rule.rule}) loads along with an API caller, but is not on the API")
    return sorted(set(problems))


def check_declarations(app: Flask) -> None:
    """Refuse ``app`` (RuntimeError) when any of its endpoints lacks a sound declaration."""
    problems = undeclared(app)
    if problems:
        raise RuntimeError("Every endpoint declares who may use it (meetings.core.access):\n" + "\n".join(problems))
