"""Materials behind capability links: who a link is (`Viewer`), and the list a link page shows.

The RSVP and join pages call `materials_for_link` from their templates (a template global set
by `init_app`): their loaders stay as they are, and the lower domains do not import this one.
A new material or version moves the meeting's content version, so kept pages are rendered anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import url_for

from meetings.core.i18n import language_args
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.materials import services

#: The link purposes whose holders may see materials, and the page each one's files are under.
PURPOSES = (LinkPurpose.RSVP, LinkPurpose.JOIN, LinkPurpose.SITE)


def viewer_for_link(token: str, *purposes: LinkPurpose) -> tuple[services.Viewer, Invitation | None] | None:
    """Who holds live link ``token`` (of ``purposes``): an invitee (with their invitation) or a
    site's room; None when the link is not live (unknown, revoked, expired: the meeting's links
    have ended) or belongs to no one."""
    link = links.resolve(token, *purposes)
    return viewer_of(link) if link is not None else None


def viewer_of(link) -> tuple[services.Viewer, Invitation | None] | None:
    """Who holds the live ``link`` (see `viewer_for_link`)."""
    if link.meeting_id is None:
        return None
    if link.invitation_id is not None:
        invitation = db.session.get(Invitation, link.invitation_id)
        if invitation is None:
            return None
        return services.Viewer.invitee(invitation), invitation
    if link.site_id is not None:
        return services.Viewer.site(link.meeting_id, link.site_id), None
    return None


@dataclass(frozen=True)
class LinkMaterial:
    """One material as a link page lists it."""

    id: int
    title: str
    filename: str
    content_type: str
    size: int
    version: int
    updated_at: datetime
    confidential: bool
    downloadable: bool
    viewable: bool
    url: str


def file_endpoint(purpose: LinkPurpose) -> str:
    """The endpoint serving materials' files under a link of ``purpose``."""
    return "materials_links.rsvp_file" if purpose == LinkPurpose.RSVP else "materials_links.join_file"


def materials_for_link(token: str) -> list[LinkMaterial]:
    """The materials the holder of ``token`` may see (`services.may_see`), in agenda order, with
    the address of each under the link; [] for a link that is not live."""
    link = links.resolve(token, *PURPOSES)
    found = viewer_of(link) if link is not None else None
    if found is None:
        return []
    viewer, _ = found
    endpoint = file_endpoint(link.purpose)
    shown = []
    for material in services.materials_of(viewer.meeting_id, viewer):
        current = material.current
        shown.append(LinkMaterial(
            material.id, material.title, current.filename, current.content_type, current.size,
            material.current_version, material.updated_at, material.confidential,
            services.may_download(material, viewer), services.viewable_inline(current.content_type),
            url_for(endpoint, token=token, material_id=material.id, **language_args())))
    return shown
