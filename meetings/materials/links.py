"""Materials behind capability links: who a link is (`Viewer`), and the list a link page shows.

The RSVP and join pages call `materials_for_link` from their templates (a template global set
by `init_app`): their loaders stay as they are, and the lower domains do not import this one.
A new material or version moves the meeting's content version, so kept pages are rendered anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask import url_for

from meetings.core.i18n import language_args
from meetings.core.roles import Role
from meetings.core.tokens import hash_token, plausible_token
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, Invitation, LinkPurpose, Mode
from meetings.materials import services
from meetings.materials.models import Audience, Material, MaterialVersion
from meetings.scheduling.models import AgendaItem, Meeting, Site, SiteKind

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


_link, _invitation, _site = CapabilityLink.__table__, Invitation.__table__, Site.__table__
_material, _version, _item = Material.__table__, MaterialVersion.__table__, AgendaItem.__table__
_main = _site.alias("main_site")

# The live link with who holds it (its invitation's role and venue, or its site) and, one row
# each, the meeting's materials with their current version, in agenda order: one statement.
_LINK_MATERIALS = (
    sa.select(
        _link.c.purpose, _link.c.meeting_id, _link.c.invitation_id, _link.c.site_id, Meeting.__table__.c.end_at,
        _invitation.c.person_id, _invitation.c.role, _invitation.c.removed_at,
        # `Invitation.venue`: their site; for in-person attendees without one, the main venue.
        sa.func.coalesce(_invitation.c.site_id, sa.case((_invitation.c.mode == Mode.IN_PERSON, _main.c.id))),
        _material.c.id, _material.c.title, _material.c.audience, _material.c.audience_roles,
        _material.c.audience_site_ids, _material.c.speaker_person_id, _material.c.confidential,
        _material.c.current_version, _material.c.updated_at, _version.c.filename, _version.c.content_type,
        _version.c.size)
    .select_from(_link)
    .join(Meeting.__table__, Meeting.__table__.c.id == _link.c.meeting_id)
    .outerjoin(_invitation, _invitation.c.id == _link.c.invitation_id)
    .outerjoin(_main, sa.and_(_main.c.meeting_id == _link.c.meeting_id, _main.c.kind == SiteKind.MAIN))
    .outerjoin(_material, _material.c.meeting_id == _link.c.meeting_id)
    .outerjoin(_version, sa.and_(_version.c.material_id == _material.c.id,
                                 _version.c.number == _material.c.current_version))
    .outerjoin(_item, _item.c.id == _material.c.agenda_item_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), *PURPOSES))
    .order_by(*services.agenda_order(_material, _item))
)


def materials_for_link(token: str) -> list[LinkMaterial]:
    """The materials the holder of ``token`` may see (`services.may_see`), in agenda order, with
    the address of each under the link; [] for a link that is not live. One statement: the link
    pages call it when they render (once per content version, see `meetings.scheduling.versions`)."""
    if not plausible_token(token):
        return []
    rows = db.session.execute(_LINK_MATERIALS, {"token_hash": hash_token(token)}).all()
    if not rows:
        return []
    purpose, meeting_id, invitation_id, site_id, end_at, person_id, role, removed_at, venue_id = rows[0][:9]
    purpose = LinkPurpose(purpose)
    if links.is_expired(purpose, end_at):
        return []
    if invitation_id is not None:
        viewer = services.Viewer("invitee", meeting_id, invitation_id=invitation_id, person_id=person_id,
                                 role=Role(role), site_id=venue_id, active=removed_at is None)
    elif site_id is not None:
        viewer = services.Viewer.site(meeting_id, site_id)
    else:
        return []
    endpoint = file_endpoint(purpose)
    shown = []
    for (*_, material_id, title, audience, roles, site_ids, speaker_id, confidential, number, updated_at, filename,
         content_type, size) in rows:
        if material_id is None or filename is None:
            continue
        material = SimpleNamespace(meeting_id=meeting_id, audience=Audience(audience), audience_roles=roles or [],
                                   audience_site_ids=site_ids or [], speaker_person_id=speaker_id,
                                   confidential=bool(confidential))
        if not services.may_see(material, viewer):
            continue
        shown.append(LinkMaterial(
            material_id, title, filename, content_type, size, number, updated_at, bool(confidential),
            services.may_download(material, viewer), services.viewable_inline(content_type),
            url_for(endpoint, token=token, material_id=material_id, **language_args())))
    return shown
