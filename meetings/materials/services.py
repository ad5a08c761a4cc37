"""The rules of materials: who may see and download them (one function each), uploads and new
versions, what is missing before the deadline, and the access log.

Services never commit: the request or the task does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from meetings.core import signals
from meetings.core.database import write_apart
from meetings.core.db import utcnow
from meetings.core.errors import InvalidInput, NotFound
from meetings.core.roles import Role
from meetings.extensions import db
from meetings.materials import checks, storage
from meetings.materials.models import (
    AccessAction,
    Audience,
    Material,
    MaterialAccess,
    MaterialVersion,
)
from meetings.scheduling.models import AgendaItem, Meeting, Site, SpeakerSlot

#: How long before the start materials are due when the meeting does not say.
DEFAULT_DUE_BEFORE = timedelta(days=2)
#: The outbox kind of a speaker's reminder that their material is due.
REMINDER_KIND = "materials_reminder"


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a meeting's materials, as far as `may_see` needs to know.

    ``organizer``: someone who manages the meeting (its owner, a shared organizer, an admin);
    ``invitee``: a person through their own invitation link; ``site``: a site's room link.
    """

    kind: str
    meeting_id: int
    user_id: int | None = None
    invitation_id: int | None = None
    person_id: int | None = None
    role: Role | None = None
    site_id: int | None = None
    active: bool = True

    @classmethod
    def organizer(cls, meeting_id: int, user_id: int) -> Viewer:
        """A user who manages the meeting."""
        return cls("organizer", meeting_id, user_id=user_id)

    @classmethod
    def invitee(cls, invitation) -> Viewer:
        """A person through their invitation's link (``invitation``: the model or the RSVP page's view)."""
        venue = getattr(invitation, "venue", None)
        return cls("invitee", invitation.meeting_id, invitation_id=invitation.id, person_id=invitation.person_id,
                   role=Role(invitation.role), site_id=venue.id if venue is not None else None,
                   active=invitation.removed_at is None)

    @classmethod
    def site(cls, meeting_id: int, site_id: int) -> Viewer:
        """A site's room, through its link (the site host's join page)."""
        return cls("site", meeting_id, site_id=site_id)


def may_see(material, viewer: Viewer) -> bool:
    """Whether ``viewer`` may know of ``material`` and view it: THE rule every read path asks
    (API, organizer pages, link pages, the ZIP). Organizers and the chair see everything; the
    speaker whose slot it is sees it; others as its audience says (everyone invited; chosen roles
    and sites; organizers only). A removed invitation sees nothing."""
    if material.meeting_id != viewer.meeting_id:
        return False
    if viewer.kind == "organizer":
        return True
    if viewer.kind == "invitee":
        if not viewer.active:
            return False
        if viewer.role == Role.CHAIR or (material.speaker_person_id is not None
                                         and material.speaker_person_id == viewer.person_id):
            return True
        if material.audience == Audience.ALL:
            return True
        if material.audience == Audience.CHOSEN:
            return (viewer.role is not None and viewer.role.value in material.audience_roles) or \
                (viewer.site_id is not None and viewer.site_id in material.audience_site_ids)
        return False
    if viewer.kind == "site":
        if material.audience == Audience.ALL:
            return True
        if material.audience == Audience.CHOSEN:
            return viewer.site_id in material.audience_site_ids or Role.SITE_HOST.value in material.audience_roles
    return False


def may_download(material, viewer: Viewer) -> bool:
    """Whether ``viewer`` may save ``material`` as a file: whoever `may_see` it, except that a
    confidential one is only shown in the browser, save to organizers, the chair and its speaker."""
    if not may_see(material, viewer):
        return False
    if not material.confidential or viewer.kind == "organizer":
        return True
    return viewer.kind == "invitee" and (viewer.role == Role.CHAIR or material.speaker_person_id == viewer.person_id)


def due_at(meeting) -> datetime:
    """When the meeting's materials are due: its ``materials_due``, else 2 days before the start."""
    return meeting.materials_due or meeting.start_at - DEFAULT_DUE_BEFORE


# --- uploads ------------------------------------------------------------------------------------

