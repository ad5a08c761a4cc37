"""Materials behind capability links: who a link is (`Viewer`), and the list a link page shows.

The RSVP and join pages call `materials_for_link` from their templates (a template global set
by `init_app`) with the `LinkHolder` their one statement read, so the lower domains do not import
this one. The meeting's list is kept per content version: a new material, version or audience
moves the version, so the next view reads it anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for

from meetings.core import pagecache
from meetings.core.database import request_reads
from meetings.core.i18n import language_args
from meetings.core.linkpages import LinkHolder
from meetings.core.roles import Role
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import Invitation, LinkPurpose
from meetings.materials import services
from meetings.materials.models import Audience, Material, MaterialVersion
from meetings.scheduling.models import AgendaItem

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


_material, _version, _item = Material.__table__, MaterialVersion.__table__, AgendaItem.__table__

#: The materials of meeting ``meeting_id`` with their current version, in agenda order: what the
#: link pages list, read once per content version of the meeting (a new material, version or
#: audience moves it: `meetings.materials.models`) and chosen per reader (`services.may_see`).
MEETING_MATERIALS = (
    sa.select(
        _material.c.id, _material.c.title, _material.c.audience, _material.c.audience_roles,
        _material.c.audience_site_ids, _material.c.speaker_person_id, _material.c.confidential,
        _material.c.current_version, _material.c.updated_at, _version.c.filename, _version.c.content_type,
        _version.c.size)
    .select_from(_material)
    .join(_version, sa.and_(_version.c.material_id == _material.c.id,
                            _version.c.number == _material.c.current_version))
    .outerjoin(_item, _item.c.id == _material.c.agenda_item_id)
    .where(_material.c.meeting_id == sa.bindparam("meeting_id"))
    .order_by(*services.agenda_order(_material, _item))
)


@dataclass(frozen=True)
class _Listed:
    """One material as kept for a meeting's link pages (what `may_see` and the list need)."""

    meeting_id: int
    id: int
    title: str
    audience: Audience
    audience_roles: list
    audience_site_ids: list
    speaker_person_id: int | None
    confidential: bool
    version: int
    updated_at: datetime
    filename: str
    content_type: str
    size: int


def _read_materials(meeting_id: int) -> tuple[_Listed, ...]:
    rows = request_reads(db.engine).execute(MEETING_MATERIALS, {"meeting_id": meeting_id})
    return tuple(_Listed(meeting_id, row.id, row.title, Audience(row.audience), row.audience_roles or [],
                         row.audience_site_ids or [], row.speaker_person_id, bool(row.confidential),
                         row.current_version, row.updated_at, row.filename, row.content_type, row.size)
                 for row in rows)


def _viewer(holder: LinkHolder) -> services.Viewer | None:
    if holder.invitation_id is not None and holder.role is not None:
        return services.Viewer("invitee", holder.meeting_id, invitation_id=holder.invitation_id,
                               person_id=holder.person_id, role=Role(holder.role), site_id=holder.site_id,
                               active=holder.active)
    if holder.site_id is not None:
        return services.Viewer.site(holder.meeting_id, holder.site_id)
    return None


def _chosen(holder: LinkHolder | None) -> list[tuple[_Listed, bool]]:
    """The materials ``holder`` may see, each with whether they may download it."""
    if holder is None:
        return []
    viewer = _viewer(holder)
    if viewer is None:
        return []
    meeting_id = holder.meeting_id
    listed = pagecache.kept(("materials", meeting_id, holder.meeting_uid, holder.version),
                            lambda: _read_materials(meeting_id))
    return [(material, services.may_download(material, viewer)) for material in listed
            if services.may_see(material, viewer)]


def shown_to(holder: LinkHolder) -> tuple[tuple[int, bool], ...]:
    """What the list of `materials_for_link` shows ``holder`` (at the version it holds): each
    material's id and whether it may be downloaded; a kept link page's key has it
    (`meetings.core.linkpages.shows_per_holder`)."""
    return tuple((material.id, downloadable) for material, downloadable in _chosen(holder))


def materials_for_link(token: str, holder: LinkHolder | None) -> list[LinkMaterial]:
    """The materials the ``holder`` of live link ``token`` may see (`services.may_see`), in agenda
    order, with the address of each under the link. The meeting's list is read once per content
    version and kept (`meetings.core.pagecache.kept`); each reader's choice from it costs no
    statement: the link pages call this when they render, with the holder their one statement read."""
    chosen = _chosen(holder)
    if not chosen or holder is None:
        return []
    endpoint = file_endpoint(LinkPurpose(holder.purpose))
    language = language_args()
    return [LinkMaterial(material.id, material.title, material.filename, material.content_type, material.size,
                         material.version, material.updated_at, material.confidential,
                         downloadable, services.viewable_inline(material.content_type),
                         url_for(endpoint, token=token, material_id=material.id, **language))
            for material, downloadable in chosen]
