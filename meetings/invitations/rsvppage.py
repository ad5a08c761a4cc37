"""What the RSVP page shows, loaded in one statement.

Everyone invited opens this page from their email, and mail scanners fetch it too, so it does
not go through the ORM's objects: one statement finds the live link with its invitation, the
person and their unit, where they attend, whom they delegated to, and the agenda with its
speakers (the person's own slots are among them). The objects it returns carry the attribute
names of the models the template was written for (``invitation.person.unit.name``,
``meeting.agenda_items``...), so the template reads them alike. Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from meetings.core.database import as_stored, read_only
from meetings.core.db import utc_value
from meetings.core.roles import Role
from meetings.core.tokens import hash_token, plausible_token
from meetings.directory.models import Person, Unit
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, Invitation, LinkPurpose, Mode, Response
from meetings.scheduling.models import AgendaItem, Meeting, MeetingStatus, Site, SiteKind, SpeakerSlot


@dataclass
class UnitView:
    name: str


@dataclass
class PersonView:
    id: int
    name: str
    timezone: str = "UTC"
    unit: UnitView | None = None


@dataclass
class SiteView:
    id: int
    name: str
    location: str
    timezone: str


@dataclass
class DelegateView:
    """Whom the place was handed to (``invitation.delegated_to.person.name``)."""

    person: PersonView


@dataclass
class SlotView:
    start_at: datetime
    end_at: datetime
    minutes: int
    topic: str
    person: PersonView


@dataclass
class ItemView:
    id: int
    start_at: datetime
    duration_minutes: int
    title: str
    title_zh: str
    speaker_slots: list[SlotView] = field(default_factory=list)

    @property
    def end_at(self) -> datetime:
        return self.start_at + timedelta(minutes=self.duration_minutes)


@dataclass
class MeetingView:
    id: int
    title: str
    title_zh: str
    status: MeetingStatus
    start_at: datetime
    end_at: datetime
    timezone: str
    agenda_items: list[ItemView] = field(default_factory=list)

    @property
    def is_editable(self) -> bool:
        return self.status in (MeetingStatus.DRAFT, MeetingStatus.SCHEDULED)


@dataclass
class InvitationView:
    id: int
    meeting_id: int
    role: Role
    mode: Mode
    response: Response
    removed_at: datetime | None
    person: PersonView
    #: Where they attend: their site, or the main venue for in-person attendees without one.
    venue: SiteView | None
    delegated_to: DelegateView | None

    @property
    def person_id(self) -> int:
        return self.person.id

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


@dataclass
class RsvpPage:
    """Everything the RSVP page shows."""

    invitation: InvitationView
    meeting: MeetingView
    #: The person's own speaker slots, in time order.
    slots: list[SlotView]
    #: The meeting's content version this was read at (`meetings.scheduling.versions`).
    version: int = 0

    @property
    def zone(self) -> str:
        return self.invitation.person.timezone


_link = CapabilityLink.__table__
_meeting = Meeting.__table__
_invitation = Invitation.__table__
_person = Person.__table__
_unit = Unit.__table__
_site = Site.__table__
_delegate = Invitation.__table__.alias("delegate")
_delegate_person = Person.__table__.alias("delegate_person")
_item = AgendaItem.__table__
_slot = SpeakerSlot.__table__
_speaker = Person.__table__.alias("speaker")


# The link with its meeting, invitation, person, unit, venue and delegate, and the agenda with its
# speakers: one row per speaker slot (or agenda item without one; one row when there is no agenda).
_PAGE = (
    sa.select(
        _meeting.c.id, _meeting.c.title, _meeting.c.title_zh, as_stored(_meeting.c.status),
        as_stored(_meeting.c.start_at), as_stored(_meeting.c.end_at), _meeting.c.timezone,
        _invitation.c.id, as_stored(_invitation.c.role), as_stored(_invitation.c.mode),
        as_stored(_invitation.c.response), as_stored(_invitation.c.removed_at),
        _person.c.id, _person.c.name, _person.c.timezone, _unit.c.name,
        _site.c.id, _site.c.name, _site.c.location, _site.c.timezone, _delegate_person.c.name,
        _item.c.id, as_stored(_item.c.start_at), _item.c.duration_minutes, _item.c.title, _item.c.title_zh,
        as_stored(_slot.c.start_at), as_stored(_slot.c.end_at), _slot.c.minutes, _slot.c.topic, _speaker.c.id,
        _speaker.c.name, _meeting.c.content_version,
    )
    .select_from(_link)
    .join(_invitation, _invitation.c.id == _link.c.invitation_id)
    .join(_meeting, _meeting.c.id == _invitation.c.meeting_id)
    .join(_person, _person.c.id == _invitation.c.person_id)
    .outerjoin(_unit, _unit.c.id == _person.c.unit_id)
    # `Invitation.venue`: their site; for in-person attendees without one, the main venue.
    .outerjoin(_site, sa.and_(_site.c.meeting_id == _meeting.c.id, sa.or_(
        _site.c.id == _invitation.c.site_id,
        sa.and_(_invitation.c.site_id.is_(None), _invitation.c.mode == Mode.IN_PERSON,
                _site.c.kind == SiteKind.MAIN))))
    .outerjoin(_delegate, _delegate.c.id == _invitation.c.delegated_to_id)
    .outerjoin(_delegate_person, _delegate_person.c.id == _delegate.c.person_id)
    .outerjoin(_item, _item.c.meeting_id == _meeting.c.id)
    .outerjoin(_slot, _slot.c.agenda_item_id == _item.c.id)
    .outerjoin(_speaker, _speaker.c.id == _slot.c.person_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.RSVP))
    .order_by(_item.c.start_at, _item.c.id, _slot.c.position, _slot.c.id)
)


def load_rsvp_page(raw: str | None) -> RsvpPage | None:
    """The page behind RSVP link ``raw``; None when the link is unknown, revoked, expired, or
    not an invitation's (all a 404). One statement."""
    if not plausible_token(raw):
        return None
    with read_only(db.engine) as connection:
        rows = connection.execute(_PAGE, {"token_hash": hash_token(raw)}).all()
    if not rows:
        return None
    (meeting_id, title, title_zh, status, start_at, end_at, meeting_zone, invitation_id, role, mode, response,
     removed_at, person_id, person_name, person_zone, unit_name, site_id, site_name, location, site_zone,
     delegate_name) = rows[0][:21]
    end_at = utc_value(end_at)
    if links.is_expired(LinkPurpose.RSVP, end_at):
        return None
    meeting = MeetingView(meeting_id, title, title_zh or "", MeetingStatus(status), utc_value(start_at), end_at,
                          meeting_zone)
    person = PersonView(person_id, person_name, person_zone, UnitView(unit_name) if unit_name is not None else None)
    invitation = InvitationView(
        id=invitation_id, meeting_id=meeting_id, role=Role(role), mode=Mode(mode), response=Response(response),
        removed_at=utc_value(removed_at) if removed_at is not None else None, person=person,
        venue=SiteView(site_id, site_name, location or "", site_zone) if site_id is not None else None,
        delegated_to=DelegateView(PersonView(0, delegate_name)) if delegate_name is not None else None)
    items: dict[int, ItemView] = {}
    slots: list[SlotView] = []
    speakers: dict[int, PersonView] = {}
    for (*_, item_id, item_start, minutes, item_title, item_title_zh, slot_start, slot_end, slot_minutes, topic,
         speaker_id, speaker_name, _version) in rows:
        if item_id is None:
            continue
        item = items.get(item_id)
        if item is None:
            item = items[item_id] = ItemView(item_id, utc_value(item_start), minutes, item_title, item_title_zh or "")
        if slot_start is None:
            continue
        speaker = speakers.get(speaker_id)
        if speaker is None:
            speaker = speakers[speaker_id] = PersonView(speaker_id, speaker_name)
        slot = SlotView(utc_value(slot_start), utc_value(slot_end), slot_minutes, topic or "", speaker)
        item.speaker_slots.append(slot)
        if speaker_id == person_id:
            slots.append(slot)
    meeting.agenda_items = list(items.values())
    slots.sort(key=lambda slot: slot.start_at)
    return RsvpPage(invitation, meeting, slots, version=rows[0][-1])