def parse_audience(raw, meeting: Meeting) -> tuple[Audience, list[str], list[int]]:
    """``"all"``, ``"organizers"``, or a list (or comma-separated text) of roles and site ids of
    ``meeting``: the audience columns. `InvalidInput` on ``audience`` for anything else."""
    if raw is None or raw == "" or raw == []:
        return Audience.ALL, [], []
    values = raw if isinstance(raw, list) else [raw]
    if len(values) == 1 and isinstance(values[0], str) and values[0].strip().startswith("["):
        # A JSON array in one multipart field: ["chair", 3].
        try:
            values = [str(value) for value in json.loads(values[0])]
        except (ValueError, TypeError):
            raise InvalidInput(_("The audience is not a valid list."), "audience") from None
    parts = [str(part).strip() for value in values for part in str(value).split(",") if str(part).strip()]
    if parts in (["all"], ["organizers"]):
        return Audience(parts[0]), [], []
    roles, site_ids = [], []
    own_sites = {site.id for site in meeting.sites}
    for part in parts[:50]:
        if part in Role.__members__.values() or part in {role.value for role in Role}:
            roles.append(Role(part).value)
        elif part.isdigit() and int(part) in own_sites:
            site_ids.append(int(part))
        else:
            raise InvalidInput(_("The audience is \"all\", \"organizers\", or roles (%(roles)s) and site ids of "
                                 "this meeting; \"%(part)s\" is none of these.",
                                 roles=", ".join(role.value for role in Role), part=part[:40]), "audience")
    if len(parts) > 50:
        raise InvalidInput(_("The audience names too many roles and sites."), "audience")
    return Audience.CHOSEN, sorted(set(roles)), sorted(set(site_ids))


def find_slot(meeting: Meeting, slot_id: int) -> SpeakerSlot:
    """Speaker slot ``slot_id`` of ``meeting``; `InvalidInput` on ``slot_id`` otherwise."""
    slot = db.session.scalar(sa.select(SpeakerSlot).join(AgendaItem).where(
        SpeakerSlot.id == slot_id, AgendaItem.meeting_id == meeting.id))
    if slot is None:
        raise InvalidInput(_("This meeting has no speaker slot %(id)s.", id=slot_id), "slot_id")
    return slot


def material_for_slot(slot) -> Material | None:
    """The material of a speaker's slot (its item and speaker), if there is one."""
    return db.session.scalar(sa.select(Material).where(Material.agenda_item_id == slot.agenda_item_id,
                                                       Material.speaker_person_id == slot.person_id))


def upload(meeting: Meeting, data: bytes, filename: str | None, *, title: str | None = None,
           agenda_item_id: int | None = None, slot_id: int | None = None, audience=None,
           confidential: bool = False, user=None, invitation=None) -> Material:
    """Add a file to ``meeting`` (uploaded by organizer ``user`` or through ``invitation``'s
    link). For a speaker slot that has a material already, the file becomes its new version.
    Every check runs before anything is written; `InvalidInput` names the field at fault."""
    checked = checks.check_upload(data, filename)
    item = slot = None
    if slot_id is not None:
        slot = find_slot(meeting, slot_id)
        if agenda_item_id is not None and agenda_item_id != slot.agenda_item_id:
            raise InvalidInput(_("The speaker slot is not in this agenda item."), "agenda_item_id")
        agenda_item_id = slot.agenda_item_id
    if agenda_item_id is not None:
        item = db.session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting.id:
            raise InvalidInput(_("This meeting has no agenda item %(id)s.", id=agenda_item_id), "agenda_item_id")
    roles_sites = parse_audience(audience, meeting)
    title = _title(title, slot, checked.filename)
    if slot is not None:
        existing = material_for_slot(slot)
        if existing is not None:
            if title and title != existing.title and user is not None:
                existing.title = title
            return add_version(existing, data, filename, user=user, invitation=invitation, checked=checked)
    material = Material(meeting_id=meeting.id, agenda_item_id=item.id if item else None,
                        speaker_person_id=slot.person_id if slot else None, title=title,
                        audience=roles_sites[0], audience_roles=roles_sites[1], audience_site_ids=roles_sites[2],
                        confidential=bool(confidential), current_version=1)
    db.session.add(material)
    db.session.flush()
    _store(material, 1, data, checked, user, invitation)
    _changed(material, meeting)
    return material


