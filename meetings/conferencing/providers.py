"""Videoconference providers: the URL that puts someone into a meeting's conference.

One interface, ``join_url(meeting, site, person, role) -> str``, and three providers, chosen per
site (``site.vc_provider``, else the app's ``VC_PROVIDER``). Every site of a meeting that uses
Jitsi or BigBlueButton joins the same conference, the meeting's: the main venue and the remote
rooms see and hear each other. A site whose room system lives elsewhere (Zoom, Teams, a hardware
bridge) uses a fixed link instead.

- ``jitsi``: one room per meeting, named by the meeting's random ``vc_room``. With ``JITSI_APP_ID`` and
  ``JITSI_APP_SECRET`` set, the URL carries a JWT for Jitsi's token authentication (prosody
  ``mod_auth_token``, the ``jitsi-meet-tokens`` package), HS256, valid for the rest of the meeting.
- ``bbb``: BigBlueButton (2.4 or later). ``create`` is called at the moment of joining (it is
  idempotent), then a ``join`` URL is signed with the shared secret and pinned to that session's
  ``createTime``.
- ``url``: the site's fixed link (Zoom, Teams, a room system), as the organizer gave it.

The URL is made when someone joins and is never stored or mailed. Any failure is a
`ProviderError`; its message is for logs and operators, the join page shows its own text.

Arguments are duck-typed: ``meeting`` (``id``, ``title``, ``start_at``, ``end_at``, aware,
``vc_room``), ``site`` (``id``, ``name``, ``vc_provider``, ``vc_url``), ``person`` (``name``, ``email``) or
None when the site's room system joins, and ``role`` (a `Role`) or None for a room system.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import math
import re
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Protocol
from urllib.parse import urlencode, urlsplit

# The type only (bandit B405): parsing is defusedxml's.
from xml.etree.ElementTree import Element  # nosec B405

import jwt
from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from flask import current_app

from meetings.core.db import utcnow
from meetings.core.roles import Role
from meetings.scheduling.models import VcProvider


class ProviderError(Exception):
    """The conference cannot be reached this way right now: misconfigured, unreachable or refused."""


class Provider(Protocol):
    """Makes the URL that puts ``person`` (None: the site's room system) into ``site``'s conference."""

    def join_url(self, meeting, site, person, role: Role | None) -> str: ...


#: Roles that run the conference: Jitsi moderators, BigBlueButton MODERATOR.
MODERATOR_ROLES = frozenset({Role.CHAIR, Role.SITE_HOST})

#: Jitsi token claims (jitsi-meet doc/tokens.md). Prosody compares ``aud`` as one string.
JWT_AUDIENCE = "jitsi"
#: ``nbf`` this far back, so a Jitsi server whose clock is a little behind ours still accepts it.
JWT_CLOCK_SKEW = timedelta(minutes=5)
#: A token lives at least this long, to the meeting's end plus JWT_AFTER_END, and never past
#: JWT_MAX_LIFETIME: Jitsi checks it again whenever the page reconnects or reloads.
JWT_MIN_LIFETIME = timedelta(hours=2)
JWT_AFTER_END = timedelta(minutes=30)
JWT_MAX_LIFETIME = timedelta(hours=12)
#: RFC 7518 §3.2: an HS256 key is at least as long as the hash (PyJWT warns below it).
JWT_MIN_SECRET_BYTES = 32

#: Seconds to wait for BigBlueButton's ``create``: the person is waiting on the join page.
BBB_TIMEOUT_SECONDS = 5.0
#: A BigBlueButton meeting ends by itself this long after ours should have (``duration``).
BBB_DURATION_MARGIN = timedelta(minutes=30)
#: BigBlueButton 2.4 takes meeting names of 2 to 64 characters (later versions up to 256).
_BBB_NAME_MAX = 64
_BBB_MAX_RESPONSE_BYTES = 64 * 1024

#: Room names go into a URL path and a BigBlueButton meetingID: keep them to safe characters.
_ROOM_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,100}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def provider_for(site) -> Provider:
    """The provider of ``site``: its own, else the app's ``VC_PROVIDER``; `ProviderError` if unknown."""
    if site is None:
        raise ProviderError("No site to join: the invitation names none and the meeting has no main venue.")
    raw = site.vc_provider or current_app.config.get("VC_PROVIDER")
    if not raw:
        raise ProviderError("No videoconference provider: the site names none and VC_PROVIDER is empty.")
    try:
        kind = VcProvider(raw)
    except ValueError:
        expected = ", ".join(p.value for p in VcProvider)
        raise ProviderError(f"Unknown videoconference provider {raw!r}; expected one of {expected}.") from None
    return _PROVIDERS[kind]


def join_url(meeting, site, person, role: Role | None) -> str:
    """The URL that puts ``person`` into ``site``'s conference now; `ProviderError` if it cannot."""
    return provider_for(site).join_url(meeting, site, person, role)


def is_moderator(role: Role | None) -> bool:
    """Whether ``role`` runs the conference (the chair and site hosts); a room system does not."""
    return role is not None and role in MODERATOR_ROLES


class JitsiProvider:
    """Jitsi Meet: ``{JITSI_BASE_URL}/{room}``, plus ``?jwt=`` when the app id and secret are set."""

    def join_url(self, meeting, site, person, role: Role | None) -> str:
        config = current_app.config
        base = _http_url(config.get("JITSI_BASE_URL") or "https://meet.jit.si", "JITSI_BASE_URL")
        # Jitsi lowercases room names, and prosody compares the token's room in lowercase.
        room = _room(meeting).lower()
        url = f"{base}/{room}"
        app_id, secret = config.get("JITSI_APP_ID"), config.get("JITSI_APP_SECRET")
        if not app_id and not secret:
            return url
        if not (app_id and secret):
            raise ProviderError("Jitsi tokens need both JITSI_APP_ID and JITSI_APP_SECRET; only one is set.")
        token = _jitsi_token(meeting, site, person, role, base=base, room=room, app_id=app_id, secret=secret)
        return f"{url}?{urlencode({'jwt': token})}"


def _jitsi_token(meeting, site, person, role, *, base: str, room: str, app_id: str, secret: str) -> str:
    key = _bytes(secret)
    if len(key) < JWT_MIN_SECRET_BYTES:
        raise ProviderError(f"JITSI_APP_SECRET is {len(key)} bytes; an HS256 secret needs at least "
                            f"{JWT_MIN_SECRET_BYTES} (RFC 7518 §3.2), or tokens can be forged.")
    now = utcnow()
    expires = min(max(now + JWT_MIN_LIFETIME, meeting.end_at + JWT_AFTER_END), now + JWT_MAX_LIFETIME)
    # Context values are strings: mod_presence_identity copies them into XML text, which takes
    # nothing else, and the token affiliation plugins read moderator "true" (as 8x8 JaaS does).
    user = {
        "id": _user_id(site, person),
        "name": _display_name(site, person),
        "moderator": "true" if is_moderator(role) else "false",
    }
    email = _clean(person.email) if person is not None else ""
    if email:
        user["email"] = email
    claims = {
        "aud": JWT_AUDIENCE,
        "iss": app_id,
        "sub": _jitsi_subject(base),
        "room": room,
        "iat": int(now.timestamp()),
        "nbf": int((now - JWT_CLOCK_SKEW).timestamp()),
        "exp": int(expires.timestamp()),
        "context": {"user": user},
    }
    return jwt.encode(claims, key, algorithm="HS256")


def _jitsi_subject(base: str) -> str:
    """``sub``: the tenant for ``https://host/tenant`` deployments, else the Jitsi domain, lowercase."""
    parts = urlsplit(base)
    path = parts.path.strip("/")
    return (path.rsplit("/", 1)[-1] if path else parts.hostname or "").lower()


class BigBlueButtonProvider:
    """BigBlueButton: ``create`` the site's meeting (idempotent), then a signed ``join`` URL."""

    def join_url(self, meeting, site, person, role: Role | None) -> str:
        api, secret = _bbb_config()
        meeting_id = _room(meeting)
        create_time = _bbb_create(api, secret, meeting, site, meeting_id)
        return _bbb_url(api, "join", {
            "fullName": _display_name(site, person),
            "meetingID": meeting_id,
            "role": "MODERATOR" if is_moderator(role) else "VIEWER",
            # An old join URL cannot enter a later session of the same meetingID.
            "createTime": create_time,
            "userID": _user_id(site, person),
            "redirect": "true",
        }, secret)


def _bbb_config() -> tuple[str, str]:
    """The API base, always ending in ``/api``, and the shared secret.

    ``BBB_URL`` may be what ``bbb-conf --secret`` prints (``https://host/bigbluebutton/``) or the
    API base itself (``https://host/bigbluebutton/api``), with or without the trailing slash.
    """
    config = current_app.config
    raw, secret = config.get("BBB_URL"), config.get("BBB_SECRET")
    if not raw or not secret:
        raise ProviderError("BigBlueButton needs BBB_URL and BBB_SECRET; "
                            f"{'BBB_URL' if not raw else 'BBB_SECRET'} is not set.")
    base = _http_url(raw, "BBB_URL")
    return (base if base.endswith("/api") else base + "/api"), secret


def _bbb_url(api: str, call: str, params: dict[str, str], secret: str) -> str:
    """``{api}/{call}?{query}&checksum=...``: SHA-256 of call name + the exact query + secret."""
    query = urlencode(params)
    checksum = hashlib.sha256(f"{call}{query}{secret}".encode()).hexdigest()
    return f"{api}/{call}?{query}&checksum={checksum}"


def _bbb_create(api: str, secret: str, meeting, site, meeting_id: str) -> str:
    """Create the site's meeting, or find it running; its ``createTime``."""
    # BigBlueButton counts ``duration`` from the first create, which may come before the start.
    remaining = max(meeting.end_at - utcnow(), timedelta(0)) + BBB_DURATION_MARGIN
    params = {
        "name": _bbb_name(meeting),
        "meetingID": meeting_id,
        # Older servers call a second create a duplicate only when both passwords match, so
        # they are derived, never random; role= on join makes them unused otherwise.
        "attendeePW": _bbb_password(secret, "attendee", meeting_id),
        "moderatorPW": _bbb_password(secret, "moderator", meeting_id),
        "record": "false",
        "duration": str(math.ceil(remaining.total_seconds() / 60)),
    }
    root = _bbb_call(api, _bbb_url(api, "create", params, secret))
    code = (root.findtext("returncode") or "").strip()
    if code != "SUCCESS":
        key = (root.findtext("messageKey") or "").strip() or "no messageKey"
        message = (root.findtext("message") or "").strip()
        hint = " Check BBB_SECRET." if key == "checksumError" else ""
        raise ProviderError(f"BigBlueButton at {api} refused create ({code or 'no returncode'}, {key})"
                            f"{': ' + message if message else '.'}{hint}")
    create_time = (root.findtext("createTime") or "").strip()
    if not re.fullmatch(r"[0-9]+", create_time):
        raise ProviderError(f"BigBlueButton at {api} answered create without a createTime.")
    return create_time


def _bbb_call(api: str, url: str) -> Element:
    """GET ``url`` and parse the ``<response>``; `ProviderError` on any failure on the way."""
    request = urllib.request.Request(url, headers={"Accept": "application/xml, text/xml"})
    try:
        # The address is BBB_URL's, checked to be http(s) by _http_url: no file: or other schemes.
        with urllib.request.urlopen(request, timeout=BBB_TIMEOUT_SECONDS) as response:  # nosec B310
            body = response.read(_BBB_MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        raise ProviderError(f"BigBlueButton at {api} answered HTTP {error.code} to create.") from error
    except urllib.error.URLError as error:
        raise ProviderError(f"BigBlueButton at {api} cannot be reached: {error.reason}.") from error
    except (OSError, http.client.HTTPException) as error:
        raise ProviderError(f"BigBlueButton at {api} failed during create: {error!r}.") from error
    if len(body) > _BBB_MAX_RESPONSE_BYTES:
        raise ProviderError(f"BigBlueButton at {api} answered create with more than "
                            f"{_BBB_MAX_RESPONSE_BYTES} bytes.")
    try:
        # defusedxml: the answer comes over the network, so no entities or external references.
        root = SafeElementTree.fromstring(body)
    except (SafeElementTree.ParseError, DefusedXmlException) as error:
        raise ProviderError(f"BigBlueButton at {api} answered create with something that is not XML "
                            f"({error}); is BBB_URL the API address?") from error
    if root.tag != "response":
        raise ProviderError(f"BigBlueButton at {api} answered create with <{root.tag}>, not <response>.")
    return root


def _bbb_name(meeting) -> str:
    name = _clean(meeting.title)
    return name if len(name) <= _BBB_NAME_MAX else name[:_BBB_NAME_MAX - 1].rstrip() + "…"


def _bbb_password(secret: str, kind: str, meeting_id: str) -> str:
    return hmac.new(_bytes(secret), f"{kind}:{meeting_id}".encode(), hashlib.sha256).hexdigest()[:32]


class UrlProvider:
    """A fixed link given by the organizer: the same for everyone at the site."""

    def join_url(self, meeting, site, person, role: Role | None) -> str:
        url = (site.vc_url or "").strip()
        if not url:
            raise ProviderError(f"Site {site.id} joins by a fixed link, but it has none (vc_url).")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ProviderError(f"Site {site.id} has a fixed link that is not an http(s) address.")
        return url


_PROVIDERS: dict[VcProvider, Provider] = {
    VcProvider.JITSI: JitsiProvider(),
    VcProvider.BBB: BigBlueButtonProvider(),
    VcProvider.URL: UrlProvider(),
}


def _room(meeting) -> str:
    """The meeting's secret room name; refused if it is missing or could break out of a URL."""
    room = meeting.vc_room or ""
    if not _ROOM_SHAPE.fullmatch(room):
        raise ProviderError(f"Meeting {meeting.id} has no usable videoconference room (vc_room): it must be "
                            "16 to 100 letters, digits, '-' or '_'.")
    return room


def _display_name(site, person) -> str:
    """The person's name; a room system (or a nameless person) shows as the site."""
    name = _clean(person.name) if person is not None else ""
    return name or _clean(site.name)


def _user_id(site, person) -> str:
    """Stable and opaque: the same person has the same id in every meeting, and no email leaves."""
    if person is None:
        return f"site-{site.id}"
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise ProviderError("SECRET_KEY is not set; it keys the user ids sent to the videoconference.")
    email = (person.email or "").strip().lower()
    digest = hmac.new(_bytes(secret), f"vc-user:{email}".encode(), hashlib.sha256).hexdigest()
    return f"person-{digest[:24]}"


def _http_url(value: str, setting: str) -> str:
    """``value`` without trailing slashes, if it is an http(s) address; `ProviderError` otherwise."""
    url = str(value).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ProviderError(f"{setting} must be an http(s) address without query or fragment, not {value!r}.")
    return url


def _clean(text) -> str:
    """Text without control characters (BigBlueButton and XMPP refuse them), spaces collapsed."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", text or "").split())


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")
