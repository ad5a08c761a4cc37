"""Site rules: exactly one main venue, remote sites with their own zone, host and videoconference."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import gettext as _

from meetings.core import signals
from meetings.core.errors import Conflict, InvalidInput, NotFound
from meetings.core.timezones import get_zone
from meetings.core.validation import clean_text
from meetings.directory.services import require_person_by_email
from meetings.extensions import db
from meetings.scheduling.models import Meeting, Site, SiteKind, VcProvider
from meetings.scheduling.services import record_change, require_editable


def get_site(meeting: Meeting, site_id: int) -> Site:
    """The site ``site_id`` of ``meeting``; `NotFound` otherwise."""
    site = db.session.get(Site, site_id)
    if site is None or site.meeting_id != meeting.id:
        raise NotFound(_("No site with id %(id)s in this meeting.", id=site_id))
    return site


def add_site(meeting: Meeting, data: dict) -> Site:
    """A new site from API-shaped ``data``; a meeting has at most one main venue."""
    require_editable(meeting)
    site = Site()
    _apply(meeting, site, data, new=True)
    meeting.sites.append(site)
    db.session.add(site)
    db.session.flush()
    if site.host_person_id:
        signals.site_host_assigned.send(site, person=site.host, previous=None)
    record_change(meeting, {"place"}, site=site)
    return site


def update_site(meeting: Meeting, site: Site, data: dict) -> Site:
    """Change the fields present in ``data``."""
    require_editable(meeting)
    previous_host = site.host
    changed = _apply(meeting, site, data, new=False)
    db.session.flush()
    if site.host is not previous_host:
        signals.site_host_assigned.send(site, person=site.host, previous=previous_host)
    if changed:
        record_change(meeting, changed, site=site)
    return site


def remove_site(meeting: Meeting, site: Site) -> None:
    """Remove a site; a published meeting keeps its main venue."""
    require_editable(meeting)
    if site.kind == SiteKind.MAIN and meeting.is_published:
        raise Conflict(_("A published meeting keeps its main venue; change it instead of removing it."))
    meeting.sites.remove(site)
    db.session.flush()
    record_change(meeting, {"place"}, removed=site.name)


def _apply(meeting: Meeting, site: Site, data: dict, *, new: bool) -> set[str]:
    changed: set[str] = set()

    def put(name, value, kind="place"):
        if getattr(site, name) != value:
            setattr(site, name, value)
            changed.add(kind)

    if new or "name" in data:
        name = clean_text(data.get("name"), "name", required=True)
        if any(other is not site and other.name == name for other in meeting.sites):
            raise InvalidInput(_("This meeting already has a site called '%(name)s'.", name=name), "name")
        put("name", name)
    if new or "kind" in data:
        try:
            kind = SiteKind(data.get("kind") or "remote")
        except ValueError:
            raise InvalidInput(_("The kind must be main or remote."), "kind") from None
        main = meeting.main_site
        if kind == SiteKind.MAIN and main is not None and main is not site:
            raise InvalidInput(_("The meeting already has its main venue ('%(name)s'); there is exactly one.",
                                 name=main.name), "kind")
        if site.kind == SiteKind.MAIN and kind != SiteKind.MAIN and meeting.is_published:
            raise Conflict(_("A published meeting keeps its main venue."))
        put("kind", kind)
    if new or data.get("timezone"):
        zone = data.get("timezone") or meeting.timezone
        get_zone(zone, "timezone")
        put("timezone", zone)
    if new or "location" in data:
        put("location", clean_text(data.get("location"), "location", max_length=300))
    if "host_email" in data:
        host = require_person_by_email(data["host_email"], "host_email") if data["host_email"] else None
        if (host.id if host else None) != site.host_person_id:
            site.host = host
            changed.add("place")
    if new or "vc" in data:
        provider, url = _parse_vc(data.get("vc"))
        put("vc_provider", provider, "join_link")
        put("vc_url", url, "join_link")
    return changed


def _parse_vc(vc) -> tuple[VcProvider | None, str | None]:
    if vc is None:
        return None, None
    if not isinstance(vc, dict):
        raise InvalidInput('vc must be an object like {"provider": "jitsi"}.', "vc")
    raw = vc.get("provider")
    if raw in (None, ""):
        return None, None
    try:
        provider = VcProvider(raw)
    except ValueError:
        raise InvalidInput("The videoconference provider must be one of "
                           + ", ".join(p.value for p in VcProvider) + ".", "vc") from None
    if provider != VcProvider.URL:
        return provider, None
    url = clean_text(vc.get("url"), "vc", required=True, max_length=1000)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInput(_("The videoconference link must be an http(s) address."), "vc")
    return provider, url