def _title(title: str | None, slot, filename: str) -> str:
    from meetings.core.validation import clean_text

    title = clean_text(title, "title", max_length=200) if title else ""
    return title or (slot.topic if slot is not None and slot.topic else filename)[:200]


def add_version(material: Material, data: bytes, filename: str | None, *, user=None, invitation=None,
                checked: checks.CheckedFile | None = None) -> Material:
    """Store a new version of ``material`` and make it the current one; the old ones stay."""
    checked = checked or checks.check_upload(data, filename)
    number = (db.session.scalar(sa.select(sa.func.max(MaterialVersion.number))
                                .where(MaterialVersion.material_id == material.id)) or 0) + 1
    _store(material, number, data, checked, user, invitation)
    material.current_version = number
    _changed(material, db.session.get_one(Meeting, material.meeting_id))
    return material


def _store(material: Material, number: int, data: bytes, checked, user, invitation) -> None:
    ref = storage.store(data)
    material.versions.append(MaterialVersion(
        number=number, filename=checked.filename, content_type=checked.content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), storage_ref=ref,
        uploader_user_id=user.id if user is not None else None,
        uploader_invitation_id=invitation.id if invitation is not None else None))
    db.session.flush()


def _changed(material: Material, meeting: Meeting) -> None:
    from meetings.outbox.models import OutboxMessage
    from meetings.outbox.services import cancel_pending

    material.updated_at = utcnow()
    if material.speaker_person_id is not None and material.agenda_item_id is not None:
        # The speaker has sent theirs: a reminder still waiting would be wrong.
        cancel_pending(OutboxMessage.key == reminder_key(meeting.id, material.agenda_item_id,
                                                         material.speaker_person_id),
                       kinds=(REMINDER_KIND,), reason="material uploaded")
    if meeting.is_live:
        material.notice_pending = True
        signals.material_updated.send(material)


def reminder_key(meeting_id: int, item_id: int, person_id: int) -> str:
    """The outbox key of a speaker's one reminder for one slot's material."""
    return f"materials-due:{meeting_id}:{item_id}:{person_id}"


# --- reading ------------------------------------------------------------------------------------

def get_material(meeting: Meeting, material_id: int) -> Material:
    """Material ``material_id`` of ``meeting``; `NotFound` otherwise."""
    material = db.session.get(Material, material_id)
    if material is None or material.meeting_id != meeting.id:
        raise NotFound(_("No material with id %(id)s.", id=material_id))
    return material


def agenda_order(material=Material.__table__, item=AgendaItem.__table__):
    """ORDER BY terms that list materials as the agenda runs: the meeting's own first, then by
    item time, the speakers in slot order, then by upload (``material`` and ``item``: the tables,
    or the aliases a statement uses)."""
    slots = SpeakerSlot.__table__
    position = (sa.select(sa.func.min(slots.c.position))
                .where(slots.c.agenda_item_id == material.c.agenda_item_id,
                       slots.c.person_id == material.c.speaker_person_id).scalar_subquery())
    return [item.c.start_at.is_not(None), item.c.start_at, item.c.id, sa.func.coalesce(position, 1_000_000),
            material.c.id]


def materials_of(meeting_id: int, viewer: Viewer | None = None) -> list[Material]:
    """The meeting's materials in agenda order; with ``viewer``, only those `may_see` allows."""
    rows = db.session.scalars(sa.select(Material).outerjoin(AgendaItem, AgendaItem.id == Material.agenda_item_id)
                              .where(Material.meeting_id == meeting_id).order_by(*agenda_order())).all()
    return [row for row in rows if viewer is None or may_see(row, viewer)]


@dataclass(frozen=True)
class MissingUpload:
    """A speaker's slot with no material yet."""

    slot_id: int
    agenda_item_id: int
    item_title: str
    person_id: int
    name: str
    email: str
    topic: str


