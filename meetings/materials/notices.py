"""Telling invitees of materials: what each reader was told of (the version of every material
they may see, kept with their last email's snapshot), what is new to them since, and who may be
told of a material. The emails themselves are the notifications domain's (an update, and the
``materials`` email a burst of uploads sends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from meetings.core.roles import Role
from meetings.materials.models import Audience, Material
from meetings.materials.services import Viewer, materials_of, may_see


@dataclass(frozen=True)
class Notice:
    """A material its reader has not been told of in this version (new to them, or replaced)."""

    material_id: int
    title: str
    version: int
    updated_at: datetime
    #: Whether the reader was told of an earlier version (replaced), or of none (new to them).
    replaced: bool


def meeting_materials(meeting_id: int) -> list[Material]:
    """The meeting's materials in agenda order, for `told_versions` and `notices_since` to
    filter per reader (an email batch loads them once per meeting)."""
    return materials_of(meeting_id)


def told_versions(materials, viewer: Viewer) -> dict[str, int]:
    """What a copy that points at the reader's page tells them of: each material ``viewer``
    may see, by id (text: it is kept as JSON), with its current version."""
    return {str(material.id): material.current_version for material in materials if may_see(material, viewer)}


def notices_since(materials, viewer: Viewer, told: dict | None) -> tuple[Notice, ...]:
    """The materials ``viewer`` may see that are new to them or newer than the version they were
    last told of (``told``: `told_versions` as their last email kept it), in agenda order.
    Without ``told`` (a copy kept before this was recorded), those added or replaced since the
    meeting was published."""
    found = []
    for material in materials:
        if not may_see(material, viewer):
            continue
        if told is None:
            if material.notice_pending:
                found.append(Notice(material.id, material.title, material.current_version, material.updated_at,
                                    material.current_version > 1))
            continue
        was = told.get(str(material.id))
        if was is None or int(was) < material.current_version:
            found.append(Notice(material.id, material.title, material.current_version, material.updated_at,
                                was is not None))
    return tuple(found)


def audience_condition(material: Material):
    """SQL on `Invitation`: the invitations that may see ``material`` (or a few more: who gets
    told is settled by `may_see` when the email is rendered)."""
    from meetings.invitations.models import Invitation

    if material.audience == Audience.ALL:
        return sa.true()
    anyone = [Invitation.role == Role.CHAIR]
    if material.speaker_person_id is not None:
        anyone.append(Invitation.person_id == material.speaker_person_id)
    if material.audience == Audience.CHOSEN:
        if material.audience_roles:
            anyone.append(Invitation.role.in_([Role(role) for role in material.audience_roles]))
        if material.audience_site_ids:
            # In person without a site of their own: at the main venue, which may be chosen.
            anyone += [Invitation.site_id.in_(material.audience_site_ids), Invitation.site_id.is_(None)]
    return sa.or_(*anyone)
