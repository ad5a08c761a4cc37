"""What the RSVP page shows: one statement for the person, what the meeting's pages share kept per version.

Everyone invited opens this page from their email (a fresh token in each), and mail scanners
fetch it too, so it does not go through the ORM's objects: one statement finds the live link
with its invitation, the person and their unit, which site they attend (`attended_site_id`),
whom they delegated to, and the meeting's id and content version; the meeting itself, its
sites and agenda, the same for all of them, are read once per version
(`meetings.scheduling.contentview`). The views carry the attribute names of the models the
template was written for (``invitation.person.unit.name``), so the template reads either.
Nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from meetings.core.database import request_reads
from meetings.core.linkpages import LinkHolder
from meetings.core.roles import Role
from meetings.core.tokens import hash_token, plausible_token
from meetings.directory.models import Person, Unit
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import CapabilityLink, Invitation, LinkPurpose, Mode, Response, attended_site_id
from meetings.scheduling.contentview import AgendaView, MeetingView, SiteView, SlotView, kept_content
from meetings.scheduling.models import Meeting


@dataclass(frozen=True)
class UnitView:
    name: str


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    timezone: str = "UTC"
    unit: UnitView | None = None


@dataclass(frozen=True)
class DelegateView:
    """Whom the place was handed to (``invitation.delegated_to.person.name``)."""

    person: PersonView


@dataclass(frozen=True)
class InvitationView:
    id: int
    meeting_id: int
    role: Role
    mode: Mode
    response: Response
    removed_at: datetime | None
    person: PersonView
    #: Where they attend (`Invitation.venue`).
    venue: SiteView | None
    delegated_to: DelegateView | None

    @property
    def person_id(self) -> int:
        return self.person.id

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class RsvpPage:
    """Everything the RSVP page shows."""

    invitation: InvitationView
    meeting: MeetingView
    #: The meeting's agenda, at the content version read with the meeting.
    agenda: AgendaView
    #: The meeting's content version this was read at (`meetings.scheduling.versions`).
    version: int

    @property
    def zone(self) -> str:
        return self.invitation.person.timezone

    @property
    def holder(self) -> LinkHolder:
        """Who holds the link (what their materials are chosen by)."""
        invitation = self.invitation
        return LinkHolder(LinkPurpose.RSVP, self.meeting.id, self.meeting.uid, self.version,
                          invitation_id=invitation.id, person_id=invitation.person.id, role=invitation.role,
                          site_id=invitation.venue.id if invitation.venue is not None else None,
                          active=invitation.is_active)

    def blanked(self, name: str, unit: str, delegate: str) -> RsvpPage:
        """This page as a kept page is rendered (`meetings.core.stencils`): the person's name, unit
        and delegate's name replaced by ``name``, ``unit`` and ``delegate`` (the blanks), and no id
        or time of theirs; the rest is what the kept page's key names."""
        invitation = self.invitation
        person = PersonView(0, name, invitation.person.timezone,
                            UnitView(unit) if invitation.person.unit is not None else None)
        shown = replace(invitation, id=0, person=person,
                        removed_at=None if invitation.is_active else self.meeting.end_at,
                        delegated_to=DelegateView(PersonView(0, delegate)) if invitation.delegated_to else None)
        return replace(self, invitation=shown)

    @property
    def slots(self) -> list[SlotView]:
        """The person's own speaker slots, in time order."""
        return self.agenda.slots_of(self.invitation.person.id)


_link = CapabilityLink.__table__
_meeting = Meeting.__table__
_invitation = Invitation.__table__
_person = Person.__table__
_unit = Unit.__table__
_delegate = Invitation.__table__.alias("delegate")
_delegate_person = Person.__table__.alias("delegate_person")

#: The live RSVP link ``token_hash`` with its invitation, person, unit, venue, delegate and the
#: meeting's id, uid and content version (the rest of it: `kept_content`): at most one row.
PAGE = (
    sa.select(
        _meeting.c.id.label("meeting_id"), _meeting.c.uid.label("meeting_uid"),
        _meeting.c.content_version.label("version"),
        _invitation.c.id.label("invitation_id"), _invitation.c.role, _invitation.c.mode, _invitation.c.response,
        _invitation.c.removed_at, _person.c.id.label("person_id"), _person.c.name.label("person_name"),
        _person.c.timezone.label("person_zone"), _unit.c.name.label("unit_name"),
        attended_site_id(_invitation).label("venue_id"), _delegate_person.c.name.label("delegate_name"),
    )
    .select_from(_link)
    .join(_invitation, _invitation.c.id == _link.c.invitation_id)
    .join(_meeting, _meeting.c.id == _invitation.c.meeting_id)
    .join(_person, _person.c.id == _invitation.c.person_id)
    .outerjoin(_unit, _unit.c.id == _person.c.unit_id)
    .outerjoin(_delegate, _delegate.c.id == _invitation.c.delegated_to_id)
    .outerjoin(_delegate_person, _delegate_person.c.id == _delegate.c.person_id)
    .where(*links.live_conditions(sa.bindparam("token_hash"), LinkPurpose.RSVP))
)


def load_rsvp_page(raw: str | None) -> RsvpPage | None:
    """The page behind RSVP link ``raw``; None when the link is unknown, revoked, expired, or
    not an invitation's (all a 404). One statement, and two more for what the meeting's pages
    share when it is not kept at the version read."""
    if not plausible_token(raw):
        return None
    connection = request_reads(db.engine)
    row = connection.execute(PAGE, {"token_hash": hash_token(raw)}).first()
    if row is None:
        return None
    content = kept_content(connection, row.meeting_id, row.meeting_uid, row.version)
    if content is None or links.is_expired(LinkPurpose.RSVP, content.meeting.end_at):
        return None
    person = PersonView(row.person_id, row.person_name, row.person_zone,
                        UnitView(row.unit_name) if row.unit_name is not None else None)
    # A site removed since the version was read is in no kept content: shown as no site.
    venue = content.sites.get(row.venue_id) if row.venue_id is not None else None
    delegate = DelegateView(PersonView(0, row.delegate_name)) if row.delegate_name is not None else None
    invitation = InvitationView(
        id=row.invitation_id, meeting_id=row.meeting_id, role=row.role, mode=row.mode, response=row.response,
        removed_at=row.removed_at, person=person, venue=venue, delegated_to=delegate)
    return RsvpPage(invitation, content.meeting, content.agenda, row.version)