def missing_uploads(meeting_id: int) -> list[MissingUpload]:
    """The speaker slots of the meeting whose speaker has not uploaded anything for that item."""
    from meetings.directory.models import Person

    has = sa.exists().where(Material.agenda_item_id == SpeakerSlot.agenda_item_id,
                            Material.speaker_person_id == SpeakerSlot.person_id)
    rows = db.session.execute(
        sa.select(SpeakerSlot.id, AgendaItem.id, AgendaItem.title, Person.id, Person.name, Person.email,
                  SpeakerSlot.topic)
        .join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id).join(Person, Person.id == SpeakerSlot.person_id)
        .where(AgendaItem.meeting_id == meeting_id, ~has)
        .order_by(AgendaItem.start_at, AgendaItem.id, SpeakerSlot.position))
    return [MissingUpload(*row) for row in rows]


def record_access(materials: Sequence[Material], action: AccessAction, via: str, viewer: Viewer) -> None:
    """Log one view or download of each of ``materials``' current version, committed, in a short
    write of its own after the reads that found them (`write_apart`: the handlers that call this
    are GETs, whose reading transaction must not turn into a writing one)."""
    entries = [MaterialAccess(material_id=material.id, version=material.current_version, action=action, via=via,
                              user_id=viewer.user_id, invitation_id=viewer.invitation_id,
                              site_id=viewer.site_id if viewer.kind == "site" else None) for material in materials]
    with write_apart():
        db.session.add_all(entries)


def access_log(meeting_id: int, limit: int = 500) -> Sequence[sa.Row]:
    """The latest accesses to the meeting's materials (newest first, at most ``limit``), with
    who: the user's email, the invited person's name, or the site's name."""
    from meetings.accounts.models import User
    from meetings.directory.models import Person
    from meetings.invitations.models import Invitation

    return db.session.execute(
        sa.select(MaterialAccess.at, Material.title, MaterialAccess.version, MaterialAccess.action,
                  MaterialAccess.via, sa.func.coalesce(User.email, Person.name, Site.name).label("who"))
        .join(Material, Material.id == MaterialAccess.material_id)
        .outerjoin(User, User.id == MaterialAccess.user_id)
        .outerjoin(Invitation, Invitation.id == MaterialAccess.invitation_id)
        .outerjoin(Person, Person.id == Invitation.person_id)
        .outerjoin(Site, Site.id == MaterialAccess.site_id)
        .where(Material.meeting_id == meeting_id)
        .order_by(MaterialAccess.at.desc(), MaterialAccess.id.desc()).limit(limit)).all()


def viewable_inline(content_type: str) -> bool:
    """Whether browsers show this type themselves (PDF, images): how a confidential file is shown."""
    return content_type in (checks.PDF, checks.PNG, checks.JPEG)


def speaker_slots(invitation) -> list[SpeakerSlot]:
    """The invited person's speaker slots in the meeting, in time order."""
    return list(db.session.scalars(
        sa.select(SpeakerSlot).join(AgendaItem, AgendaItem.id == SpeakerSlot.agenda_item_id)
        .where(AgendaItem.meeting_id == invitation.meeting_id, SpeakerSlot.person_id == invitation.person_id)
        .order_by(SpeakerSlot.start_at)))


def set_due(meeting: Meeting, value, zone: str | None = None) -> datetime:
    """Set when the meeting's materials are due (an ISO time, wall time in ``zone`` or the
    meeting's; None: back to 2 days before the start). Speakers' reminders follow it. It must be
    before the meeting ends."""
    from meetings.scheduling.services import parse_time

    if value is None or value == "":
        meeting.materials_due = None
    else:
        due = parse_time(value, zone or meeting.timezone, "due")
        if due >= meeting.end_at:
            raise InvalidInput(_("Materials must be due before the meeting ends."), "due")
        meeting.materials_due = due
    return due_at(meeting)


def change(material: Material, data: dict) -> Material:
    """Change a material's ``title``, ``audience`` or ``confidential`` (what is given). A new
    audience after publishing is told in the next update email, as a new version is."""
    from meetings.core.validation import clean_text

    meeting = db.session.get_one(Meeting, material.meeting_id)
    if data.get("title") is not None:
        material.title = clean_text(data["title"], "title", required=True, max_length=200)
    if "audience" in data:
        material.audience, material.audience_roles, material.audience_site_ids = parse_audience(
            data["audience"], meeting)
    if data.get("confidential") is not None:
        material.confidential = bool(data["confidential"])
    _changed(material, meeting)
    return material
